/* Unit tests for engines/machine/devices.c and the console capture. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "machine/machine.h"
#include "vmb_abi.h"

static int machine_setup(void **state)
{
	struct machine *m = calloc(1, sizeof(*m));
	char err[256];

	if (!m || devices_register_standard(m, err, sizeof(err)))
		return -1;
	*state = m;
	return 0;
}

static int machine_teardown(void **state)
{
	struct machine *m = *state;

	free(m->console.buf);
	free(m);
	return 0;
}

static void out8(struct machine *m, uint16_t port, uint8_t v)
{
	assert_true(io_bus_access(m, IO_SPACE_PIO, port, &v, 1, true));
}

static void out32(struct machine *m, uint16_t port, uint32_t v)
{
	uint8_t d[4] = { (uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16),
			 (uint8_t)(v >> 24) };

	assert_true(io_bus_access(m, IO_SPACE_PIO, port, d, 4, true));
}

struct sink_log {
	char buf[64];
	size_t len;
	unsigned calls;
};

static void sink(void *opaque, const char *buf, size_t len)
{
	struct sink_log *s = opaque;

	if (s->len + len < sizeof(s->buf))
		memcpy(s->buf + s->len, buf, len), s->len += len;
	s->calls++;
}

static void console_byteWrites_capturedAndStreamed(void **state)
{
	struct machine *m = *state;
	struct sink_log log = { 0 };
	const char *msg = "@vmb {}\n";

	m->console.sink = sink;
	m->console.sink_opaque = &log;
	for (const char *p = msg; *p; p++)
		out8(m, VMB_PORT_CONSOLE, (uint8_t)*p);
	assert_int_equal(m->console.len, strlen(msg));
	assert_string_equal(m->console.buf, msg);
	assert_string_equal(log.buf, msg);
	assert_int_equal(log.calls, strlen(msg));
	/* a wider write prints its low byte, as QEMU's debugcon does */
	out32(m, VMB_PORT_CONSOLE, 0x41424344);
	assert_int_equal(m->console.buf[m->console.len - 1], 'D');
}

static void console_read_returnsE9(void **state)
{
	struct machine *m = *state;
	uint8_t v = 0;

	assert_true(io_bus_access(m, IO_SPACE_PIO, VMB_PORT_CONSOLE, &v, 1,
				  false));
	assert_int_equal(v, 0xe9);
}

static void console_pastCap_dropsAndCounts(void **state)
{
	struct machine *m = *state;
	static char chunk[1 << 16];
	size_t total = 0;

	memset(chunk, 'x', sizeof(chunk));
	while (total < MACHINE_CONSOLE_MAX + 100) {
		machine_console_write(m, chunk, 1000);
		total += 1000;
	}
	assert_int_equal(m->console.len, MACHINE_CONSOLE_MAX);
	assert_int_equal(m->console.dropped, total - MACHINE_CONSOLE_MAX);
	assert_int_equal(m->console.buf[m->console.len], '\0');
}

static void exit_write32_requestsExitWithStatus(void **state)
{
	struct machine *m = *state;

	assert_false(m->exit_requested);
	out32(m, VMB_PORT_EXIT, VMB_EXIT_EXCEPTION + 14);
	assert_true(m->exit_requested);
	assert_int_equal(m->exit_status, 0x4e);
}

struct roi_log {
	uint32_t values[4];
	unsigned n;
};

static void roi_hook(void *opaque, uint32_t value)
{
	struct roi_log *l = opaque;

	if (l->n < 4)
		l->values[l->n++] = value;
}

static void roi_write_callsHookInOrder(void **state)
{
	struct machine *m = *state;
	struct roi_log log = { 0 };

	out32(m, VMB_PORT_ROI, VMB_ROI_VALUE(1, VMB_ROI_BEGIN)); /* no hook */
	m->roi_hook = roi_hook;
	m->roi_opaque = &log;
	out32(m, VMB_PORT_ROI, VMB_ROI_VALUE(7, VMB_ROI_BEGIN));
	out32(m, VMB_PORT_ROI, VMB_ROI_VALUE(7, VMB_ROI_END));
	assert_int_equal(log.n, 2);
	assert_int_equal(VMB_ROI_ID(log.values[0]), 7);
	assert_int_equal(VMB_ROI_EVENT(log.values[0]), VMB_ROI_BEGIN);
	assert_int_equal(VMB_ROI_EVENT(log.values[1]), VMB_ROI_END);
}

static void null_portAndPage_handledNoEffect(void **state)
{
	struct machine *m = *state;
	uint8_t d[8] = { 0 };

	assert_true(io_bus_access(m, IO_SPACE_PIO, VMB_PORT_NULL, d, 4, false));
	assert_memory_equal(d, "\xff\xff\xff\xff", 4);
	out32(m, VMB_PORT_NULL, 123);
	memset(d, 0, sizeof(d));
	assert_true(io_bus_access(m, IO_SPACE_MMIO,
				  VMB_MMIO_NULL_BASE + 0xff8, d, 8, false));
	assert_memory_equal(d, "\xff\xff\xff\xff\xff\xff\xff\xff", 8);
	assert_true(io_bus_access(m, IO_SPACE_MMIO, VMB_MMIO_NULL_BASE, d, 8,
				  true));
	assert_false(io_bus_access(m, IO_SPACE_MMIO,
				   VMB_MMIO_NULL_BASE + VMB_MMIO_NULL_SIZE, d,
				   4, false));
	assert_int_equal(m->bus.unassigned_reads, 1);
	assert_int_equal(m->bus.unassigned_writes, 0);
	assert_false(m->exit_requested);
	assert_int_equal(m->console.len, 0);
}

static void standard_registeredTwice_fails(void **state)
{
	struct machine *m = *state;
	char err[256] = "";

	assert_int_equal(devices_register_standard(m, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "overlaps"));
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, machine_setup, machine_teardown)
	const struct CMUnitTest tests[] = {
		T(console_byteWrites_capturedAndStreamed),
		T(console_read_returnsE9),
		T(console_pastCap_dropsAndCounts),
		T(exit_write32_requestsExitWithStatus),
		T(roi_write_callsHookInOrder),
		T(null_portAndPage_handledNoEffect),
		T(standard_registeredTwice_fails),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
