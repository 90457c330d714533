/*
 * cmdline.h - the kernel command line: `bench=NAME iters=N size=S seed=X`.
 */
#ifndef KERNEL_CMDLINE_H
#define KERNEL_CMDLINE_H

#include "vmb_bench.h"

/*
 * Parse (cmdline) into (p): bench defaults to "all", the numbers to 0
 * (the bench's default). Numbers take the SDK's forms (decimal, 0x hex,
 * k/m/g suffixes). Returns NULL, or a message naming the bad word.
 */
const char *cmdline_parse(const char *cmdline, struct vmb_params *p);

#endif
