/*
 * test_bt_mmio.c - MMIO from translated code: an instruction that touched
 * a device page once is translated as a monitor exit (bt_mmio.h), so bt
 * takes one host signal per such instruction, not one per access.
 *
 * One tiny guest maps the null MMIO page (gpa 0xC0000000) at VA 1 GiB
 * (a 2 MiB page in the boot tables), then runs: a loop of MMIO stores and
 * loads; a loop whose load and store alternate between RAM and MMIO (the
 * same two instructions); a probe load called 100 times on MMIO (ROI 1),
 * then patched by the guest into a RAM load and called 100 times more
 * (ROI 2: the rewritten instruction must not stay a monitor exit). It
 * runs on interp and on bt under both shadow policies: the final
 * registers, retired instructions and MMIO trap counts (whole run and per
 * ROI) must be equal, and bt's host signals for MMIO (bt_mmio_signals)
 * bounded by the 5 instructions that touch it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "bt/bt_mmio.h"
#include "engine.h"
#include "support/tiny_guest.h"
#include "vmb_abi.h"

#define LOOPS 1000
#define PROBES 100
#define MMIO_INSNS 5	/* store and load, add and store, the probe */

__asm__(".pushsection .rodata\n.p2align 12\nbm_begin:\n"
	/* PD[0] of the identity map's second GiB -> 2 MiB at 0xC0000000 */
	"mov %cr3, %rax\n movabs $0x000ffffffffff000, %r8\n and %r8, %rax\n"
	"mov (%rax), %rax\n and %r8, %rax\n mov 8(%rax), %rax\n"
	"and %r8, %rax\n mov $0xc0000083, %ecx\n mov %rcx, (%rax)\n"
	"mov $0x40000000, %edi\n invlpg (%rdi)\n"
	"lea bm_ram(%rip), %rsi\n xor %ebx, %ebx\n"
	/* MMIO store and load */
	"mov $1000, %ecx\n"
	"bm_l1: mov %ecx, (%rdi)\n mov (%rdi), %eax\n add %eax, %ebx\n"
	"dec %ecx\n jnz bm_l1\n"
	/* the same load and store on RAM (even), MMIO (odd) */
	"mov $1000, %ecx\n"
	"bm_l2: mov %rsi, %rdx\n test $1, %cl\n jz bm_even\n mov %rdi, %rdx\n"
	"bm_even: add (%rdx), %ebx\n mov %ecx, 4(%rdx)\n dec %ecx\n jnz bm_l2\n"
	/* ROI 1: the probe on MMIO */
	"mov $0x500, %dx\n mov $0x101, %eax\n out %eax, %dx\n"
	"mov $100, %ebp\n bm_l3: call bm_probe\n add %eax, %ebx\n"
	"dec %ebp\n jnz bm_l3\n"
	"mov $0x500, %dx\n mov $0x102, %eax\n out %eax, %dx\n"
	/* mov (%rdi), %eax -> mov (%rsi), %eax: now a RAM load */
	"movb $0x06, bm_probe+1(%rip)\n"
	"mov $0x500, %dx\n mov $0x201, %eax\n out %eax, %dx\n"
	"mov $100, %ebp\n bm_l4: call bm_probe\n add %eax, %ebx\n"
	"dec %ebp\n jnz bm_l4\n"
	"mov $0x500, %dx\n mov $0x202, %eax\n out %eax, %dx\n"
	"mov (%rsi), %r9\n"
	"mov $0xf4, %dx\n mov $7, %eax\n out %eax, %dx\n bm_spin: jmp bm_spin\n"
	".p2align 12\nbm_probe: mov (%rdi), %eax\n ret\n"
	".p2align 12\nbm_ram: .quad 0x1234\n .p2align 12\n"
	"bm_end:\n.popsection\n");
extern const uint8_t bm_begin[], bm_end[];

struct result {
	struct run_exit x;
	struct engine_counters c;
	struct engine_counters roi[4];
	unsigned nroi;
};

static void run_on(const char *name, const char *options, struct result *r)
{
	const struct tiny_guest g = { bm_begin, (size_t)(bm_end - bm_begin) };
	struct engine *e;
	char why[512] = "";
	int rc = tiny_engine_create(name, options, &g, 20, &e, why, sizeof(why));

	if (rc <= 0)
		fail_msg("%s %s: %s", name, options ? options : "", why);
	assert_int_equal(engine_run(e, &r->x), 0);
	assert_int_equal(r->x.reason, RUN_EXIT_GUEST);
	assert_int_equal(r->x.status, 7);
	assert_true(r->x.regs_valid);
	engine_counters(e, &r->c);
	assert_int_equal(e->nroi, 4);
	r->nroi = e->nroi;
	for (unsigned i = 0; i < e->nroi; i++)
		r->roi[i] = e->roi[i].counters;
	engine_destroy(e);
}

static uint64_t stat(const struct engine_counters *c, const char *name)
{
	const struct engine_stat *s = engine_stat_find(c, name);

	if (!s)
		fail_msg("no stat %s", name);
	return s->value;
}

static uint64_t mmio_traps(const struct engine_counters *c)
{
	return c->traps.count[TRAP_MMIO];
}

static void mmio_loops_matchInterp(void **state)
{
	const char *options = *state;
	static struct result in, bt;

	run_on("interp", NULL, &in);
	run_on("bt", options, &bt);
	/* interp: every access once */
	assert_int_equal(mmio_traps(&in.c), 2 * LOOPS + LOOPS + PROBES);
	assert_int_equal(mmio_traps(&in.roi[1]) - mmio_traps(&in.roi[0]),
			 PROBES);
	assert_int_equal(mmio_traps(&in.roi[3]) - mmio_traps(&in.roi[2]), 0);
	/* bt: the same guest-visible result */
	assert_memory_equal(bt.x.regs.gpr, in.x.regs.gpr, sizeof(in.x.regs.gpr));
	assert_true(bt.x.regs.rip == in.x.regs.rip);
	assert_true(bt.x.regs.rflags == in.x.regs.rflags);
	/* RAM: untouched low dword, the last even count stored above it */
	assert_true(in.x.regs.gpr[9] == (2ull << 32 | 0x1234));
	assert_true(bt.c.instructions == in.c.instructions);
	assert_int_equal(mmio_traps(&bt.c), mmio_traps(&in.c));
	for (unsigned i = 0; i < 4; i++) {
		assert_true(bt.roi[i].instructions == in.roi[i].instructions);
		assert_int_equal(mmio_traps(&bt.roi[i]), mmio_traps(&in.roi[i]));
	}
	print_message("bt %s: %llu MMIO accesses, %llu signals, %llu monitor "
		      "steps for MMIO instructions\n", options,
		      (unsigned long long)mmio_traps(&bt.c),
		      (unsigned long long)stat(&bt.c, "bt_mmio_signals"),
		      (unsigned long long)stat(&bt.c, "bt_monitor_steps_mmio"));
	/* one signal per instruction, not per access */
	assert_true(stat(&bt.c, "bt_mmio_signals") >= 1);
	assert_true(stat(&bt.c, "bt_mmio_signals") <= MMIO_INSNS);
	assert_true(stat(&bt.c, "bt_mmio_insns_recorded") <= MMIO_INSNS);
	/* every access is a monitor step (the alternating pair's RAM ones
	 * too, after its first MMIO access) */
	assert_true(stat(&bt.c, "bt_monitor_steps_mmio") >=
		    mmio_traps(&bt.c));
	/* ROI 1: each probe call went to the monitor; ROI 2: the patched
	 * probe is a RAM load again, translated (no stale entry) */
	assert_int_equal(stat(&bt.roi[1], "bt_monitor_steps_mmio") -
				 stat(&bt.roi[0], "bt_monitor_steps_mmio"),
			 PROBES);
	assert_int_equal(stat(&bt.roi[3], "bt_monitor_steps_mmio") -
				 stat(&bt.roi[2], "bt_monitor_steps_mmio"),
			 0);
	assert_true(stat(&bt.roi[1], "bt_mmio_signals") -
			    stat(&bt.roi[0], "bt_mmio_signals") <= 1);
}

/* The set alone: keyed by gpa and CPL, bounded (emptied when full), a
 * page's entries dropped without losing the others. */
static void set_boundedAndPageDrop(void **state)
{
	static struct bt_mmio_set s;

	(void)state;
	assert_false(bt_mmio_has(NULL, 0x1000, 0));
	bt_mmio_add(&s, 0x1234, 0);
	assert_true(bt_mmio_has(&s, 0x1234, 0));
	assert_false(bt_mmio_has(&s, 0x1234, 3));
	assert_false(bt_mmio_has(&s, 0x1235, 0));
	bt_mmio_add(&s, 0x1234, 0);
	assert_int_equal(s.n, 1);
	/* half on page 0x100000, the rest on 0x101000 */
	for (uint64_t i = 0; i < BT_MMIO_MAX - 1; i++)
		bt_mmio_add(&s, 0x100000 + i * 4096 / (BT_MMIO_MAX / 2), 3);
	assert_int_equal(s.n, BT_MMIO_MAX);
	assert_true(bt_mmio_has(&s, 0x1234, 0));
	bt_mmio_page_drop(&s, 0x100abc);
	assert_false(bt_mmio_has(&s, 0x100000, 3));
	assert_true(bt_mmio_has(&s, 0x1234, 0));
	assert_true(bt_mmio_has(&s, 0x101000, 3));
	assert_int_equal(s.n, BT_MMIO_MAX / 2);
	while (s.n < BT_MMIO_MAX)
		bt_mmio_add(&s, 0x200000 + s.n, 0);
	/* full: the next one empties it first */
	bt_mmio_add(&s, 0x300000, 0);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.clears, 1);
	assert_true(bt_mmio_has(&s, 0x300000, 0));
	assert_false(bt_mmio_has(&s, 0x1234, 0));
	bt_mmio_clear(&s);
	assert_int_equal(s.n, 0);
	assert_false(bt_mmio_has(&s, 0x300000, 0));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(set_boundedAndPageDrop),
		cmocka_unit_test_prestate(mmio_loops_matchInterp,
					  (void *)"shadow=vtlb"),
		cmocka_unit_test_prestate(mmio_loops_matchInterp,
					  (void *)"shadow=trace"),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
