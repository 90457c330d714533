/*
 * pmu.h - host counters for one run: perf_event, events encoded by libpfm4.
 *
 * A run's host counters are opened on the child process (inherit=1, so
 * threads and QEMU's own threads count too) before it starts working, and
 * read after it exits. An in-process engine also samples a per-thread set
 * at every region-of-interest marker, so host counters are reported per
 * region as well. Hardware events (cycles, instructions, dTLB and
 * iTLB misses, and for KVM targets the split between guest and host mode
 * through exclude_host/exclude_guest) need a PMU; software events (page
 * faults, context switches, migrations, task clock) always work. An event
 * that cannot be counted is kept with available=false and the reason,
 * never reported as 0.
 */
#ifndef VMB_PMU_H
#define VMB_PMU_H

#include <linux/perf_event.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define PMU_MAX_EVENTS 12
#define PMU_WHY 200

struct pmu_counter {
	const char *name;	/* column name, e.g. "host.cycles" */
	int fd;
	bool available;
	char why[PMU_WHY];
	uint64_t value;		/* scaled if the kernel multiplexed it */
};

struct pmu_set {
	unsigned n;
	struct pmu_counter c[PMU_MAX_EVENTS];
};

/*
 * Encode libpfm4 event (name) (e.g. "PERF_COUNT_HW_CPU_CYCLES") for
 * user+kernel counting into (attr). Returns 0, or -1 with (why) quoting
 * libpfm4's error.
 */
int pmu_encode(const char *name, struct perf_event_attr *attr, char *why,
	       size_t whylen);

/*
 * Open the standard event set on (pid) into (s). (guest_split) adds the
 * guest-mode/host-mode cycle counts (for KVM targets). Never fails: each
 * event that cannot be opened is marked unavailable with its reason.
 */
void pmu_open(struct pmu_set *s, pid_t pid, bool guest_split);

/*
 * Open the same events on the calling thread only (not inherited), to be
 * read repeatedly with pmu_sample() while it runs: the per-region host
 * counters of an in-process engine, whose vCPU runs on this thread.
 */
void pmu_open_thread(struct pmu_set *s, bool guest_split);

/*
 * Read every open counter into its value, leaving it open. A counter that
 * cannot be read becomes unavailable with the reason. A multiplexed
 * counter is scaled by its enabled/running time, so two samples of it
 * differ by an estimate.
 */
void pmu_sample(struct pmu_set *s);

/* Close every open counter (values and reasons stay). */
void pmu_close(struct pmu_set *s);

/* pmu_sample() then pmu_close(). */
void pmu_read_close(struct pmu_set *s);

#endif /* VMB_PMU_H */
