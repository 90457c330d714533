/*
 * elf_build.h - build small guest ELF64 images in memory, for tests.
 *
 * Tests of the loader, the boot builder and the engines need kernel images
 * with exact, known contents (and corrupt variants of them). These helpers
 * lay out an ELF header, the program headers and each segment's bytes in
 * one malloc'ed buffer; tests then poke fields through test_elf_ehdr() /
 * test_elf_phdr() to corrupt them.
 */
#ifndef VMB_TEST_ELF_BUILD_H
#define VMB_TEST_ELF_BUILD_H

#include <elf.h>
#include <stddef.h>
#include <stdint.h>

/* One program header. (data) (may be NULL) supplies (filesz) bytes; when
 * NULL the bytes are a pattern: byte k of segment i is (i * 16 + k) & 0xff. */
struct test_elf_seg {
	uint32_t type;		/* PT_LOAD, PT_NOTE, ... */
	uint32_t flags;		/* PF_R | PF_W | PF_X */
	uint64_t vaddr, paddr, filesz, memsz;
	const void *data;
};

/*
 * Build an ET_EXEC x86-64 image with (nsegs) segments and entry (entry).
 * Returns a malloc'ed buffer (free() it) and its length in *len, or NULL
 * when out of memory.
 */
uint8_t *test_elf_build(const struct test_elf_seg *segs, unsigned nsegs,
			uint64_t entry, size_t *len);

/*
 * A ready-made kernel: text RX at physical 0x100000 (virtual
 * VMB_KERNEL_VBASE + 0x100000) holding (code, codelen) bytes (a `jmp .`
 * when code is NULL), and a data RW segment at 0x200000 with 0x100 file
 * bytes and 0x3000 bytes in memory (bss). Entry = start of text.
 */
uint8_t *test_elf_kernel(const void *code, size_t codelen, size_t *len);

/*
 * A flat kernel file for engine tests: one RWX PT_LOAD at physical
 * 0x100000 (virtual VMB_KERNEL_VBASE + 0x100000) holding (code, codelen)
 * plus 64 KiB of zeroed memory after it, entry at its start, written to a
 * fresh temporary file. Copies the path into (path, pathlen) and returns 0
 * (unlink it when done), or -1.
 */
int test_elf_flat_kernel_file(const void *code, size_t codelen, char *path,
			      size_t pathlen);

/* Header accessors into an image made above (for corrupting fields). */
Elf64_Ehdr *test_elf_ehdr(uint8_t *img);
Elf64_Phdr *test_elf_phdr(uint8_t *img, unsigned i);

/* Write a PVH entry note ("Xen", type 18, 4-byte desc) into (out, 20
 * bytes) and return its size. */
size_t test_elf_pvh_note(uint8_t out[20], uint32_t entry);

/* Write (len) bytes to a fresh temporary file; returns its malloc'ed path
 * (unlink and free it), or NULL. */
char *test_file_write(const void *buf, size_t len);

#endif /* VMB_TEST_ELF_BUILD_H */
