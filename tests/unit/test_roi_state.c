/*
 * test_roi_state.c - the guest-state check at ROI markers
 * (support/roi_state.h): recorded on real engines (tiny_ports on interp
 * and bt) the two agree, and every kind of difference the comparison must
 * report is reported -- a register, RFLAGS, a user page byte, the kernel
 * stack, the marker count -- while what it excludes (TSC readings, the
 * dead caller-saved registers, the user stack below RSP) is not.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <x86intrin.h>

#include <cmocka.h>

#include "engine.h"
#include "support/roi_state.h"
#include "support/tiny_guest.h"
#include "vmb_abi.h"

/* Record tiny_ports on (engine, options) into (r); false (skip) when the
 * engine cannot run here. The engine is destroyed; the recording stays. */
static bool record(const char *engine, const char *options,
		   const struct roi_perturb *p, struct roi_recorder *r)
{
	struct engine *e;
	struct run_exit x;
	char why[512] = "";
	int rc = tiny_engine_create(engine, options, &tiny_ports, 10, &e, why,
				    sizeof(why));

	if (rc == 0) {
		print_message("[  SKIPPED ] %s unusable: %s\n", engine, why);
		return false;
	}
	assert_int_equal(rc, 1);
	assert_int_equal(roi_recorder_attach(r, e, 0, why, sizeof(why)), 0);
	if (p)
		r->perturb = *p;
	assert_int_equal(engine_run(e, &x), 0);
	assert_int_equal(x.reason, RUN_EXIT_GUEST);
	r->e = NULL;
	engine_destroy(e);
	return true;
}

static void engines_onTinyPorts_agree(void **state)
{
	struct roi_recorder a, b;
	char msg[512];

	(void)state;
	assert_true(record("interp", NULL, NULL, &a));
	if (!record("bt", "shadow=vtlb", NULL, &b)) {
		roi_recorder_free(&a);
		skip();
	}
	assert_int_equal(a.n, 2);
	assert_int_equal(roi_state_compare(&a, "interp", &b, "bt", 0, msg,
					   sizeof(msg)), 0);
	assert_non_null(strstr(msg, "2 markers agree"));
	/* the state is the marker's OUT: RIP on it, RAX the value */
	assert_int_equal(a.st[1].regs.gpr[X86_RAX], 0x102);
	assert_int_equal(a.st[0].regs.rip, VMB_KERNEL_VBASE + VMB_PHYS_KERNEL +
						    19);
	roi_recorder_free(&a);
	roi_recorder_free(&b);
}

static void perturbedRecording_isReported(void **state)
{
	static const struct {
		struct roi_perturb p;
		const char *want;
	} cases[] = {
		{{ROI_PERTURB_GPR, 1, X86_RBX},
		 "marker 1 (0x102): register rbx"},
		{{ROI_PERTURB_GPR, 0, X86_RDX},
		 "marker 0 (0x101): register rdx"},
		{{ROI_PERTURB_RFLAGS, 1, 0}, "register rflags"},
	};
	struct roi_recorder a, b;
	char msg[512];

	(void)state;
	assert_true(record("interp", NULL, NULL, &a));
	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_true(record("interp", NULL, &cases[i].p, &b));
		assert_int_equal(roi_state_compare(&a, "ref", &b, "perturbed",
						   0, msg, sizeof(msg)), 1);
		if (!strstr(msg, cases[i].want))
			fail_msg("got '%s', want '%s'", msg, cases[i].want);
		roi_recorder_free(&b);
	}
	roi_recorder_free(&a);
}

/* Two synthetic recordings of one marker with one user page each. */
struct pair {
	struct roi_recorder a, b;
	struct roi_state sa, sb;
	struct roi_page pa, pb;
	uint8_t bytes_a[4096], bytes_b[4096];
};

static void pair_make(struct pair *p)
{
	memset(p, 0, sizeof(*p));
	p->sa.value = p->sb.value = 0x101;
	p->sa.tsc_lo = p->sb.tsc_lo = __rdtsc() - 1000000;
	p->sa.tsc_hi = p->sb.tsc_hi = __rdtsc();
	p->pa.va = p->pb.va = 0x7fffe000;
	p->pa.hi = p->pb.hi = 4096;
	p->pa.bytes = p->bytes_a;
	p->pb.bytes = p->bytes_b;
	p->sa.pages = &p->pa;
	p->sb.pages = &p->pb;
	p->sa.npages = p->sb.npages = 1;
	p->a.st = &p->sa;
	p->b.st = &p->sb;
	p->a.n = p->b.n = 1;
}

static int pair_compare(struct pair *p, char *msg, size_t len)
{
	p->pa.hash = p->pb.hash = 0;	/* force the byte comparison */
	p->pb.hash = 1;
	return roi_state_compare(&p->a, "a", &p->b, "b", 0, msg, len);
}

static void exclusions_areExactlyTheDocumentedOnes(void **state)
{
	struct pair *p = malloc(sizeof(*p));
	char msg[512];

	(void)state;
	pair_make(p);
	assert_int_equal(pair_compare(p, msg, sizeof(msg)), 0);
	/* a byte of a user page */
	p->bytes_b[0x123] = 1;
	assert_int_equal(pair_compare(p, msg, sizeof(msg)), 1);
	assert_non_null(strstr(msg, "user page 0x7fffe000: byte +0x123"));
	/* ... but not below the user RSP (dead stack) */
	p->pa.lo = p->pb.lo = 0x200;
	p->sa.user_rsp = p->sb.user_rsp = 0x7fffe200;
	assert_int_equal(pair_compare(p, msg, sizeof(msg)), 0);
	/* a 64-bit TSC reading in a page, on both sides: excluded */
	uint64_t ta = p->sa.tsc_lo + 5, tb = p->sb.tsc_hi - 5;
	memcpy(p->bytes_a + 0x400, &ta, 8);
	memcpy(p->bytes_b + 0x400, &tb, 8);
	assert_int_equal(pair_compare(p, msg, sizeof(msg)), 0);
	/* on one side only: reported */
	tb = ta ^ 0xff00000000000001ull;	/* byte 0 differs */
	memcpy(p->bytes_b + 0x400, &tb, 8);
	assert_int_equal(pair_compare(p, msg, sizeof(msg)), 1);
	assert_non_null(strstr(msg, "byte +0x400"));
	memcpy(p->bytes_b + 0x400, &ta, 8);
	/* callee-saved register: TSC readings excluded, anything else not */
	p->sa.regs.gpr[X86_R12] = p->sa.tsc_lo;
	p->sb.regs.gpr[X86_R12] = p->sb.tsc_hi;
	p->sa.regs.gpr[X86_R13] = (uint32_t)p->sa.tsc_lo + 1;
	p->sb.regs.gpr[X86_R13] = (uint32_t)p->sb.tsc_hi - 1;
	assert_int_equal(pair_compare(p, msg, sizeof(msg)), 0);
	p->sb.regs.gpr[X86_R13] = 0xdead000000000007ull;
	assert_int_equal(pair_compare(p, msg, sizeof(msg)), 1);
	assert_non_null(strstr(msg, "register r13"));
	p->sb.regs.gpr[X86_R13] = p->sa.regs.gpr[X86_R13];
	/* caller-saved registers are dead at the marker: not compared */
	p->sb.regs.gpr[X86_RSI] = 0x1234;
	p->sb.regs.gpr[X86_R8] = 0x5678;
	assert_int_equal(pair_compare(p, msg, sizeof(msg)), 0);
	/* RFLAGS reserved bits are not compared, defined ones are */
	p->sb.regs.rflags = 1ull << 3;
	assert_int_equal(pair_compare(p, msg, sizeof(msg)), 0);
	p->sb.regs.rflags = X86_RFLAGS_DF;
	assert_int_equal(pair_compare(p, msg, sizeof(msg)), 1);
	assert_non_null(strstr(msg, "rflags"));
	p->sb.regs.rflags = 0;
	/* CR2 only without ROI_CMP_SCHED */
	p->sb.regs.cr2 = 0x1000;
	assert_int_equal(pair_compare(p, msg, sizeof(msg)), 1);
	assert_int_equal(roi_state_compare(&p->a, "a", &p->b, "b",
					   ROI_CMP_SCHED, msg, sizeof(msg)), 0);
	p->sb.regs.cr2 = 0;
	/* the kernel stack, all of it outside a trap frame from CPL3 */
	uint8_t ka[64] = {0}, kb[64] = {0};
	p->sa.kstack = ka;
	p->sb.kstack = kb;
	p->sa.kstack_len = p->sb.kstack_len = 64;
	kb[16] = 1;
	assert_int_equal(pair_compare(p, msg, sizeof(msg)), 1);
	assert_non_null(strstr(msg, "kernel stack RSP+0x10"));
	/* from CPL3: only the frame's live slots */
	p->a.kstack_frame_words = 4;
	p->a.kstack_dead_top = 1ull << 1;	/* word 1 below the top */
	p->sa.kstack_from_user = true;
	kb[16] = 0;
	kb[64 - 16] = 1;			/* word 1 below the top */
	assert_int_equal(pair_compare(p, msg, sizeof(msg)), 0);
	kb[0] = 1;				/* below the frame */
	assert_int_equal(pair_compare(p, msg, sizeof(msg)), 0);
	kb[64 - 8] = 1;				/* word 0: live */
	assert_int_equal(pair_compare(p, msg, sizeof(msg)), 1);
	/* a missing marker */
	p->b.n = 0;
	assert_int_equal(pair_compare(p, msg, sizeof(msg)), 1);
	assert_non_null(strstr(msg, "1 markers on a, 0 on b"));
	free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(engines_onTinyPorts_agree),
		cmocka_unit_test(perturbedRecording_isReported),
		cmocka_unit_test(exclusions_areExactlyTheDocumentedOnes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
