/*
 * test_harness_engine.c - the matrix runner driving an in-process engine
 * (a fake one defined here, on a minimal kernel image): the child streams
 * the console, sends back ROI snapshots whose difference becomes the
 * phase's trap counts, and every way an engine can fail (crash, hang,
 * triple fault, create failure) becomes a row with its cause.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "db.h"
#include "support/elf_build.h"
#include "engine.h"
#include "matrix.h"
#include "vmb_abi.h"

struct fake {
	uint64_t pio;
	char bench[32];
};

static int fake_probe(char *why, size_t whylen)
{
	(void)why;
	(void)whylen;
	return 0;
}

static int fake_create(struct engine *e, const struct vm_config *cfg,
		       char *err, size_t errlen)
{
	struct fake *f = calloc(1, sizeof(*f));
	if (!f)
		return -1;
	sscanf(cfg->machine.cmdline, "bench=%31s", f->bench);
	if (!strcmp(f->bench, "nocreate")) {
		snprintf(err, errlen, "fake: cannot create (%s)", f->bench);
		free(f);
		return -1;
	}
	e->priv = f;
	return 0;
}

static void out(struct engine *e, uint16_t port, uint32_t v, uint32_t len)
{
	struct fake *f = e->priv;
	f->pio++;
	io_bus_access(e->m, IO_SPACE_PIO, port, (uint8_t *)&v, len, true);
}

static void say(struct engine *e, const char *fmt, ...)
{
	char line[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	for (const char *p = line; *p; p++)
		out(e, VMB_PORT_CONSOLE, (uint8_t)*p, 1);
}

/* The guest's protocol for one bench with one measured phase of 10 exits. */
static int fake_run(struct engine *e, struct run_exit *exit)
{
	struct fake *f = e->priv;
	const char *b = f->bench;
	say(e, "@vmb {\"ev\":\"boot\",\"proto\":1,\"tsc_khz\":1000000}\n");
	say(e, "@vmb {\"ev\":\"start\",\"bench\":\"%s\",\"iters\":10}\n", b);
	if (!strcmp(b, "crash"))
		raise(SIGSEGV);
	if (!strcmp(b, "hang"))
		for (;;)
			pause();
	if (!strcmp(b, "triple")) {
		exit->reason = RUN_EXIT_TRIPLE_FAULT;
		exit->rip = 0xffffffff80001234ull;
		snprintf(exit->message, sizeof(exit->message), "shutdown");
		return 0;
	}
	if (!strcmp(b, "nobackend")) {
		exit->reason = RUN_EXIT_UNSUPPORTED_ON_BACKEND;
		snprintf(exit->message, sizeof(exit->message),
			 "unsupported on this backend: fake has no VMCALL");
		return 0;
	}
	out(e, VMB_PORT_ROI, VMB_ROI_VALUE(1, VMB_ROI_BEGIN), 4);
	for (int i = 0; i < 10; i++)
		out(e, VMB_PORT_NULL, 0, 4);
	out(e, VMB_PORT_ROI, VMB_ROI_VALUE(1, VMB_ROI_END), 4);
	say(e, "@vmb {\"ev\":\"result\",\"bench\":\"%s\",\"roi\":1,\"metric\":"
	       "\"op\",\"ops\":10,\"cycles\":5000}\n", b);
	say(e, "@vmb {\"ev\":\"checksum\",\"bench\":\"%s\",\"value\":"
	       "\"0x000000000000000a\"}\n", b);
	say(e, "@vmb {\"ev\":\"end\",\"bench\":\"%s\",\"status\":0}\n", b);
	say(e, "@vmb {\"ev\":\"done\",\"status\":0,\"benches\":1}\n");
	out(e, VMB_PORT_EXIT, 0, 4);
	exit->reason = RUN_EXIT_GUEST;
	exit->status = e->m->exit_status;
	return 0;
}

static void fake_counters(struct engine *e, struct engine_counters *c)
{
	struct fake *f = e->priv;
	c->traps.count[TRAP_PIO] = f->pio;
	engine_stat_add(c, "fake_stat", f->pio * 2);
}

static void fake_destroy(struct engine *e)
{
	free(e->priv);
}

static const struct engine_ops fake_ops = {
	.name = "fake",
	.technique = "scripted device accesses",
	.probe = fake_probe,
	.create = fake_create,
	.run = fake_run,
	.counters = fake_counters,
	.destroy = fake_destroy,
};

static char dir[64];

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/vmb-test-heng-XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	size_t len;
	uint8_t *img = test_elf_kernel(NULL, 0, &len);
	char p[128];
	snprintf(p, sizeof(p), "%s/vmbench-guest.elf", dir);
	FILE *f = fopen(p, "w");
	if (!img || !f)
		return -1;
	fwrite(img, 1, len, f);
	fclose(f);
	free(img);
	snprintf(p, sizeof(p), "%s/workloads.txt", dir);
	f = fopen(p, "w");
	fputs("ok micro kernel\ncrash micro kernel\nhang micro kernel\n"
	      "triple micro kernel\nnocreate micro kernel\n"
	      "nobackend micro kernel\n", f);
	fclose(f);
	setenv("VMB_GUEST_DIR", dir, 1);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	unsetenv("VMB_GUEST_DIR");
	return system(cmd) ? -1 : 0;
}

static double sample_get(sqlite3 *db, const char *wl, const char *name,
			 char *why, size_t wl_len)
{
	sqlite3_stmt *s;
	double v = -1;
	why[0] = '\0';
	sqlite3_prepare_v2(db,
			   "SELECT s.value, s.available, s.why FROM samples s"
			   " JOIN cells c ON c.id = s.cell_id WHERE"
			   " c.workload = ? AND s.name = ? LIMIT 1",
			   -1, &s, NULL);
	sqlite3_bind_text(s, 1, wl, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, name, -1, SQLITE_STATIC);
	if (sqlite3_step(s) == SQLITE_ROW) {
		if (sqlite3_column_int(s, 1))
			v = sqlite3_column_double(s, 0);
		else
			snprintf(why, wl_len, "%s", sqlite3_column_text(s, 2));
	}
	sqlite3_finalize(s);
	return v;
}

static void cause_get(sqlite3 *db, const char *wl, char *buf, size_t len)
{
	sqlite3_stmt *s;
	buf[0] = '\0';
	sqlite3_prepare_v2(db,
			   "SELECT status || ': ' || IFNULL(cause, '') FROM"
			   " cells WHERE workload = ?", -1, &s, NULL);
	sqlite3_bind_text(s, 1, wl, -1, SQLITE_STATIC);
	if (sqlite3_step(s) == SQLITE_ROW)
		snprintf(buf, len, "%s", sqlite3_column_text(s, 0));
	sqlite3_finalize(s);
}

static void engineCells_roiCountersAndFailureCauses(void **state)
{
	(void)state;
	char err[512], path[128], c[1024];
	snprintf(path, sizeof(path), "%s/t.db", dir);
	sqlite3 *db;
	assert_int_equal(db_open(path, &db, err, sizeof(err)), 0);
	struct host_info h;
	memset(&h, 0, sizeof(h));
	struct db_run_meta meta = { .host = &h, .argv = "test" };
	struct target t = { .name = "fake", .kind = TARGET_ENGINE,
			    .ops = &fake_ops, .technique = "fake",
			    .usable = true };
	struct workload_list all;
	assert_int_equal(workloads_load(NULL, &all, err, sizeof(err)), 0);
	struct matrix_spec m = {
		.targets = &t, .ntargets = 1, .workloads = &all, .reps = 1,
		.params = "", .time_limit_s = 1.0, .cpu = -1, .quiet = true,
		.host_tsc_khz = 1000000, .db = db,
	};
	assert_int_equal(db_run_begin(db, &meta, &m.run_id, err, sizeof(err)),
			 0);
	struct matrix_summary sum;
	assert_int_equal(matrix_run(&m, &sum, err, sizeof(err)), 0);
	assert_int_equal(sum.ok, 1);
	assert_int_equal(sum.failed, 4);
	assert_int_equal(sum.skipped, 1); /* nobackend: not a failure */

	/* Phase counters: BEGIN snapshot after its own write, END after its
	 * own: the 10 null-port exits plus the END marker write. */
	assert_true(sample_get(db, "ok", "trap.pio", c, sizeof(c)) == 11);
	assert_true(sample_get(db, "ok", "stat.fake_stat", c, sizeof(c)) == 22);
	assert_true(sample_get(db, "ok", "cycles_per_op", c, sizeof(c)) == 500);
	assert_true(sample_get(db, "ok", "ns_per_op", c, sizeof(c)) == 500);
	assert_true(sample_get(db, "ok", "insns", c, sizeof(c)) == -1);
	assert_non_null(strstr(c, "does not count guest instructions"));
	assert_true(sample_get(db, "ok", "run.trap.pio", c, sizeof(c)) > 11);

	cause_get(db, "crash", c, sizeof(c));
	assert_non_null(strstr(c, "engine process crashed: signal 11"));
	cause_get(db, "hang", c, sizeof(c));
	assert_non_null(strstr(c, "timeout"));
	cause_get(db, "triple", c, sizeof(c));
	assert_non_null(strstr(c, "triple_fault at rip 0xffffffff80001234"));
	cause_get(db, "nocreate", c, sizeof(c));
	assert_non_null(strstr(c, "create failed: fake: cannot create"));
	cause_get(db, "nobackend", c, sizeof(c));
	assert_non_null(strstr(c, "skipped: unsupported on this backend: fake"));
	workloads_free(&all);
	db_close(db);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(engineCells_roiCountersAndFailureCauses),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
