/*
 * bt_fault.h - the SIGSEGV handler that turns host faults in windows into
 * shadow fills or guest exceptions.
 *
 * Translated code touches guest memory only through windows (bt_window.h).
 * When such an access hits a page that is not mapped (or mapped read-only),
 * the host raises SIGSEGV; the handler runs on its own alternate signal
 * stack, finds the window holding the faulting address and calls that
 * window's callback with the window offset and the hardware error code.
 * The callback either fills the shadow mapping and lets the instruction
 * run again (RESUME), or rewrites the interrupted context itself, e.g. to
 * leave translated code and deliver a guest #PF (REDIRECTED).
 *
 * SIGFPE (a guest divide error in translated code) and SIGILL (an
 * instruction the host CPU refuses) never belong to a window. A fault
 * outside every window goes to the escape hook when one is set
 * (the engine uses it while guest code runs: a fault in the code cache that
 * no window explains ends the run with an internal error); otherwise, and
 * when a callback gives up, the handler passes the signal on to whoever
 * had SIGSEGV before (ASan, the default action), so a host bug is still a
 * crash with its usual report, never a silent resume.
 *
 * Install/uninstall and window add/remove must not race with guest code;
 * the handler itself only reads the registry.
 */
#ifndef VMB_BT_FAULT_H
#define VMB_BT_FAULT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <ucontext.h>

#include "bt/bt_window.h"

/* Hardware page-fault error code bits (as in the host's sigcontext.err). */
#define BT_FAULT_ERR_P 0x01	/* protection violation (page was present) */
#define BT_FAULT_ERR_W 0x02	/* write access */
#define BT_FAULT_ERR_I 0x10	/* instruction fetch */

struct bt_fault {
	uintptr_t addr;		/* host faulting address (si_addr) */
	struct bt_window *w;	/* NULL outside every window */
	uint64_t off;		/* window offset (>= 4 GiB in the upper guard) */
	bool in_guard;
	bool write, fetch, present; /* decoded from the error code */
	int signo;		/* SIGSEGV, SIGBUS, SIGFPE or SIGILL */
	ucontext_t *uc;		/* interrupted context: may be rewritten */
};

enum bt_fault_action {
	BT_FAULT_RESUME,	/* fixed: run the faulting instruction again */
	BT_FAULT_REDIRECTED,	/* callback rewrote (uc): continue there */
	BT_FAULT_UNHANDLED,	/* not ours / cannot fix: pass the signal on */
};

typedef enum bt_fault_action (*bt_fault_fn)(void *opaque, struct bt_fault *f);

/*
 * Install the SIGSEGV/SIGBUS/SIGFPE/SIGILL handler and an alternate signal
 * stack for the calling thread. Every other signal handler already
 * installed gets SA_ONSTACK (the host RSP holds the guest's RSP while
 * guest code runs, so a frame on the normal stack would land wherever the
 * guest points it); handlers installed later must use SA_ONSTACK. Nested
 * calls are counted. Returns 0, or -1 with (err).
 */
int bt_fault_install(char *err, size_t errlen);

/* Undo one bt_fault_install(); the last one restores the previous
 * handlers and signal stack. */
void bt_fault_uninstall(void);

/*
 * Route faults in (w) (its window and guards) to (fn)(opaque, ...).
 * Returns 0, or -1 when the registry (32 windows) is full.
 */
int bt_fault_window_add(struct bt_window *w, bt_fault_fn fn, void *opaque);

/* Stop routing faults in (w). */
void bt_fault_window_remove(struct bt_window *w);

/* Hook for faults outside every window (NULL to clear). */
void bt_fault_escape_set(bt_fault_fn fn, void *opaque);

/* A plain store decoded from the faulting host instruction. */
struct bt_fault_store {
	uint32_t off;		/* window offset written (%gs-relative) */
	unsigned size;		/* 1, 2, 4 or 8 bytes */
	uint64_t value;		/* the bytes written (low (size) bytes) */
	unsigned len;		/* host instruction length */
};

/*
 * Decode the host instruction at (f)'s interrupted RIP: when it is a
 * plain MOV of a register or an immediate to a %gs-relative memory
 * operand with a 32-bit address (as translated code writes guest memory),
 * fill (out) and return true, so the caller may carry the store out
 * itself and skip it (RIP += out->len; MOV leaves the flags alone).
 * Anything else (RMW, string, locked, vector stores...) returns false.
 * Async-signal-safe.
 */
bool bt_fault_store_decode(const struct bt_fault *f,
			   struct bt_fault_store *out);

/* Faults seen by the handler, by outcome (for counters and tests). */
struct bt_fault_stats {
	uint64_t resumed, redirected, passed_on;
};
void bt_fault_stats_get(struct bt_fault_stats *out);

#endif /* VMB_BT_FAULT_H */
