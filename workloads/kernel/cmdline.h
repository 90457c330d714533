/*
 * cmdline.h - the kernel command line: `bench=NAME iters=N size=S seed=X`,
 * plus `pvm=1`, which turns on the PVM assistance (pvm.h) like the
 * VMB_BOOT_F_PVM_ASSIST flag does: for peers (QEMU -accel kvm) on a PVM host.
 */
#ifndef KERNEL_CMDLINE_H
#define KERNEL_CMDLINE_H

#include "vmb_bench.h"

/*
 * Parse (cmdline) into (p): bench defaults to "all", the numbers to 0
 * (the bench's default); (*pvm) is set by `pvm=1`. Numbers are decimal or
 * 0x hex with an optional k/m/g suffix. Returns NULL, or a message naming the bad word.
 */
const char *cmdline_parse(const char *cmdline, struct vmb_params *p,
			  int *pvm);

#endif
