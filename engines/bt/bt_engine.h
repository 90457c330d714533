/*
 * bt_engine.h - the `bt` engine: binary translation with shadow paging.
 *
 * Guest code runs translated (bt_exec.h) over host windows whose page
 * tables are the shadows (bt_shadow.h); whatever translated code leaves
 * to the monitor -- privileged and sensitive instructions, string
 * instructions, MMIO, exception and interrupt delivery -- runs in the
 * interpreter used as a monitor (interp/interp_monitor.h). Options:
 * "shadow=vtlb|trace" (default vtlb), "layout=check|trust" (default
 * check: an access outside the window layout goes to the monitor; trust:
 * the guest is trusted to keep the layout, addresses outside it alias).
 * docs/bt.md describes it.
 */
#ifndef VMB_BT_ENGINE_H
#define VMB_BT_ENGINE_H

#include "engine.h"

extern const struct engine_ops bt_engine_ops;

#endif /* VMB_BT_ENGINE_H */
