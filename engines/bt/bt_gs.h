/*
 * bt_gs.h - setting the host GS base, which points translated code at a
 * window (bt_window.h).
 *
 * WRGSBASE is a user-mode instruction only when the kernel has set
 * CR4.FSGSBASE, which Linux (5.9+) advertises as HWCAP2_FSGSBASE in
 * AT_HWCAP2; without it the instruction raises #UD, so the fallback is
 * arch_prctl(ARCH_SET_GS), a system call. x86-64 Linux user space leaves
 * GS unused (TLS is FS), so the engine may own it while it runs; it puts
 * the previous value back when it stops.
 */
#ifndef VMB_BT_GS_H
#define VMB_BT_GS_H

#include <stdbool.h>
#include <stdint.h>

enum bt_gs_method {
	BT_GS_AUTO,		/* WRGSBASE when the kernel allows it */
	BT_GS_WRGSBASE,
	BT_GS_ARCH_PRCTL,
};

/* True when this kernel lets user space execute RD/WRGSBASE. */
bool bt_gs_wrgsbase_available(void);

/*
 * Choose how bt_gs_set() works. BT_GS_WRGSBASE on a host without it
 * returns -1 (nothing changed); others return 0.
 */
int bt_gs_method_set(enum bt_gs_method method);

/* The method in use: BT_GS_WRGSBASE or BT_GS_ARCH_PRCTL (never AUTO). */
enum bt_gs_method bt_gs_method_get(void);

/* "wrgsbase" or "arch_prctl". */
const char *bt_gs_method_name(enum bt_gs_method method);

/* Set / read the GS base of the calling thread. Async-signal-safe. */
void bt_gs_set(uint64_t base);
uint64_t bt_gs_get(void);

#endif /* VMB_BT_GS_H */
