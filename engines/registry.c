/* registry.c - every engine, in display order (see engine.h). */
#include "engine.h"
#include "interp/interp.h"

const struct engine_ops *const engine_table[] = {
	&interp_engine_ops,
	NULL,
};
