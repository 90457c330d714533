/*
 * bt_mmio.h - the guest instructions known to touch MMIO.
 *
 * An access to a device page from translated code is a host SIGSEGV in
 * the window (BT_STOP_MMIO), several microseconds each. The first one
 * records the instruction here, keyed by the guest-physical address of
 * its first byte and the CPL its block was translated for (blocks are
 * keyed the same way); the dispatcher drops the blocks of that page, and
 * the translator then emits a recorded instruction as a monitor exit
 * (cause BT_MON_MMIO) instead of its native copy, so later executions
 * reach the monitor through an ordinary exit record, without a signal.
 *
 * A recorded instruction always runs in the monitor, whatever it
 * touches: one whose pointer later names RAM is still exact, only
 * slower. Entries are hints, never needed for correctness: the set is
 * bounded (full: emptied, and instructions fault their way back in),
 * emptied with the code cache, and loses a page's entries when that
 * code page is written (self-modifying code), so a replaced instruction
 * does not keep a stale exit.
 */
#ifndef VMB_BT_MMIO_H
#define VMB_BT_MMIO_H

#include <stdbool.h>
#include <stdint.h>

#define BT_MMIO_SLOTS 256	/* open addressing, at most half used */
#define BT_MMIO_MAX (BT_MMIO_SLOTS / 2)

struct bt_mmio_set {
	uint64_t key[BT_MMIO_SLOTS];	/* gpa << 2 | cpl, 0 = empty */
	uint32_t n;
	uint64_t adds, clears;		/* entries made, sets emptied */
};

/* Empty (s) (also its initial state: a zeroed set is empty). */
void bt_mmio_clear(struct bt_mmio_set *s);

/* Record the instruction at code (gpa) for blocks of (cpl); a full set is
 * emptied first. */
void bt_mmio_add(struct bt_mmio_set *s, uint64_t gpa, unsigned cpl);

/* Is the instruction at code (gpa) for (cpl) recorded? (s) may be NULL
 * (nothing is). */
bool bt_mmio_has(const struct bt_mmio_set *s, uint64_t gpa, unsigned cpl);

/* Forget the entries whose gpa is on the 4 KiB page of (gpa). */
void bt_mmio_page_drop(struct bt_mmio_set *s, uint64_t gpa);

#endif /* VMB_BT_MMIO_H */
