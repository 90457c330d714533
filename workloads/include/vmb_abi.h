/*
 * vmb_abi.h - the guest <-> host contract, shared by the guest image and
 * every engine (and the harness, which parses what the guest prints).
 *
 * Everything a guest can observe about "being on vmbench" is here: the
 * device ports, the boot_info structure handed over in RDI, the exit
 * statuses and the result-line prefix. docs/machine.md explains each in
 * prose; change both together.
 *
 * The header is freestanding (only fixed-width integer types) so the guest
 * kernel, guest user programs and host C code include the same file.
 */
#ifndef VMB_ABI_H
#define VMB_ABI_H

#include <stdint.h>

/* ---- Devices ------------------------------------------------------------
 * Ports are chosen so that QEMU's `pc` machine runs the image too:
 * 0xE9 is QEMU's -debugcon, 0xF4 is isa-debug-exit, 0x500 and 0x504 and the
 * null MMIO page are unassigned there (reads give all-ones or zero, writes
 * are dropped), so the guest must never depend on what they read.
 */
#define VMB_PORT_CONSOLE 0xE9	/* byte writes: debug console */
#define VMB_PORT_EXIT 0xF4	/* 32-bit write: end the run with that status */
#define VMB_PORT_ROI 0x500	/* 32-bit write: region-of-interest marker */
#define VMB_PORT_NULL 0x504	/* any access: exits, does nothing */
#define VMB_MMIO_NULL_BASE 0xC0000000ull /* one 4 KiB page, no effect */
#define VMB_MMIO_NULL_SIZE 0x1000ull

/*
 * Region-of-interest marker value (32-bit write to VMB_PORT_ROI):
 * bits 7..0 are the event, bits 31..8 the region id the guest also prints
 * in its result line ("roi":id), so the harness can pair engine counter
 * snapshots with guest results.
 */
#define VMB_ROI_BEGIN 0x01
#define VMB_ROI_END 0x02
#define VMB_ROI_VALUE(id, ev) ((((uint32_t)(id)) << 8) | ((ev) & 0xffu))
#define VMB_ROI_ID(v) ((uint32_t)(v) >> 8)
#define VMB_ROI_EVENT(v) ((uint32_t)(v) & 0xffu)

/* ---- Exit statuses (value written to VMB_PORT_EXIT) ---------------------
 * QEMU's isa-debug-exit makes the QEMU process exit with (s << 1) | 1, so
 * statuses stay below 128 to survive the 8-bit process exit code.
 */
#define VMB_EXIT_OK 0		/* every requested workload ran */
#define VMB_EXIT_BAD_CMDLINE 1	/* unknown workload or bad parameter */
#define VMB_EXIT_BENCH_FAILED 2 /* a workload reported an error */
#define VMB_EXIT_PANIC 3	/* kernel panic (message on console) */
#define VMB_EXIT_BAD_BOOT 4	/* boot_info missing or malformed */
#define VMB_EXIT_EXCEPTION 0x40 /* + vector: unexpected CPU exception */
#define VMB_EXIT_IS_EXCEPTION(s) ((s) >= 0x40 && (s) < 0x60)

/* ---- Hypercalls (vmcall) ------------------------------------------------
 * KVM's semantics on every engine: RAX holds the number; at CPL0 an unknown
 * number returns RAX = -1000 (KVM_ENOSYS), from CPL > 0 RAX = -1 (KVM_EPERM).
 * vmbench defines no hypercall numbers yet; VMB_HC_NOP is guaranteed unknown.
 */
#define VMB_HC_NOP 0x564d4200ull
#define VMB_HC_ENOSYS ((uint64_t)-1000)
#define VMB_HC_EPERM ((uint64_t)-1)

/* ---- Boot protocol ------------------------------------------------------
 * The vmbench loader starts the vCPU in 64-bit mode at the ELF entry with
 * RDI = guest-physical address of a struct vmb_boot_info. The guest's PVH
 * stub (QEMU) builds the same structure itself from the PVH start_info.
 */
#define VMB_BOOT_MAGIC 0x31544f4f42424d56ull /* "VMBBOOT1" little-endian */
#define VMB_BOOT_VERSION 1
#define VMB_CMDLINE_MAX 512

/* boot_info.flags */
#define VMB_BOOT_F_PVH (1u << 0)	/* built by the guest's PVH stub (QEMU) */
#define VMB_BOOT_F_PVM_ASSIST (1u << 1) /* host is KVM/PVM: see docs/kvm-pvm.md */

struct vmb_boot_info {
	uint64_t magic;		/* VMB_BOOT_MAGIC */
	uint32_t version;	/* VMB_BOOT_VERSION */
	uint32_t flags;		/* VMB_BOOT_F_* */
	uint64_t ram_bytes;	/* RAM is guest-physical [0, ram_bytes) */
	uint64_t tsc_khz;	/* 0 when the host could not tell */
	uint64_t free_phys;	/* first physical byte not used by loader data */
	char cmdline[VMB_CMDLINE_MAX]; /* NUL-terminated */
	/* Kept by the guest when flags has VMB_BOOT_F_PVM_ASSIST: how many
	 * SYSCALLs / INT 0x80s from user mode it had to complete itself
	 * because PVM left them unfinished (docs/kvm-pvm.md). The kvm engine
	 * reads them at every counter snapshot; 0 everywhere else. */
	uint64_t pvm_assist_syscall;
	uint64_t pvm_assist_int80;
};

/* ---- Guest-physical memory map (docs/machine.md draws it) --------------- */
#define VMB_PHYS_BOOT_INFO 0x1000ull  /* struct vmb_boot_info */
#define VMB_PHYS_GDT 0x2000ull	      /* boot GDT: null, code 0x08, data 0x10 */
#define VMB_PHYS_BOOT_PT 0x10000ull   /* boot page tables, 7 pages */
#define VMB_PHYS_BOOT_STACK 0x20000ull /* boot stack, grows down from here */
#define VMB_PHYS_KERNEL 0x100000ull   /* lowest address a kernel may load */
#define VMB_KERNEL_VBASE 0xFFFFFFFF80000000ull /* virtual = VBASE + physical */

#define VMB_SEL_KCODE 0x08
#define VMB_SEL_KDATA 0x10

/* ---- Result protocol ----------------------------------------------------
 * Each result is one line on the debug console: VMB_RESULT_PREFIX then one
 * JSON object, then '\n'. Other console text may be interleaved between
 * lines. docs/result-protocol.md lists the events and fields.
 */
#define VMB_RESULT_PREFIX "@vmb "

#endif /* VMB_ABI_H */
