/*
 * test_engine_conformance.c - what every engine must do the same way,
 * through engine.h alone: the tiny guests of support/tiny_guest.h run on
 * interp, bt (both shadow policies) and kvm, and each must end as the
 * engine contract says -- ports and ROI snapshots counted, a triple fault
 * reported with its RIP, the time limit honoured at the spinning RIP, HLT
 * with interrupts off reported as halted, INT 0x80 delivered through the
 * guest IDT and back, a code fetch from a device refused with its address.
 * An engine that cannot run here (kvm without /dev/kvm; on this host
 * /dev/kvm is PVM, docs/kvm-pvm.md) skips and says why. Engine-specific
 * cases stay in test_bt_engine.c and test_kvm_engine.c.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "engine.h"
#include "support/tiny_guest.h"
#include "vmb_abi.h"

struct target {
	const char *engine;
	const char *options;
};

static const struct target targets[] = {
	{"interp", NULL},
	{"bt", "shadow=vtlb"},
	{"bt", "shadow=trace"},
	{"kvm", NULL},
};
#define NTARGETS (sizeof(targets) / sizeof(targets[0]))

/* Build (t)'s engine on (g), or skip saying why it cannot run here. The
 * engine is made in the test body: cmocka swaps signal handlers around
 * setup, and bt's fault handler must be installed over the test's. */
static struct engine *engine_or_skip(const struct target *t,
				     const struct tiny_guest *g,
				     double time_limit)
{
	struct engine *e;
	char why[512] = "";
	int rc = tiny_engine_create(t->engine, t->options, g, time_limit, &e,
				    why, sizeof(why));

	if (rc == 0) {
		print_message("[  SKIPPED ] %s unusable here: %s\n", t->engine,
			      why);
		skip();
	}
	if (rc < 0)
		fail_msg("%s %s: %s", t->engine, t->options ? t->options : "",
			 why);
	return e;
}

static void ports_consoleRoiMmioExit_areCountedAndReported(void **state)
{
	struct engine *e = engine_or_skip(*state, &tiny_ports, 10);
	struct engine_counters c;
	struct run_exit x;

	assert_int_equal(engine_run(e, &x), 0);
	assert_int_equal(x.reason, RUN_EXIT_GUEST);
	assert_int_equal(x.status, 7);
	assert_true(x.regs_valid);
	assert_int_equal(e->m->console.len, 2);
	assert_memory_equal(e->m->console.buf, "hi", 2);
	engine_counters(e, &c);
	assert_int_equal(c.traps.count[TRAP_PIO], 5);
	assert_int_equal(c.traps.count[TRAP_MMIO], 1);
	/* ROI snapshots at the two marker writes; the MMIO access between */
	assert_int_equal(e->nroi, 2);
	assert_int_equal(e->roi[0].value, VMB_ROI_VALUE(1, VMB_ROI_BEGIN));
	assert_int_equal(e->roi[1].value, VMB_ROI_VALUE(1, VMB_ROI_END));
	assert_int_equal(e->roi[1].counters.traps.count[TRAP_MMIO] -
				 e->roi[0].counters.traps.count[TRAP_MMIO],
			 1);
	assert_int_equal(e->roi[1].counters.traps.count[TRAP_PIO] -
				 e->roi[0].counters.traps.count[TRAP_PIO],
			 1);
	engine_destroy(e);
}

static void triple_fault_isReportedWithRip(void **state)
{
	struct engine *e = engine_or_skip(*state, &tiny_triple, 10);
	struct run_exit x;

	assert_int_equal(engine_run(e, &x), 0);
	assert_int_equal(x.reason, RUN_EXIT_TRIPLE_FAULT);
	assert_non_null(strstr(x.message, "triple fault"));
	assert_non_null(strstr(x.message, "0x"));
	engine_destroy(e);
}

static void spin_hitsTimeLimit(void **state)
{
	struct engine *e = engine_or_skip(*state, &tiny_spin, 0.3);
	struct run_exit x;

	assert_int_equal(engine_run(e, &x), 0);
	assert_int_equal(x.reason, RUN_EXIT_TIME_LIMIT);
	assert_int_equal(x.rip, VMB_KERNEL_VBASE + VMB_PHYS_KERNEL);
	engine_destroy(e);
}

static void cli_hlt_isHalted(void **state)
{
	/* no time limit: the engine must notice that nothing can wake it */
	struct engine *e = engine_or_skip(*state, &tiny_cli_hlt, 0);
	struct run_exit x;

	assert_int_equal(engine_run(e, &x), 0);
	assert_int_equal(x.reason, RUN_EXIT_HALTED);
	engine_destroy(e);
}

static void int80_atCpl0_isDeliveredThroughIdt(void **state)
{
	struct engine *e = engine_or_skip(*state, &tiny_int80, 10);
	struct run_exit x;

	assert_int_equal(engine_run(e, &x), 0);
	assert_int_equal(x.reason, RUN_EXIT_GUEST);
	assert_int_equal(x.status, 0x2b);
	engine_destroy(e);
}

static void fetch_from_mmio_isRefusedNamingTheAddress(void **state)
{
	struct engine *e = engine_or_skip(*state, &tiny_fetch_mmio, 10);
	struct run_exit x;

	assert_int_equal(engine_run(e, &x), 0);
	assert_int_not_equal(x.reason, RUN_EXIT_GUEST);
	assert_int_not_equal(x.reason, RUN_EXIT_TIME_LIMIT);
	assert_non_null(strstr(x.message, "0xc0000000"));
	engine_destroy(e);
}

struct conformance_case {
	const char *name;
	CMUnitTestFunction fn;
};

static const struct conformance_case cases[] = {
	{"ports", ports_consoleRoiMmioExit_areCountedAndReported},
	{"triple_fault", triple_fault_isReportedWithRip},
	{"time_limit", spin_hitsTimeLimit},
	{"cli_hlt", cli_hlt_isHalted},
	{"int80", int80_atCpl0_isDeliveredThroughIdt},
	{"fetch_mmio", fetch_from_mmio_isRefusedNamingTheAddress},
};
#define NCASES (sizeof(cases) / sizeof(cases[0]))

int main(void)
{
	static struct CMUnitTest tests[NTARGETS * NCASES];
	static char names[NTARGETS * NCASES][64];
	unsigned n = 0;

	for (unsigned t = 0; t < NTARGETS; t++)
		for (unsigned k = 0; k < NCASES; k++, n++) {
			snprintf(names[n], sizeof(names[n]), "%s%s%s/%s",
				 targets[t].engine,
				 targets[t].options ? ":" : "",
				 targets[t].options ? targets[t].options : "",
				 cases[k].name);
			tests[n].name = names[n];
			tests[n].test_func = cases[k].fn;
			tests[n].initial_state = (void *)&targets[t];
		}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
