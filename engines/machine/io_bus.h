/*
 * io_bus.h - port-I/O and MMIO dispatch to device models.
 *
 * One handler type serves both buses and every engine: the interpreter and
 * bt call io_bus_access() from their IN/OUT and MMIO paths, the kvm engine
 * from KVM_EXIT_IO / KVM_EXIT_MMIO. A device is therefore written once and
 * behaves the same everywhere.
 *
 * Unassigned accesses follow QEMU's `pc` machine: reads return all-ones,
 * writes are dropped; both are counted in io_bus.unassigned_* so a guest
 * poking at random ports is visible in the results.
 */
#ifndef VMB_IO_BUS_H
#define VMB_IO_BUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct machine;

enum io_space {
	IO_SPACE_PIO,
	IO_SPACE_MMIO,
};

/*
 * A device access. (addr) is the port or guest-physical address, (data)
 * holds (len) bytes (1, 2, 4 or 8) in guest (little-endian) order: the
 * handler fills it on a read and consumes it on a write.
 */
typedef void (*io_handler_fn)(struct machine *m, uint64_t addr, uint8_t *data,
			      uint32_t len, bool is_write, void *opaque);

#define IO_BUS_MAX_RANGES 32

struct io_range {
	enum io_space space;
	uint64_t base, len;
	io_handler_fn fn;
	void *opaque;
	const char *name;	/* device name for messages and `vmbench info` */
};

struct io_bus {
	struct io_range ranges[IO_BUS_MAX_RANGES];
	unsigned nranges;
	uint64_t unassigned_reads, unassigned_writes;
	uint64_t last_unassigned_addr; /* for error messages */
};

/*
 * Register (fn) for [base, base+len) in (space). Ranges may not overlap.
 * Returns 0, or -1 with (err) naming the conflicting device or "bus full".
 */
int io_bus_register(struct io_bus *bus, enum io_space space, uint64_t base,
		    uint64_t len, io_handler_fn fn, void *opaque,
		    const char *name, char *err, size_t errlen);

/* The range covering (addr) in (space), or NULL when unassigned. */
const struct io_range *io_bus_find(const struct io_bus *bus,
				   enum io_space space, uint64_t addr);

/*
 * Perform one access on (m)'s bus. Returns true when a device handled it,
 * false when (addr) is unassigned (a read then returns all-ones in data).
 * An access straddling a range end goes to the range holding (addr).
 */
bool io_bus_access(struct machine *m, enum io_space space, uint64_t addr,
		   uint8_t *data, uint32_t len, bool is_write);

/*
 * Register the standard devices of docs/machine.md on (m): debug console,
 * exit port, ROI marker, null port, null MMIO page. Returns 0 or -1.
 */
int devices_register_standard(struct machine *m, char *err, size_t errlen);

#endif /* VMB_IO_BUS_H */
