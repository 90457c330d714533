/*
 * fuzz_elf_loader.c - libFuzzer target for the guest ELF loader.
 *
 * Build:  clang -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE
 *           -Iengines -Iworkloads/include tests/fuzz/fuzz_elf_loader.c
 *           engines/machine/elf_loader.c engines/machine/guest_mem.c
 * Any input must give ELF_OK or an error with a message; a crash, a leak
 * or a sanitizer report is a bug. On ELF_OK the image must also load, and
 * the loaded bytes are re-read to make ASan check the reported range.
 * tests/unit/test_elf_fuzz.c runs this same function on mutated images in
 * every `make test`, so the target is exercised without clang too.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "machine/elf_loader.h"
#include "machine/guest_mem.h"

#define FUZZ_RAM (16ull << 20)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct guest_mem *fuzz_mem(void)
{
	static struct guest_mem mem;
	static int made;
	char err[256];

	if (!made) {
		if (guest_mem_create(&mem, FUZZ_RAM, false, err, sizeof(err))) {
			fprintf(stderr, "fuzz_elf_loader: %s\n", err);
			abort();
		}
		made = 1;
	}
	return &mem;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct guest_mem *mem = fuzz_mem();
	struct elf_image_info info;
	char err[512];
	enum elf_error e, v;
	volatile uint8_t sink = 0;

	v = elf_validate(data, size, mem->size, "fuzz", &info, err,
			 sizeof(err));
	if (v != ELF_OK && (!err[0] || !strcmp(elf_error_name(v), "?")))
		abort(); /* every error must say something */
	e = elf_load(mem, data, size, "fuzz", &info, err, sizeof(err));
	if (e != v)
		abort(); /* load and validate must agree */
	if (e == ELF_OK) {
		if (info.phys_hi > mem->size || info.phys_lo > info.phys_hi)
			abort();
		for (uint64_t a = info.phys_lo; a < info.phys_hi; a += 4096)
			sink ^= mem->host[a];
	}
	(void)sink;
	return 0;
}
