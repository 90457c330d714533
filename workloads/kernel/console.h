/*
 * console.h - the kernel's devices of the vmbench machine: the debug
 * console, the region-of-interest marker and the exit port. The kernel-mode
 * SDK port layer (vmb_port_write, vmb_port_roi_*) is implemented here.
 */
#ifndef KERNEL_CONSOLE_H
#define KERNEL_CONSOLE_H

#include <stdint.h>

/*
 * Allocate the next region id (1, 2, ... per boot, shared by kernel and
 * user benches) and write its BEGIN marker. Returns the id.
 */
uint32_t roi_begin(void);

/* Write (value) to the ROI port as given (an END, or a user's own BEGIN). */
void roi_write(uint32_t value);

/* End the run: write (status) to the exit port. Never returns. */
_Noreturn void kexit(int status);

/* Print "panic: <what> (<value>)" and exit with VMB_EXIT_PANIC. */
_Noreturn void panic(const char *what, uint64_t value);

#endif
