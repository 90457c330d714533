/*
 * boot.c - build the boot structures in guest RAM and the initial vCPU
 * state (the layout is drawn in docs/machine.md and boot.h).
 *
 * Page-table pages at VMB_PHYS_BOOT_PT:
 *   +0x0000 PML4      [0] -> PDPT_LO, [511] -> PDPT_HI
 *   +0x1000 PDPT_LO   [0..3] -> PD0..PD3            identity [0, 4 GiB)
 *   +0x2000 PD0..PD3  512 x 2 MiB pages each
 *   +0x6000 PDPT_HI   [510] -> PD0, [511] -> PD1   VBASE + [0, 2 GiB)
 * The higher half reuses the first two identity page directories, so seven
 * pages map both ranges.
 */
#include "machine/boot.h"

#include <stdio.h>
#include <string.h>

#include "machine/guest_mem.h"
#include "machine/x86_state.h"
#include "vmb_abi.h"

#define PTE_P (1ull << 0)
#define PTE_RW (1ull << 1)
#define PTE_A (1ull << 5)
#define PTE_D (1ull << 6)
#define PTE_PS (1ull << 7)

#define PT_PML4 (VMB_PHYS_BOOT_PT + 0x0000)
#define PT_PDPT_LO (VMB_PHYS_BOOT_PT + 0x1000)
#define PT_PD(i) (VMB_PHYS_BOOT_PT + 0x2000 + (uint64_t)(i) * 0x1000)
#define PT_PDPT_HI (VMB_PHYS_BOOT_PT + 0x6000)
#define PT_PAGES 7

/* GDT: null, kernel code (L=1, DPL0, exec/read, accessed), flat data. */
#define GDT_KCODE64 0x00af9b000000ffffull
#define GDT_KDATA 0x00cf93000000ffffull
#define GDT_ENTRIES 3

/* APIC base MSR: default address, BSP, x2APIC (EXTD) and xAPIC enable. */
#define APIC_BASE_X2APIC (0xfee00000ull | (1ull << 8) | (1ull << 10) | \
			  (1ull << 11))
#define PAT_RESET 0x0007040600070406ull

static void pt_set(struct guest_mem *mem, uint64_t table, unsigned idx,
		   uint64_t entry)
{
	uint64_t *p = guest_mem_ptr(mem, table + idx * 8ull, 8);

	*p = entry;
}

static void page_tables_build(struct guest_mem *mem)
{
	const uint64_t dir = PTE_P | PTE_RW | PTE_A;

	memset(guest_mem_ptr(mem, VMB_PHYS_BOOT_PT, PT_PAGES * 4096ull), 0,
	       PT_PAGES * 4096ull);
	pt_set(mem, PT_PML4, 0, PT_PDPT_LO | dir);
	pt_set(mem, PT_PML4, 511, PT_PDPT_HI | dir);
	for (unsigned i = 0; i < 4; i++) {
		pt_set(mem, PT_PDPT_LO, i, PT_PD(i) | dir);
		for (unsigned j = 0; j < 512; j++)
			pt_set(mem, PT_PD(i), j,
			       ((uint64_t)(i * 512 + j) << 21) | dir | PTE_D |
				       PTE_PS);
	}
	pt_set(mem, PT_PDPT_HI, 510, PT_PD(0) | dir);
	pt_set(mem, PT_PDPT_HI, 511, PT_PD(1) | dir);
}

static void gdt_build(struct guest_mem *mem)
{
	const uint64_t gdt[GDT_ENTRIES] = { 0, GDT_KCODE64, GDT_KDATA };

	memset(guest_mem_ptr(mem, VMB_PHYS_GDT, 4096), 0, 4096);
	guest_mem_write(mem, VMB_PHYS_GDT, gdt, sizeof(gdt));
}

static void boot_info_build(struct guest_mem *mem, const struct boot_params *p)
{
	struct vmb_boot_info bi;
	uint64_t free_phys = p->kernel_phys_hi > VMB_PHYS_KERNEL ?
				     p->kernel_phys_hi : VMB_PHYS_KERNEL;

	memset(&bi, 0, sizeof(bi));
	bi.magic = VMB_BOOT_MAGIC;
	bi.version = VMB_BOOT_VERSION;
	bi.flags = p->flags;
	bi.ram_bytes = mem->size;
	bi.tsc_khz = p->tsc_khz;
	bi.free_phys = (free_phys + 0xfff) & ~0xfffull;
	if (p->cmdline)
		memcpy(bi.cmdline, p->cmdline, strlen(p->cmdline));
	memset(guest_mem_ptr(mem, VMB_PHYS_BOOT_INFO, 4096), 0, 4096);
	guest_mem_write(mem, VMB_PHYS_BOOT_INFO, &bi, sizeof(bi));
}

static void state_build(struct x86_state *s, const struct boot_params *p)
{
	memset(s, 0, sizeof(*s));
	s->rip = p->entry;
	s->rflags = X86_RFLAGS_FIXED;
	s->gpr[X86_RDI] = VMB_PHYS_BOOT_INFO;
	s->gpr[X86_RSP] = VMB_KERNEL_VBASE + VMB_PHYS_BOOT_STACK;
	x86_segment_from_desc(&s->seg[X86_CS], VMB_SEL_KCODE, GDT_KCODE64);
	for (int r = 0; r < X86_NSREG; r++)
		if (r != X86_CS)
			x86_segment_from_desc(&s->seg[r], VMB_SEL_KDATA,
					      GDT_KDATA);
	/* VMX insists on a usable busy 64-bit TSS in TR; the guest loads
	 * its own before it can take an interrupt from ring 3. */
	s->tr.type = 0xb;
	s->tr.present = 1;
	s->tr.limit = 0x67;
	s->ldtr.unusable = 1;
	s->gdtr.base = VMB_KERNEL_VBASE + VMB_PHYS_GDT;
	s->gdtr.limit = GDT_ENTRIES * 8 - 1;
	s->cr0 = X86_CR0_PE | X86_CR0_MP | X86_CR0_ET | X86_CR0_NE |
		 X86_CR0_WP | X86_CR0_PG;
	s->cr3 = VMB_PHYS_BOOT_PT;
	s->cr4 = X86_CR4_PAE;
	s->efer = X86_EFER_LME | X86_EFER_LMA | X86_EFER_NXE;
	s->apic_base = APIC_BASE_X2APIC;
	s->pat = PAT_RESET;
}

int boot_build(struct guest_mem *mem, const struct boot_params *p,
	       struct x86_state *state, char *err, size_t errlen)
{
	size_t cmdlen = p->cmdline ? strlen(p->cmdline) : 0;

	if (!guest_mem_contains(mem, 0, VMB_PHYS_KERNEL)) {
		snprintf(err, errlen,
			 "boot: RAM of %llu bytes cannot hold the boot area "
			 "below 0x%llx", (unsigned long long)mem->size,
			 VMB_PHYS_KERNEL);
		return -1;
	}
	if (p->kernel_phys_hi > mem->size) {
		snprintf(err, errlen,
			 "boot: kernel ends at 0x%llx, past the end of RAM "
			 "(0x%llx)", (unsigned long long)p->kernel_phys_hi,
			 (unsigned long long)mem->size);
		return -1;
	}
	if (cmdlen >= VMB_CMDLINE_MAX) {
		snprintf(err, errlen,
			 "boot: command line is %zu bytes, the limit is %d",
			 cmdlen, VMB_CMDLINE_MAX - 1);
		return -1;
	}
	page_tables_build(mem);
	gdt_build(mem);
	boot_info_build(mem, p);
	state_build(state, p);
	return 0;
}
