/*
 * analyze.c - verdict and samples of one cell.
 */
#include "analyze.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "golden.h"
#include "vmb_abi.h"
#include "strutil.h"

struct sample_ctx {
	struct cell_record *rec;
	const char *bench;
	const char *metric;
	uint32_t roi;
	int oom;
};

static struct sample *sample_new(struct sample_ctx *c, const char *name)
{
	struct cell_record *r = c->rec;
	struct sample *p = realloc(r->samples,
				   (r->nsamples + 1) * sizeof(*p));
	if (!p) {
		c->oom = 1;
		return NULL;
	}
	r->samples = p;
	struct sample *s = &p[r->nsamples++];
	memset(s, 0, sizeof(*s));
	str_copy(s->bench, sizeof(s->bench), c->bench);
	str_copy(s->metric, sizeof(s->metric), c->metric);
	s->roi = c->roi;
	str_copy(s->name, sizeof(s->name), name);
	return s;
}

static void sample_put(struct sample_ctx *c, const char *name, double v)
{
	struct sample *s = sample_new(c, name);
	if (s) {
		s->value = v;
		s->available = true;
	}
}

static void sample_missing(struct sample_ctx *c, const char *name,
			   const char *fmt, ...)
{
	struct sample *s = sample_new(c, name);
	if (!s)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(s->why, sizeof(s->why), fmt, ap);
	va_end(ap);
}

static void cause_set(struct cell_record *r, const char *fmt, ...)
{
	if (r->status == CELL_FAILED)
		return; /* keep the first cause */
	r->status = CELL_FAILED;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(r->cause, sizeof(r->cause), fmt, ap);
	va_end(ap);
}

static const char *exit_status_meaning(int s)
{
	switch (s) {
	case VMB_EXIT_OK: return "ok";
	case VMB_EXIT_BAD_CMDLINE: return "bad command line or unknown workload";
	case VMB_EXIT_BENCH_FAILED: return "a workload reported an error";
	case VMB_EXIT_PANIC: return "kernel panic";
	case VMB_EXIT_BAD_BOOT: return "boot_info missing or malformed";
	}
	return VMB_EXIT_IS_EXCEPTION(s) ? "unexpected CPU exception" : "unknown";
}

/* ---- process / engine verdicts ---------------------------------------- */

static void engine_verdict(const struct cell_spec *spec,
			   const struct cell_outcome *o, struct cell_record *r)
{
	if (!o->have_engine) {
		if (o->term_signal)
			cause_set(r, "engine process crashed: signal %d (%s)",
				  o->term_signal, strsignal(o->term_signal));
		else
			cause_set(r, "engine process exited with code %d and "
				  "no result record", o->exit_code);
		return;
	}
	if (o->create_failed) {
		cause_set(r, "engine %s: create failed: %s",
			  spec->target->name, o->create_err);
		return;
	}
	str_copy(r->exit_reason, sizeof(r->exit_reason), run_exit_reason_name(o->exit.reason));
	if (o->run_rc) {
		cause_set(r, "engine %s: host failure: %s", spec->target->name,
			  o->exit.message);
		return;
	}
	if (o->exit.reason == RUN_EXIT_UNSUPPORTED_ON_BACKEND) {
		/* Not a failure of the engine or the guest: the backend cannot
		 * run this workload at all (e.g. VMCALL on KVM/PVM). */
		r->status = CELL_SKIPPED;
		snprintf(r->cause, sizeof(r->cause), "%s",
			 o->exit.message[0] ? o->exit.message
					    : "unsupported on this backend");
		return;
	}
	if (o->exit.reason != RUN_EXIT_GUEST) {
		cause_set(r, "%s at rip 0x%016" PRIx64 ": %s",
			  run_exit_reason_name(o->exit.reason), o->exit.rip,
			  o->exit.message);
		return;
	}
	r->exit_status = (int)o->exit.status;
}

static void peer_verdict(const struct cell_spec *spec,
			 const struct cell_outcome *o, struct cell_record *r)
{
	const char *tail = o->peer_stderr[0] ? o->peer_stderr : "(no stderr)";
	if (o->term_signal) {
		cause_set(r, "%s killed by signal %d (%s): %s",
			  spec->target->name, o->term_signal,
			  strsignal(o->term_signal), tail);
		return;
	}
	if (spec->target->kind == TARGET_NATIVE) {
		snprintf(r->exit_reason, sizeof(r->exit_reason), "process_exit");
		if (o->exit_code == 127)
			cause_set(r, "native: %s", tail);
		r->exit_status = o->exit_code;
		return;
	}
	/* isa-debug-exit: QEMU exits with (status << 1) | 1. */
	if (o->exit_code & 1) {
		snprintf(r->exit_reason, sizeof(r->exit_reason), "guest");
		r->exit_status = o->exit_code >> 1;
		return;
	}
	snprintf(r->exit_reason, sizeof(r->exit_reason), "qemu_exit");
	if (o->exit_code == 0)
		cause_set(r, "QEMU exited without the guest writing the exit "
			  "port (triple fault or reset under -no-reboot?)");
	else
		cause_set(r, "qemu-system-x86_64 failed (exit code %d): %s",
			  o->exit_code, tail);
}

/* ---- guest output verdicts --------------------------------------------- */


static void output_verdict(const struct cell_spec *spec,
			   const struct rp_output *p, uint64_t seed,
			   const char *golden_dir, struct cell_record *r)
{
	if (p->nfaults) {
		const struct rp_fault *f = &p->faults[0];
		cause_set(r, "guest fault %s (vector %u) at rip 0x%016" PRIx64
			  " cr2 0x%" PRIx64 " cpl %u",
			  f->name, f->vector, f->rip, f->cr2, f->cpl);
	}
	if (p->nerrors)
		cause_set(r, "malformed result line %u: %s", p->errors[0].line,
			  p->errors[0].msg);
	const struct rp_bench *b = rp_bench_find(p, spec->workload);
	if (b && b->error[0])
		cause_set(r, "workload %s reported an error: %s", b->bench,
			  b->error);
	if (r->exit_status > 0)
		cause_set(r, "guest exit status %d (%s)", r->exit_status,
			  exit_status_meaning(r->exit_status));
	if (p->truncated)
		cause_set(r, "truncated output: %s", p->truncated_why);
	if (!b) {
		cause_set(r, "workload %s never started (no start event)",
			  spec->workload);
		return;
	}
	if (b->ended && b->status)
		cause_set(r, "workload %s ended with status %d", b->bench,
			  b->status);
	if (!b->has_checksum) {
		cause_set(r, "workload %s reported no checksum", b->bench);
		return;
	}
	r->has_checksum = true;
	r->checksum = b->checksum;
	enum golden_verdict g = golden_check(golden_dir, b->bench, b->iters,
					     b->size, seed, b->checksum,
					     r->checksum_note,
					     sizeof(r->checksum_note));
	r->checksum_ok = g == GOLDEN_MATCH ? 1 : g == GOLDEN_MISMATCH ? 0 : -1;
	if (g == GOLDEN_MISMATCH)
		cause_set(r, "%s", r->checksum_note);
	if (p->nresults == 0)
		cause_set(r, "no result lines from %s", b->bench);
}

/* ---- samples ---------------------------------------------------------- */

static const struct engine_roi_snapshot *
roi_find(const struct cell_outcome *o, uint32_t id, uint32_t event,
	 unsigned before)
{
	for (unsigned i = before; i-- > 0;)
		if (VMB_ROI_ID(o->roi[i].value) == id &&
		    VMB_ROI_EVENT(o->roi[i].value) == event)
			return &o->roi[i];
	return NULL;
}

/* Counter samples for (b - a); (prefix) "" per phase, "run." per run. */
static void counters_put(struct sample_ctx *c, const char *prefix,
			 const struct engine_counters *a,
			 const struct engine_counters *b)
{
	char name[SAMPLE_NAME];
	for (unsigned k = 0; k < TRAP_NR; k++) {
		snprintf(name, sizeof(name), "%strap.%s", prefix,
			 trap_kind_name((enum trap_kind)k));
		sample_put(c, name, (double)(b->traps.count[k] -
					     (a ? a->traps.count[k] : 0)));
	}
	for (unsigned v = 0; v < TRAP_VECTORS; v++) {
		uint64_t d = b->traps.exception_by_vector[v] -
			     (a ? a->traps.exception_by_vector[v] : 0);
		if (!d)
			continue;
		snprintf(name, sizeof(name), "%sexc.%s", prefix,
			 trap_vector_name(v));
		sample_put(c, name, (double)d);
	}
	snprintf(name, sizeof(name), "%sinsns", prefix);
	if (b->instructions_valid)
		sample_put(c, name, (double)(b->instructions -
					     (a ? a->instructions : 0)));
	else
		sample_missing(c, name,
			       "this engine does not count guest instructions");
	for (unsigned i = 0; i < b->nstats; i++) {
		if (!strncmp(b->stats[i].name, "host.", 5))
			continue; /* host_counters_put() */
		const struct engine_stat *sa =
			a ? engine_stat_find(a, b->stats[i].name) : NULL;
		uint64_t d = b->stats[i].value - (sa ? sa->value : 0);
		snprintf(name, sizeof(name), "%sstat.%.40s", prefix,
			 b->stats[i].name);
		if (d || !a)
			sample_put(c, name, (double)d);
	}
}

/* The region's host counters, sampled on the vCPU thread at its markers
 * (cell.c); an event the run could not count keeps the run's reason. */
static void host_counters_put(struct sample_ctx *c,
			      const struct cell_outcome *o,
			      const struct engine_counters *a,
			      const struct engine_counters *b)
{
	for (unsigned i = 0; i < o->pmu.n; i++) {
		const struct pmu_counter *pc = &o->pmu.c[i];
		const struct engine_stat *sa = engine_stat_find(a, pc->name);
		const struct engine_stat *sb = engine_stat_find(b, pc->name);
		if (sa && sb && sb->value >= sa->value)
			sample_put(c, pc->name, (double)(sb->value - sa->value));
		else if (!pc->available)
			sample_missing(c, pc->name, "%s", pc->why);
		else
			sample_missing(c, pc->name,
				       "not sampled at this region's markers");
	}
}

static void result_samples(struct sample_ctx *c, const struct cell_spec *spec,
			   const struct cell_outcome *o,
			   const struct rp_result *res, uint64_t tsc_khz)
{
	c->bench = res->bench;
	c->metric = res->metric;
	c->roi = res->roi;
	sample_put(c, "ops", (double)res->ops);
	sample_put(c, "cycles", (double)res->cycles);
	if (res->ops) {
		double cpo = (double)res->cycles / (double)res->ops;
		sample_put(c, "cycles_per_op", cpo);
		sample_put(c, "ns_per_op", cpo * 1e6 / (double)tsc_khz);
	} else {
		sample_missing(c, "cycles_per_op", "ops = 0");
		sample_missing(c, "ns_per_op", "ops = 0");
	}
	for (unsigned i = 0; i < res->nextra; i++)
		sample_put(c, res->extra[i].name, (double)res->extra[i].value);
	if (!target_has_engine_counters(spec->target)) {
		sample_missing(c, "trap.*",
			       "%s is an external process: no engine counters",
			       spec->target->name);
		return;
	}
	const struct engine_roi_snapshot *end =
		roi_find(o, res->roi, VMB_ROI_END, o->nroi);
	const struct engine_roi_snapshot *begin =
		end ? roi_find(o, res->roi, VMB_ROI_BEGIN,
			       (unsigned)(end - o->roi)) : NULL;
	if (!begin || !end) {
		sample_missing(c, "trap.*",
			       "no ROI %s snapshot for region %u (%u markers, "
			       "%" PRIu64 " dropped)",
			       begin || !end ? "END" : "BEGIN", res->roi,
			       o->nroi, o->roi_dropped);
		return;
	}
	counters_put(c, "", &begin->counters, &end->counters);
	host_counters_put(c, o, &begin->counters, &end->counters);
}

static void run_samples(struct sample_ctx *c, const struct cell_spec *spec,
			const struct cell_outcome *o)
{
	c->bench = "";
	c->metric = "";
	c->roi = 0;
	sample_put(c, "wall_s", o->wall_s);
	sample_put(c, "user_s", o->user_s);
	sample_put(c, "sys_s", o->sys_s);
	sample_put(c, "maxrss_kb", (double)o->maxrss_kb);
	for (unsigned i = 0; i < o->pmu.n; i++) {
		const struct pmu_counter *pc = &o->pmu.c[i];
		if (pc->available)
			sample_put(c, pc->name, (double)pc->value);
		else
			sample_missing(c, pc->name, "%s", pc->why);
	}
	if (target_has_engine_counters(spec->target) && o->have_engine &&
	    !o->create_failed)
		counters_put(c, "run.", NULL, &o->total);
	else if (!target_has_engine_counters(spec->target))
		sample_missing(c, "run.trap.*",
			       "%s is an external process: no engine counters",
			       spec->target->name);
}

int analyze_cell(const struct cell_spec *spec, const struct cell_outcome *o,
		 uint64_t host_tsc_khz, uint64_t seed, const char *golden_dir,
		 struct cell_record *r)
{
	memset(r, 0, sizeof(*r));
	r->exit_status = -1;
	r->checksum_ok = -1;
	r->tsc_khz = host_tsc_khz;
	if (o->timed_out)
		cause_set(r, "timeout: killed after %.1f s (limit %.1f s)",
			  o->wall_s, spec->time_limit_s);
	if (spec->target->kind == TARGET_ENGINE)
		engine_verdict(spec, o, r);
	else
		peer_verdict(spec, o, r);
	if (r->status == CELL_SKIPPED)
		return 0; /* nothing ran to judge */

	struct rp_output p;
	memset(&p, 0, sizeof(p));
	if (rp_parse(o->console ? o->console : "", o->console_len, &p))
		return -1;
	if (o->console_truncated)
		cause_set(r, "console output over %u bytes was cut",
			  CELL_CONSOLE_MAX);
	output_verdict(spec, &p, seed, golden_dir, r);
	if (p.has_boot && p.boot_tsc_khz)
		r->tsc_khz = p.boot_tsc_khz;

	struct sample_ctx c = { .rec = r };
	for (unsigned i = 0; i < p.nresults; i++)
		result_samples(&c, spec, o, &p.results[i], r->tsc_khz);
	run_samples(&c, spec, o);
	const struct rp_bench *b = rp_bench_find(&p, spec->workload);
	if (b) {
		/* The parameters the workload really ran with (defaults
		 * applied), as the golden files key them. */
		c.bench = b->bench;
		sample_put(&c, "start.iters", (double)b->iters);
		sample_put(&c, "start.size", (double)b->size);
	}
	rp_free(&p);
	return c.oom ? -1 : 0;
}

void cell_record_free(struct cell_record *rec)
{
	free(rec->samples);
	memset(rec, 0, sizeof(*rec));
}

const char *cell_status_name(enum cell_status s)
{
	return s == CELL_OK ? "ok" : s == CELL_FAILED ? "failed" : "skipped";
}
