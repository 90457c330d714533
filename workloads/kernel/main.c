/*
 * main.c - kmain: bring the machine up in dependency order, then run the
 * workloads the command line asks for and exit through the exit port.
 */
#include "apic.h"
#include "bench_run.h"
#include "boot.h"
#include "cmdline.h"
#include "console.h"
#include "gdt.h"
#include "kalloc.h"
#include "memlayout.h"
#include "proc.h"
#include "pvm.h"
#include "syscall.h"
#include "trap.h"
#include "vm.h"
#include "vmb.h"

extern char boot_stack_top[];

void kmain(uint64_t bootinfo_pa, uint64_t pvh_pa);

void kmain(uint64_t bootinfo_pa, uint64_t pvh_pa)
{
	const char *why;
	const struct vmb_boot_info *bi = boot_info_get(bootinfo_pa, pvh_pa, &why);

	if (!bi) {
		vmb_printf("boot: %s (boot_info 0x%lx, pvh 0x%lx)\n", why,
			   bootinfo_pa, pvh_pa);
		kexit(VMB_EXIT_BAD_BOOT);
	}
	vmb_report_boot(boot_entry_name(),
			bi->ram_bytes >> 20, bi->tsc_khz, bi->cmdline);

	/* Order matters: pages before page tables, page tables before the
	 * APIC's MMIO window, IDT before the timer starts. */
	uint64_t ram_top = bi->ram_bytes < DIRECT_MAP_MAX ? bi->ram_bytes
							  : DIRECT_MAP_MAX;
	kalloc_init(bi->free_phys, ram_top);
	kvm_init(ram_top);
	gdt_init();
	idt_init();
	syscall_init();
	proc_init((uint64_t)boot_stack_top);
	apic_init();
	vmb_printf("kernel: %lu MiB usable, %lu free pages, %s timer\n",
		   ram_top >> 20, kalloc_free_pages(),
		   apic_is_x2apic() ? "x2APIC" : "xAPIC");

	if (bi->flags & VMB_BOOT_F_PVM_ASSIST)
		pvm_assist_enable();

	struct vmb_params cmd;
	int pvm_flag = 0;
	const char *err = cmdline_parse(bi->cmdline, &cmd, &pvm_flag);
	if (err) {
		vmb_printf("%s\n", err);
		vmb_report_error("cmdline", err);
		vmb_report_done(VMB_EXIT_BAD_CMDLINE, 0);
		kexit(VMB_EXIT_BAD_CMDLINE);
	}
	if (pvm_flag)
		pvm_assist_enable();
	int status = bench_run_all(&cmd);
	pvm_stats_print();
	kexit(status);
}
