/*
 * io_bus.c - a flat table of device ranges, searched linearly.
 *
 * The machine has a handful of devices, so a linear scan over at most
 * IO_BUS_MAX_RANGES entries is both the simplest and, at this size, the
 * fastest lookup. Ranges never overlap (checked at registration), so the
 * first match is the only match.
 */
#include "machine/io_bus.h"

#include <stdio.h>
#include <string.h>

#include "machine/machine.h"

static const char *io_space_name(enum io_space space)
{
	return space == IO_SPACE_PIO ? "port" : "MMIO";
}

/* [a, a+alen) and [b, b+blen) intersect; lengths are non-zero. */
static bool ranges_overlap(uint64_t a, uint64_t alen, uint64_t b,
			   uint64_t blen)
{
	return a <= b + (blen - 1) && b <= a + (alen - 1);
}

int io_bus_register(struct io_bus *bus, enum io_space space, uint64_t base,
		    uint64_t len, io_handler_fn fn, void *opaque,
		    const char *name, char *err, size_t errlen)
{
	struct io_range *r;

	if (len == 0 || base + (len - 1) < base || !fn) {
		snprintf(err, errlen,
			 "io bus: device %s: bad %s range base 0x%llx len 0x%llx",
			 name ? name : "?", io_space_name(space),
			 (unsigned long long)base, (unsigned long long)len);
		return -1;
	}
	for (unsigned i = 0; i < bus->nranges; i++) {
		const struct io_range *o = &bus->ranges[i];

		if (o->space == space &&
		    ranges_overlap(base, len, o->base, o->len)) {
			snprintf(err, errlen,
				 "io bus: device %s at %s 0x%llx+0x%llx overlaps "
				 "device %s at 0x%llx+0x%llx",
				 name ? name : "?", io_space_name(space),
				 (unsigned long long)base,
				 (unsigned long long)len, o->name,
				 (unsigned long long)o->base,
				 (unsigned long long)o->len);
			return -1;
		}
	}
	if (bus->nranges == IO_BUS_MAX_RANGES) {
		snprintf(err, errlen, "io bus: bus full (%d ranges), cannot add %s",
			 IO_BUS_MAX_RANGES, name ? name : "?");
		return -1;
	}
	r = &bus->ranges[bus->nranges++];
	r->space = space;
	r->base = base;
	r->len = len;
	r->fn = fn;
	r->opaque = opaque;
	r->name = name ? name : "?";
	return 0;
}

const struct io_range *io_bus_find(const struct io_bus *bus,
				   enum io_space space, uint64_t addr)
{
	for (unsigned i = 0; i < bus->nranges; i++) {
		const struct io_range *r = &bus->ranges[i];

		if (r->space == space && addr - r->base < r->len)
			return r;
	}
	return NULL;
}

bool io_bus_access(struct machine *m, enum io_space space, uint64_t addr,
		   uint8_t *data, uint32_t len, bool is_write)
{
	const struct io_range *r = io_bus_find(&m->bus, space, addr);

	if (r) {
		r->fn(m, addr, data, len, is_write, r->opaque);
		return true;
	}
	m->bus.last_unassigned_addr = addr;
	if (is_write) {
		m->bus.unassigned_writes++;
	} else {
		m->bus.unassigned_reads++;
		memset(data, 0xff, len);
	}
	return false;
}
