/*
 * 45-bt-shadow.c - bt micro-costs on this host, each next to its host
 * reference:
 *   gs_wrgsbase / gs_arch_prctl   ns per GS base switch by each method
 *   host_minor_fault              ns per page of a sequential first read
 *                                 of a fresh MAP_SHARED memfd mapping (page
 *                                 cached; the kernel maps 16 pages per host
 *                                 fault: its own fault-around)
 *   host_minor_fault_iso          same, one page in 16 (every read is a
 *                                 host fault of its own)
 *   host_minor_write              ns per page of a sequential first write
 *                                 (a host fault per page: no fault-around
 *                                 for writes to a shared mapping)
 *   bt_fault_first_read/_write    ns per page of a sequential first guest
 *                                 read / write through the user window,
 *                                 PTEs with A and D clear (no neighbour
 *                                 qualifies: a hidden fault per page)
 *   bt_fault_refill_read          the same pages again after a flush (A
 *                                 set now: fault-around)
 *   bt_fault_iso_read/_write      isolated first touch: one page in 16,
 *                                 A and D clear (one hidden fault each)
 *   bt_fault_iso_read_g1          bt_fault_iso_read with fault-around off
 *                                 (the cost of scanning the leaf table)
 *   bt_fault_seq_read_ad/_write_ad  sequential first touch of pages the
 *                                 guest kernel installed with A (and D)
 *                                 set, as ours and Linux do
 *   bt_seq_write_ad_gN_pP         the same write run with fault-around
 *                                 group N (1 = off), populating P pages
 *                                 from the faulting one (0 = off)
 *   switch_vtlb_pP                switch_vtlb populating P pages
 *   host_sigsegv                  ns per SIGSEGV round trip (handler skips
 *                                 the load): the floor of a hidden fault
 *   bt_walk                       ns per guest page walk (4 levels, sets A)
 *   host_mmap_fixed               ns per MAP_FIXED mmap of one memfd page
 *                                 into a reserved window: the fill itself
 *   host_mmap_populate            same with MAP_POPULATE (host PTE filled)
 *   host_mmap_touch               host_mmap_fixed + the first read after
 *                                 it (the host fault that fills the PTE)
 *   host_mmap_madvise             host_mmap_fixed + MADV_POPULATE_READ
 *   host_mmap_hole                MAP_FIXED_NOREPLACE mmap of one page into
 *                                 unreserved space (no VMA split: what a
 *                                 fill would cost without the reservation)
 *   host_mprotect_vma             mprotect PROT_NONE -> PROT_READ of a
 *                                 whole one-page memfd VMA whose host PTE
 *                                 is kept (the cheapest host page-table
 *                                 change a fill could make)
 *   host_syscall                  getppid(): one system call
 *   bt_ptw_touch / _nopf          trace: a kernel store that installs a
 *                                 PTE (A, D set) into a traced leaf table,
 *                                 then the kernel's first read of that
 *                                 page, per pair: with prefetch-on-write
 *                                 (the trap maps the page) / without (the
 *                                 read takes a hidden fault)
 *   host_loop / bt_loop           ns per iteration of one integer loop
 *                                 (load, add, xor, imul, dec/jnz) run as
 *                                 host code and translated at CPL3
 *   switch_vtlb / switch_trace    ns per round of: CR3 switch to the other
 *                                 of two address spaces, then read one
 *                                 byte of each of min(pages, 256) pages (vtlb
 *                                 refills after every switch, trace keeps
 *                                 both spaces' shadows)
 *   host_timer_latency            ns from a POSIX timer deadline to its
 *                                 signal handler interrupting a host spin
 *                                 loop (the floor of the next one)
 *   timer_kick_latency            ns from a timer deadline to bt_exec_run()
 *                                 returning at a block boundary of a
 *                                 spinning guest (signal + kick)
 *   host_call / bt_call           ns per call+ret of a tiny function (the
 *                                 RET goes through the lookup table)
 * Prints "name median min max" lines (ns), 7 repetitions each.
 * Usage: 45-bt-shadow [pages] [loop_iters]
 */
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

#include "bt/bt_exec.h"
#include "bt/bt_gs.h"
#include "bt/bt_shadow.h"
#include "bt/bt_timer.h"
#include "machine/guest_mem.h"
#include "machine/x86_state.h"
#include "support/guest_pt.h"

#define REPS 7
#define RAM (256ull << 20)
#define CR3 0x100000ull
#define CODE_VA 0x400000ull
#define CODE_GPA 0x200000ull
#define DATA_VA 0x10000000ull	/* 256 MiB: data pages from here */
#define DATA_GPA 0x1000000ull	/* 16 MiB */
#define P 1ull
#define RW 2ull
#define US 4ull

extern const uint8_t prog_touch[], prog_touch_end[];
extern const uint8_t prog_loop[], prog_loop_end[];
extern const uint8_t prog_call[], prog_call_end[];
extern const uint8_t prog_spin[], prog_spin_end[];
extern const uint8_t prog_ptw[], prog_ptw_end[];
uint64_t host_loop(uint64_t iters, const uint64_t *data);
uint64_t host_call(uint64_t iters);

/* touch: RCX pages from RDI, R8 bytes apart, read (RSI=0) or write
 * (RSI=1); hlt.
 * loop: the integer loop of host_loop over RDI=iters, RSI=data. */
__asm__(".pushsection .rodata\n"
	"prog_touch:\n"
	"1: test %rsi, %rsi\n"
	"  jnz 2f\n"
	"  movb (%rdi), %al\n"
	"  jmp 3f\n"
	"2: movb %al, (%rdi)\n"
	"3: add %r8, %rdi\n"
	"  dec %rcx\n"
	"  jnz 1b\n"
	"  hlt\n"
	"prog_touch_end:\n"
	"prog_loop:\n"
	"  xor %eax, %eax\n"
	"  mov $0x9e3779b9, %edx\n"
	"4: mov %rdi, %rcx\n"
	"  and $7, %ecx\n"
	"  add (%rsi,%rcx,8), %rax\n"
	"  xor %rdi, %rax\n"
	"  imul %rdx, %rax\n"
	"  dec %rdi\n"
	"  jnz 4b\n"
	"  hlt\n"
	"prog_loop_end:\n"
	"prog_call:\n"
	"  xor %eax, %eax\n"
	"6: call 7f\n"
	"  dec %rdi\n"
	"  jnz 6b\n"
	"  hlt\n"
	"7: add %rdi, %rax\n"
	"  ret\n"
	"prog_call_end:\n"
	"prog_spin:\n"
	"10: inc %rax\n"
	"  jmp 10b\n"
	"prog_spin_end:\n"
	/* ptw: RCX times: store RDX at (RDI), read (RSI); RDI += 4096,
	 * RSI += R8, RDX += 4096 */
	"prog_ptw:\n"
	"11: mov %rdx, (%rdi)\n"
	"  movb (%rsi), %al\n"
	"  add $4096, %rdi\n"
	"  add %r8, %rsi\n"
	"  add $4096, %rdx\n"
	"  dec %rcx\n"
	"  jnz 11b\n"
	"  hlt\n"
	"prog_ptw_end:\n"
	".popsection\n"
	".text\n"
	".globl host_loop\n"
	"host_loop:\n"
	"  xor %eax, %eax\n"
	"  mov $0x9e3779b9, %edx\n"
	"5: mov %rdi, %rcx\n"
	"  and $7, %ecx\n"
	"  add (%rsi,%rcx,8), %rax\n"
	"  xor %rdi, %rax\n"
	"  imul %rdx, %rax\n"
	"  dec %rdi\n"
	"  jnz 5b\n"
	"  ret\n"
	".globl host_call\n"
	"host_call:\n"
	"  xor %eax, %eax\n"
	"8: call 9f\n"
	"  dec %rdi\n"
	"  jnz 8b\n"
	"  ret\n"
	"9: add %rdi, %rax\n"
	"  ret\n");

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void report(const char *name, double *v)
{
	qsort(v, REPS, sizeof(*v), cmp_double);
	printf("%s %.2f %.2f %.2f\n", name, v[REPS / 2], v[0], v[REPS - 1]);
}

static uint64_t next_table = CR3 + 0x1000;

static void map4k_in(struct guest_mem *m, uint64_t cr3, uint64_t va,
		     uint64_t gpa, uint64_t fl)
{
	guest_pt_map4k(m, &next_table, cr3, va, gpa, fl);
}

static void map4k(struct guest_mem *m, uint64_t va, uint64_t gpa, uint64_t fl)
{
	map4k_in(m, CR3, va, gpa, fl);
}

#define A 0x20ull
#define D 0x40ull

/* Fresh data PTEs with (ad): 0 (A and D clear: never used), or A | D (as
 * the guest kernel installs a writable page for use). */
static void fresh_ptes(struct guest_mem *m, unsigned pages, uint64_t ad)
{
	for (unsigned i = 0; i < pages; i++)
		map4k(m, DATA_VA + i * 4096ull, DATA_GPA + i * 4096ull,
		      P | RW | US | ad);
}

static void bench_gs(void)
{
	static const enum bt_gs_method methods[] = { BT_GS_WRGSBASE,
						     BT_GS_ARCH_PRCTL };
	const int n = 200000;

	for (int i = 0; i < 2; i++) {
		double v[REPS];
		uint64_t old;
		char name[64];

		if (bt_gs_method_set(methods[i])) {
			printf("# gs_%s: not available on this host kernel\n",
			       bt_gs_method_name(methods[i]));
			continue;
		}
		old = bt_gs_get();
		for (int r = 0; r < REPS; r++) {
			double t0 = now_ns();

			for (int k = 0; k < n; k++)
				bt_gs_set((uint64_t)k << 12);
			v[r] = (now_ns() - t0) / n;
		}
		bt_gs_set(old);
		snprintf(name, sizeof(name), "gs_%s", bt_gs_method_name(methods[i]));
		report(name, v);
	}
	bt_gs_method_set(BT_GS_AUTO);
}

static void skip_handler(int sig, siginfo_t *si, void *ucv)
{
	ucontext_t *uc = ucv;

	(void)sig, (void)si;
	uc->uc_mcontext.gregs[REG_RIP] += 3; /* mov (%rax),%al = 8a 00 + ... */
}

/*
 * ns per MAP_FIXED mmap of one memfd page into the reserved 4 GiB (win)
 * (one page in two, so none merges: one VMA each, like scattered fills),
 * (how) 0: plain, 1: MAP_POPULATE, 2: plain then a read of the page, 3:
 * plain then MADV_POPULATE_READ, 4: MAP_FIXED_NOREPLACE into (win) left
 * unreserved by the caller. The reservation is put back first (0-3),
 * untimed.
 */
static double host_map(struct guest_mem *m, uint8_t *win, unsigned pages,
		       int how)
{
	double t0;

	if (how != 4 &&
	    mmap(win, 1ull << 32, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS |
		 MAP_NORESERVE | MAP_FIXED, -1, 0) == MAP_FAILED) {
		perror("mmap");
		exit(1);
	}
	t0 = now_ns();
	for (unsigned k = 0; k < pages; k++) {
		volatile uint8_t *p = win + k * 8192ull;

		if (mmap((void *)p, 4096, PROT_READ,
			 (how == 4 ? MAP_FIXED_NOREPLACE : MAP_FIXED) |
				 MAP_SHARED | (how == 1 ? MAP_POPULATE : 0),
			 m->fd, (off_t)(DATA_GPA + k * 4096ull)) == MAP_FAILED) {
			perror("mmap");
			exit(1);
		}
		if (how == 2)
			(void)*p;
		if (how == 3)
			madvise((void *)p, 4096, 22 /* MADV_POPULATE_READ */);
	}
	return (now_ns() - t0) / pages;
}

/* ns per mprotect() of one whole one-page memfd VMA from PROT_NONE to
 * PROT_READ, its host PTE filled before (kept across PROT_NONE). */
static double host_mprotect_vma(struct guest_mem *m, uint8_t *win,
				unsigned pages)
{
	double t0;

	host_map(m, win, pages, 1);
	for (unsigned k = 0; k < pages; k++)
		mprotect(win + k * 8192ull, 4096, PROT_NONE);
	t0 = now_ns();
	for (unsigned k = 0; k < pages; k++)
		if (mprotect(win + k * 8192ull, 4096, PROT_READ)) {
			perror("mprotect");
			exit(1);
		}
	return (now_ns() - t0) / pages;
}

/* The host operations a first-touch hidden fault is made of. */
static void bench_host_parts(struct guest_mem *m, unsigned pages)
{
	struct sigaction sa = { 0 }, old;
	uint8_t *none = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS,
			     -1, 0);
	uint8_t *win = mmap(NULL, 1ull << 32, PROT_NONE,
			    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	double v[REPS];
	const int n = 2000;

	sa.sa_sigaction = skip_handler;
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGSEGV, &sa, &old);
	for (int r = 0; r < REPS; r++) {
		double t0 = now_ns();

		for (int k = 0; k < n; k++)
			__asm__ volatile(".byte 0x8a, 0x00, 0x90" /* mov (%rax),%al; nop */
					 : : "a"(none) : "memory");
		v[r] = (now_ns() - t0) / n;
	}
	sigaction(SIGSEGV, &old, NULL);
	report("host_sigsegv", v);
	for (int how = 0; how < 4; how++) {
		static const char *const names[] = {
			"host_mmap_fixed", "host_mmap_populate", "host_mmap_touch",
			"host_mmap_madvise"
		};

		for (int r = 0; r < REPS; r++)
			v[r] = host_map(m, win, pages, how);
		report(names[how], v);
	}
	for (int r = 0; r < REPS; r++)
		v[r] = host_mprotect_vma(m, win, pages);
	report("host_mprotect_vma", v);
	for (int r = 0; r < REPS; r++) {
		double t0 = now_ns();

		for (int k = 0; k < n; k++)
			getppid();
		v[r] = (now_ns() - t0) / n;
	}
	report("host_syscall", v);
	munmap(win, 1ull << 32);
	/* the same 4 GiB of address space, left unreserved */
	for (int r = 0; r < REPS; r++) {
		munmap(win, 1ull << 32);
		v[r] = host_map(m, win, pages, 4);
	}
	munmap(win, 1ull << 32);
	report("host_mmap_hole", v);
	munmap(none, 4096);
}

static volatile uint64_t host_timer_hit;

static void host_timer_handler(int sig)
{
	(void)sig;
	host_timer_hit = (uint64_t)now_ns();
}

static void bench_host_timer(void)
{
	struct sigevent ev = { 0 };
	struct sigaction sa = { 0 }, old;
	timer_t id;
	double v[REPS];

	sa.sa_handler = host_timer_handler;
	sigaction(SIGRTMIN + 6, &sa, &old);
	ev.sigev_notify = SIGEV_THREAD_ID;
	ev.sigev_signo = SIGRTMIN + 6;
	ev._sigev_un._tid = gettid();
	if (timer_create(CLOCK_MONOTONIC, &ev, &id))
		return;
	for (int r = 0; r < REPS; r++) {
		uint64_t deadline = (uint64_t)now_ns() + 2000000;
		struct itimerspec its = {
			.it_value = { (time_t)(deadline / 1000000000ull),
				      (long)(deadline % 1000000000ull) },
		};

		host_timer_hit = 0;
		timer_settime(id, TIMER_ABSTIME, &its, NULL);
		while (!host_timer_hit)
			;
		v[r] = (double)(host_timer_hit - deadline);
	}
	timer_delete(id);
	sigaction(SIGRTMIN + 6, &old, NULL);
	report("host_timer_latency", v);
}

/* First touches of a fresh MAP_SHARED mapping of (pages) RAM pages:
 * every (step)-th page, written when (write). */
static double host_touch(struct guest_mem *m, unsigned pages, unsigned step,
			 bool write)
{
	volatile uint8_t *p = mmap(NULL, pages * 4096ull,
				   PROT_READ | (write ? PROT_WRITE : 0),
				   MAP_SHARED, m->fd, (off_t)DATA_GPA);
	double t0;
	uint8_t sum = 0;

	if (p == MAP_FAILED) {
		perror("mmap");
		exit(1);
	}
	t0 = now_ns();
	for (unsigned i = 0; i < pages; i += step) {
		if (write)
			p[i * 4096ull] = 1;
		else
			sum += p[i * 4096ull];
	}
	t0 = (now_ns() - t0) / ((pages + step - 1) / step);
	munmap((void *)p, pages * 4096ull);
	(void)sum;
	return t0;
}

static void bench_host_fault(struct guest_mem *m, unsigned pages)
{
	double v[REPS];

	for (int r = 0; r < REPS; r++)
		v[r] = host_touch(m, pages, 1, false);
	report("host_minor_fault", v);
	for (int r = 0; r < REPS; r++)
		v[r] = host_touch(m, pages, 16, false);
	report("host_minor_fault_iso", v);
	for (int r = 0; r < REPS; r++)
		v[r] = host_touch(m, pages, 1, true);
	report("host_minor_write", v);
}

/* One guest page walk, A clear at the leaf (the walk sets it). */
static void bench_walk(struct guest_mem *m, const struct walk_ctx *ctx0,
		       unsigned pages)
{
	struct walk_ctx ctx = *ctx0;
	double v[REPS];

	ctx.cpl = 3;
	for (int r = 0; r < REPS; r++) {
		double t0;

		fresh_ptes(m, pages, 0);
		t0 = now_ns();
		for (unsigned i = 0; i < pages; i++) {
			struct walk_result res;
			uint32_t err;

			page_walk(m, &ctx, DATA_VA + i * 4096ull, WALK_READ,
				  &res, &err);
		}
		v[r] = (now_ns() - t0) / pages;
	}
	report("bt_walk", v);
}

static uint64_t touch_stride = 4096;

static int run_guest(struct bt_vcpu *cpu, uint64_t rdi, uint64_t rsi,
		     uint64_t rcx, double *ns)
{
	struct bt_stop s;
	double t0;

	cpu->rip = CODE_VA;
	cpu->ctx.gpr[X86_RDI] = rdi;
	cpu->ctx.gpr[X86_RSI] = rsi;
	cpu->ctx.gpr[X86_RCX] = rcx;
	cpu->ctx.gpr[X86_R8] = touch_stride;
	t0 = now_ns();
	bt_exec_run(cpu, 0, &s);
	*ns = now_ns() - t0;
	if (s.kind != BT_STOP_MONITOR) {
		fprintf(stderr, "45-bt-shadow: guest stopped with kind %d at "
			"0x%llx (vector %u cr2 0x%llx) %s\n", s.kind,
			(unsigned long long)s.rip, s.vector,
			(unsigned long long)s.cr2, s.message);
		return -1;
	}
	return 0;
}

#define CR3_B 0x180000ull

/*
 * ns per touched page of a first touch, after a flush, of every (step)-th
 * of (pages) pages whose PTEs are made fresh with (ad) (fresh_ptes);
 * hidden faults are added to (*faults).
 */
static double bt_touch(struct bt_vcpu *cpu, struct bt_shadow *sh,
		       struct guest_mem *mem, unsigned pages, unsigned step,
		       bool write, uint64_t ad, uint64_t *faults)
{
	unsigned n = (pages + step - 1) / step;
	uint64_t f0;
	double ns;

	fresh_ptes(mem, pages, ad);
	if (bt_shadow_flush(sh))
		exit(1);
	f0 = sh->cnt.hidden_faults;
	touch_stride = step * 4096ull;
	if (run_guest(cpu, DATA_VA, write, n, &ns))
		exit(1);
	touch_stride = 4096;
	*faults += sh->cnt.hidden_faults - f0;
	return ns / n;
}

/* The first-touch measures of the doc comment, on (sh) (vtlb). */
static void bench_touch(struct bt_vcpu *cpu, struct bt_shadow *sh,
			struct guest_mem *mem, unsigned pages)
{
	static const struct {
		const char *name;
		unsigned step;
		bool write;
		uint64_t ad;
	} m[] = {
		{ "bt_fault_iso_read", 16, false, 0 },
		{ "bt_fault_iso_write", 16, true, 0 },
		{ "bt_fault_seq_read_ad", 1, false, A | D },
		{ "bt_fault_seq_write_ad", 1, true, A | D },
	};
	static const unsigned groups[] = { 1, 16, 64, 512 };
	double v[REPS];
	char name[64];

	for (unsigned i = 0; i < sizeof(m) / sizeof(m[0]); i++) {
		uint64_t faults = 0;

		for (int r = 0; r < REPS; r++)
			v[r] = bt_touch(cpu, sh, mem, pages, m[i].step,
					m[i].write, m[i].ad, &faults);
		report(m[i].name, v);
		printf("# %s: hidden faults per touched page %.3f\n", m[i].name,
		       faults / (double)(REPS * ((pages + m[i].step - 1) /
						 m[i].step)));
	}
	{
		/* the isolated read without fault-around: the scan's cost */
		uint64_t faults = 0;
		unsigned n0 = sh->around_n;

		sh->around_n = 1;
		for (int r = 0; r < REPS; r++)
			v[r] = bt_touch(cpu, sh, mem, pages, 16, false, 0,
					&faults);
		sh->around_n = n0;
		report("bt_fault_iso_read_g1", v);
	}
	for (unsigned g = 0; g < sizeof(groups) / sizeof(groups[0]); g++) {
		for (int k = 0; k < 3; k++) {
			static const unsigned aheads[] = { 0, 1, 16 };
			unsigned pop = aheads[k];
			uint64_t faults = 0;
			unsigned n0 = sh->around_n, a0 = sh->populate_ahead;
			bool p0 = sh->populate;

			sh->around_n = groups[g];
			sh->populate = pop != 0;
			sh->populate_ahead = pop ? pop : a0;
			for (int r = 0; r < REPS; r++)
				v[r] = bt_touch(cpu, sh, mem, pages, 1, true,
						A | D, &faults);
			sh->around_n = n0;
			sh->populate = p0;
			sh->populate_ahead = a0;
			snprintf(name, sizeof(name), "bt_seq_write_ad_g%u_p%u",
				 groups[g], pop);
			report(name, v);
		}
	}
}

#define PTW_TABLES_VA 0xffffffffc0000000ull /* kernel VAs of the leaf tables */
#define PTW_DATA_VA 0xffffffff90000000ull   /* page i at + i * 2 MiB */
#define PTW_DATA_GPA 0x8000000ull	     /* 128 MiB */

/*
 * trace, CPL0: (n) pairs of a store that installs the PTE of a kernel page
 * (A, D set) into a traced leaf table -- one table per page, so no table
 * sees two stores in a row -- and a read of that page; ns per pair, with
 * prefetch-on-write on or off (name). The tables are traced by a read of
 * a neighbour page in each before the timed run.
 */
static int bench_ptw(struct guest_mem *mem, const struct walk_ctx *ctx0,
		     unsigned n, bool prefetch, const char *name)
{
	static struct bt_vcpu cpu;
	struct walk_ctx ctx = *ctx0;
	struct bt_shadow sh;
	uint64_t *slot[64], hidden = 0, pref = 0, traps = 0;
	char err[256];
	double v[REPS], ns;

	if (n > 64)
		n = 64;
	ctx.cr3 = CR3;
	for (unsigned i = 0; i < n; i++) {
		uint64_t va = PTW_DATA_VA + i * (2ull << 20);

		/* a used neighbour (A set) that traces the table, and the
		 * table itself reachable from the kernel */
		map4k(mem, va + 4096, PTW_DATA_GPA + 4096, P | RW | A | D);
		slot[i] = guest_pt_slot(mem, &next_table, CR3, va);
		map4k(mem, PTW_TABLES_VA + i * 4096ull,
		      (uint64_t)((uint8_t *)slot[i] - mem->host) & ~0xfffull,
		      P | RW | A | D);
	}
	if (bt_shadow_create(&sh, mem, BT_SHADOW_TRACE, &ctx, err, sizeof(err)) ||
	    bt_vcpu_create(&cpu, &sh, 4 << 20, err, sizeof(err))) {
		fprintf(stderr, "%s\n", err);
		return -1;
	}
	sh.pt_prefetch = prefetch;
	cpu.cpl = 0;
	for (int r = 0; r < REPS; r++) {
		uint64_t h0, p0, t0;

		for (unsigned i = 0; i < n; i++)
			*slot[i] = 0;
		if (bt_shadow_flush(&sh))
			return -1;
		/* trace every table: read each neighbour */
		memcpy(mem->host + CODE_GPA, prog_touch,
		       prog_touch_end - prog_touch);
		bt_vcpu_note_write(&cpu, CODE_GPA, 4096);
		touch_stride = 2ull << 20;
		if (run_guest(&cpu, PTW_DATA_VA + 4096, 0, n, &ns))
			return -1;
		memcpy(mem->host + CODE_GPA, prog_ptw, prog_ptw_end - prog_ptw);
		bt_vcpu_note_write(&cpu, CODE_GPA, 4096);
		cpu.rip = CODE_VA;
		cpu.ctx.gpr[X86_RDX] = PTW_DATA_GPA | P | RW | A | D;
		cpu.ctx.gpr[X86_RSI] = PTW_DATA_VA;
		h0 = sh.cnt.hidden_faults;
		p0 = sh.cnt.pt_prefetches;
		t0 = sh.cnt.pt_writes;
		if (run_guest(&cpu, PTW_TABLES_VA, PTW_DATA_VA, n, &ns))
			return -1;
		touch_stride = 4096;
		hidden += sh.cnt.hidden_faults - h0;
		pref += sh.cnt.pt_prefetches - p0;
		traps += sh.cnt.pt_writes - t0;
		v[r] = ns / n;
	}
	report(name, v);
	printf("# %s: per pair: PT-write traps %.2f, hidden faults %.2f, "
	       "pages prefetched on write %.2f\n", name,
	       traps / (double)(REPS * n), hidden / (double)(REPS * n),
	       pref / (double)(REPS * n));
	cpu.cpl = 3;
	bt_vcpu_destroy(&cpu);
	bt_shadow_destroy(&sh);
	return 0;
}

/* Alternate between two address spaces touching 256 pages in each. */
static int bench_switch(struct guest_mem *mem, enum bt_shadow_policy pol,
			const struct walk_ctx *ctx, unsigned pages,
			unsigned ahead)
{
	const unsigned rounds = 200;
	static struct bt_vcpu cpu;
	struct bt_shadow sh;
	char err[256], name[32];
	double v[REPS], ns;

	if (bt_shadow_create(&sh, mem, pol, ctx, err, sizeof(err)) ||
	    bt_vcpu_create(&cpu, &sh, 4 << 20, err, sizeof(err))) {
		fprintf(stderr, "%s\n", err);
		return -1;
	}
	if (ahead)
		sh.populate_ahead = ahead;
	cpu.cpl = 3;
	for (int r = 0; r < REPS; r++) {
		double total = 0;

		for (unsigned k = 0; k < rounds; k++) {
			double t0 = now_ns();

			if (bt_vcpu_cr3_write(&cpu, k & 1 ? CR3_B : CR3))
				return -1;
			total += now_ns() - t0;
			if (run_guest(&cpu, DATA_VA, 0, pages, &ns))
				return -1;
			total += ns;
		}
		v[r] = total / rounds;
	}
	snprintf(name, sizeof(name), ahead ? "switch_%s_p%u" : "switch_%s",
		 bt_shadow_policy_name(pol), ahead);
	report(name, v);
	printf("# %s: hidden faults %llu, PT-write traps %llu, spaces kept %llu\n",
	       name, (unsigned long long)sh.cnt.hidden_faults,
	       (unsigned long long)sh.cnt.pt_writes,
	       (unsigned long long)sh.cnt.as_switches);
	bt_vcpu_destroy(&cpu);
	bt_shadow_destroy(&sh);
	return 0;
}

int main(int argc, char **argv)
{
	unsigned pages = argc > 1 ? (unsigned)atoi(argv[1]) : 8192;
	uint64_t iters = argc > 2 ? strtoull(argv[2], NULL, 0) : 100000000ull;
	struct walk_ctx ctx = {
		.cr3 = CR3, .cr0 = X86_CR0_PG | X86_CR0_PE | X86_CR0_WP,
		.cr4 = X86_CR4_PAE, .efer = X86_EFER_LME | X86_EFER_LMA,
	};
	static struct bt_vcpu cpu;
	struct guest_mem mem;
	struct bt_shadow sh;
	char err[256];
	double v[REPS], w[REPS], ns;
	static const uint64_t table[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };

	if (pages > BT_SHADOW_MAX_MAPPED - 16)
		pages = BT_SHADOW_MAX_MAPPED - 16;
	if (guest_mem_create(&mem, RAM, false, err, sizeof(err))) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	map4k(&mem, CODE_VA, CODE_GPA, P | US);
	map4k(&mem, CODE_VA + 0x1000, CODE_GPA + 0x1000, P | RW | US);
	map4k(&mem, 0x7ff000, CODE_GPA + 0x2000, P | RW | US); /* stack */
	for (unsigned i = 0; i < pages; i++)
		map4k(&mem, DATA_VA + i * 4096ull, DATA_GPA + i * 4096ull,
		      P | RW | US);
	memset(mem.host + DATA_GPA, 1, pages * 4096ull); /* page cache */
	bench_gs();
	bench_host_fault(&mem, pages);
	bench_host_parts(&mem, pages);
	bench_walk(&mem, &ctx, pages);
	bench_host_timer();

	if (bt_shadow_create(&sh, &mem, BT_SHADOW_VTLB, &ctx, err, sizeof(err)) ||
	    bt_vcpu_create(&cpu, &sh, 16 << 20, err, sizeof(err))) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	cpu.cpl = 3;
	memcpy(mem.host + CODE_GPA, prog_touch, prog_touch_end - prog_touch);
	double x[REPS];
	uint64_t f0, faults[3] = { 0 };

	for (int r = 0; r < REPS; r++) {
		fresh_ptes(&mem, pages, 0);
		bt_shadow_flush(&sh);
		f0 = sh.cnt.hidden_faults;
		if (run_guest(&cpu, DATA_VA, 0, pages, &ns))
			return 1;
		v[r] = ns / pages;
		faults[0] += sh.cnt.hidden_faults - f0;
		fresh_ptes(&mem, pages, 0);
		bt_shadow_flush(&sh);
		f0 = sh.cnt.hidden_faults;
		if (run_guest(&cpu, DATA_VA, 1, pages, &ns))
			return 1;
		w[r] = ns / pages;
		faults[1] += sh.cnt.hidden_faults - f0;
		bt_shadow_flush(&sh);
		f0 = sh.cnt.hidden_faults;
		if (run_guest(&cpu, DATA_VA, 0, pages, &ns))
			return 1;
		x[r] = ns / pages;
		faults[2] += sh.cnt.hidden_faults - f0;
	}
	bench_touch(&cpu, &sh, &mem, pages);
	/* a second address space over other RAM, same code */
	next_table = CR3_B + 0x1000;
	map4k_in(&mem, CR3_B, CODE_VA, CODE_GPA, P | US);
	map4k_in(&mem, CR3_B, 0x7ff000, CODE_GPA + 0x2000, P | RW | US);
	unsigned sw_pages = pages < 256 ? pages : 256;

	for (unsigned i = 0; i < sw_pages; i++)
		map4k_in(&mem, CR3_B, DATA_VA + i * 4096ull,
			 DATA_GPA + (pages + i) * 4096ull, P | RW | US);
	if (bench_switch(&mem, BT_SHADOW_VTLB, &ctx, sw_pages, 0) ||
	    bench_switch(&mem, BT_SHADOW_VTLB, &ctx, sw_pages, 1) ||
	    bench_switch(&mem, BT_SHADOW_TRACE, &ctx, sw_pages, 0))
		return 1;
	for (int k = 0; k < 2; k++)	/* alternated: this host is noisy */
		if (bench_ptw(&mem, &ctx, 64, true, k ? "bt_ptw_touch_2"
						       : "bt_ptw_touch") ||
		    bench_ptw(&mem, &ctx, 64, false, k ? "bt_ptw_touch_nopf_2"
							: "bt_ptw_touch_nopf"))
			return 1;
	memcpy(mem.host + CODE_GPA, prog_touch, prog_touch_end - prog_touch);
	bt_vcpu_note_write(&cpu, CODE_GPA, 4096);
	report("bt_fault_first_read", v);
	report("bt_fault_first_write", w);
	report("bt_fault_refill_read", x);
	printf("# hidden faults per page: first read %.2f, first write %.2f, "
	       "refill read %.2f\n", faults[0] / (double)(REPS * pages),
	       faults[1] / (double)(REPS * pages),
	       faults[2] / (double)(REPS * pages));

	/* the compute loop, host then translated (data on the code+1 page) */
	memcpy(mem.host + CODE_GPA + 0x1000, table, sizeof(table));
	for (int r = 0; r < REPS; r++) {
		double t0 = now_ns();
		volatile uint64_t sink = host_loop(iters, table);

		(void)sink;
		v[r] = (now_ns() - t0) / (double)iters;
	}
	report("host_loop", v);
	memcpy(mem.host + CODE_GPA, prog_loop, prog_loop_end - prog_loop);
	bt_vcpu_note_write(&cpu, CODE_GPA, 4096);
	for (int r = 0; r < REPS; r++) {
		if (run_guest(&cpu, iters, CODE_VA + 0x1000, 0, &ns))
			return 1;
		v[r] = ns / (double)iters;
	}
	report("bt_loop", v);
	if (cpu.ctx.gpr[X86_RAX] != host_loop(iters, table)) {
		fprintf(stderr, "45-bt-shadow: bt_loop result differs from host\n");
		return 1;
	}
	for (int r = 0; r < REPS; r++) {
		double t0 = now_ns();
		volatile uint64_t sink = host_call(iters);

		(void)sink;
		v[r] = (now_ns() - t0) / (double)iters;
	}
	report("host_call", v);
	memcpy(mem.host + CODE_GPA, prog_call, prog_call_end - prog_call);
	bt_vcpu_note_write(&cpu, CODE_GPA, 4096);
	cpu.ctx.gpr[X86_RSP] = 0x800000;
	for (int r = 0; r < REPS; r++) {
		if (run_guest(&cpu, iters, 0, 0, &ns))
			return 1;
		v[r] = ns / (double)iters;
	}
	report("bt_call", v);
	if (cpu.ctx.gpr[X86_RAX] != host_call(iters)) {
		fprintf(stderr, "45-bt-shadow: bt_call result differs from host\n");
		return 1;
	}
	{
		struct bt_timer t;
		struct bt_stop st;

		memcpy(mem.host + CODE_GPA, prog_spin, prog_spin_end - prog_spin);
		bt_vcpu_note_write(&cpu, CODE_GPA, 4096);
		if (bt_timer_start(&t, &cpu, err, sizeof(err))) {
			fprintf(stderr, "%s\n", err);
			return 1;
		}
		for (int r = 0; r < REPS; r++) {
			uint64_t deadline = bt_timer_now_ns() + 2000000;

			cpu.rip = CODE_VA;
			bt_timer_arm(&t, deadline);
			bt_exec_run(&cpu, 0, &st);
			v[r] = (double)(bt_timer_now_ns() - deadline);
			if (st.kind != BT_STOP_KICK) {
				fprintf(stderr, "45-bt-shadow: spin stopped with "
					"kind %d\n", st.kind);
				return 1;
			}
		}
		bt_timer_stop(&t);
		report("timer_kick_latency", v);
	}
	printf("# lookup-table hits %llu, misses %llu\n",
	       (unsigned long long)bt_ibl_hits,
	       (unsigned long long)cpu.cnt.ibl_misses);
	printf("# hidden faults %llu, translations %llu, chained %llu\n",
	       (unsigned long long)sh.cnt.hidden_faults,
	       (unsigned long long)cpu.cnt.translations,
	       (unsigned long long)cpu.cnt.chained);
	bt_vcpu_destroy(&cpu);
	bt_shadow_destroy(&sh);
	guest_mem_destroy(&mem);
	return 0;
}
