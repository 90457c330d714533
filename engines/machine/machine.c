/*
 * machine.c - the machine object: creation from a config, destruction,
 * console capture and the host TSC frequency.
 */
#include "machine/machine.h"

#include <cpuid.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <x86intrin.h>

#include "machine/boot.h"
#include "machine/elf_loader.h"

/* Grow (c) to hold (need) more bytes plus a NUL; false when capped/OOM. */
static bool console_reserve(struct console_capture *c, size_t need)
{
	size_t want = c->len + need + 1, cap = c->cap ? c->cap : 4096;
	char *nb;

	if (want <= c->cap)
		return true;
	if (want > MACHINE_CONSOLE_MAX + 1)
		return false;
	while (cap < want)
		cap *= 2;
	if (cap > MACHINE_CONSOLE_MAX + 1)
		cap = MACHINE_CONSOLE_MAX + 1;
	nb = realloc(c->buf, cap);
	if (!nb)
		return false;
	c->buf = nb;
	c->cap = cap;
	return true;
}

void machine_console_write(struct machine *m, const char *buf, size_t len)
{
	struct console_capture *c = &m->console;
	size_t keep = len;

	if (!console_reserve(c, len)) {
		size_t room = c->len < MACHINE_CONSOLE_MAX ?
				      MACHINE_CONSOLE_MAX - c->len : 0;

		keep = room < len && console_reserve(c, room) ? room : 0;
	}
	if (keep) {
		memcpy(c->buf + c->len, buf, keep);
		c->len += keep;
		c->buf[c->len] = '\0';
	}
	c->dropped += len - keep;
	if (c->sink)
		c->sink(c->sink_opaque, buf, len);
}

static int ram_size_check(uint64_t ram, char *err, size_t errlen)
{
	if (ram < MACHINE_RAM_MIN || ram > MACHINE_RAM_MAX ||
	    ram % (2ull << 20)) {
		snprintf(err, errlen,
			 "machine: RAM size %llu bytes: must be a multiple of "
			 "2 MiB between %llu MiB and %llu MiB",
			 (unsigned long long)ram, MACHINE_RAM_MIN >> 20,
			 MACHINE_RAM_MAX >> 20);
		return -1;
	}
	return 0;
}

int machine_create(const struct machine_config *cfg, struct machine **out,
		   char *err, size_t errlen)
{
	uint64_t ram = cfg->ram_bytes ? cfg->ram_bytes : MACHINE_RAM_DEFAULT;
	struct elf_image_info info;
	struct boot_params bp;
	struct machine *m;

	*out = NULL;
	if (ram_size_check(ram, err, errlen))
		return -1;
	if (!cfg->kernel_path || !cfg->kernel_path[0]) {
		snprintf(err, errlen, "machine: no guest kernel image given");
		return -1;
	}
	m = calloc(1, sizeof(*m));
	if (!m) {
		snprintf(err, errlen, "machine: out of memory");
		return -1;
	}
	m->mem.fd = -1;
	if (guest_mem_create(&m->mem, ram, cfg->hugepages, err, errlen) ||
	    devices_register_standard(m, err, errlen))
		goto fail;
	if (elf_load_file(&m->mem, cfg->kernel_path, &info, err, errlen))
		goto fail;
	m->tsc_khz = cfg->tsc_khz ? cfg->tsc_khz : machine_host_tsc_khz();
	m->entry = info.entry;
	bp = (struct boot_params){
		.entry = info.entry,
		.kernel_phys_hi = info.phys_hi,
		.cmdline = cfg->cmdline,
		.tsc_khz = m->tsc_khz,
		.flags = cfg->boot_flags,
	};
	if (boot_build(&m->mem, &bp, &m->boot_state, err, errlen))
		goto fail;
	*out = m;
	return 0;
fail:
	machine_destroy(m);
	return -1;
}

void machine_destroy(struct machine *m)
{
	if (!m)
		return;
	guest_mem_destroy(&m->mem);
	free(m->console.buf);
	free(m);
}

/* ---- host TSC frequency --------------------------------------------------- */

/* CPUID 0x15 (crystal ratio), then the hypervisor TSC leaf 0x40000010. */
static uint64_t tsc_khz_from_cpuid(void)
{
	unsigned a, b, c, d;

	if (__get_cpuid_max(0, NULL) >= 0x15) {
		__cpuid_count(0x15, 0, a, b, c, d);
		if (a && b && c)
			return (uint64_t)c * b / a / 1000;
	}
	__cpuid(1, a, b, c, d);
	if (c & (1u << 31)) {
		__cpuid(0x40000000, a, b, c, d);
		if (a >= 0x40000010 && a < 0x40000100) {
			__cpuid(0x40000010, a, b, c, d);
			if (a)
				return a;
		}
	}
	return 0;
}

static uint64_t clock_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_RAW, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Count TSC ticks over ~20 ms of CLOCK_MONOTONIC_RAW; best of three. */
static uint64_t tsc_khz_calibrate(void)
{
	uint64_t best = 0, best_err = UINT64_MAX;

	for (int round = 0; round < 3; round++) {
		uint64_t t0 = clock_ns(), c0 = __rdtsc(), t0b = clock_ns();
		uint64_t t1, c1, t1b;

		do {
			t1 = clock_ns();
			c1 = __rdtsc();
			t1b = clock_ns();
		} while (t1 - t0 < 20000000ull);
		/* the clock reads bracketing each TSC read bound the error */
		uint64_t slop = (t0b - t0) + (t1b - t1);
		uint64_t ns = (t1 + t1b) / 2 - (t0 + t0b) / 2;

		if (ns && slop < best_err) {
			best_err = slop;
			best = (c1 - c0) * 1000000ull / ns;
		}
	}
	return best ? best : 1;
}

static uint64_t host_tsc_khz;
static pthread_once_t host_tsc_once = PTHREAD_ONCE_INIT;

static void host_tsc_init(void)
{
	host_tsc_khz = tsc_khz_from_cpuid();
	if (!host_tsc_khz)
		host_tsc_khz = tsc_khz_calibrate();
}

uint64_t machine_host_tsc_khz(void)
{
	pthread_once(&host_tsc_once, host_tsc_init);
	return host_tsc_khz;
}
