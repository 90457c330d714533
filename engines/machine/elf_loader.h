/*
 * elf_loader.h - validate a guest kernel ELF64 image and load it into RAM.
 *
 * The image comes from the user, so every field is checked before use:
 * magic, class, byte order, machine (x86-64), type, program-header table
 * bounds, each PT_LOAD's file range inside the file, filesz <= memsz,
 * physical range inside RAM and above VMB_PHYS_KERNEL, no two segments
 * overlapping, each virtual address either the physical one or
 * VMB_KERNEL_VBASE + physical (the two ranges the boot page tables map),
 * and the entry point inside an executable loaded segment. PT_NOTE
 * segments are parsed for the PVH entry note (XEN_ELFNOTE_PHYS32_ENTRY).
 * Each failure has its own error code and a message naming the file, the
 * segment index and the offending values.
 */
#ifndef VMB_ELF_LOADER_H
#define VMB_ELF_LOADER_H

#include <stddef.h>
#include <stdint.h>

struct guest_mem;

enum elf_error {
	ELF_OK = 0,
	ELF_ERR_IO,		/* cannot open/read the file */
	ELF_ERR_TRUNCATED,	/* file shorter than a header or segment says */
	ELF_ERR_MAGIC,		/* not \x7fELF */
	ELF_ERR_CLASS,		/* not ELFCLASS64 */
	ELF_ERR_DATA,		/* not little-endian */
	ELF_ERR_VERSION,	/* e_ident/e_version not EV_CURRENT */
	ELF_ERR_MACHINE,	/* not EM_X86_64 */
	ELF_ERR_TYPE,		/* not ET_EXEC */
	ELF_ERR_PHDR,		/* bad e_phentsize/e_phnum/e_phoff */
	ELF_ERR_NO_LOAD,	/* no PT_LOAD segment */
	ELF_ERR_SEG_SIZE,	/* p_filesz > p_memsz */
	ELF_ERR_SEG_BOUNDS,	/* physical range outside RAM / below kernel base */
	ELF_ERR_SEG_OVERLAP,	/* two PT_LOAD segments overlap physically */
	ELF_ERR_ENTRY,		/* entry not inside an executable PT_LOAD */
	ELF_ERR_NOTE,		/* malformed PT_NOTE (sizes past the segment) */
};

struct elf_image_info {
	uint64_t entry;		/* e_entry (guest-virtual) */
	uint64_t phys_lo, phys_hi; /* lowest/highest+1 physical byte loaded */
	unsigned nsegments;
	uint64_t pvh_entry;	/* XEN_ELFNOTE_PHYS32_ENTRY, 0 if absent */
};

/*
 * Validate the ELF image in (buf, len) against RAM of (ram_bytes) without
 * touching RAM. Fills (info) on success. Returns ELF_OK or the first error,
 * with (err) naming it (prefixed by (name), usually the file path).
 */
enum elf_error elf_validate(const void *buf, size_t len, uint64_t ram_bytes,
			    const char *name, struct elf_image_info *info,
			    char *err, size_t errlen);

/*
 * Validate (buf, len) and copy its PT_LOAD segments to their physical
 * addresses in (mem), zero-filling [filesz, memsz). Nothing is written to
 * RAM unless the whole image validates.
 */
enum elf_error elf_load(struct guest_mem *mem, const void *buf, size_t len,
			const char *name, struct elf_image_info *info,
			char *err, size_t errlen);

/* Read (path) and elf_load() it. ELF_ERR_IO names the path and errno. */
enum elf_error elf_load_file(struct guest_mem *mem, const char *path,
			     struct elf_image_info *info, char *err,
			     size_t errlen);

/* Short stable name of (e), e.g. "truncated". */
const char *elf_error_name(enum elf_error e);

#endif /* VMB_ELF_LOADER_H */
