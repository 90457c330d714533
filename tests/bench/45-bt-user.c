/*
 * 45-bt-user.c - a guest user program run through bt at CPL3, with the
 * guest kernel's system calls and demand-zero paging done here in C.
 *
 * This runs the real compute kernels of the guest image (the "bench"
 * user program, build/guest/user/bench.elf) through the translator and
 * shadow paging before the bt monitor exists: the program is loaded into
 * guest RAM behind page tables built here, SYSCALL stops are served like
 * workloads/kernel/syscall.c does (write, exit, params, mmap, roi, time,
 * getpid, yield, null; INT 0x80 too; mprotect and munmap are accepted but
 * not modelled, fork/exec/wait are not there), a #PF inside the stack or
 * an mmap area gets a fresh zero page (the kernel's demand paging),
 * anything else ends the run with a message. The program's console output goes to stdout (the
 * @vmb lines, with the checksum and the TSC cycles it measured itself),
 * then one line "# bt: ..." with bt's counters.
 *
 * Usage: 45-bt-user BENCH_ELF bench=NAME [iters=N] [size=S] [seed=X]
 *        [shadow=vtlb|trace]
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <elf.h>

#include "bt/bt_exec.h"
#include "bt/bt_gmem.h"
#include "bt/bt_shadow.h"
#include "machine/guest_mem.h"
#include "machine/x86_state.h"
#include "vmb_abi.h"
#include "vmb_bench.h"
#include "vmb_syscall.h"

#define RAM (1ull << 30)
#define CR3 0x100000ull
#define TABLES_END 0x1000000ull	/* page tables below 16 MiB */
#define P 1ull
#define RW 2ull
#define US 4ull
#define USER_MMAP_BASE 0x10000000ull	/* workloads/kernel/memlayout.h */
#define USER_STACK_TOP 0x7FFFF000ull
#define USER_STACK_MAX (8ull << 20)

static struct guest_mem mem;
static uint64_t next_table = CR3 + 0x1000, next_page = TABLES_END;
static uint64_t mmap_next = USER_MMAP_BASE;
static uint32_t roi_next_id = 1;

static uint64_t *pte_slot(uint64_t va)
{
	uint64_t table = CR3;

	for (int level = 4; level > 1; level--) {
		uint64_t *e = (uint64_t *)(mem.host + table) +
			      ((va >> (12 + 9 * (level - 1))) & 511);

		if (!(*e & P)) {
			if (next_table >= TABLES_END) {
				fprintf(stderr, "45-bt-user: out of page tables\n");
				exit(1);
			}
			*e = next_table | P | RW | US;
			next_table += 0x1000;
		}
		table = *e & 0x000ffffffffff000ull;
	}
	return (uint64_t *)(mem.host + table) + ((va >> 12) & 511);
}

/* A fresh zeroed page of RAM (never reused: the memfd reads as zero). */
static uint64_t page_alloc(void)
{
	uint64_t p = next_page;

	if (p + 4096 > RAM) {
		fprintf(stderr, "45-bt-user: guest RAM exhausted\n");
		exit(1);
	}
	next_page += 4096;
	return p;
}

static uint64_t load_elf(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *b;
	long n;
	Elf64_Ehdr *eh;

	if (!f || fseek(f, 0, SEEK_END) || (n = ftell(f)) < (long)sizeof(*eh)) {
		fprintf(stderr, "45-bt-user: cannot read %s\n", path);
		exit(1);
	}
	b = malloc((size_t)n);
	rewind(f);
	if (!b || fread(b, 1, (size_t)n, f) != (size_t)n)
		exit(1);
	fclose(f);
	eh = (Elf64_Ehdr *)b;
	for (int i = 0; i < eh->e_phnum; i++) {
		Elf64_Phdr *ph = (Elf64_Phdr *)(b + eh->e_phoff) + i;

		if (ph->p_type != PT_LOAD || !ph->p_memsz)
			continue;
		for (uint64_t va = ph->p_vaddr & ~0xfffull;
		     va < ph->p_vaddr + ph->p_memsz; va += 4096) {
			uint64_t pa = page_alloc();

			*pte_slot(va) = pa | P | US | ((ph->p_flags & PF_W) ? RW : 0);
			for (uint64_t o = 0; o < 4096; o++) {
				uint64_t a = va + o;

				if (a >= ph->p_vaddr && a < ph->p_vaddr + ph->p_filesz)
					mem.host[pa + o] = b[ph->p_offset + (a - ph->p_vaddr)];
			}
		}
	}
	uint64_t entry = eh->e_entry;

	free(b);
	return entry;
}

/* argv at the top of the top stack page (strings, then the pointer
 * array below them), RSP at the array, as exec.c lays it out. */
static void stack_setup(struct bt_vcpu *v, const char *name)
{
	const char *argv[] = { "bench", name };
	uint64_t pa = page_alloc(), page = USER_STACK_TOP - 4096;
	uint64_t top = 4096, ptrs[3] = { 0, 0, 0 };

	*pte_slot(page) = pa | P | RW | US;
	for (int i = 1; i >= 0; i--) {
		size_t l = strlen(argv[i]) + 1;

		top -= l;
		memcpy(mem.host + pa + top, argv[i], l);
		ptrs[i] = page + top;
	}
	top = (top - sizeof(ptrs)) & ~15ull;
	memcpy(mem.host + pa + top, ptrs, sizeof(ptrs));
	v->ctx.gpr[X86_RDI] = 2;
	v->ctx.gpr[X86_RSI] = page + top;
	v->ctx.gpr[X86_RSP] = page + top;
}

static bool demand_zero(uint64_t cr2)
{
	bool stack = cr2 >= USER_STACK_TOP - USER_STACK_MAX && cr2 < USER_STACK_TOP;
	bool heap = cr2 >= USER_MMAP_BASE && cr2 < mmap_next;
	uint64_t *pte;

	if (!stack && !heap)
		return false;
	pte = pte_slot(cr2);
	if (*pte & P)
		return false;
	*pte = page_alloc() | P | RW | US;
	return true;
}

/* Serve the SYSCALL (or INT 0x80, with (int80)) at v->rip; false when
 * the program is done. */
static bool syscall_serve(struct bt_vcpu *v, const struct vmb_params *par,
			  int *status, bool int80)
{
	const struct bt_gmem_mode user = { 3, false };
	uint64_t *g = v->ctx.gpr, nr = g[X86_RAX], a0 = g[X86_RDI];
	uint64_t a1 = g[X86_RSI], pf_addr;
	uint32_t pf_error;
	int64_t ret = 0;

	switch (nr) {
	case VMB_SYS_WRITE: {
		char buf[4096];
		uint64_t len = a1 < sizeof(buf) ? a1 : sizeof(buf);

		if (bt_gmem_read(v, user, a0, buf, len, &pf_addr, &pf_error)) {
			ret = -VMB_EFAULT;
			break;
		}
		fwrite(buf, 1, len, stdout);
		ret = (int64_t)len;
		break;
	}
	case VMB_SYS_EXIT:
		*status = (int)a0;
		return false;
	case VMB_SYS_PARAMS:
		ret = bt_gmem_write(v, user, a0, par, sizeof(*par), &pf_addr,
				    &pf_error) ? -VMB_EFAULT : 0;
		break;
	case VMB_SYS_MMAP:
		a0 = (a0 + 4095) & ~4095ull;
		ret = (int64_t)mmap_next;
		mmap_next += a0;
		break;
	case VMB_SYS_ROI:
		if (VMB_ROI_EVENT(a0) == VMB_ROI_BEGIN && VMB_ROI_ID(a0) == 0)
			ret = roi_next_id++;
		break;
	case VMB_SYS_GETPID:
		ret = 1;
		break;
	case VMB_SYS_NULL: case VMB_SYS_YIELD: case VMB_SYS_TIME:
	case VMB_SYS_MUNMAP: case VMB_SYS_MPROTECT:
		break;
	default:
		ret = -VMB_ENOSYS;
		break;
	}
	g[X86_RAX] = (uint64_t)ret;
	if (!int80) {
		g[X86_RCX] = v->rip + 2;		/* SYSCALL's RCX, R11 */
		g[X86_R11] = (v->ctx.rflags & BT_HOST_FLAGS) | 0x202;
	}
	v->rip += 2;
	return true;
}

int main(int argc, char **argv)
{
	struct walk_ctx ctx = {
		.cr3 = CR3, .cr0 = X86_CR0_PG | X86_CR0_PE | X86_CR0_WP,
		.cr4 = X86_CR4_PAE, .efer = X86_EFER_LME | X86_EFER_LMA |
					    X86_EFER_NXE,
	};
	static struct bt_vcpu v;
	struct vmb_params par = { .bench = "" };
	enum bt_shadow_policy pol = BT_SHADOW_VTLB;
	struct bt_shadow sh;
	char err[256];
	int status = -1;

	if (argc < 3) {
		fprintf(stderr, "usage: 45-bt-user BENCH_ELF bench=NAME [iters=N] "
			"[size=S] [seed=X] [shadow=vtlb|trace]\n");
		return 2;
	}
	for (int i = 2; i < argc; i++) {
		if (!strncmp(argv[i], "bench=", 6))
			snprintf(par.bench, sizeof(par.bench), "%s", argv[i] + 6);
		else if (!strncmp(argv[i], "iters=", 6))
			par.iters = strtoull(argv[i] + 6, NULL, 0);
		else if (!strncmp(argv[i], "size=", 5))
			par.size = strtoull(argv[i] + 5, NULL, 0);
		else if (!strncmp(argv[i], "seed=", 5))
			par.seed = strtoull(argv[i] + 5, NULL, 0);
		else if (!strncmp(argv[i], "shadow=", 7) &&
			 bt_shadow_policy_parse(argv[i] + 7, &pol)) {
			fprintf(stderr, "45-bt-user: unknown policy %s\n", argv[i]);
			return 2;
		}
	}
	if (guest_mem_create(&mem, RAM, false, err, sizeof(err)) ||
	    bt_shadow_create(&sh, &mem, pol, &ctx, err, sizeof(err))) {
		fprintf(stderr, "45-bt-user: %s\n", err);
		return 1;
	}
	uint64_t entry = load_elf(argv[1]);

	if (bt_vcpu_create(&v, &sh, 64 << 20, err, sizeof(err))) {
		fprintf(stderr, "45-bt-user: %s\n", err);
		return 1;
	}
	v.cpl = 3;
	v.rip = entry;
	v.ctx.rflags = X86_RFLAGS_FIXED;
	stack_setup(&v, par.bench);
	for (;;) {
		struct bt_stop s;
		uint8_t ib[15];
		unsigned n;
		uint64_t pf_addr;
		uint32_t pf_error;

		bt_exec_run(&v, 0, &s);
		if (s.kind == BT_STOP_KICK)
			continue;
		if (s.kind == BT_STOP_EXCEPTION && s.vector == X86_VEC_PF &&
		    !(s.error & X86_PF_P) && demand_zero(s.cr2))
			continue;
		if (s.kind == BT_STOP_MONITOR &&
		    bt_gmem_fetch(&v, ib, &n, &pf_addr, &pf_error) == BT_GMEM_OK &&
		    n >= 2 && ((ib[0] == 0x0f && ib[1] == 0x05) ||
			       (ib[0] == 0xcd && ib[1] == 0x80))) {
			if (syscall_serve(&v, &par, &status, ib[0] == 0xcd))
				continue;
			break;
		}
		fflush(stdout);
		fprintf(stderr, "45-bt-user: stop %d at rip 0x%llx (vector %u "
			"error 0x%x cr2 0x%llx) %s\n", s.kind,
			(unsigned long long)s.rip, s.vector, s.error,
			(unsigned long long)s.cr2, s.message);
		return 1;
	}
	fflush(stdout);
	printf("# bt: status %d, translations %llu, blocks run %llu, chained %llu "
	       "(cross-page %llu), indirect exits %llu, ret-site fills %llu, "
	       "hidden faults %llu, fault-around pages %llu, monitor exits %llu\n",
	       status, (unsigned long long)v.cnt.translations,
	       (unsigned long long)v.cnt.blocks_run,
	       (unsigned long long)v.cnt.chained,
	       (unsigned long long)v.cnt.chained_cross,
	       (unsigned long long)v.cnt.indirect_exits,
	       (unsigned long long)v.cnt.ret_fills,
	       (unsigned long long)sh.cnt.hidden_faults,
	       (unsigned long long)sh.cnt.around_pages,
	       (unsigned long long)v.cnt.monitor_exits);
	bt_vcpu_destroy(&v);
	bt_shadow_destroy(&sh);
	guest_mem_destroy(&mem);
	return status == 0 ? 0 : 1;
}
