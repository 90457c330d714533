/*
 * tsc_native.c - the host's TSC frequency, for the boot line's tsc_khz.
 */
#include <time.h>

#include "native.h"

#define CALIB_NS 20000000ull /* 20 ms */

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

uint64_t native_tsc_khz(void)
{
	uint64_t n0 = mono_ns(), c0 = vmb_rdtsc(), n1, c1;

	do {
		n1 = mono_ns();
	} while (n1 - n0 < CALIB_NS);
	c1 = vmb_rdtsc();
	/* cycles per ms = kHz */
	return (c1 - c0) * 1000000ull / (n1 - n0);
}
