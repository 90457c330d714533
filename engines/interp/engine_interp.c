/* engine_interp.c - struct engine_ops for the interpreter. */
#include "interp/interp.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <x86intrin.h>

#include "interp/cpu.h"
#include "interp/exec.h"
#include "interp/flags.h"
#include "machine/snapshot.h"

static int interp_probe(char *why, size_t whylen)
{
	(void)why;
	(void)whylen;
	return 0;	/* pure software: runs on any x86-64 host */
}

static void interp_counters(struct engine *e, struct engine_counters *out)
{
	struct cpu *c = e->priv;

	memset(out, 0, sizeof(*out));
	out->traps = c->traps;
	out->instructions = c->icount;
	out->instructions_valid = true;
	out->tsc = __rdtsc();
	engine_stat_add(out, "tlb_hit", c->st.tlb_hit);
	engine_stat_add(out, "tlb_miss", c->st.tlb_miss);
	engine_stat_add(out, "walk_refs", c->st.walk_refs);
	engine_stat_add(out, "blocks_decoded", c->st.blocks_decoded);
	engine_stat_add(out, "insns_decoded", c->st.insns_decoded);
	engine_stat_add(out, "icache_flushes", c->st.icache_flushes);
	engine_stat_add(out, "timer_fires", c->apic.timer_fires);
}

static void interp_destroy(struct engine *e)
{
	struct cpu *c = e->priv;

	if (!c)
		return;
	icache_free(&c->ic);
	free(c);
	e->priv = NULL;
}

static int interp_create(struct engine *e, const struct vm_config *cfg,
			 char *err, size_t errlen)
{
	struct cpu *c = calloc(1, sizeof(*c));

	(void)cfg;
	if (!c || icache_init(&c->ic, e->m->mem.size)) {
		free(c);
		snprintf(err, errlen, "interp: out of memory for the vCPU and "
			 "its decoded-instruction cache");
		return -1;
	}
	c->m = e->m;
	c->e = e;
	x2apic_init(&c->apic, e->m->tsc_khz);
	cpu_features_load(c);
	exec_reset(c, &e->m->boot_state);
	e->priv = c;	/* ROI snapshots: engine.c's hook calls our counters */
	return 0;
}

static int interp_run(struct engine *e, struct run_exit *x)
{
	struct cpu *c = e->priv;
	uint64_t deadline = 0;

	memset(x, 0, sizeof(*x));
	if (e->cfg.time_limit_s > 0)
		deadline = __rdtsc() + (uint64_t)(e->cfg.time_limit_s *
						  (double)e->m->tsc_khz * 1e3);
	return exec_run(c, x, e->cfg.insn_limit, deadline);
}

/* The state at the instruction being executed (RIP not yet advanced past
 * it during a device callback): engine_ops.state_get. Materialising the
 * lazy flags changes nothing the guest can see. */
static int interp_state_get(struct engine *e, struct x86_state *out)
{
	struct cpu *c = e->priv;

	flags_get(c);
	*out = c->s;
	return 0;
}

/* engine_ops.snapshot: between runs, so no exception is pending and the
 * lazy flags are all there is to materialise. */
static int interp_snapshot(struct engine *e, void **blob, size_t *len,
			   char *err, size_t errlen)
{
	struct cpu *c = e->priv;
	struct snapshot_cpu sc = { .apic = c->apic, .halted = c->halted,
				   .sti_shadow = c->sti_shadow };

	flags_get(c);
	sc.s = c->s;
	return snapshot_save(e->m, &sc, __rdtsc(), blob, len, err, errlen);
}

/* engine_ops.restore: RAM from the blob, then the vCPU (exec_restore). */
static int interp_restore(struct engine *e, const void *blob, size_t len,
			  char *err, size_t errlen)
{
	struct cpu *c = e->priv;
	struct snapshot_cpu sc;

	if (snapshot_load(e->m, blob, len, __rdtsc(), &sc, err, errlen))
		return -1;
	exec_restore(c, &sc);
	return 0;
}

static void interp_describe(struct engine *e, char *buf, size_t buflen)
{
	(void)e;
	snprintf(buf, buflen, "Zydis-decoded blocks, software TLB %u sets x "
		 "%u ways x {read,write,fetch} x {kernel,user}", TLB_ENTRIES,
		 TLB_WAYS);
}

const struct engine_ops interp_engine_ops = {
	.name = "interp",
	.technique = "interpreter: decode and execute every guest instruction",
	.probe = interp_probe,
	.create = interp_create,
	.run = interp_run,
	.counters = interp_counters,
	.describe = interp_describe,
	.destroy = interp_destroy,
	.state_get = interp_state_get,
	.snapshot = interp_snapshot,
	.restore = interp_restore,
};
