/*
 * libkvm.h - a thin layer over the /dev/kvm ioctls (x86-64).
 *
 * In the spirit of the Linux KVM selftests' kvm_util, kept thin: the
 * objects are visible structs (struct kvm_vm, struct kvm_vcpu) holding the
 * file descriptors, and there is one function per ioctl, named object
 * first, verb last (kvm_vcpu_regs_get = KVM_GET_REGS). What the layer adds
 * over raw ioctl(2):
 *   - argument sizes are checked against the ioctl number at compile time;
 *   - every failure returns -errno and leaves in the object's (err) field a
 *     one-line message naming the ioctl and the errno (never exits, never
 *     prints: libkvm is called from engines, which return errors);
 *   - the fixed-size variable-length structs (MSR lists, CPUID2) are
 *     wrapped so callers do not allocate flexible arrays;
 *   - KVM_GET_STATS_FD descriptors are parsed once (struct kvm_stats) and
 *     values are then read by offset with one pread().
 * Nothing else in vmbench opens /dev/kvm.
 *
 * Order: kvm_vm_create() (opens /dev/kvm, checks the API version, creates
 * the VM), memory slots and the irqchip, then kvm_vcpu_create() (mmaps
 * kvm_run), CPUID2, MSRs/sregs/regs, then kvm_vcpu_run() in a loop.
 * Destroy the vCPU before the VM.
 */
#ifndef VMB_LIBKVM_H
#define VMB_LIBKVM_H

#include <linux/kvm.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define KVM_ERR_MAX 192
#define KVM_DEV_PATH "/dev/kvm"

/* A VM: the /dev/kvm system fd and the VM fd. */
struct kvm_vm {
	int kvm_fd;		/* /dev/kvm: system ioctls */
	int fd;			/* the VM */
	int api_version;	/* KVM_GET_API_VERSION (always 12 when open) */
	int vcpu_mmap_size;	/* KVM_GET_VCPU_MMAP_SIZE */
	char err[KVM_ERR_MAX];	/* last failure: "IOCTL: strerror" */
};

/* A vCPU with its mmap'd shared struct kvm_run. */
struct kvm_vcpu {
	struct kvm_vm *vm;
	int fd;
	unsigned id;
	struct kvm_run *run;	/* valid while the vCPU exists */
	size_t run_size;
	char err[KVM_ERR_MAX];
};

/* ---- system (/dev/kvm) -------------------------------------------------- */

/*
 * Can /dev/kvm be used here? Returns 0, or -errno with (why) saying what is
 * missing in words a user can act on (no device, no permission, module not
 * loaded, wrong API version).
 */
int kvm_available(char *why, size_t whylen);

/*
 * KVM_CHECK_EXTENSION on the system fd of (vm): the capability's value
 * (0 = unsupported, >0 supported, some caps return a number or mask), or
 * -errno.
 */
int kvm_vm_sys_cap_check(struct kvm_vm *vm, long cap);

/*
 * KVM_GET_SUPPORTED_CPUID into (out) with room for (max) entries; on
 * success out->nent is the number filled.
 */
int kvm_vm_supported_cpuid_get(struct kvm_vm *vm, struct kvm_cpuid2 *out,
			       unsigned max);

/*
 * KVM_GET_MSR_INDEX_LIST: up to (max) MSR indices into (idx); returns how
 * many the host lists (may exceed max: only max are stored) or -errno.
 */
int kvm_vm_msr_index_list_get(struct kvm_vm *vm, uint32_t *idx, unsigned max);

/* ---- VM ------------------------------------------------------------------ */

/*
 * Open /dev/kvm, check KVM_GET_API_VERSION == 12, KVM_CREATE_VM (type 0),
 * read the vCPU mmap size. Returns 0, or -errno with vm->err set; nothing
 * stays open on failure.
 */
int kvm_vm_create(struct kvm_vm *vm);

/* Close the VM and /dev/kvm. Safe on a zeroed or destroyed struct. */
void kvm_vm_destroy(struct kvm_vm *vm);

/* KVM_CHECK_EXTENSION on the VM fd (per-VM answer, e.g. after enabling). */
int kvm_vm_cap_check(struct kvm_vm *vm, long cap);

/* KVM_ENABLE_CAP on the VM with args[0] = (arg0). */
int kvm_vm_cap_enable(struct kvm_vm *vm, uint32_t cap, uint64_t arg0);

/*
 * KVM_SET_USER_MEMORY_REGION: map host (hva) of (size) bytes at guest-
 * physical (gpa) as memory slot (slot). (size) 0 deletes the slot. (hva)
 * and (gpa) must be page aligned; KVM also rejects overlapping slots.
 */
int kvm_vm_memslot_set(struct kvm_vm *vm, uint32_t slot, uint64_t gpa,
		       uint64_t size, void *hva, uint32_t flags);

/* KVM_CREATE_IRQCHIP: in-kernel PIC, IOAPIC and a LAPIC per vCPU. Must come
 * before kvm_vcpu_create(). */
int kvm_vm_irqchip_create(struct kvm_vm *vm);

/* KVM_ENABLE_CAP(KVM_CAP_SPLIT_IRQCHIP): LAPIC in the kernel, PIC/IOAPIC
 * left to user space (we have none). Must come before kvm_vcpu_create(). */
int kvm_vm_irqchip_split_enable(struct kvm_vm *vm, uint32_t ioapic_pins);

/* KVM_SET_TSS_ADDR: three pages of guest-physical space VMX needs on hosts
 * without unrestricted guest. Harmless elsewhere. */
int kvm_vm_tss_addr_set(struct kvm_vm *vm, uint64_t gpa);

/* KVM_GET_STATS_FD on the VM: a new fd (>= 0) or -errno. */
int kvm_vm_stats_fd_get(struct kvm_vm *vm);

/* ---- vCPU ---------------------------------------------------------------- */

/*
 * KVM_CREATE_VCPU (id) in (vm) and mmap its struct kvm_run. Returns 0 or
 * -errno with vcpu->err set (nothing left open).
 */
int kvm_vcpu_create(struct kvm_vm *vm, unsigned id, struct kvm_vcpu *vcpu);

/* Unmap kvm_run and close. Safe on a zeroed or destroyed struct. */
void kvm_vcpu_destroy(struct kvm_vcpu *vcpu);

/*
 * KVM_RUN once. Returns 0 when the vCPU exited with run->exit_reason set,
 * -EINTR when a signal (or run->immediate_exit) kicked it out before or
 * during guest execution (not recorded as an error), other -errno on
 * failure.
 */
int kvm_vcpu_run(struct kvm_vcpu *vcpu);

int kvm_vcpu_regs_get(struct kvm_vcpu *vcpu, struct kvm_regs *regs);
int kvm_vcpu_regs_set(struct kvm_vcpu *vcpu, const struct kvm_regs *regs);
int kvm_vcpu_sregs_get(struct kvm_vcpu *vcpu, struct kvm_sregs *sregs);
int kvm_vcpu_sregs_set(struct kvm_vcpu *vcpu, const struct kvm_sregs *sregs);

/*
 * KVM_GET_MSRS / KVM_SET_MSRS of (n) entries (index filled by the caller).
 * KVM stops at the first MSR it refuses: these return 0 only when all (n)
 * were transferred, else -EINVAL with err naming the first refused index.
 */
int kvm_vcpu_msrs_get(struct kvm_vcpu *vcpu, struct kvm_msr_entry *e,
		      unsigned n);
int kvm_vcpu_msrs_set(struct kvm_vcpu *vcpu, const struct kvm_msr_entry *e,
		      unsigned n);

/* One MSR (convenience over the two above). */
int kvm_vcpu_msr_get(struct kvm_vcpu *vcpu, uint32_t index, uint64_t *val);
int kvm_vcpu_msr_set(struct kvm_vcpu *vcpu, uint32_t index, uint64_t val);

/* KVM_SET_CPUID2 with (n) entries. Must come before the first KVM_RUN. */
int kvm_vcpu_cpuid_set(struct kvm_vcpu *vcpu,
		       const struct kvm_cpuid_entry2 *e, unsigned n);

/* KVM_GET_LAPIC / KVM_SET_LAPIC (in-kernel irqchip only). */
int kvm_vcpu_lapic_get(struct kvm_vcpu *vcpu, struct kvm_lapic_state *s);
int kvm_vcpu_lapic_set(struct kvm_vcpu *vcpu, const struct kvm_lapic_state *s);

/* KVM_SET_MP_STATE. */
int kvm_vcpu_mp_state_set(struct kvm_vcpu *vcpu, const struct kvm_mp_state *mp);

/* KVM_GET_VCPU_EVENTS / KVM_SET_VCPU_EVENTS: pending and injected
 * exceptions, interrupts, NMIs, the interrupt shadow. */
int kvm_vcpu_events_get(struct kvm_vcpu *vcpu, struct kvm_vcpu_events *ev);
int kvm_vcpu_events_set(struct kvm_vcpu *vcpu,
			const struct kvm_vcpu_events *ev);

/*
 * The guest TSC offset (guest TSC = host TSC + offset, without scaling)
 * through the vCPU attribute KVM_VCPU_TSC_CTRL/KVM_VCPU_TSC_OFFSET.
 * 0, or -errno (-ENXIO/-ENOTTY where the kernel lacks the attribute).
 */
int kvm_vcpu_tsc_offset_get(struct kvm_vcpu *vcpu, uint64_t *offset);
int kvm_vcpu_tsc_offset_set(struct kvm_vcpu *vcpu, uint64_t offset);

/* KVM_GET_MP_STATE: runnable, halted (waiting for an interrupt), ... */
int kvm_vcpu_mp_state_get(struct kvm_vcpu *vcpu, struct kvm_mp_state *mp);

/* KVM_GET_TSC_KHZ: the guest TSC frequency (> 0) or -errno. */
int kvm_vcpu_tsc_khz_get(struct kvm_vcpu *vcpu);

/* KVM_GET_STATS_FD on the vCPU: a new fd (>= 0) or -errno. */
int kvm_vcpu_stats_fd_get(struct kvm_vcpu *vcpu);

/* ---- binary statistics (KVM_GET_STATS_FD) -------------------------------- */

#define KVM_STAT_NAME_MAX 64

/* One descriptor, parsed. */
struct kvm_stat_info {
	char name[KVM_STAT_NAME_MAX];
	uint32_t flags;		/* KVM_STATS_TYPE_* | KVM_STATS_UNIT_* | BASE */
	int16_t exponent;
	uint16_t size;		/* number of u64 values (1 unless histogram) */
	uint32_t offset;	/* byte offset of the first value in the data block */
};

/*
 * A stats file parsed once: header, id string, descriptors. The values are
 * then read with kvm_stats_read() (one pread of the data block, values
 * picked by each descriptor's offset).
 */
struct kvm_stats {
	int fd;			/* owned: closed by kvm_stats_close() */
	char id[KVM_STAT_NAME_MAX]; /* "kvm-<pid>" / "kvm-<pid>/vcpu-<n>" */
	unsigned n;
	struct kvm_stat_info *desc;
	uint64_t data_offset;
	size_t data_words;	/* u64s in the data block (max offset+size) */
	uint64_t *data;		/* scratch for kvm_stats_read() */
};

/*
 * Parse the header and descriptors of the stats file (fd) (a KVM stats fd
 * or any file with the same layout, e.g. a recorded fixture). Takes
 * ownership of (fd) on success. Returns 0, or -errno / -EINVAL with (err)
 * naming the inconsistency (truncated header, descriptor outside the file,
 * offset beyond the data block...).
 */
int kvm_stats_open(struct kvm_stats *st, int fd, char *err, size_t errlen);

/* Close (fd) and free. Safe on a zeroed or closed struct. */
void kvm_stats_close(struct kvm_stats *st);

/*
 * Read the current values: one pread of the data block; the first value of
 * descriptor i lands in st->data[st->desc[i].offset / 8]. Returns 0 or
 * -errno.
 */
int kvm_stats_read(struct kvm_stats *st);

/* Current first value of descriptor (i) after kvm_stats_read(). */
static inline uint64_t kvm_stats_value(const struct kvm_stats *st, unsigned i)
{
	return st->data[st->desc[i].offset / 8];
}

/* Index of the descriptor called (name), or -1. */
int kvm_stats_find(const struct kvm_stats *st, const char *name);

/* True when descriptor (i) is a histogram (size > 1 values). */
bool kvm_stats_is_hist(const struct kvm_stats *st, unsigned i);

/* ---- names ------------------------------------------------------------- */

/* "KVM_EXIT_IO", ... or "KVM_EXIT_<n>" in a static buffer for unknown. */
const char *kvm_exit_reason_name(uint32_t reason);

#endif /* VMB_LIBKVM_H */
