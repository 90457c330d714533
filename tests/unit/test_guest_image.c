/*
 * Unit tests for the guest image as the vmbench loader sees it: the ELF
 * built by workloads/Makefile validates, its segments land at 1 MiB, both
 * entry points (the ELF entry for the vmbench boot protocol and the PVH
 * note for QEMU) point at the kernel's first instructions, and boot_build()
 * accepts it. The image is $VMB_GUEST_IMAGE or build/guest/vmbench-guest.elf
 * (built by `make` before the tests run); without it the tests skip.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "machine/boot.h"
#include "machine/elf_loader.h"
#include "machine/guest_mem.h"
#include "machine/x86_state.h"
#include "vmb_abi.h"

#define RAM (64ull << 20)
#define OP_CLI 0xFA	/* both entries start with cli */

struct image {
	uint8_t *buf;
	size_t len;
	const char *path;
};

static int image_setup(void **state)
{
	static struct image img;
	const char *path = getenv("VMB_GUEST_IMAGE");
	FILE *f;

	img.path = path ? path : "build/guest/vmbench-guest.elf";
	f = fopen(img.path, "rb");
	if (f) {
		fseek(f, 0, SEEK_END);
		img.len = (size_t)ftell(f);
		rewind(f);
		img.buf = malloc(img.len);
		if (!img.buf || fread(img.buf, 1, img.len, f) != img.len)
			img.len = 0;
		fclose(f);
	}
	*state = &img;
	return 0;
}

static int image_teardown(void **state)
{
	struct image *img = *state;

	free(img->buf);
	img->buf = NULL;
	return 0;
}

static struct image *image_get(void **state)
{
	struct image *img = *state;

	if (!img->buf || !img->len) {
		printf("skip: no guest image at %s (run make guest)\n", img->path);
		skip();
	}
	return img;
}

static void validate_guestImage_entriesInKernelSegment(void **state)
{
	struct image *img = image_get(state);
	struct elf_image_info info;
	char err[256];

	assert_int_equal(elf_validate(img->buf, img->len, RAM, img->path, &info,
				      err, sizeof(err)), ELF_OK);
	assert_true(info.entry >= VMB_KERNEL_VBASE + VMB_PHYS_KERNEL);
	assert_int_equal(info.phys_lo, VMB_PHYS_KERNEL);
	assert_true(info.phys_hi < RAM);
	assert_int_equal(info.nsegments, 2);
	assert_true(info.pvh_entry >= info.phys_lo &&
		    info.pvh_entry < info.phys_hi);
}

static void validate_ramBelowKernel_segBounds(void **state)
{
	struct image *img = image_get(state);
	struct elf_image_info info;
	char err[256];

	assert_int_equal(elf_validate(img->buf, img->len, 1ull << 20, img->path,
				      &info, err, sizeof(err)),
			 ELF_ERR_SEG_BOUNDS);
}

static void load_guestImage_entriesHoldKernelCode(void **state)
{
	struct image *img = image_get(state);
	struct guest_mem mem = {.fd = -1};
	struct elf_image_info info;
	struct x86_state st;
	uint8_t op = 0;
	char err[256];

	assert_int_equal(guest_mem_create(&mem, RAM, false, err, sizeof(err)), 0);
	assert_int_equal(elf_load(&mem, img->buf, img->len, img->path, &info,
				  err, sizeof(err)), ELF_OK);
	assert_int_equal(guest_mem_read(&mem, info.entry - VMB_KERNEL_VBASE,
					&op, 1), 0);
	assert_int_equal(op, OP_CLI);
	assert_int_equal(guest_mem_read(&mem, info.pvh_entry, &op, 1), 0);
	assert_int_equal(op, OP_CLI);

	struct boot_params bp = {
		.entry = info.entry,
		.kernel_phys_hi = info.phys_hi,
		.cmdline = "bench=cpuid iters=10",
	};
	memset(&st, 0, sizeof(st));
	assert_int_equal(boot_build(&mem, &bp, &st, err, sizeof(err)), 0);
	struct vmb_boot_info bi;
	assert_int_equal(guest_mem_read(&mem, VMB_PHYS_BOOT_INFO, &bi,
					sizeof(bi)), 0);
	assert_true(bi.magic == VMB_BOOT_MAGIC);
	assert_true(bi.free_phys >= info.phys_hi);
	guest_mem_destroy(&mem);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(validate_guestImage_entriesInKernelSegment),
		cmocka_unit_test(validate_ramBelowKernel_segBounds),
		cmocka_unit_test(load_guestImage_entriesHoldKernelCode),
	};
	return cmocka_run_group_tests(tests, image_setup, image_teardown);
}
