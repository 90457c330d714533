/*
 * Unit tests for engines/engine.c, driven through a fake engine defined
 * here: its "guest" is a script of device accesses made through the real
 * machine bus, so the ROI hook, console sink and exit port are exercised
 * exactly as a real engine would.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine.h"
#include "support/elf_build.h"
#include "vmb_abi.h"

/* ---- the fake engine -------------------------------------------------- */

struct fake {
	uint64_t pio;
	unsigned markers;	/* ROI marker pairs the fake guest writes */
};

static bool fake_destroyed;

static int fake_probe(char *why, size_t whylen)
{
	(void)why;
	(void)whylen;
	return 0;
}

static int fake_probe_no(char *why, size_t whylen)
{
	snprintf(why, whylen, "fake: no such hardware");
	return -1;
}

static int fake_create(struct engine *e, const struct vm_config *cfg,
		       char *err, size_t errlen)
{
	struct fake *f;
	char v[16];

	if (engine_option(cfg->options, "fail", v, sizeof(v)) == 1) {
		snprintf(err, errlen, "fake: asked to fail (%s)", v);
		return -1;
	}
	f = calloc(1, sizeof(*f));
	if (!f)
		return -1;
	f->markers = 2;
	if (engine_option(cfg->options, "markers", v, sizeof(v)) == 1)
		f->markers = (unsigned)atoi(v);
	e->priv = f;
	return 0;
}

static void fake_out(struct engine *e, uint16_t port, uint32_t v, uint32_t len)
{
	struct fake *f = e->priv;

	f->pio++;
	io_bus_access(e->m, IO_SPACE_PIO, port, (uint8_t *)&v, len, true);
}

static int fake_run(struct engine *e, struct run_exit *exit)
{
	struct fake *f = e->priv;

	for (const char *p = "hello\n"; *p; p++)
		fake_out(e, VMB_PORT_CONSOLE, (uint8_t)*p, 1);
	for (unsigned id = 1; id <= f->markers; id++) {
		fake_out(e, VMB_PORT_ROI, VMB_ROI_VALUE(id, VMB_ROI_BEGIN), 4);
		fake_out(e, VMB_PORT_NULL, 0, 4);
		fake_out(e, VMB_PORT_ROI, VMB_ROI_VALUE(id, VMB_ROI_END), 4);
	}
	fake_out(e, 0x3f8, 'x', 1); /* unassigned */
	fake_out(e, VMB_PORT_EXIT, 7, 4);
	if (!e->m->exit_requested)
		return -1;
	exit->reason = RUN_EXIT_GUEST;
	exit->status = e->m->exit_status;
	return 0;
}

static int fake_run_broken(struct engine *e, struct run_exit *exit)
{
	(void)e;
	(void)exit;
	return -1;
}

static void fake_counters(struct engine *e, struct engine_counters *out)
{
	struct fake *f = e->priv;

	out->traps.count[TRAP_PIO] = f->pio;
	engine_stat_add(out, "fake_stat", 42);
}

static void fake_destroy(struct engine *e)
{
	fake_destroyed = true;
	free(e->priv);
}

static const struct engine_ops fake_ops = {
	.name = "fake",
	.technique = "a script of device accesses",
	.probe = fake_probe,
	.create = fake_create,
	.run = fake_run,
	.counters = fake_counters,
	.destroy = fake_destroy,
};

/* ---- fixtures ---------------------------------------------------------- */

static char *kernel_path;

static int kernel_setup(void **state)
{
	size_t len;
	uint8_t *img = test_elf_kernel(NULL, 0, &len);

	(void)state;
	kernel_path = img ? test_file_write(img, len) : NULL;
	free(img);
	return kernel_path ? 0 : -1;
}

static int kernel_teardown(void **state)
{
	(void)state;
	unlink(kernel_path);
	free(kernel_path);
	return 0;
}

struct sink_buf {
	char text[64];
	size_t len;
};

static void sink(void *opaque, const char *buf, size_t len)
{
	struct sink_buf *s = opaque;

	if (s->len + len < sizeof(s->text))
		memcpy(s->text + s->len, buf, len), s->len += len;
}

static struct vm_config config(const char *options, struct sink_buf *s)
{
	struct vm_config c = {
		.machine = { .ram_bytes = 16ull << 20,
			     .kernel_path = kernel_path,
			     .cmdline = "bench=x",
			     .tsc_khz = 1000000 },
		.options = options,
		.console_sink = s ? sink : NULL,
		.console_opaque = s,
	};
	return c;
}

/* ---- tests --------------------------------------------------------------- */

static void find_unknown_null_tableTerminated(void **state)
{
	unsigned n = 0;

	(void)state;
	assert_null(engine_find("no-such-engine"));
	assert_null(engine_find(NULL));
	while (engine_table[n]) {
		assert_ptr_equal(engine_find(engine_table[n]->name),
				 engine_table[n]);
		n++;
	}
	assert_true(n < 16);
}

static void probe_reportsWhy(void **state)
{
	struct engine_ops no = fake_ops;
	char why[128] = "junk";

	(void)state;
	assert_int_equal(engine_probe(&fake_ops, why, sizeof(why)), 0);
	assert_string_equal(why, "");
	no.probe = fake_probe_no;
	assert_int_equal(engine_probe(&no, why, sizeof(why)), -1);
	assert_string_equal(why, "fake: no such hardware");
}

static void run_fullLifeCycle_exitConsoleRoi(void **state)
{
	struct sink_buf s = { 0 };
	struct vm_config cfg = config("markers=2", &s);
	struct engine *e;
	struct run_exit ex;
	struct engine_counters c;
	char err[256] = "";

	(void)state;
	fake_destroyed = false;
	assert_int_equal(engine_create(&fake_ops, &cfg, &e, err, sizeof(err)),
			 0);
	assert_int_equal(engine_run(e, &ex), 0);
	assert_int_equal(ex.reason, RUN_EXIT_GUEST);
	assert_int_equal(ex.status, 7);
	assert_string_equal(e->m->console.buf, "hello\n");
	assert_string_equal(s.text, "hello\n");

	/* 4 markers; each snapshot sees the PIO count at its write */
	assert_int_equal(e->nroi, 4);
	assert_int_equal(e->roi_dropped, 0);
	assert_int_equal(e->roi[0].value, VMB_ROI_VALUE(1, VMB_ROI_BEGIN));
	assert_int_equal(e->roi[3].value, VMB_ROI_VALUE(2, VMB_ROI_END));
	assert_int_equal(e->roi[0].counters.traps.count[TRAP_PIO], 7);
	assert_int_equal(e->roi[1].counters.traps.count[TRAP_PIO], 9);
	assert_true(e->roi[1].counters.tsc >= e->roi[0].counters.tsc);
	assert_int_equal(engine_stat_find(&e->roi[1].counters,
					  "fake_stat")->value, 42);

	engine_counters(e, &c);
	assert_int_equal(c.traps.count[TRAP_PIO], 6 + 2 * 3 + 2);
	assert_int_equal(engine_stat_find(&c, "io_unassigned_writes")->value, 1);
	assert_int_equal(engine_stat_find(&c, "io_unassigned_reads")->value, 0);
	assert_null(engine_stat_find(&c, "nope"));
	engine_destroy(e);
	assert_true(fake_destroyed);
	engine_destroy(NULL);
}

static void roi_pastMax_droppedCounted(void **state)
{
	struct vm_config cfg = config("markers=2051", NULL);
	struct engine *e;
	struct run_exit ex;
	char err[256];

	(void)state;
	assert_int_equal(engine_create(&fake_ops, &cfg, &e, err, sizeof(err)),
			 0);
	assert_int_equal(engine_run(e, &ex), 0);
	assert_int_equal(e->nroi, ENGINE_MAX_ROI);
	assert_int_equal(e->roi_dropped, 2 * 2051 - ENGINE_MAX_ROI);
	assert_int_equal(VMB_ROI_ID(e->roi[ENGINE_MAX_ROI - 1].value), 2048);
	engine_destroy(e);
}

static void create_engineFails_noLeakMessageKept(void **state)
{
	struct vm_config cfg = config("x=1,fail=please", NULL);
	struct engine *e = (struct engine *)&cfg;
	char err[256] = "";

	(void)state;
	fake_destroyed = false;
	assert_int_equal(engine_create(&fake_ops, &cfg, &e, err, sizeof(err)),
			 -1);
	assert_null(e);
	assert_string_equal(err, "fake: asked to fail (please)");
	assert_false(fake_destroyed);
}

static void create_machineFails_namesKernel(void **state)
{
	struct vm_config cfg = config(NULL, NULL);
	struct engine *e;
	char err[256] = "";

	(void)state;
	cfg.machine.kernel_path = "/no/such/kernel";
	assert_int_equal(engine_create(&fake_ops, &cfg, &e, err, sizeof(err)),
			 -1);
	assert_non_null(strstr(err, "/no/such/kernel"));
}

static void create_copiesConfigStrings(void **state)
{
	char opts[] = "markers=1";
	char cmd[] = "bench=abc";
	struct vm_config cfg = config(opts, NULL);
	struct engine *e;
	char err[256];

	(void)state;
	cfg.machine.cmdline = cmd;
	assert_int_equal(engine_create(&fake_ops, &cfg, &e, err, sizeof(err)),
			 0);
	memset(opts, 'z', sizeof(opts) - 1);
	memset(cmd, 'z', sizeof(cmd) - 1);
	assert_string_equal(e->cfg.options, "markers=1");
	assert_string_equal(e->cfg.machine.cmdline, "bench=abc");
	assert_string_equal(e->cfg.machine.kernel_path, kernel_path);
	engine_destroy(e);
}

static void run_hostFailure_internalErrorWithMessage(void **state)
{
	struct engine_ops broken = fake_ops;
	struct vm_config cfg = config(NULL, NULL);
	struct engine *e;
	struct run_exit ex;
	char err[256];

	(void)state;
	broken.run = fake_run_broken;
	assert_int_equal(engine_create(&broken, &cfg, &e, err, sizeof(err)), 0);
	assert_int_equal(engine_run(e, &ex), -1);
	assert_int_equal(ex.reason, RUN_EXIT_INTERNAL_ERROR);
	assert_non_null(strstr(ex.message, "fake"));
	engine_destroy(e);
}

static void stats_overflow_lastSlotCountsDropped(void **state)
{
	static struct engine_counters c;
	char name[32];

	(void)state;
	memset(&c, 0, sizeof(c));
	for (unsigned i = 0; i < ENGINE_MAX_STATS + 9; i++) {
		snprintf(name, sizeof(name), "s%u", i);
		engine_stat_add(&c, name, i);
	}
	assert_int_equal(c.nstats, ENGINE_MAX_STATS);
	assert_int_equal(engine_stat_find(&c, "s0")->value, 0);
	assert_int_equal(engine_stat_find(&c, "s190")->value, 190);
	assert_null(engine_stat_find(&c, "s191"));
	assert_int_equal(engine_stat_find(&c, "stats_dropped")->value, 10);
}

static void option_parser_cases(void **state)
{
	static const struct {
		const char *opts, *key;
		int rc;
		const char *val;
	} cases[] = {
		{ "shadow=trace", "shadow", 1, "trace" },
		{ "a=1,shadow=vtlb,b=2", "shadow", 1, "vtlb" },
		{ "shadowx=1,shadow=2", "shadow", 1, "2" },
		{ "xshadow=1", "shadow", 0, NULL },
		{ "shadow", "shadow", 1, "" },
		{ "shadow=", "shadow", 1, "" },
		{ "a=1,,b=2", "b", 1, "2" },
		{ "", "shadow", 0, NULL },
		{ NULL, "shadow", 0, NULL },
		{ "host-pages=2m", "host-pages", 1, "2m" },
		{ "k=0123456789abcdef", "k", -1, NULL },
	};

	(void)state;
	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char val[16] = "unchanged";
		int rc = engine_option(cases[i].opts, cases[i].key, val,
				       sizeof(val));

		assert_int_equal(rc, cases[i].rc);
		if (rc == 1)
			assert_string_equal(val, cases[i].val);
	}
}

static void reasonNames_stable(void **state)
{
	(void)state;
	assert_string_equal(run_exit_reason_name(RUN_EXIT_GUEST), "guest_exit");
	assert_string_equal(run_exit_reason_name(RUN_EXIT_TRIPLE_FAULT),
			    "triple_fault");
	assert_string_equal(run_exit_reason_name(RUN_EXIT_INTERNAL_ERROR),
			    "internal_error");
	assert_string_equal(run_exit_reason_name(RUN_EXIT_INTERNAL_ERROR + 1),
			    "unknown");
	for (int r = RUN_EXIT_GUEST; r <= RUN_EXIT_INTERNAL_ERROR; r++)
		assert_string_not_equal(run_exit_reason_name(r), "unknown");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(find_unknown_null_tableTerminated),
		cmocka_unit_test(probe_reportsWhy),
		cmocka_unit_test(run_fullLifeCycle_exitConsoleRoi),
		cmocka_unit_test(roi_pastMax_droppedCounted),
		cmocka_unit_test(create_engineFails_noLeakMessageKept),
		cmocka_unit_test(create_machineFails_namesKernel),
		cmocka_unit_test(create_copiesConfigStrings),
		cmocka_unit_test(run_hostFailure_internalErrorWithMessage),
		cmocka_unit_test(stats_overflow_lastSlotCountsDropped),
		cmocka_unit_test(option_parser_cases),
		cmocka_unit_test(reasonNames_stable),
	};
	return cmocka_run_group_tests(tests, kernel_setup, kernel_teardown);
}
