/*
 * Unit tests for engines/machine/elf_loader.c: a valid image loads exactly,
 * and a table of corrupt images (each made here from the valid one) gives
 * each its own error code and a message naming the offending field.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "machine/elf_loader.h"
#include "machine/guest_mem.h"
#include "support/elf_build.h"
#include "vmb_abi.h"

#define RAM (16ull << 20)
#define PVH_ENTRY 0x100010u

struct fixture {
	struct guest_mem mem;
	uint8_t *img;
	size_t len;
};

/* text (RX, 0x100000), data+bss (RW, 0x200000), a PVH note. */
static uint8_t *image_build(size_t *len)
{
	static const uint8_t code[] = { 0x90, 0x90, 0xf4, 0xeb, 0xfd };
	uint8_t note[20];
	struct test_elf_seg segs[] = {
		{ PT_LOAD, PF_R | PF_X, VMB_KERNEL_VBASE + 0x100000, 0x100000,
		  sizeof(code), 0x1000, code },
		{ PT_LOAD, PF_R | PF_W, VMB_KERNEL_VBASE + 0x200000, 0x200000,
		  0x100, 0x3000, NULL },
		{ PT_NOTE, PF_R, 0, 0, 0, 0, note },
	};

	segs[2].filesz = segs[2].memsz = test_elf_pvh_note(note, PVH_ENTRY);
	return test_elf_build(segs, 3, VMB_KERNEL_VBASE + 0x100000, len);
}

static int fixture_setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	char err[256];

	if (!f || guest_mem_create(&f->mem, RAM, false, err, sizeof(err)))
		return -1;
	f->img = image_build(&f->len);
	*state = f;
	return f->img ? 0 : -1;
}

static int fixture_teardown(void **state)
{
	struct fixture *f = *state;

	guest_mem_destroy(&f->mem);
	free(f->img);
	free(f);
	return 0;
}

static void load_valid_copiesSegmentsZeroesBss(void **state)
{
	struct fixture *f = *state;
	struct elf_image_info info;
	char err[256] = "x";

	memset(f->mem.host + 0x200000, 0xaa, 0x4000);
	assert_int_equal(elf_load(&f->mem, f->img, f->len, "k.elf", &info, err,
				  sizeof(err)), ELF_OK);
	assert_string_equal(err, "");
	assert_int_equal(info.entry, VMB_KERNEL_VBASE + 0x100000);
	assert_int_equal(info.phys_lo, 0x100000);
	assert_int_equal(info.phys_hi, 0x203000);
	assert_int_equal(info.nsegments, 2);
	assert_int_equal(info.pvh_entry, PVH_ENTRY);
	assert_memory_equal(f->mem.host + 0x100000, "\x90\x90\xf4\xeb\xfd", 5);
	assert_int_equal(f->mem.host[0x100005], 0); /* memsz tail */
	for (unsigned k = 0; k < 0x100; k++)
		assert_int_equal(f->mem.host[0x200000 + k], (uint8_t)(16 + k));
	for (unsigned k = 0x100; k < 0x3000; k++)
		assert_int_equal(f->mem.host[0x200000 + k], 0);
	assert_int_equal(f->mem.host[0x203000], 0xaa); /* past memsz */
}

static void load_file_validAndMissing(void **state)
{
	struct fixture *f = *state;
	struct elf_image_info info;
	char err[256];
	char *path = test_file_write(f->img, f->len);

	assert_non_null(path);
	assert_int_equal(elf_load_file(&f->mem, path, &info, err, sizeof(err)),
			 ELF_OK);
	assert_int_equal(info.nsegments, 2);
	unlink(path);
	assert_int_equal(elf_load_file(&f->mem, path, &info, err, sizeof(err)),
			 ELF_ERR_IO);
	assert_non_null(strstr(err, path));
	assert_non_null(strstr(err, "No such file"));
	free(path);
	assert_int_equal(elf_load_file(&f->mem, "/tmp", &info, err,
				       sizeof(err)), ELF_ERR_IO);
	assert_non_null(strstr(err, "not a regular file"));
}

/* ---- the corruption table ------------------------------------------------ */

static Elf64_Ehdr *eh(uint8_t *img)
{
	return test_elf_ehdr(img);
}

static Elf64_Phdr *ph(uint8_t *img, unsigned i)
{
	return test_elf_phdr(img, i);
}

/* The note's bytes inside the image. */
static uint32_t *note_words(uint8_t *img)
{
	return (uint32_t *)(img + ph(img, 2)->p_offset);
}

static void c_tiny(uint8_t *m, size_t *n) { (void)m; *n = 2; }
static void c_magic(uint8_t *m, size_t *n) { (void)n; m[1] = 'X'; }
static void c_short_header(uint8_t *m, size_t *n) { (void)m; *n = 40; }
static void c_class(uint8_t *m, size_t *n) { (void)n; m[EI_CLASS] = ELFCLASS32; }
static void c_data(uint8_t *m, size_t *n) { (void)n; m[EI_DATA] = ELFDATA2MSB; }
static void c_ident_version(uint8_t *m, size_t *n) { (void)n; m[EI_VERSION] = 0; }
static void c_version(uint8_t *m, size_t *n) { (void)n; eh(m)->e_version = 2; }
static void c_machine(uint8_t *m, size_t *n) { (void)n; eh(m)->e_machine = EM_386; }
static void c_type(uint8_t *m, size_t *n) { (void)n; eh(m)->e_type = ET_DYN; }
static void c_phentsize(uint8_t *m, size_t *n) { (void)n; eh(m)->e_phentsize = 32; }
static void c_phnum_xnum(uint8_t *m, size_t *n) { (void)n; eh(m)->e_phnum = PN_XNUM; }
static void c_phnum_zero(uint8_t *m, size_t *n) { (void)n; eh(m)->e_phnum = 0; }
static void c_phoff(uint8_t *m, size_t *n) { eh(m)->e_phoff = *n - 60; }
static void c_phoff_wrap(uint8_t *m, size_t *n) { (void)n; eh(m)->e_phoff = UINT64_MAX - 8; }
static void c_no_load(uint8_t *m, size_t *n)
{
	(void)n;
	ph(m, 0)->p_type = PT_NULL;
	ph(m, 1)->p_type = PT_GNU_STACK;
}
static void c_filesz(uint8_t *m, size_t *n) { (void)n; ph(m, 1)->p_filesz = 0x4000; }
static void c_offset(uint8_t *m, size_t *n) { ph(m, 0)->p_offset = *n; }
static void c_offset_wrap(uint8_t *m, size_t *n)
{
	(void)n;
	ph(m, 0)->p_offset = UINT64_MAX - 1;
}
static void c_cut(uint8_t *m, size_t *n) { *n = ph(m, 1)->p_offset + 0x80; }
static void c_below_base(uint8_t *m, size_t *n)
{
	(void)n;
	ph(m, 0)->p_paddr = 0x1000;
	ph(m, 0)->p_vaddr = 0x1000;
}
static void c_past_ram(uint8_t *m, size_t *n)
{
	(void)n;
	ph(m, 1)->p_paddr = RAM - 0x1000;
	ph(m, 1)->p_vaddr = RAM - 0x1000;
}
static void c_paddr_wrap(uint8_t *m, size_t *n)
{
	(void)n;
	ph(m, 1)->p_paddr = UINT64_MAX - 0xfff;
	ph(m, 1)->p_vaddr = ph(m, 1)->p_paddr;
}
static void c_memsz_huge(uint8_t *m, size_t *n) { (void)n; ph(m, 1)->p_memsz = UINT64_MAX; }
static void c_vaddr(uint8_t *m, size_t *n) { (void)n; ph(m, 1)->p_vaddr = 0x400000; }
static void c_overlap(uint8_t *m, size_t *n)
{
	(void)n;
	ph(m, 1)->p_paddr = 0x100800;
	ph(m, 1)->p_vaddr = 0x100800;
}
static void c_entry_outside(uint8_t *m, size_t *n) { (void)n; eh(m)->e_entry = VMB_KERNEL_VBASE + 0x101000; }
static void c_entry_data(uint8_t *m, size_t *n) { (void)n; eh(m)->e_entry = VMB_KERNEL_VBASE + 0x200010; }
static void c_text_noexec(uint8_t *m, size_t *n) { (void)n; ph(m, 0)->p_flags = PF_R; }
static void c_note_namesz(uint8_t *m, size_t *n) { (void)n; note_words(m)[0] = 4096; }
static void c_note_short(uint8_t *m, size_t *n) { (void)n; ph(m, 2)->p_filesz = 8; }
static void c_note_descsz(uint8_t *m, size_t *n) { (void)n; note_words(m)[1] = 2; }
static void c_note_offset(uint8_t *m, size_t *n) { ph(m, 2)->p_offset = *n - 4; }

struct corruption {
	const char *what;
	void (*apply)(uint8_t *img, size_t *len);
	enum elf_error want;
	const char *msg1, *msg2;	/* must appear in the message */
};

static const struct corruption corruptions[] = {
	{ "file of 2 bytes", c_tiny, ELF_ERR_TRUNCATED, "2 bytes", "magic" },
	{ "bad magic", c_magic, ELF_ERR_MAGIC, "bytes 0-3", "7f 58" },
	{ "file shorter than header", c_short_header, ELF_ERR_TRUNCATED, "40 bytes", "header" },
	{ "ELFCLASS32", c_class, ELF_ERR_CLASS, "offset 4", "is 1" },
	{ "big-endian", c_data, ELF_ERR_DATA, "offset 5", "is 2" },
	{ "EI_VERSION 0", c_ident_version, ELF_ERR_VERSION, "0/1", "version" },
	{ "e_version 2", c_version, ELF_ERR_VERSION, "1/2", "version" },
	{ "i386", c_machine, ELF_ERR_MACHINE, "offset 18", "is 3" },
	{ "ET_DYN", c_type, ELF_ERR_TYPE, "offset 16", "is 3" },
	{ "e_phentsize 32", c_phentsize, ELF_ERR_PHDR, "e_phentsize 32", "56" },
	{ "e_phnum PN_XNUM", c_phnum_xnum, ELF_ERR_PHDR, "e_phnum 65535", "program headers" },
	{ "no program headers", c_phnum_zero, ELF_ERR_NO_LOAD, "no program headers", NULL },
	{ "phdrs past EOF", c_phoff, ELF_ERR_TRUNCATED, "program header table", "3 entries" },
	{ "e_phoff wraps", c_phoff_wrap, ELF_ERR_TRUNCATED, "offset 0xfffffffffffffff7", NULL },
	{ "no PT_LOAD", c_no_load, ELF_ERR_NO_LOAD, "none of the 3", "PT_LOAD" },
	{ "filesz > memsz", c_filesz, ELF_ERR_SEG_SIZE, "segment 1", "0x4000 > p_memsz 0x3000" },
	{ "segment offset at EOF", c_offset, ELF_ERR_TRUNCATED, "segment 0", "past the end" },
	{ "segment offset wraps", c_offset_wrap, ELF_ERR_TRUNCATED, "segment 0", "0xfffffffffffffffe" },
	{ "file cut in a segment", c_cut, ELF_ERR_TRUNCATED, "segment 1", "past the end" },
	{ "segment below kernel base", c_below_base, ELF_ERR_SEG_BOUNDS, "segment 0", "[0x1000," },
	{ "segment past RAM", c_past_ram, ELF_ERR_SEG_BOUNDS, "segment 1", "0x1000000)" },
	{ "segment address wraps", c_paddr_wrap, ELF_ERR_SEG_BOUNDS, "segment 1", "0xfffffffffffff000" },
	{ "memsz wraps", c_memsz_huge, ELF_ERR_SEG_BOUNDS, "segment 1", "+0xffffffffffffffff" },
	{ "vaddr not mapped", c_vaddr, ELF_ERR_SEG_BOUNDS, "segment 1", "p_vaddr 0x400000" },
	{ "segments overlap", c_overlap, ELF_ERR_SEG_OVERLAP, "segment 1 [0x100800", "segment 0 [0x100000" },
	{ "entry outside segments", c_entry_outside, ELF_ERR_ENTRY, "0xffffffff80101000", "executable" },
	{ "entry in data", c_entry_data, ELF_ERR_ENTRY, "0xffffffff80200010", "entry" },
	{ "text not executable", c_text_noexec, ELF_ERR_ENTRY, "entry point", NULL },
	{ "note namesz too big", c_note_namesz, ELF_ERR_NOTE, "segment 2", "namesz 4096" },
	{ "note header cut", c_note_short, ELF_ERR_NOTE, "segment 2", "note header" },
	{ "PVH note descsz 2", c_note_descsz, ELF_ERR_NOTE, "segment 2", "descsz 2" },
	{ "note past EOF", c_note_offset, ELF_ERR_TRUNCATED, "segment 2 (PT_NOTE)", "past the end" },
};

static void validate_corruptTable_specificErrors(void **state)
{
	struct fixture *f = *state;

	for (size_t i = 0; i < sizeof(corruptions) / sizeof(corruptions[0]);
	     i++) {
		const struct corruption *c = &corruptions[i];
		uint8_t *img = malloc(f->len);
		size_t len = f->len;
		char err[512] = "";
		enum elf_error got;

		assert_non_null(img);
		memcpy(img, f->img, f->len);
		c->apply(img, &len);
		got = elf_validate(img, len, RAM, "bad.elf", NULL, err,
				   sizeof(err));
		if (got != c->want || strncmp(err, "bad.elf: ", 9) ||
		    !strstr(err, c->msg1) || (c->msg2 && !strstr(err, c->msg2)))
			fail_msg("case '%s': got %s (%s), want %s with '%s'/'%s'",
				 c->what, elf_error_name(got), err,
				 elf_error_name(c->want), c->msg1,
				 c->msg2 ? c->msg2 : "");
		free(img);
	}
}

/* Every error code in the enum is produced by some case above. */
static void validate_corruptTable_coversEveryError(void **state)
{
	bool seen[ELF_ERR_NOTE + 1] = { false };

	(void)state;
	for (size_t i = 0; i < sizeof(corruptions) / sizeof(corruptions[0]); i++)
		seen[corruptions[i].want] = true;
	for (int e = ELF_ERR_TRUNCATED; e <= ELF_ERR_NOTE; e++)
		if (!seen[e])
			fail_msg("no corrupt image gives %s", elf_error_name(e));
	for (int e = ELF_OK; e <= ELF_ERR_NOTE; e++)
		assert_string_not_equal(elf_error_name(e), "?");
}

static void load_corrupt_leavesRamUntouched(void **state)
{
	struct fixture *f = *state;
	char err[256];
	size_t len = f->len;

	memset(f->mem.host + 0x100000, 0xaa, 0x1000);
	c_overlap(f->img, &len);
	assert_int_equal(elf_load(&f->mem, f->img, len, "bad.elf", NULL, err,
				  sizeof(err)), ELF_ERR_SEG_OVERLAP);
	for (unsigned k = 0; k < 0x1000; k++)
		assert_int_equal(f->mem.host[0x100000 + k], 0xaa);
}

static void validate_noNote_pvhZero_andNullSegmentOk(void **state)
{
	struct fixture *f = *state;
	struct elf_image_info info;
	char err[256];
	size_t len;
	uint8_t *img = test_elf_kernel(NULL, 0, &len);

	(void)f;
	assert_non_null(img);
	/* a zero-sized PT_LOAD anywhere inside RAM is harmless */
	assert_int_equal(elf_validate(img, len, RAM, "k", &info, err,
				      sizeof(err)), ELF_OK);
	assert_int_equal(info.pvh_entry, 0);
	free(img);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, fixture_setup, fixture_teardown)
	const struct CMUnitTest tests[] = {
		T(load_valid_copiesSegmentsZeroesBss),
		T(load_file_validAndMissing),
		T(validate_corruptTable_specificErrors),
		T(validate_corruptTable_coversEveryError),
		T(load_corrupt_leavesRamUntouched),
		T(validate_noNote_pvhZero_andNullSegmentOk),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
