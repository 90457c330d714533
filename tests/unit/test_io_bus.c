/* Unit tests for engines/machine/io_bus.c: dispatch, overlaps, holes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "machine/machine.h"

struct probe {
	unsigned calls;
	uint64_t addr;
	uint32_t len;
	bool is_write;
	uint8_t last[8];
};

static void probe_io(struct machine *m, uint64_t addr, uint8_t *data,
		     uint32_t len, bool is_write, void *opaque)
{
	struct probe *p = opaque;

	(void)m;
	p->calls++;
	p->addr = addr;
	p->len = len;
	p->is_write = is_write;
	if (is_write)
		memcpy(p->last, data, len);
	else
		for (uint32_t i = 0; i < len; i++)
			data[i] = (uint8_t)(0x10 + i);
}

static int machine_setup(void **state)
{
	*state = calloc(1, sizeof(struct machine));
	return *state ? 0 : -1;
}

static int machine_teardown(void **state)
{
	free(*state);
	return 0;
}

static void access_registeredPort_callsHandlerWithAbsoluteAddr(void **state)
{
	struct machine *m = *state;
	struct probe p = { 0 };
	uint8_t d[4] = { 1, 2, 3, 4 };
	char err[256];

	assert_int_equal(io_bus_register(&m->bus, IO_SPACE_PIO, 0x100, 8,
					 probe_io, &p, "probe", err,
					 sizeof(err)), 0);
	assert_true(io_bus_access(m, IO_SPACE_PIO, 0x104, d, 4, true));
	assert_int_equal(p.calls, 1);
	assert_int_equal(p.addr, 0x104);
	assert_int_equal(p.len, 4);
	assert_true(p.is_write);
	assert_memory_equal(p.last, d, 4);
	assert_true(io_bus_access(m, IO_SPACE_PIO, 0x107, d, 2, false));
	assert_int_equal(d[0], 0x10);
	assert_int_equal(d[1], 0x11);
	assert_int_equal(m->bus.unassigned_reads + m->bus.unassigned_writes, 0);
}

static void access_spaces_areSeparate(void **state)
{
	struct machine *m = *state;
	struct probe pio = { 0 }, mmio = { 0 };
	uint8_t d[8] = { 0 };
	char err[256];

	assert_int_equal(io_bus_register(&m->bus, IO_SPACE_PIO, 0x1000, 0x10,
					 probe_io, &pio, "pio", err,
					 sizeof(err)), 0);
	assert_int_equal(io_bus_register(&m->bus, IO_SPACE_MMIO, 0x1000, 0x10,
					 probe_io, &mmio, "mmio", err,
					 sizeof(err)), 0);
	assert_true(io_bus_access(m, IO_SPACE_MMIO, 0x1008, d, 8, true));
	assert_int_equal(mmio.calls, 1);
	assert_int_equal(pio.calls, 0);
	assert_string_equal(io_bus_find(&m->bus, IO_SPACE_PIO, 0x100f)->name,
			    "pio");
	assert_null(io_bus_find(&m->bus, IO_SPACE_PIO, 0x1010));
	assert_null(io_bus_find(&m->bus, IO_SPACE_PIO, 0xfff));
}

static void access_unassigned_readsOnesWritesDroppedCounted(void **state)
{
	struct machine *m = *state;
	uint8_t d[4] = { 0 };
	uint8_t w[2] = { 5, 6 };

	assert_false(io_bus_access(m, IO_SPACE_PIO, 0x3f8, d, 4, false));
	assert_memory_equal(d, "\xff\xff\xff\xff", 4);
	assert_int_equal(m->bus.unassigned_reads, 1);
	assert_int_equal(m->bus.last_unassigned_addr, 0x3f8);
	assert_false(io_bus_access(m, IO_SPACE_MMIO, 0xfee00000, w, 2, true));
	assert_int_equal(m->bus.unassigned_writes, 1);
	assert_int_equal(m->bus.last_unassigned_addr, 0xfee00000);
	assert_int_equal(w[0], 5); /* a write's data is left alone */
}

static void register_overlap_namesBothDevices(void **state)
{
	struct machine *m = *state;
	struct probe p = { 0 };
	char err[256] = "";

	assert_int_equal(io_bus_register(&m->bus, IO_SPACE_PIO, 0x10, 4,
					 probe_io, &p, "first", err,
					 sizeof(err)), 0);
	/* tail overlap, head overlap, containment, exact */
	const uint64_t bases[] = { 0xe, 0x13, 0x11, 0x10, 0x0 };
	const uint64_t lens[] = { 3, 1, 1, 4, 0x100 };

	for (unsigned i = 0; i < 5; i++) {
		err[0] = 0;
		assert_int_equal(io_bus_register(&m->bus, IO_SPACE_PIO,
						 bases[i], lens[i], probe_io,
						 &p, "second", err,
						 sizeof(err)), -1);
		assert_non_null(strstr(err, "first"));
		assert_non_null(strstr(err, "second"));
	}
	/* adjacent ranges are fine */
	assert_int_equal(io_bus_register(&m->bus, IO_SPACE_PIO, 0x14, 1,
					 probe_io, &p, "adj", err,
					 sizeof(err)), 0);
	assert_int_equal(io_bus_register(&m->bus, IO_SPACE_PIO, 0xf, 1,
					 probe_io, &p, "adj2", err,
					 sizeof(err)), 0);
	assert_int_equal(m->bus.nranges, 3);
}

static void register_badRangeAndFull_fail(void **state)
{
	struct machine *m = *state;
	struct probe p = { 0 };
	char err[256] = "";

	assert_int_equal(io_bus_register(&m->bus, IO_SPACE_MMIO, 0x1000, 0,
					 probe_io, &p, "zero", err,
					 sizeof(err)), -1);
	assert_int_equal(io_bus_register(&m->bus, IO_SPACE_MMIO,
					 UINT64_MAX - 2, 8, probe_io, &p,
					 "wrap", err, sizeof(err)), -1);
	assert_int_equal(io_bus_register(&m->bus, IO_SPACE_MMIO,
					 UINT64_MAX - 7, 8, probe_io, &p,
					 "top", err, sizeof(err)), 0);
	for (unsigned i = 1; i < IO_BUS_MAX_RANGES; i++)
		assert_int_equal(io_bus_register(&m->bus, IO_SPACE_PIO, i * 2,
						 1, probe_io, &p, "dev", err,
						 sizeof(err)), 0);
	assert_int_equal(io_bus_register(&m->bus, IO_SPACE_PIO, 0x1000, 1,
					 probe_io, &p, "extra", err,
					 sizeof(err)), -1);
	assert_non_null(strstr(err, "full"));
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, machine_setup, machine_teardown)
	const struct CMUnitTest tests[] = {
		T(access_registeredPort_callsHandlerWithAbsoluteAddr),
		T(access_spaces_areSeparate),
		T(access_unassigned_readsOnesWritesDroppedCounted),
		T(register_overlap_namesBothDevices),
		T(register_badRangeAndFull_fail),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
