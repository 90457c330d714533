/*
 * elf_loader.c - validate a guest ELF64 image completely, then load it.
 *
 * The file is untrusted: every header field is checked before it is used,
 * every offset+size sum is overflow-checked, and headers are copied out of
 * the buffer with memcpy so no alignment is assumed. Validation never
 * touches RAM, so a bad image leaves the machine as it was.
 */
#include "machine/elf_loader.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "machine/guest_mem.h"
#include "vmb_abi.h"

#ifndef XEN_ELFNOTE_PHYS32_ENTRY
#define XEN_ELFNOTE_PHYS32_ENTRY 18
#endif

/* Largest image elf_load_file() reads: RAM is at most 2 GiB. */
#define ELF_FILE_MAX (4ull << 30)

static enum elf_error elf_fail(enum elf_error code, char *err, size_t errlen,
			       const char *name, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

static enum elf_error elf_fail(enum elf_error code, char *err, size_t errlen,
			       const char *name, const char *fmt, ...)
{
	va_list ap;
	int n = snprintf(err, errlen, "%s: ", name ? name : "<image>");

	if (n >= 0 && (size_t)n < errlen) {
		va_start(ap, fmt);
		vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
		va_end(ap);
	}
	return code;
}

/* [off, off+size) lies inside a buffer of (len) bytes, overflow-safe. */
static bool in_file(uint64_t off, uint64_t size, size_t len)
{
	return off <= len && size <= len - off;
}

static enum elf_error ehdr_check(const uint8_t *b, size_t len,
				 const char *name, Elf64_Ehdr *eh, char *err,
				 size_t errlen)
{
	if (len < SELFMAG || memcmp(b, ELFMAG, SELFMAG))
		return len < SELFMAG ?
			elf_fail(ELF_ERR_TRUNCATED, err, errlen, name,
				 "file is %zu bytes, shorter than the ELF magic",
				 len) :
			elf_fail(ELF_ERR_MAGIC, err, errlen, name,
				 "not an ELF file (bytes 0-3 are %02x %02x %02x "
				 "%02x, want 7f 45 4c 46)", b[0], b[1], b[2],
				 b[3]);
	if (len < sizeof(*eh))
		return elf_fail(ELF_ERR_TRUNCATED, err, errlen, name,
				"file is %zu bytes, shorter than the %zu-byte "
				"ELF64 header", len, sizeof(*eh));
	memcpy(eh, b, sizeof(*eh));
	if (eh->e_ident[EI_CLASS] != ELFCLASS64)
		return elf_fail(ELF_ERR_CLASS, err, errlen, name,
				"EI_CLASS (offset 4) is %u, want 2 (ELFCLASS64)",
				eh->e_ident[EI_CLASS]);
	if (eh->e_ident[EI_DATA] != ELFDATA2LSB)
		return elf_fail(ELF_ERR_DATA, err, errlen, name,
				"EI_DATA (offset 5) is %u, want 1 (little-endian)",
				eh->e_ident[EI_DATA]);
	if (eh->e_ident[EI_VERSION] != EV_CURRENT || eh->e_version != EV_CURRENT)
		return elf_fail(ELF_ERR_VERSION, err, errlen, name,
				"ELF version is %u/%u (offsets 6/20), want 1",
				eh->e_ident[EI_VERSION], eh->e_version);
	if (eh->e_machine != EM_X86_64)
		return elf_fail(ELF_ERR_MACHINE, err, errlen, name,
				"e_machine (offset 18) is %u, want 62 (x86-64)",
				eh->e_machine);
	if (eh->e_type != ET_EXEC)
		return elf_fail(ELF_ERR_TYPE, err, errlen, name,
				"e_type (offset 16) is %u, want 2 (ET_EXEC, a "
				"statically linked kernel)", eh->e_type);
	if (eh->e_phentsize != sizeof(Elf64_Phdr) || eh->e_phnum == PN_XNUM)
		return elf_fail(ELF_ERR_PHDR, err, errlen, name,
				"program headers: e_phentsize %u (want %zu), "
				"e_phnum %u", eh->e_phentsize,
				sizeof(Elf64_Phdr), eh->e_phnum);
	if (eh->e_phnum == 0)
		return elf_fail(ELF_ERR_NO_LOAD, err, errlen, name,
				"no program headers, nothing to load");
	if (!in_file(eh->e_phoff, (uint64_t)eh->e_phnum * sizeof(Elf64_Phdr),
		     len))
		return elf_fail(ELF_ERR_TRUNCATED, err, errlen, name,
				"program header table at offset 0x%llx (%u "
				"entries) runs past the end of the %zu-byte file",
				(unsigned long long)eh->e_phoff, eh->e_phnum,
				len);
	return ELF_OK;
}

static void phdr_get(const uint8_t *b, const Elf64_Ehdr *eh, unsigned i,
		     Elf64_Phdr *ph)
{
	memcpy(ph, b + eh->e_phoff + (uint64_t)i * sizeof(*ph), sizeof(*ph));
}

static uint64_t phdr_off(const Elf64_Ehdr *eh, unsigned i)
{
	return eh->e_phoff + (uint64_t)i * sizeof(Elf64_Phdr);
}

/* Checks of one PT_LOAD on its own (overlap and entry come later). */
static enum elf_error load_check(const Elf64_Ehdr *eh, const Elf64_Phdr *ph,
				 unsigned i, size_t len, uint64_t ram,
				 const char *name, char *err, size_t errlen)
{
	uint64_t off = phdr_off(eh, i);

	if (ph->p_filesz > ph->p_memsz)
		return elf_fail(ELF_ERR_SEG_SIZE, err, errlen, name,
				"segment %u (phdr at offset 0x%llx): p_filesz "
				"0x%llx > p_memsz 0x%llx", i,
				(unsigned long long)off,
				(unsigned long long)ph->p_filesz,
				(unsigned long long)ph->p_memsz);
	if (!in_file(ph->p_offset, ph->p_filesz, len))
		return elf_fail(ELF_ERR_TRUNCATED, err, errlen, name,
				"segment %u: file bytes [0x%llx, +0x%llx) run "
				"past the end of the %zu-byte file", i,
				(unsigned long long)ph->p_offset,
				(unsigned long long)ph->p_filesz, len);
	if (ph->p_paddr < VMB_PHYS_KERNEL || ph->p_paddr > ram ||
	    ph->p_memsz > ram - ph->p_paddr)
		return elf_fail(ELF_ERR_SEG_BOUNDS, err, errlen, name,
				"segment %u: physical range [0x%llx, +0x%llx) "
				"is outside [0x%llx, 0x%llx) (kernel base to "
				"end of RAM)", i,
				(unsigned long long)ph->p_paddr,
				(unsigned long long)ph->p_memsz,
				VMB_PHYS_KERNEL, (unsigned long long)ram);
	if (ph->p_vaddr != ph->p_paddr &&
	    ph->p_vaddr != VMB_KERNEL_VBASE + ph->p_paddr)
		return elf_fail(ELF_ERR_SEG_BOUNDS, err, errlen, name,
				"segment %u: p_vaddr 0x%llx is neither p_paddr "
				"0x%llx nor 0x%llx + p_paddr (the boot page "
				"tables map nothing else)", i,
				(unsigned long long)ph->p_vaddr,
				(unsigned long long)ph->p_paddr,
				VMB_KERNEL_VBASE);
	return ELF_OK;
}

/* The PVH entry in one PT_NOTE segment's bytes, if any (0 if absent). */
static enum elf_error note_scan(const uint8_t *n, uint64_t size, unsigned i,
				uint64_t file_off, uint64_t *pvh,
				const char *name, char *err, size_t errlen)
{
	uint64_t pos = 0;

	while (pos < size) {
		Elf64_Nhdr nh;
		uint64_t name_sz, desc_sz;

		if (size - pos < sizeof(nh))
			return elf_fail(ELF_ERR_NOTE, err, errlen, name,
					"segment %u: note header at offset 0x%llx "
					"runs past the segment", i,
					(unsigned long long)(file_off + pos));
		memcpy(&nh, n + pos, sizeof(nh));
		name_sz = ((uint64_t)nh.n_namesz + 3) & ~3ull;
		desc_sz = ((uint64_t)nh.n_descsz + 3) & ~3ull;
		if (name_sz + desc_sz > size - pos - sizeof(nh))
			return elf_fail(ELF_ERR_NOTE, err, errlen, name,
					"segment %u: note at offset 0x%llx "
					"(namesz %u, descsz %u) runs past the "
					"segment", i,
					(unsigned long long)(file_off + pos),
					nh.n_namesz, nh.n_descsz);
		const uint8_t *nm = n + pos + sizeof(nh), *desc = nm + name_sz;

		if (nh.n_type == XEN_ELFNOTE_PHYS32_ENTRY && nh.n_namesz == 4 &&
		    !memcmp(nm, "Xen", 4)) {
			uint64_t v = 0;

			if (nh.n_descsz != 4 && nh.n_descsz != 8)
				return elf_fail(ELF_ERR_NOTE, err, errlen, name,
						"segment %u: PVH entry note at "
						"offset 0x%llx has descsz %u, "
						"want 4 or 8", i,
						(unsigned long long)(file_off +
								     pos),
						nh.n_descsz);
			memcpy(&v, desc, nh.n_descsz);
			*pvh = v;
		}
		pos += sizeof(nh) + name_sz + desc_sz;
	}
	return ELF_OK;
}

static enum elf_error overlap_check(const uint8_t *b, const Elf64_Ehdr *eh,
				    unsigned i, const Elf64_Phdr *ph,
				    const char *name, char *err, size_t errlen)
{
	for (unsigned j = 0; j < i; j++) {
		Elf64_Phdr o;

		phdr_get(b, eh, j, &o);
		if (o.p_type != PT_LOAD || !o.p_memsz || !ph->p_memsz)
			continue;
		if (ph->p_paddr < o.p_paddr + o.p_memsz &&
		    o.p_paddr < ph->p_paddr + ph->p_memsz)
			return elf_fail(ELF_ERR_SEG_OVERLAP, err, errlen, name,
					"segment %u [0x%llx, +0x%llx) overlaps "
					"segment %u [0x%llx, +0x%llx) physically",
					i, (unsigned long long)ph->p_paddr,
					(unsigned long long)ph->p_memsz, j,
					(unsigned long long)o.p_paddr,
					(unsigned long long)o.p_memsz);
	}
	return ELF_OK;
}

enum elf_error elf_validate(const void *buf, size_t len, uint64_t ram_bytes,
			    const char *name, struct elf_image_info *info,
			    char *err, size_t errlen)
{
	const uint8_t *b = buf;
	struct elf_image_info inf = { .phys_lo = UINT64_MAX };
	bool entry_ok = false;
	Elf64_Ehdr eh;
	enum elf_error e;

	if (errlen)
		err[0] = '\0';
	e = ehdr_check(b, len, name, &eh, err, errlen);
	if (e)
		return e;
	inf.entry = eh.e_entry;
	for (unsigned i = 0; i < eh.e_phnum; i++) {
		Elf64_Phdr ph;

		phdr_get(b, &eh, i, &ph);
		if (ph.p_type == PT_NOTE) {
			if (!in_file(ph.p_offset, ph.p_filesz, len))
				return elf_fail(ELF_ERR_TRUNCATED, err, errlen,
						name, "segment %u (PT_NOTE): "
						"bytes [0x%llx, +0x%llx) run past "
						"the end of the %zu-byte file", i,
						(unsigned long long)ph.p_offset,
						(unsigned long long)ph.p_filesz,
						len);
			e = note_scan(b + ph.p_offset, ph.p_filesz, i,
				      ph.p_offset, &inf.pvh_entry, name, err,
				      errlen);
			if (e)
				return e;
			continue;
		}
		if (ph.p_type != PT_LOAD)
			continue;
		e = load_check(&eh, &ph, i, len, ram_bytes, name, err, errlen);
		if (!e)
			e = overlap_check(b, &eh, i, &ph, name, err, errlen);
		if (e)
			return e;
		inf.nsegments++;
		if (ph.p_memsz && ph.p_paddr < inf.phys_lo)
			inf.phys_lo = ph.p_paddr;
		if (ph.p_memsz && ph.p_paddr + ph.p_memsz > inf.phys_hi)
			inf.phys_hi = ph.p_paddr + ph.p_memsz;
		if ((ph.p_flags & PF_X) && eh.e_entry >= ph.p_vaddr &&
		    eh.e_entry - ph.p_vaddr < ph.p_memsz)
			entry_ok = true;
	}
	if (!inf.nsegments)
		return elf_fail(ELF_ERR_NO_LOAD, err, errlen, name,
				"none of the %u program headers is PT_LOAD",
				eh.e_phnum);
	if (!entry_ok)
		return elf_fail(ELF_ERR_ENTRY, err, errlen, name,
				"entry point 0x%llx (e_entry, offset 24) is not "
				"inside an executable PT_LOAD segment",
				(unsigned long long)eh.e_entry);
	if (inf.phys_lo == UINT64_MAX)
		inf.phys_lo = inf.phys_hi = 0;
	if (info)
		*info = inf;
	return ELF_OK;
}

enum elf_error elf_load(struct guest_mem *mem, const void *buf, size_t len,
			const char *name, struct elf_image_info *info,
			char *err, size_t errlen)
{
	const uint8_t *b = buf;
	struct elf_image_info inf;
	Elf64_Ehdr eh;
	enum elf_error e;

	e = elf_validate(buf, len, mem->size, name, &inf, err, errlen);
	if (e)
		return e;
	memcpy(&eh, b, sizeof(eh));
	for (unsigned i = 0; i < eh.e_phnum; i++) {
		Elf64_Phdr ph;
		uint8_t *dst;

		phdr_get(b, &eh, i, &ph);
		if (ph.p_type != PT_LOAD)
			continue;
		/* validated: inside RAM and inside the file */
		dst = guest_mem_ptr(mem, ph.p_paddr, ph.p_memsz);
		memcpy(dst, b + ph.p_offset, ph.p_filesz);
		memset(dst + ph.p_filesz, 0, ph.p_memsz - ph.p_filesz);
	}
	if (info)
		*info = inf;
	return ELF_OK;
}

/* Read all of (path) into a malloc'ed buffer. */
static enum elf_error file_read(const char *path, uint8_t **out, size_t *len,
				char *err, size_t errlen)
{
	struct stat st;
	uint8_t *buf = NULL;
	size_t got = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return elf_fail(ELF_ERR_IO, err, errlen, path, "open: %s",
				strerror(errno));
	if (fstat(fd, &st)) {
		int saved = errno;

		close(fd);
		return elf_fail(ELF_ERR_IO, err, errlen, path, "fstat: %s",
				strerror(saved));
	}
	if (!S_ISREG(st.st_mode) || (uint64_t)st.st_size > ELF_FILE_MAX) {
		close(fd);
		return elf_fail(ELF_ERR_IO, err, errlen, path, "%s",
				!S_ISREG(st.st_mode) ? "not a regular file" :
						       "larger than 4 GiB");
	}
	buf = malloc(st.st_size ? (size_t)st.st_size : 1);
	if (!buf) {
		close(fd);
		return elf_fail(ELF_ERR_IO, err, errlen, path,
				"out of memory for %lld bytes",
				(long long)st.st_size);
	}
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);

		if (n <= 0) {
			int saved = errno;

			free(buf);
			close(fd);
			return elf_fail(ELF_ERR_IO, err, errlen, path,
					"read at offset %zu: %s", got,
					n ? strerror(saved) : "unexpected EOF");
		}
		got += (size_t)n;
	}
	close(fd);
	*out = buf;
	*len = got;
	return ELF_OK;
}

enum elf_error elf_load_file(struct guest_mem *mem, const char *path,
			     struct elf_image_info *info, char *err,
			     size_t errlen)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	enum elf_error e = file_read(path, &buf, &len, err, errlen);

	if (e)
		return e;
	e = elf_load(mem, buf, len, path, info, err, errlen);
	free(buf);
	return e;
}

const char *elf_error_name(enum elf_error e)
{
	static const char *const names[] = {
		[ELF_OK] = "ok",
		[ELF_ERR_IO] = "io",
		[ELF_ERR_TRUNCATED] = "truncated",
		[ELF_ERR_MAGIC] = "bad_magic",
		[ELF_ERR_CLASS] = "bad_class",
		[ELF_ERR_DATA] = "bad_byte_order",
		[ELF_ERR_VERSION] = "bad_version",
		[ELF_ERR_MACHINE] = "bad_machine",
		[ELF_ERR_TYPE] = "bad_type",
		[ELF_ERR_PHDR] = "bad_phdr",
		[ELF_ERR_NO_LOAD] = "no_load_segment",
		[ELF_ERR_SEG_SIZE] = "segment_size",
		[ELF_ERR_SEG_BOUNDS] = "segment_bounds",
		[ELF_ERR_SEG_OVERLAP] = "segment_overlap",
		[ELF_ERR_ENTRY] = "bad_entry",
		[ELF_ERR_NOTE] = "bad_note",
	};

	if ((unsigned)e < sizeof(names) / sizeof(names[0]) && names[e])
		return names[e];
	return "?";
}
