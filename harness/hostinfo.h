/*
 * hostinfo.h - what the host offers a benchmark: CPU, TSC, kernel, KVM
 * backend, PMU, library and QEMU versions.
 *
 * Every probe that can fail says why in a string instead of returning a
 * bare "no": `vmbench info` prints those reasons and the run database
 * stores them with each run. The probes read files below a root directory
 * (the environment variable VMB_HOST_ROOT, default "") so tests can point
 * them at a fake /proc, /sys and /dev to simulate missing KVM or PMU.
 */
#ifndef VMB_HOSTINFO_H
#define VMB_HOSTINFO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HOSTINFO_STR 256

struct host_info {
	char cpu_model[HOSTINFO_STR];
	uint64_t tsc_khz;
	char kernel[HOSTINFO_STR];	/* uname -r -v */
	char hostname[HOSTINFO_STR];

	bool kvm_present;		/* /dev/kvm exists */
	bool kvm_usable;		/* opened and KVM_GET_API_VERSION == 12 */
	char kvm_why[HOSTINFO_STR];	/* why not usable ("" when usable) */
	char kvm_backend[HOSTINFO_STR]; /* "VMX+EPT", "PVM", ... or "none" */
	char kvm_backend_detail[HOSTINFO_STR]; /* the evidence */

	bool pmu_usable;		/* a hardware cycles counter opens */
	char pmu_why[HOSTINFO_STR];

	char zydis_version[32], pfm_version[32], sqlite_version[32],
		jansson_version[32];
	bool qemu_present;
	char qemu_version[HOSTINFO_STR]; /* or why it is missing */
};

/* The probe root: $VMB_HOST_ROOT or "". */
const char *hostinfo_root(void);

/* (out) = root + (path), e.g. "/sys/module/kvm_pvm". */
void hostinfo_path(char *out, size_t outlen, const char *path);

/* Probe everything into (h). Never fails: unknowns are described. */
void hostinfo_probe(struct host_info *h);

/*
 * KVM backend from the module parameters below the probe root: writes a
 * short name ("VMX+EPT", "VMX shadow paging", "SVM+NPT", "SVM shadow
 * paging", "PVM", "none") to (name) and the evidence to (detail).
 */
void hostinfo_kvm_backend(char *name, size_t namelen, char *detail,
			  size_t detaillen);

/*
 * Is /dev/kvm (below the probe root) usable? Returns true, or false with
 * (why) naming the cause (absent, permission, wrong API version).
 */
bool hostinfo_kvm_access(char *why, size_t whylen, bool *present);

/* Is a hardware PMU usable? false with (why) when not. */
bool hostinfo_pmu_usable(char *why, size_t whylen);

/* First line of `qemu-system-x86_64 --version`; false + why if absent. */
bool hostinfo_qemu_version(char *out, size_t outlen);

/* Print (h) for `vmbench info`. */
void hostinfo_print(const struct host_info *h);

#endif /* VMB_HOSTINFO_H */
