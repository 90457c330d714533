/*
 * engine.c - the engine-independent half of engine.h: lookup, life cycle
 * around the shared machine, ROI snapshots, named stats, option parsing.
 */
#include "engine.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <x86intrin.h>

#define ROI_INITIAL 16

const struct engine_ops *engine_find(const char *name)
{
	for (unsigned i = 0; name && engine_table[i]; i++)
		if (!strcmp(engine_table[i]->name, name))
			return engine_table[i];
	return NULL;
}

int engine_probe(const struct engine_ops *ops, char *why, size_t whylen)
{
	if (whylen)
		why[0] = '\0';
	if (!ops->probe)
		return 0;
	return ops->probe(why, whylen) ? -1 : 0;
}

/* Room for one more snapshot; e->roi grows by doubling (capacity is the
 * next power of two at or above nroi, never past ENGINE_MAX_ROI). */
static bool roi_reserve(struct engine *e)
{
	unsigned n = e->nroi;
	struct engine_roi_snapshot *r;

	if (n >= ENGINE_MAX_ROI)
		return false;
	if (n && (n < ROI_INITIAL || (n & (n - 1))))
		return true;
	r = realloc(e->roi, sizeof(*r) * (n ? 2 * n : ROI_INITIAL));
	if (!r)
		return false;
	e->roi = r;
	return true;
}

/* The machine's ROI port handler calls this on every marker write. */
static void engine_roi_hook(void *opaque, uint32_t value)
{
	struct engine *e = opaque;

	if (!roi_reserve(e)) {
		e->roi_dropped++;
		return;
	}
	e->roi[e->nroi].value = value;
	engine_counters(e, &e->roi[e->nroi].counters);
	if (e->cfg.roi_observer)
		e->cfg.roi_observer(e->cfg.roi_observer_opaque,
				    &e->roi[e->nroi]);
	e->nroi++;
}

static int config_copy(struct vm_config *dst, const struct vm_config *src)
{
	*dst = *src;
	dst->options = src->options ? strdup(src->options) : NULL;
	dst->machine.kernel_path = src->machine.kernel_path ?
					   strdup(src->machine.kernel_path) :
					   NULL;
	dst->machine.cmdline = src->machine.cmdline ?
				       strdup(src->machine.cmdline) : NULL;
	if ((src->options && !dst->options) ||
	    (src->machine.kernel_path && !dst->machine.kernel_path) ||
	    (src->machine.cmdline && !dst->machine.cmdline))
		return -1;
	return 0;
}

static void config_free(struct vm_config *c)
{
	free((char *)c->options);
	free((char *)c->machine.kernel_path);
	free((char *)c->machine.cmdline);
}

static void engine_free(struct engine *e)
{
	machine_destroy(e->m);
	config_free(&e->cfg);
	free(e->roi);
	free(e);
}

int engine_create(const struct engine_ops *ops, const struct vm_config *cfg,
		  struct engine **out, char *err, size_t errlen)
{
	struct engine *e;

	*out = NULL;
	e = calloc(1, sizeof(*e));
	if (!e || config_copy(&e->cfg, cfg)) {
		snprintf(err, errlen, "engine %s: out of memory", ops->name);
		if (e)
			engine_free(e);
		return -1;
	}
	e->ops = ops;
	if (machine_create(&e->cfg.machine, &e->m, err, errlen))
		goto fail;
	e->m->console.sink = e->cfg.console_sink;
	e->m->console.sink_opaque = e->cfg.console_opaque;
	e->m->roi_hook = engine_roi_hook;
	e->m->roi_opaque = e;
	if (ops->create(e, &e->cfg, err, errlen))
		goto fail;
	*out = e;
	return 0;
fail:
	engine_free(e);
	return -1;
}

int engine_run(struct engine *e, struct run_exit *exit)
{
	int rc;

	memset(exit, 0, sizeof(*exit));
	rc = e->ops->run(e, exit);
	if (rc) {
		exit->reason = RUN_EXIT_INTERNAL_ERROR;
		if (!exit->message[0])
			snprintf(exit->message, sizeof(exit->message),
				 "engine %s: run failed without a message",
				 e->ops->name);
	}
	return rc ? -1 : 0;
}

int engine_snapshot(struct engine *e, void **blob, size_t *len, char *err,
		    size_t errlen)
{
	*blob = NULL;
	*len = 0;
	if (!e->ops->snapshot) {
		snprintf(err, errlen, "engine %s cannot take snapshots",
			 e->ops->name);
		return -1;
	}
	return e->ops->snapshot(e, blob, len, err, errlen) ? -1 : 0;
}

int engine_restore(struct engine *e, const void *blob, size_t len, char *err,
		   size_t errlen)
{
	if (!e->ops->restore) {
		snprintf(err, errlen, "engine %s cannot restore snapshots",
			 e->ops->name);
		return -1;
	}
	return e->ops->restore(e, blob, len, err, errlen) ? -1 : 0;
}

void engine_counters(struct engine *e, struct engine_counters *out)
{
	memset(out, 0, sizeof(*out));
	e->ops->counters(e, out);
	if (!out->tsc)
		out->tsc = __rdtsc();
	engine_stat_add(out, "io_unassigned_reads", e->m->bus.unassigned_reads);
	engine_stat_add(out, "io_unassigned_writes",
			e->m->bus.unassigned_writes);
}

const struct engine_stat *engine_stat_find(const struct engine_counters *c,
					   const char *name)
{
	for (unsigned i = 0; i < c->nstats && i < ENGINE_MAX_STATS; i++)
		if (!strcmp(c->stats[i].name, name))
			return &c->stats[i];
	return NULL;
}

/* The last slot is kept for "stats_dropped" once the table fills up. */
void engine_stat_add(struct engine_counters *c, const char *name,
		     uint64_t value)
{
	struct engine_stat *s;

	if (c->nstats >= ENGINE_MAX_STATS) {
		c->stats[ENGINE_MAX_STATS - 1].value++;
		return;
	}
	s = &c->stats[c->nstats++];
	if (c->nstats == ENGINE_MAX_STATS) {
		snprintf(s->name, sizeof(s->name), "stats_dropped");
		s->value = 1;
		return;
	}
	snprintf(s->name, sizeof(s->name), "%s", name);
	s->value = value;
}

void engine_destroy(struct engine *e)
{
	if (!e)
		return;
	if (e->ops->destroy)
		e->ops->destroy(e);
	engine_free(e);
}

const char *run_exit_reason_name(enum run_exit_reason reason)
{
	static const char *const names[] = {
		[RUN_EXIT_GUEST] = "guest_exit",
		[RUN_EXIT_TRIPLE_FAULT] = "triple_fault",
		[RUN_EXIT_GUEST_FAULT] = "guest_fault",
		[RUN_EXIT_UNSUPPORTED_INSN] = "unsupported_insn",
		[RUN_EXIT_UNSUPPORTED_ON_BACKEND] = "unsupported_on_backend",
		[RUN_EXIT_HALTED] = "halted",
		[RUN_EXIT_INSN_LIMIT] = "insn_limit",
		[RUN_EXIT_TIME_LIMIT] = "time_limit",
		[RUN_EXIT_INTERNAL_ERROR] = "internal_error",
	};

	if ((unsigned)reason < sizeof(names) / sizeof(names[0]) &&
	    names[reason])
		return names[reason];
	return "unknown";
}

int engine_option(const char *opts, const char *key, char *val, size_t vallen)
{
	size_t klen = strlen(key);
	const char *p = opts;

	while (p && *p) {
		const char *end = strchr(p, ',');
		size_t len = end ? (size_t)(end - p) : strlen(p);

		if (len >= klen && !strncmp(p, key, klen) &&
		    (len == klen || p[klen] == '=')) {
			const char *v = len == klen ? p + len : p + klen + 1;
			size_t vlen = (size_t)(p + len - v);

			if (vlen >= vallen)
				return -1;
			memcpy(val, v, vlen);
			val[vlen] = '\0';
			return 1;
		}
		p = end ? end + 1 : NULL;
	}
	return 0;
}
