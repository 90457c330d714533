/*
 * registry.c - the engines vmbench knows, in display order.
 *
 * Each engine adds one line here (its ops struct is defined in its own
 * directory). Keep the table NULL-terminated.
 */
#include "engine.h"

extern const struct engine_ops interp_engine_ops; /* engines/interp/ */
extern const struct engine_ops kvm_engine_ops;	/* engines/kvm/kvm_engine.c */
extern const struct engine_ops bt_engine_ops;	/* engines/bt/bt_engine.c */

const struct engine_ops *const engine_table[] = {
	&interp_engine_ops,
	&bt_engine_ops,
	&kvm_engine_ops,
	NULL,
};
