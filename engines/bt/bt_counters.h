/*
 * bt_counters.h - bt's counters in the shared vocabulary (engine.h,
 * traps.h): trap kinds the vCPU and shadow can attribute, plus bt's own
 * named stats ("bt_translations", "bt_hidden_faults", ...; the list is
 * in bt_counters.c and docs/bt.md).
 */
#ifndef VMB_BT_COUNTERS_H
#define VMB_BT_COUNTERS_H

#include "bt/bt_exec.h"
#include "engine.h"

/*
 * Add (v)'s counters (and its shadow's and cache's) to (out): trap kinds
 * hidden_page_fault, pt_write, code_invalidate, mmio and guest_exception
 * by vector are added to out->traps; the rest become named stats. Trap
 * kinds only the monitor sees (cpuid, msr, pio, ...) are left alone.
 */
void bt_counters_add(const struct bt_vcpu *v, struct engine_counters *out);

#endif /* VMB_BT_COUNTERS_H */
