/*
 * A bounded, deterministic random-mutation run of the ELF loader fuzz
 * target (tests/fuzz/fuzz_elf_loader.c), so every `make test` (and its
 * ASan+UBSan build) exercises the loader on thousands of corrupt images
 * even where libFuzzer is not built.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "../fuzz/fuzz_elf_loader.c"
#include "support/elf_build.h"

#define FUZZ_ITERS 100000

/* xorshift64*: reproducible without touching libc's rand() state. */
static uint64_t rng_next(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545f4914f6cdd1dull;
}

/* Values that hit edges of the loader's checks. */
static const uint64_t interesting[] = {
	0, 1, 0x38, 0x40, 0xfff, 0x1000, 0x100000, 0xffffff, 0x1000000,
	0x7fffffff, 0x80000000, 0xffffffff, 0xffffffff80100000ull,
	UINT64_MAX, UINT64_MAX - 7,
};

static void mutate(uint8_t *img, size_t *len, size_t cap, uint64_t *rng)
{
	unsigned n = 1 + rng_next(rng) % 4;

	for (unsigned k = 0; k < n; k++) {
		uint64_t r = rng_next(rng);
		size_t pos = (size_t)(r >> 8) % *len;

		switch (r % 5) {
		case 0: /* flip a bit, biased to the headers */
			pos %= (r & 0x80) ? *len : 64 + 3 * 56;
			img[pos] ^= (uint8_t)(1u << ((r >> 40) % 8));
			break;
		case 1: /* random byte */
			img[pos] = (uint8_t)(r >> 32);
			break;
		case 2: { /* interesting 8-byte value at an aligned header offset */
			uint64_t v = interesting[(r >> 32) %
						 (sizeof(interesting) /
						  sizeof(interesting[0]))];
			size_t at = ((size_t)(r >> 8) % ((64 + 3 * 56) / 4)) * 4;

			if (at + 8 <= *len)
				memcpy(img + at, &v, 8);
			break;
		}
		case 3: /* truncate */
			*len = pos ? pos : 1;
			break;
		default: /* extend with junk */
			while (*len < cap && (rng_next(rng) & 7))
				img[(*len)++] = (uint8_t)rng_next(rng);
			break;
		}
	}
}

static void fuzz_mutatedImages_neverCrash(void **state)
{
	uint8_t note[20];
	struct test_elf_seg segs[] = {
		{ PT_LOAD, PF_R | PF_X, 0xffffffff80100000ull, 0x100000, 0x40,
		  0x1000, NULL },
		{ PT_LOAD, PF_R | PF_W, 0x200000, 0x200000, 0x80, 0x2000, NULL },
		{ PT_NOTE, PF_R, 0, 0, 20, 20, note },
	};
	size_t base_len, len, cap;
	uint8_t *base, *img;
	uint64_t rng = 0x766d62656e6368ull;
	unsigned ok = 0;

	(void)state;
	test_elf_pvh_note(note, 0x100000);
	base = test_elf_build(segs, 3, 0xffffffff80100000ull, &base_len);
	assert_non_null(base);
	assert_int_equal(LLVMFuzzerTestOneInput(base, base_len), 0);
	cap = base_len + 256;
	img = malloc(cap);
	assert_non_null(img);
	for (unsigned i = 0; i < FUZZ_ITERS; i++) {
		len = base_len;
		memcpy(img, base, base_len);
		mutate(img, &len, cap, &rng);
		/* an exact-size copy lets ASan catch any read past the end */
		uint8_t *exact = malloc(len);

		assert_non_null(exact);
		memcpy(exact, img, len);
		LLVMFuzzerTestOneInput(exact, len);
		ok += elf_validate(exact, len, FUZZ_RAM, "f", NULL, NULL, 0) ==
		      ELF_OK;
		free(exact);
	}
	/* the mutations must leave some images valid, or they test little */
	assert_true(ok > 0 && ok < FUZZ_ITERS);
	free(img);
	free(base);
	guest_mem_destroy(fuzz_mem());
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(fuzz_mutatedImages_neverCrash),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
