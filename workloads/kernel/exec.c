/*
 * exec.c - ELF loading of embedded programs, argument passing.
 */
#include "console.h"
#include "exec.h"
#include "gdt.h"
#include "memlayout.h"
#include "proc.h"
#include "vmb.h"
#include "vmb_syscall.h"

struct elf64_ehdr {
	uint8_t ident[16];
	uint16_t type, machine;
	uint32_t version;
	uint64_t entry, phoff, shoff;
	uint32_t flags;
	uint16_t ehsize, phentsize, phnum, shentsize, shnum, shstrndx;
};

struct elf64_phdr {
	uint32_t type, flags;
	uint64_t offset, vaddr, paddr, filesz, memsz, align;
};

#define PT_LOAD 1
#define PF_X 1
#define PF_W 2

struct program {
	const char *name;
	const uint8_t *start, *end;
};

extern const uint8_t prog_bench_start[], prog_bench_end[];
extern const uint8_t prog_child_start[], prog_child_end[];

static const struct program programs[] = {
	{"bench", prog_bench_start, prog_bench_end},
	{"child", prog_child_start, prog_child_end},
};

static const struct program *program_find(const char *name)
{
	for (unsigned i = 0; i < sizeof(programs) / sizeof(programs[0]); i++)
		if (!vmb_strcmp(programs[i].name, name))
			return &programs[i];
	return NULL;
}

static int prot_of(uint32_t flags)
{
	return VMB_PROT_READ | ((flags & PF_W) ? VMB_PROT_WRITE : 0) |
	       ((flags & PF_X) ? VMB_PROT_EXEC : 0);
}

/* Copy one PT_LOAD segment (ph) of (elf) into (pml4), page by page. */
static int segment_load(pte_t *pml4, const uint8_t *elf, uint64_t elf_len,
			const struct elf64_phdr *ph)
{
	if (ph->filesz > ph->memsz || ph->offset > elf_len ||
	    ph->filesz > elf_len - ph->offset || ph->vaddr < USER_BASE ||
	    ph->memsz > USER_MMAP_BASE - ph->vaddr)
		return -VMB_EINVAL;
	for (uint64_t va = PGROUNDDOWN(ph->vaddr); va < ph->vaddr + ph->memsz;
	     va += PGSIZE) {
		uint8_t *page = uvm_map_page(pml4, va, prot_of(ph->flags));
		if (!page)
			return -VMB_ENOMEM;	/* also: segments share a page */
		/* The part of [va, va+PGSIZE) backed by file bytes. */
		uint64_t lo = va < ph->vaddr ? ph->vaddr : va;
		uint64_t hi = ph->vaddr + ph->filesz;
		if (hi > va + PGSIZE)
			hi = va + PGSIZE;
		if (lo < hi)
			vmb_memcpy(page + (lo - va),
				   elf + ph->offset + (lo - ph->vaddr), hi - lo);
	}
	return 0;
}

static int image_load(pte_t *pml4, const struct program *prog,
		      uint64_t *entry)
{
	const uint8_t *elf = prog->start;
	uint64_t len = (uint64_t)(prog->end - prog->start);
	const struct elf64_ehdr *eh = (const void *)elf;

	if (len < sizeof(*eh) || vmb_memcmp(eh->ident, "\x7f" "ELF", 4) ||
	    eh->phentsize != sizeof(struct elf64_phdr) || eh->phoff > len ||
	    eh->phnum > (len - eh->phoff) / sizeof(struct elf64_phdr))
		return -VMB_EINVAL;
	const struct elf64_phdr *ph = (const void *)(elf + eh->phoff);
	for (unsigned i = 0; i < eh->phnum; i++) {
		if (ph[i].type != PT_LOAD || ph[i].memsz == 0)
			continue;
		int err = segment_load(pml4, elf, len, &ph[i]);
		if (err)
			return err;
	}
	*entry = eh->entry;
	return 0;
}

/*
 * Lay out argv at the top of the stack page (kernel address (top_page)
 * mapped at USER_STACK_TOP - PGSIZE): strings, then the pointer array.
 * Returns the user RSP (16-byte aligned, pointing at argv[0]'s slot).
 */
static int args_push(uint8_t *top_page, const char *const *argv,
		     uint64_t *rsp, uint64_t *uargv, int *argc)
{
	uint64_t ptrs[EXEC_MAXARGS + 1];
	uint64_t off = PGSIZE, n = 0;

	for (; argv && argv[n]; n++) {
		uint64_t l = vmb_strlen(argv[n]) + 1;
		if (n == EXEC_MAXARGS || l > off || PGSIZE - off + l > EXEC_ARGBYTES)
			return -VMB_EINVAL;
		off -= l;
		vmb_memcpy(top_page + off, argv[n], l);
		ptrs[n] = USER_STACK_TOP - PGSIZE + off;
	}
	ptrs[n] = 0;
	off = (off - (n + 1) * 8) & ~15ull;
	vmb_memcpy(top_page + off, ptrs, (n + 1) * 8);
	*uargv = USER_STACK_TOP - PGSIZE + off;
	*rsp = *uargv;
	*argc = (int)n;
	return 0;
}

int exec_image(struct proc *p, const char *prog, const char *const *argv)
{
	const struct program *pg = program_find(prog);
	uint64_t entry, rsp, uargv;
	int argc, err;

	if (!pg)
		return -VMB_ENOENT;
	pte_t *pml4 = uvm_create();
	if (!pml4)
		return -VMB_ENOMEM;
	uint8_t *top = NULL;
	err = image_load(pml4, pg, &entry);
	if (!err)
		err = uvm_reserve(pml4, USER_STACK_TOP - USER_STACK_MAX,
				  USER_STACK_MAX - PGSIZE,
				  VMB_PROT_READ | VMB_PROT_WRITE);
	if (!err && !(top = uvm_map_page(pml4, USER_STACK_TOP - PGSIZE,
					 VMB_PROT_READ | VMB_PROT_WRITE)))
		err = -VMB_ENOMEM;
	if (!err)
		err = args_push(top, argv, &rsp, &uargv, &argc);
	if (err) {
		uvm_free(pml4);
		return err;
	}

	pte_t *old = p->pml4;
	p->pml4 = pml4;
	if (p == proc_current())
		vm_switch(pml4);
	if (old && old != kvm_pml4())
		uvm_free(old);
	p->mmap_next = USER_MMAP_BASE;
	vmb_strlcpy(p->name, prog, sizeof(p->name));

	struct trapframe *tf = proc_tf(p);
	vmb_memset(tf, 0, sizeof(*tf));
	tf->rip = entry;
	tf->rsp = rsp;
	tf->rdi = (uint64_t)argc;
	tf->rsi = uargv;
	tf->cs = SEL_UCODE;
	tf->ss = SEL_UDATA;
	tf->rflags = 0x202;	/* IF: ring 3 is preemptible */
	return 0;
}
