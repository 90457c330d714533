/*
 * boot.h - turn whatever the boot path handed over into one vmb_boot_info.
 */
#ifndef KERNEL_BOOT_H
#define KERNEL_BOOT_H

#include <stdint.h>

#include "vmb_abi.h"

/*
 * Validate and copy the boot information. (bootinfo_pa) is RDI from the
 * vmbench loader (0 on the PVH path), (pvh_pa) the PVH start_info from
 * QEMU (0 on the vmbench path). With both 0, the Multiboot2 information
 * that entry.S's mb2_start32 saved (GRUB) is used. The result is a kernel-owned copy with
 * free_phys raised above the kernel image. Returns NULL with (why) set
 * when the information is missing or malformed.
 */
const struct vmb_boot_info *boot_info_get(uint64_t bootinfo_pa,
					  uint64_t pvh_pa, const char **why);

/*
 * The loader's own boot_info in guest RAM, which the host reads back (the
 * PVM assist counts), or NULL on the PVH path, where there is none.
 * Valid after boot_info_get() succeeded.
 */
struct vmb_boot_info *boot_info_host(void);

/* How the kernel was entered: "vmbench", "pvh" or "multiboot2". */
const char *boot_entry_name(void);

#endif
