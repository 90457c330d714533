/*
 * port_user.c - the SDK port layer for guest user programs (CPL3).
 *
 * A user program cannot touch I/O ports, so each port operation is a
 * system call: the console is VMB_SYS_WRITE, and region-of-interest
 * markers go through VMB_SYS_ROI, where the kernel allocates region ids
 * (one sequence per boot, shared by kernel and user workloads).
 */
#include "vmb.h"
#include "vmb_sys.h"

void vmb_port_write(const char *buf, size_t len)
{
	while (len) {
		long n = vmb_sys_write(buf, len);

		if (n <= 0)
			return;	/* nowhere to report a console failure */
		buf += n;
		len -= (size_t)n;
	}
}

uint32_t vmb_port_roi_begin(void)
{
	return (uint32_t)vmb_sys_roi(VMB_ROI_VALUE(0, VMB_ROI_BEGIN));
}

void vmb_port_roi_end(uint32_t id)
{
	vmb_sys_roi(VMB_ROI_VALUE(id, VMB_ROI_END));
}
