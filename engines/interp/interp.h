/*
 * interp.h - the `interp` engine: a pure interpreter of x86-64.
 *
 * Every guest instruction is decoded (Zydis, cached per guest-physical
 * address) and executed by a C handler; guest memory is reached through a
 * software TLB over the shared page walker. docs/interp.md describes the
 * design, the counters and the options.
 */
#ifndef VMB_INTERP_H
#define VMB_INTERP_H

#include "engine.h"

extern const struct engine_ops interp_engine_ops;

#endif /* VMB_INTERP_H */
