/*
 * devices.c - the standard devices of the vmbench machine (docs/machine.md).
 *
 * Each device follows what QEMU's `pc` machine does at the same address, so
 * one guest image behaves alike on every engine and on QEMU: the console
 * is QEMU's -debugcon (reads return 0xE9), the exit port is
 * isa-debug-exit, and the ROI, null port and null MMIO page are holes on
 * QEMU (reads all-ones, writes dropped), which is what they do here apart
 * from the ROI marker's side effect.
 */
#include <string.h>

#include "machine/io_bus.h"
#include "machine/machine.h"
#include "vmb_abi.h"

/* The access value, zero-extended, from (len) little-endian bytes. */
static uint64_t io_value(const uint8_t *data, uint32_t len)
{
	uint64_t v = 0;

	for (uint32_t i = 0; i < len && i < 8; i++)
		v |= (uint64_t)data[i] << (8 * i);
	return v;
}

/* Writes of any width print their low byte, as QEMU's debugcon does. */
static void console_io(struct machine *m, uint64_t addr, uint8_t *data,
		       uint32_t len, bool is_write, void *opaque)
{
	(void)addr;
	(void)opaque;
	if (is_write) {
		machine_console_write(m, (const char *)data, 1);
		return;
	}
	memset(data, 0, len);
	data[0] = VMB_PORT_CONSOLE;
}

/* Any write ends the run; the status is the value written. */
static void exit_io(struct machine *m, uint64_t addr, uint8_t *data,
		    uint32_t len, bool is_write, void *opaque)
{
	(void)addr;
	(void)opaque;
	if (is_write) {
		m->exit_requested = true;
		m->exit_status = (uint32_t)io_value(data, len);
	} else {
		memset(data, 0, len);
	}
}

static void roi_io(struct machine *m, uint64_t addr, uint8_t *data,
		   uint32_t len, bool is_write, void *opaque)
{
	(void)addr;
	(void)opaque;
	if (!is_write)
		memset(data, 0xff, len);
	else if (m->roi_hook)
		m->roi_hook(m->roi_opaque, (uint32_t)io_value(data, len));
}

/* Null port and null MMIO page: exist only to cost an exit. */
static void null_io(struct machine *m, uint64_t addr, uint8_t *data,
		    uint32_t len, bool is_write, void *opaque)
{
	(void)m;
	(void)addr;
	(void)opaque;
	if (!is_write)
		memset(data, 0xff, len);
}

int devices_register_standard(struct machine *m, char *err, size_t errlen)
{
	struct io_bus *b = &m->bus;

	if (io_bus_register(b, IO_SPACE_PIO, VMB_PORT_CONSOLE, 1, console_io,
			    NULL, "debug-console", err, errlen) ||
	    io_bus_register(b, IO_SPACE_PIO, VMB_PORT_EXIT, 4, exit_io, NULL,
			    "exit", err, errlen) ||
	    io_bus_register(b, IO_SPACE_PIO, VMB_PORT_ROI, 4, roi_io, NULL,
			    "roi-marker", err, errlen) ||
	    io_bus_register(b, IO_SPACE_PIO, VMB_PORT_NULL, 4, null_io, NULL,
			    "null-port", err, errlen) ||
	    io_bus_register(b, IO_SPACE_MMIO, VMB_MMIO_NULL_BASE,
			    VMB_MMIO_NULL_SIZE, null_io, NULL, "null-mmio", err,
			    errlen))
		return -1;
	return 0;
}
