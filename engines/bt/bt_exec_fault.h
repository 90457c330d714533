/*
 * bt_exec_fault.h - the fault side of bt_exec (internal to engines/bt).
 *
 * The callbacks bt_exec registers with bt_fault: a fault in a window goes
 * to the shadow and, unless it was a hidden fault, stops translated code
 * at the faulting guest instruction with its exact state; a fault outside
 * the windows (SIGFPE -> #DE, SIGILL -> #UD, the kick page -> a stop at
 * the block boundary, anything else in translated code -> internal error)
 * does the same through the escape hook. The stop is left in
 * v->fault_stop and ctx.exit_rec = &v->fault_rec.
 */
#ifndef VMB_BT_EXEC_FAULT_H
#define VMB_BT_EXEC_FAULT_H

#include "bt/bt_exec.h"
#include "bt/bt_fault.h"

/* The vCPU whose guest code is running (NULL in between). */
extern struct bt_vcpu *bt_exec_running;

/* Window callback; (opaque) is the vCPU. */
enum bt_fault_action bt_exec_window_fault(void *opaque, struct bt_fault *f);

/* Escape hook; uses bt_exec_running. */
enum bt_fault_action bt_exec_escape_fault(void *opaque, struct bt_fault *f);

/* Fill (s) as a guest exception stop. */
void bt_stop_exception(struct bt_stop *s, uint8_t vector, bool has_error,
		       uint32_t error, uint64_t cr2);

#endif /* VMB_BT_EXEC_FAULT_H */
