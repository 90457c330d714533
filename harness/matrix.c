/*
 * matrix.c - walk the run matrix.
 */
#include "matrix.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyze.h"
#include "cell.h"
#include "db.h"
#include "progress.h"
#include "strutil.h"

const char *matrix_params(const struct matrix_spec *m, const char *wl,
			  char *buf, size_t len)
{
	const char *own = "";
	for (unsigned i = 0; i < m->nwparams; i++)
		if (!strcmp(m->wparams[i].workload, wl))
			own = m->wparams[i].params;
	const char *g = m->params ? m->params : "";
	snprintf(buf, len, "%s%s%s", g, own[0] && g[0] ? " " : "", own);
	return buf;
}

const char *matrix_engine_opts(const struct matrix_spec *m, const char *name)
{
	for (unsigned i = 0; i < m->nopts; i++)
		if (!strcmp(m->opts[i].engine, name))
			return m->opts[i].opts;
	return "";
}

/*
 * The first checksum each workload produced in this run: every engine and
 * peer must reproduce it (same image, same parameters).
 */
struct checksum_ref {
	char workload[WORKLOAD_NAME];
	char engine[32];
	uint64_t value;
};

struct checksum_refs {
	struct checksum_ref r[256];
	unsigned n;
};

static void checksum_agree(struct checksum_refs *refs, const char *engine,
			   const char *wl, struct cell_record *r)
{
	if (!r->has_checksum)
		return;
	for (unsigned i = 0; i < refs->n; i++) {
		struct checksum_ref *c = &refs->r[i];
		if (strcmp(c->workload, wl))
			continue;
		if (c->value != r->checksum && r->status == CELL_OK) {
			r->status = CELL_FAILED;
			snprintf(r->cause, sizeof(r->cause),
				 "checksum 0x%016" PRIx64 " differs from %s's "
				 "0x%016" PRIx64 " for the same workload and "
				 "parameters",
				 r->checksum, c->engine, c->value);
		}
		return;
	}
	if (r->status != CELL_OK || refs->n == 256)
		return;
	struct checksum_ref *c = &refs->r[refs->n++];
	str_copy(c->workload, sizeof(c->workload), wl);
	str_copy(c->engine, sizeof(c->engine), engine);
	c->value = r->checksum;
}

static uint64_t seed_of(const char *params)
{
	uint64_t seed = 0; /* the last seed= wins, as in the guest */
	for (const char *p = params; p && (p = strstr(p, "seed=")); p += 5)
		if (p == params || p[-1] == ' ')
			seed = strtoull(p + 5, NULL, 0);
	return seed;
}

/* Why (t) cannot run (w) at all, or NULL. */
static const char *cell_skip_reason(const struct target *t,
				    const struct workload *w, char *buf,
				    size_t len)
{
	if (!t->usable) {
		snprintf(buf, len, "not available here: %s", t->why);
		return buf;
	}
	if (t->kind == TARGET_NATIVE && w->suite[0] && !w->native) {
		snprintf(buf, len,
			 "native runs only the compute kernels; %s is not one",
			 w->name);
		return buf;
	}
	if (t->pvm_host && !strcmp(w->name, "hypercall")) {
		/* The kvm engine refuses this itself (engines/kvm/pvm.c);
		 * QEMU would spin until the time limit. */
		snprintf(buf, len, "unsupported on this backend: VMCALL "
			 "livelocks in PVM's instruction emulator (RIP never "
			 "advances)");
		return buf;
	}
	return NULL;
}

/* One line per finished cell, for logs and terminals alike. */
static void cell_line_print(const struct matrix_spec *m,
			    const struct target *t, const char *wl, int rep,
			    bool warmup, const struct cell_record *r)
{
	if (m->quiet)
		return;
	printf("%-9s %-14s %s%-3d %s", t->name, wl, warmup ? "w" : "r", rep,
	       cell_status_name(r->status));
	if (r->status != CELL_OK) {
		printf(": %s\n", r->cause);
		return;
	}
	for (unsigned i = 0; i < r->nsamples; i++) {
		const struct sample *s = &r->samples[i];
		if (!strcmp(s->name, "cycles_per_op") && s->available) {
			printf("  %s/%s %.1f cycles/op", s->bench, s->metric,
			       s->value);
			break;
		}
	}
	printf("\n");
	fflush(stdout);
}

static int cell_store(const struct matrix_spec *m, const struct target *t,
		      const char *wl, const char *params, int rep, bool warmup,
		      const struct cell_record *r, const char *console,
		      const char *detail,
		      double wall, char *err, size_t errlen)
{
	struct db_cell c = {
		.engine = t->name,
		.technique = t->technique,
		.workload = wl,
		.params = params,
		.engine_opts = matrix_engine_opts(m, t->name),
		.rep = rep,
		.warmup = warmup,
		.console = console,
		.engine_detail = detail,
	};
	int64_t id;
	return db_cell_insert(m->db, m->run_id, &c, r, wall, &id, err, errlen);
}

static int cell_do(const struct matrix_spec *m, const struct target *t,
		   const struct workload *w, int rep, bool warmup,
		   struct matrix_summary *sum, struct progress *p,
		   struct checksum_refs *refs, char *err, size_t errlen)
{
	struct cell_record r;
	char why[TARGET_WHY + 64], params[600];
	matrix_params(m, w->name, params, sizeof(params));
	const char *skip = cell_skip_reason(t, w, why, sizeof(why));
	if (skip) {
		memset(&r, 0, sizeof(r));
		r.status = CELL_SKIPPED;
		r.exit_status = -1;
		r.checksum_ok = -1;
		str_copy(r.cause, sizeof(r.cause), skip);
		sum->skipped++;
		progress_clear(p);
		cell_line_print(m, t, w->name, rep, warmup, &r);
		return cell_store(m, t, w->name, params, rep, warmup, &r, NULL,
				  NULL, 0, err,
				  errlen);
	}
	struct cell_spec cs = {
		.target = t,
		.workload = w->name,
		.params = params,
		.engine_opts = matrix_engine_opts(m, t->name),
		.ram_bytes = m->ram_bytes,
		.time_limit_s = m->time_limit_s,
		.insn_limit = m->insn_limit,
		.cpu = m->cpu,
		.echo = m->echo,
	};
	struct cell_outcome o;
	if (cell_run(&cs, &o, err, errlen))
		return -1;
	if (analyze_cell(&cs, &o, m->host_tsc_khz, seed_of(params),
			 m->golden_dir, &r)) {
		snprintf(err, errlen, "out of memory analysing a cell");
		cell_outcome_free(&o);
		return -1;
	}
	checksum_agree(refs, t->name, w->name, &r);
	if (r.status == CELL_OK)
		sum->ok++;
	else if (r.status == CELL_SKIPPED)
		sum->skipped++;
	else
		sum->failed++;
	progress_clear(p);
	cell_line_print(m, t, w->name, rep, warmup, &r);
	int rc = cell_store(m, t, w->name, params, rep, warmup, &r, o.console,
			    o.describe,
			    o.wall_s, err, errlen);
	cell_record_free(&r);
	cell_outcome_free(&o);
	return rc;
}

int matrix_run(const struct matrix_spec *m, struct matrix_summary *sum,
	       char *err, size_t errlen)
{
	memset(sum, 0, sizeof(*sum));
	struct progress p;
	static struct checksum_refs refs;
	refs.n = 0;
	unsigned per = (unsigned)(m->reps + m->warmup);
	progress_start(&p, m->ntargets * m->workloads->n * per);
	for (unsigned ti = 0; ti < m->ntargets; ti++) {
		const struct target *t = &m->targets[ti];
		for (unsigned wi = 0; wi < m->workloads->n; wi++) {
			const struct workload *w = &m->workloads->w[wi];
			char why[TARGET_WHY + 64];
			if (cell_skip_reason(t, w, why, sizeof(why))) {
				/* One row says why, not one per repetition. */
				if (cell_do(m, t, w, 0, false, sum, &p, &refs, err,
					    errlen))
					return -1;
				sum->cells++;
				p.total -= per - 1;
				progress_step(&p);
				continue;
			}
			for (int k = 0; k < m->warmup + m->reps; k++) {
				bool warm = k < m->warmup;
				int rep = warm ? k + 1 : k - m->warmup + 1;
				progress_show(&p, t->name, w->name, rep,
					      warm ? m->warmup : m->reps, warm);
				if (m->echo)
					progress_clear(&p);
				if (cell_do(m, t, w, rep, warm, sum, &p, &refs, err,
					    errlen))
					return -1;
				sum->cells++;
				progress_step(&p);
			}
		}
	}
	progress_clear(&p);
	return 0;
}
