/*
 * boot.c - vmb_boot_info from the vmbench loader, a PVH start_info or a
 * Multiboot2 information structure.
 *
 * Both sources are read through the boot page tables' KERNBASE map, which
 * covers at least the first 1 GiB of physical memory; addresses above that
 * are rejected rather than dereferenced.
 */
#include "boot.h"
#include "memlayout.h"
#include "vmb.h"

#define PVH_MAGIC 0x336ec578u
#define PVH_MEMMAP_RAM 1u
#define BOOT_READABLE_MAX (1ull << 30)

struct pvh_start_info {
	uint32_t magic, version, flags, nr_modules;
	uint64_t modlist_paddr, cmdline_paddr, rsdp_paddr;
	uint64_t memmap_paddr;	/* version >= 1 */
	uint32_t memmap_entries, reserved;
};

struct pvh_memmap_entry {
	uint64_t addr, size;
	uint32_t type, reserved;
};

/* Multiboot2 boot information: a list of 8-byte aligned tags. */
#define MB2_TAG_END 0u
#define MB2_TAG_CMDLINE 1u
#define MB2_TAG_MMAP 6u
#define MB2_MEMMAP_RAM 1u

struct mb2_tag {
	uint32_t type, size;
};

struct mb2_mmap_entry {
	uint64_t addr, len;
	uint32_t type, reserved;
};

extern char _kernel_end[];

uint32_t boot_mb2_info_pa;	/* set by entry.S's mb2_start32 */
static const char *boot_entry = "vmbench";

static struct vmb_boot_info boot_info;
static struct vmb_boot_info *host_boot_info; /* the loader's, in low RAM */

static int readable(uint64_t pa, uint64_t len)
{
	return pa != 0 && pa < BOOT_READABLE_MAX && len < BOOT_READABLE_MAX &&
	       pa + len <= BOOT_READABLE_MAX;
}

static const char *from_pvh(uint64_t pa)
{
	const struct pvh_start_info *si = P2V(pa);

	if (!readable(pa, sizeof(*si)) || si->magic != PVH_MAGIC)
		return "PVH start_info missing or bad magic";
	if (si->version < 1 || !si->memmap_entries ||
	    !readable(si->memmap_paddr,
		      si->memmap_entries * sizeof(struct pvh_memmap_entry)))
		return "PVH start_info has no memory map";
	const struct pvh_memmap_entry *e = P2V(si->memmap_paddr);
	for (uint32_t i = 0; i < si->memmap_entries; i++)
		if (e[i].type == PVH_MEMMAP_RAM &&
		    e[i].addr + e[i].size > boot_info.ram_bytes)
			boot_info.ram_bytes = e[i].addr + e[i].size;
	if (si->cmdline_paddr && readable(si->cmdline_paddr, VMB_CMDLINE_MAX))
		vmb_strlcpy(boot_info.cmdline, P2V(si->cmdline_paddr),
			    sizeof(boot_info.cmdline));
	boot_info.magic = VMB_BOOT_MAGIC;
	boot_info.version = VMB_BOOT_VERSION;
	boot_info.flags = VMB_BOOT_F_PVH;
	boot_info.tsc_khz = 0;
	boot_info.free_phys = 0;
	return NULL;
}

static const char *from_mb2(uint64_t pa)
{
	const uint32_t *hdr = P2V(pa);

	if (!readable(pa, 8) || hdr[0] < 8 || !readable(pa, hdr[0]))
		return "Multiboot2 information missing or too large";
	uint64_t end = pa + hdr[0];
	for (uint64_t t = pa + 8; t + 8 <= end;) {
		const struct mb2_tag *tag = P2V(t);
		if (tag->type == MB2_TAG_END || tag->size < 8 ||
		    tag->size > end - t)
			break;
		if (tag->type == MB2_TAG_CMDLINE)	/* NUL-terminated */
			vmb_strlcpy(boot_info.cmdline, (const char *)(tag + 1),
				    sizeof(boot_info.cmdline));
		if (tag->type == MB2_TAG_MMAP) {
			const uint32_t *m = (const uint32_t *)(tag + 1);
			uint32_t esize = m[0];	/* then entry_version */
			if (esize < sizeof(struct mb2_mmap_entry))
				return "Multiboot2 memory map entries too small";
			for (uint64_t o = 16; o + esize <= tag->size; o += esize) {
				const struct mb2_mmap_entry *e = P2V(t + o);
				if (e->type == MB2_MEMMAP_RAM &&
				    e->addr + e->len > boot_info.ram_bytes)
					boot_info.ram_bytes = e->addr + e->len;
			}
		}
		t += (tag->size + 7) & ~7u;
	}
	if (!boot_info.ram_bytes)
		return "Multiboot2 information has no memory map";
	boot_info.magic = VMB_BOOT_MAGIC;
	boot_info.version = VMB_BOOT_VERSION;
	boot_info.flags = VMB_BOOT_F_PVH;	/* firmware-booted, like PVH */
	boot_info.tsc_khz = 0;
	boot_info.free_phys = 0;
	boot_entry = "multiboot2";
	return NULL;
}

static const char *from_vmbench(uint64_t pa)
{
	const struct vmb_boot_info *bi = P2V(pa);

	if (!readable(pa, sizeof(*bi)) || bi->magic != VMB_BOOT_MAGIC)
		return "boot_info missing or bad magic";
	if (bi->version != VMB_BOOT_VERSION)
		return "boot_info version unsupported";
	vmb_memcpy(&boot_info, bi, sizeof(boot_info));
	boot_info.cmdline[VMB_CMDLINE_MAX - 1] = 0;
	host_boot_info = P2V(pa);
	return NULL;
}

const struct vmb_boot_info *boot_info_get(uint64_t bootinfo_pa,
					  uint64_t pvh_pa, const char **why)
{
	if (bootinfo_pa)
		*why = from_vmbench(bootinfo_pa);
	else if (boot_mb2_info_pa)
		*why = from_mb2(boot_mb2_info_pa);
	else {
		*why = from_pvh(pvh_pa);
		boot_entry = "pvh";
	}
	if (*why)
		return NULL;
	uint64_t kend = V2P(_kernel_end);
	if (boot_info.free_phys < kend)
		boot_info.free_phys = kend;
	boot_info.free_phys = PGROUNDUP(boot_info.free_phys);
	if (boot_info.ram_bytes < boot_info.free_phys + (4ull << 20)) {
		*why = "RAM too small";
		return NULL;
	}
	return &boot_info;
}

struct vmb_boot_info *boot_info_host(void)
{
	return host_boot_info;
}

const char *boot_entry_name(void)
{
	return boot_entry;
}
