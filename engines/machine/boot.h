/*
 * boot.h - the vmbench boot protocol: the one place the initial guest state
 * is made, so every engine starts from identical bits.
 *
 * After the kernel is loaded, boot_build() writes into RAM (addresses in
 * vmb_abi.h, drawn in docs/machine.md):
 *   - struct vmb_boot_info at VMB_PHYS_BOOT_INFO (magic, version, flags,
 *     RAM size, TSC kHz, first free physical byte, command line);
 *   - a GDT at VMB_PHYS_GDT: null, 64-bit kernel code 0x08, data 0x10;
 *   - boot page tables at VMB_PHYS_BOOT_PT with 2 MiB pages: identity map of
 *     guest-physical [0, 4 GiB) and VMB_KERNEL_VBASE + [0, 2 GiB) -> [0, 2
 *     GiB); all entries present, writable, supervisor, A and D preset;
 * and fills the initial vCPU state: long mode with paging (CR0 PE|MP|ET|
 * NE|WP|PG, CR4 PAE, EFER LME|LMA|NXE), CS=0x08, SS/DS/ES/FS/GS=0x10 with
 * base 0, RFLAGS=0x2 (IF=0), RDI = VMB_PHYS_BOOT_INFO, RSP = VMB_KERNEL_VBASE
 * + VMB_PHYS_BOOT_STACK, RIP = ELF entry, APIC base MSR in x2APIC mode,
 * PAT at its reset value, GDTR = VMB_KERNEL_VBASE + VMB_PHYS_GDT (limit
 * 23), IDTR empty, TR a busy 64-bit TSS at base 0 with limit 0x67 (what
 * VMX requires; the guest loads its own), LDTR unusable. Everything else
 * is zero. boot_info.free_phys is the end of the kernel rounded up to 4 KiB.
 */
#ifndef VMB_BOOT_H
#define VMB_BOOT_H

#include <stddef.h>
#include <stdint.h>

struct guest_mem;
struct x86_state;

struct boot_params {
	uint64_t entry;		/* guest-virtual RIP */
	uint64_t kernel_phys_hi; /* first byte after the loaded kernel */
	const char *cmdline;	/* may be NULL */
	uint64_t tsc_khz;
	uint32_t flags;		/* VMB_BOOT_F_* */
};

/*
 * Build the boot structures in (mem) and the initial state in (state).
 * Returns 0, or -1 with (err) set (RAM too small, command line too long).
 */
int boot_build(struct guest_mem *mem, const struct boot_params *p,
	       struct x86_state *state, char *err, size_t errlen);

#endif /* VMB_BOOT_H */
