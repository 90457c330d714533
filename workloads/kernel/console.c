/*
 * console.c - debug console (port 0xE9), ROI marker (0x500), exit (0xF4).
 */
#include "console.h"
#include "vmb.h"
#include "x86.h"

static uint32_t roi_next_id = 1;

void vmb_port_write(const char *buf, size_t len)
{
	for (size_t i = 0; i < len; i++)
		outb(VMB_PORT_CONSOLE, (uint8_t)buf[i]);
}

uint32_t roi_begin(void)
{
	uint32_t id = roi_next_id++;
	outl(VMB_PORT_ROI, VMB_ROI_VALUE(id, VMB_ROI_BEGIN));
	return id;
}

void roi_write(uint32_t value)
{
	outl(VMB_PORT_ROI, value);
}

uint32_t vmb_port_roi_begin(void)
{
	return roi_begin();
}

void vmb_port_roi_end(uint32_t id)
{
	roi_write(VMB_ROI_VALUE(id, VMB_ROI_END));
}

_Noreturn void kexit(int status)
{
	cli();
	outl(VMB_PORT_EXIT, (uint32_t)status);
	for (;;)	/* the exit port never returns on vmbench or QEMU */
		hlt();
}

_Noreturn void panic(const char *what, uint64_t value)
{
	vmb_printf("panic: %s (0x%lx)\n", what, value);
	kexit(VMB_EXIT_PANIC);
}
