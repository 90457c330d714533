/*
 * registry.c - the engines, in display order (engine.h: engine_table).
 */
#include <stddef.h>

#include "engine.h"

extern const struct engine_ops kvm_engine_ops;

const struct engine_ops *const engine_table[] = {
	&kvm_engine_ops,
	NULL,
};
