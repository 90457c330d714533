/*
 * bt_counters.c - bt counters -> engine counters (bt_counters.h).
 */
#include "bt/bt_counters.h"

#include <stdio.h>
#include <string.h>

#include "bt/bt_ctx.h"
#include "bt/bt_fast.h"

void bt_counters_add(const struct bt_vcpu *v, struct engine_counters *out)
{
	const struct bt_exec_counters *c = &v->cnt;
	const struct bt_shadow_counters *s = &v->sh->cnt;
	const struct bt_cache_stats *k = &v->cache.st;
	struct trap_counters *t = &out->traps;
	uint64_t loop_fails;
	memcpy(&loop_fails, v->cache.data + BT_CACHE_LOOP_FAILS, 8);
	const struct {
		const char *name;
		uint64_t value;
	} stats[] = {
		{ "bt_translations", c->translations },
		{ "bt_code_cache_bytes", v->cache.code_used },
		{ "bt_code_cache_flushes", k->flushes },
		{ "bt_blocks_invalidated", c->blocks_invalidated },
		{ "bt_blocks_run", c->blocks_run },
		{ "bt_chained", c->chained },
		{ "bt_chained_cross_page", c->chained_cross },
		{ "bt_unchained", c->unchained },
		{ "bt_branch_exits", c->branch_exits },
		{ "bt_indirect_lookup_hits", bt_ibl_hits },
		{ "bt_indirect_lookup_misses", c->ibl_misses },
		{ "bt_monitor_exits", c->monitor_exits },
		{ "bt_hidden_faults", s->hidden_faults },
		{ "bt_hidden_dirty_faults", s->hidden_dirty },
		{ "bt_fault_around_pages", s->around_pages },
		{ "bt_prefetched_pages", s->prefetches },
		{ "bt_guest_pf_reflected", s->reflected_pf },
		{ "bt_pt_write_traps", s->pt_writes },
		{ "bt_pt_entries_changed", s->pt_entries },
		{ "bt_pt_entries_restricted", s->pt_restricts },
		{ "bt_pt_tables_untraced_flood", s->pt_floods },
		{ "bt_pt_drops_deferred", s->pt_deferred },
		{ "bt_pt_drop_alls", s->pt_drop_alls },
		{ "bt_pt_flood_fills", s->pt_flood_fills },
		{ "bt_pt_prefetched_pages", s->pt_prefetches },
		{ "bt_pt_pages_traced", s->pt_protects },
		{ "bt_shadow_invalidations", s->invalidations },
		{ "bt_shadow_cr3_flushes", s->cr3_flushes },
		{ "bt_shadow_capacity_flushes", s->capacity_flushes },
		{ "bt_address_space_switches", s->as_switches },
		{ "bt_address_spaces_recycled", s->as_recycled },
		{ "bt_code_pages_protected", s->code_protects },
		{ "bt_code_writes", c->code_writes },
		{ "bt_single_steps", c->steps },
		{ "bt_kicks", c->kicks },
		{ "bt_loops_hoisted", k->loops_hoisted },
		{ "bt_loop_checks_hoisted", k->loop_checks_hoisted },
		{ "bt_loop_checks_failed", loop_fails },
		{ "bt_checks_elided_near", k->checks_elided },
		{ "bt_mmio_signals", c->mmio_stops },
		{ "bt_mmio_insns_recorded", v->mmio.adds },
		{ "bt_mmio_set_clears", v->mmio.clears },
	};

	t->count[TRAP_HIDDEN_PAGE_FAULT] += s->hidden_faults;
	t->count[TRAP_PT_WRITE] += s->pt_writes;
	t->count[TRAP_CODE_INVALIDATE] += c->code_writes;
	t->count[TRAP_MMIO] += c->mmio_stops;
	for (unsigned vec = 0; vec < 32; vec++) {
		t->count[TRAP_GUEST_EXCEPTION] += c->exceptions[vec];
		if (vec < TRAP_VECTORS)
			t->exception_by_vector[vec] += c->exceptions[vec];
	}
	for (size_t i = 0; i < sizeof(stats) / sizeof(stats[0]); i++)
		engine_stat_add(out, stats[i].name, stats[i].value);
	for (unsigned k = BT_FAST_NONE + 1; k < BT_FAST_NR; k++) {
		char name[ENGINE_STAT_NAME_MAX];

		snprintf(name, sizeof(name), "bt_fast_%s",
			 bt_fast_kind_names[k]);
		engine_stat_add(out, name, c->fast[k]);
	}
}
