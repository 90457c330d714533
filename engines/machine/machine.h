/*
 * machine.h - the guest machine every engine runs: RAM, devices, boot state.
 *
 * A struct machine is the part of a VM that does not depend on the
 * virtualization technique: guest RAM (a memfd, so the bt engine can map
 * the same pages into its host windows and KVM can use them as a memslot),
 * the device bus with the standard devices, the console capture, the exit
 * status, the region-of-interest log and the initial vCPU state built by
 * the shared loader. Engines own one machine each and never copy it.
 *
 * Errors are returned, never fatal: functions that can fail take an
 * (err, errlen) buffer and write one line naming the cause.
 */
#ifndef VMB_MACHINE_H
#define VMB_MACHINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "machine/guest_mem.h"
#include "machine/io_bus.h"
#include "machine/traps.h"
#include "machine/x86_state.h"

/* Guest-physical and guest-virtual addresses: never dereference them, go
 * through guest_mem_ptr() / the engine's page walk. */
typedef uint64_t gpa_t;
typedef uint64_t gva_t;

#define MACHINE_RAM_MIN (16ull << 20)
#define MACHINE_RAM_MAX (2ull << 30)
#define MACHINE_RAM_DEFAULT (256ull << 20)

/* Called for every byte string the guest writes to the debug console. */
typedef void (*console_sink_fn)(void *opaque, const char *buf, size_t len);

/*
 * Called on every region-of-interest marker write, before the guest's next
 * instruction: the engine snapshots its counters here (see engine.h).
 */
typedef void (*roi_hook_fn)(void *opaque, uint32_t value);

struct machine_config {
	uint64_t ram_bytes;	/* 0 = MACHINE_RAM_DEFAULT */
	const char *kernel_path; /* guest ELF64 image */
	const char *cmdline;	/* "bench=NAME iters=N ..." (may be NULL) */
	uint64_t tsc_khz;	/* put in boot_info; 0 = measure the host */
	uint32_t boot_flags;	/* extra VMB_BOOT_F_* set by the engine */
	bool hugepages;		/* back RAM with 2 MiB pages (MFD_HUGETLB) */
};

/* Console capture: everything the guest printed, kept for the caller, up
 * to MACHINE_CONSOLE_MAX bytes (the rest still goes to the sink and is
 * counted in dropped, so a guest printing forever cannot exhaust memory).
 * buf is NUL-terminated when non-NULL. */
#define MACHINE_CONSOLE_MAX (16u << 20)

struct console_capture {
	char *buf;
	size_t len, cap;
	uint64_t dropped;	/* bytes past MACHINE_CONSOLE_MAX not kept */
	console_sink_fn sink;	/* optional live stream (e.g. to the harness) */
	void *sink_opaque;
};

struct machine {
	struct guest_mem mem;
	struct io_bus bus;
	struct console_capture console;

	/* Set by the exit device; engines stop their run loop when true. */
	bool exit_requested;
	uint32_t exit_status;

	roi_hook_fn roi_hook;	/* set by the engine before running */
	void *roi_opaque;

	/* The identical initial vCPU state every engine starts from. */
	struct x86_state boot_state;
	uint64_t tsc_khz;
	uint64_t entry;		/* ELF entry (guest-virtual) */
};

/*
 * Create a machine from (cfg): allocate RAM, register the standard devices,
 * load the kernel ELF and build the boot state (boot.h). On success *out
 * points to a new machine and 0 is returned; on failure -1 is returned,
 * nothing is leaked and (err) names the cause (file, offset, segment...).
 */
int machine_create(const struct machine_config *cfg, struct machine **out,
		   char *err, size_t errlen);

/* Free everything machine_create() made. (m) may be NULL. */
void machine_destroy(struct machine *m);

/* Append (len) bytes to the console capture and forward them to the sink. */
void machine_console_write(struct machine *m, const char *buf, size_t len);

/*
 * The host TSC frequency in kHz, from CPUID 0x15/0x16 or, failing that,
 * calibrated against CLOCK_MONOTONIC_RAW once per process. Never 0.
 */
uint64_t machine_host_tsc_khz(void);

#endif /* VMB_MACHINE_H */
