/*
 * test_macro_kernels.c - the macro workloads' compute kernels and bench
 * wrappers, compiled for the host exactly as vmbench-native builds them.
 *
 * The kernels are checked against independent oracles (sortedness and
 * multiset, a naive matrix product, hand-tokenized text, cycle structure of
 * the TLB chain). The wrappers run end to end with small parameters and
 * their checksums are pinned: these are the values the guest must print on
 * every engine (workloads/golden/ holds the guest's copy).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#define VMB_NATIVE 1
#include "../../workloads/lib/fmt.c"
#include "../../workloads/lib/hash.c"
#include "../../workloads/lib/parse.c"
#include "../../workloads/lib/report.c"
#include "../../workloads/lib/string.c"
#include "../../workloads/native/sys_native.c"
#include "../../workloads/macro/crc.c"
#include "../../workloads/macro/fsm.c"
#include "../../workloads/macro/matmul.c"
#include "../../workloads/macro/mixed.c"
#include "../../workloads/macro/sort.c"
#include "../../workloads/macro/tlb_reach.c"

/* ---- capturing port layer ------------------------------------------------ */

static char cap[16384];
static size_t cap_len;
static uint32_t roi_next;

void vmb_port_write(const char *buf, size_t len)
{
	assert_true(cap_len + len < sizeof(cap));
	memcpy(cap + cap_len, buf, len);
	cap_len += len;
	cap[cap_len] = '\0';
}

uint32_t vmb_port_roi_begin(void)
{
	return ++roi_next;
}

void vmb_port_roi_end(uint32_t id)
{
	assert_int_equal(id, roi_next);
}

/* Run (b) with (iters, size, seed); returns the checksum it printed. */
static uint64_t bench_checksum(const struct vmb_bench *b, uint64_t iters,
			       uint64_t size, uint64_t seed)
{
	struct vmb_params p = {.iters = iters, .size = size, .seed = seed};
	const char *c;

	cap_len = 0;
	cap[0] = '\0';
	roi_next = 0;
	if (b->run(&p) != 0)
		fail_msg("%s failed: %s", b->name, cap);
	assert_null(strstr(cap, "\"ev\":\"error\""));
	assert_non_null(strstr(cap, "\"ev\":\"result\""));
	c = strstr(cap, "\"ev\":\"checksum\"");
	assert_non_null(c);
	c = strstr(c, "\"value\":\"0x");
	assert_non_null(c);
	return strtoull(c + 11, NULL, 16);
}

/* ---- sort ------------------------------------------------------------------ */

static void sort_one(size_t n, uint64_t mod, uint64_t seed)
{
	uint64_t *a = malloc((n ? n : 1) * sizeof(*a));
	uint64_t sum = 0, xsum = 0, sum2 = 0, xsum2 = 0;
	struct vmb_rng r;

	vmb_rng_seed(&r, seed);
	sort_fill(a, n, &r);
	for (size_t i = 0; i < n; i++) {
		if (mod)
			a[i] %= mod;
		sum += a[i];
		xsum ^= a[i] * 0x9e3779b97f4a7c15ull;
	}
	sort_run(a, n);
	for (size_t i = 0; i < n; i++) {
		sum2 += a[i];
		xsum2 ^= a[i] * 0x9e3779b97f4a7c15ull;
	}
	assert_true(sort_check(a, n));
	assert_int_equal(sum, sum2);
	assert_int_equal(xsum, xsum2);
	free(a);
}

static void test_sort_run_sorts_any_input(void **state)
{
	static const size_t sizes[] = {0, 1, 2, 3, 15, 16, 17, 18, 100, 1000, 4097};

	(void)state;
	for (size_t i = 0; i < VMB_ARRAY_SIZE(sizes); i++) {
		sort_one(sizes[i], 0, i);	/* distinct */
		sort_one(sizes[i], 3, i);	/* many duplicates */
		sort_one(sizes[i], 1, i);	/* all equal */
	}
}

static void test_sort_run_sorted_and_reversed(void **state)
{
	uint64_t a[500];

	(void)state;
	for (size_t i = 0; i < 500; i++)
		a[i] = i;
	sort_run(a, 500);
	assert_true(sort_check(a, 500));
	for (size_t i = 0; i < 500; i++)
		a[i] = 500 - i;
	sort_run(a, 500);
	assert_true(sort_check(a, 500));
	assert_int_equal(a[0], 1);
	assert_int_equal(a[499], 500);
}

/* ---- crc --------------------------------------------------------------------- */

static void test_crc_run_chains(void **state)
{
	uint8_t buf[1000];
	struct crc_state whole = {0, VMB_HASH64_INIT}, parts = whole;
	struct vmb_rng r;

	(void)state;
	vmb_rng_seed(&r, 5);
	crc_fill(buf, sizeof(buf), &r);
	crc_run(&whole, buf, sizeof(buf));
	crc_run(&parts, buf, 333);
	crc_run(&parts, buf + 333, sizeof(buf) - 333);
	assert_int_equal(whole.crc, parts.crc);
	assert_int_equal(whole.hash, parts.hash);
	assert_int_equal(whole.crc, vmb_crc32(0, buf, sizeof(buf)));
}

/* ---- matmul ------------------------------------------------------------------- */

static void test_matmul_run_matches_naive(void **state)
{
	enum { N = 13 };
	uint32_t a[N * N], b[N * N], c[N * N];
	struct vmb_rng r;

	(void)state;
	vmb_rng_seed(&r, 9);
	matmul_fill(a, N, &r);
	matmul_fill(b, N, &r);
	matmul_run(c, a, b, N);
	for (int i = 0; i < N; i++) {
		for (int j = 0; j < N; j++) {
			uint32_t s = 0;

			for (int k = 0; k < N; k++)
				s += a[i * N + k] * b[k * N + j];
			assert_int_equal(c[i * N + j], s);
		}
	}
}

static void test_matmul_run_small_known(void **state)
{
	const uint32_t a[4] = {1, 2, 3, 4}, b[4] = {5, 6, 7, 8};
	uint32_t c[4];

	(void)state;
	matmul_run(c, a, b, 2);
	assert_int_equal(c[0], 19);
	assert_int_equal(c[1], 22);
	assert_int_equal(c[2], 43);
	assert_int_equal(c[3], 50);
}

/* ---- fsm ------------------------------------------------------------------------ */

static void test_fsm_run_tokenizes_by_hand(void **state)
{
	static const char text[] =
		"int x1 = 0x2a; // hi\n\"s\\\"t\" /* a*b */a/b";
	/* Expected tokens: type, length. */
	static const unsigned want[][2] = {
		{T_IDENT, 3}, {T_IDENT, 2}, {T_PUNCT, 1}, {T_NUMBER, 4},
		{T_PUNCT, 1}, {T_COMMENT, 5}, {T_NEWLINE, 1}, {T_STRING, 6},
		{T_COMMENT, 9}, {T_IDENT, 1}, {T_PUNCT, 1}, {T_IDENT, 1},
	};
	uint64_t h = VMB_HASH64_INIT, tokens = 0;

	(void)state;
	for (size_t i = 0; i < VMB_ARRAY_SIZE(want); i++)
		h = token_fold(h, want[i][0], want[i][1]);
	assert_int_equal(fsm_run(VMB_HASH64_INIT, text, strlen(text), &tokens), h);
	assert_int_equal(tokens, VMB_ARRAY_SIZE(want));
}

static void test_fsm_text_gen_fills_exactly(void **state)
{
	char text[4097];
	struct vmb_rng r;
	uint64_t tokens = 0;

	(void)state;
	text[4096] = 'Z';
	vmb_rng_seed(&r, 1);
	fsm_text_gen(text, 4096, &r);
	assert_int_equal(text[4096], 'Z');
	fsm_run(VMB_HASH64_INIT, text, 4096, &tokens);
	assert_true(tokens > 4096 / 16);
}

/* ---- tlb_reach ------------------------------------------------------------------- */

static void test_tlb_chain_is_one_cycle(void **state)
{
	const size_t pages = 37;
	uint8_t *base = aligned_alloc(4096, pages * 4096);
	struct vmb_rng r;

	(void)state;
	vmb_rng_seed(&r, 3);
	tlb_chain_build(base, pages, &r);
	/* A single cycle through all pages: back at 0 after exactly (pages). */
	for (uint64_t k = 1; k < pages; k++)
		assert_int_not_equal(tlb_chase(base, k), 0);
	assert_int_equal(tlb_chase(base, pages), 0);
	assert_int_equal(tlb_chase(base, 2 * pages), 0);
	free(base);

	base = aligned_alloc(4096, 4096);
	tlb_chain_build(base, 1, &r);
	assert_int_equal(tlb_chase(base, 5), 0);
	free(base);
}

/* ---- mixed ------------------------------------------------------------------------- */

static void test_mixed_job_is_pure(void **state)
{
	uint8_t *m = malloc(65536);
	uint64_t d1, d2, d3;

	(void)state;
	memset(m, 0xaa, 65536);
	d1 = mixed_job(m, 65536, 42);
	memset(m, 0x55, 65536);
	d2 = mixed_job(m, 65536, 42);
	d3 = mixed_job(m, 65536, 43);
	assert_int_equal(d1, d2);
	assert_int_not_equal(d1, d3);
	free(m);
}

/* ---- the bench wrappers, end to end ------------------------------------------------- */

struct pinned {
	const struct vmb_bench *b;
	uint64_t iters, size, seed;
	uint64_t checksum;
};

/*
 * Checksums pinned for small parameters. They are part of the workloads'
 * contract: changing a kernel or its generator changes them, and then the
 * guest goldens (workloads/golden/) must be regenerated too.
 */
static const struct pinned pinned[] = {
	{&bench_sort, 3, 1000, 0, 0x33b568a1463d2dd3ull},
	{&bench_crc, 5, 4096, 0, 0x804598fc682ef807ull},
	{&bench_matmul, 3, 16, 0, 0xa70cf4190b27552aull},
	{&bench_fsm, 2, 8192, 0, 0xc168019e272fa5c9ull},
	{&bench_tlb_reach, 1000, 64 << 10, 0, 0x0ff2aa7805799d3aull},
	{&bench_mixed, 2, 16384, 0, 0x80eee7662c8fd57aull},
	{&bench_sort, 3, 1000, 7, 0x5e4153029b947148ull},
};

static void test_benches_pinned_checksums(void **state)
{
	(void)state;
	for (size_t i = 0; i < VMB_ARRAY_SIZE(pinned); i++) {
		const struct pinned *t = &pinned[i];
		uint64_t c = bench_checksum(t->b, t->iters, t->size, t->seed);

		/* Deterministic: a second run prints the same. */
		assert_int_equal(bench_checksum(t->b, t->iters, t->size, t->seed), c);
		if (c != t->checksum)
			fail_msg("%s iters=%llu size=%llu seed=%llu: checksum "
				 "0x%016llx, pinned 0x%016llx",
				 t->b->name, (unsigned long long)t->iters,
				 (unsigned long long)t->size,
				 (unsigned long long)t->seed,
				 (unsigned long long)c,
				 (unsigned long long)t->checksum);
	}
}

static void test_benches_depend_on_seed(void **state)
{
	(void)state;
	assert_int_not_equal(bench_checksum(&bench_crc, 1, 64, 0),
			     bench_checksum(&bench_crc, 1, 64, 1));
	assert_int_not_equal(bench_checksum(&bench_fsm, 1, 256, 0),
			     bench_checksum(&bench_fsm, 1, 256, 1));
}

static void test_tlb_reach_one_result_per_working_set(void **state)
{
	unsigned n = 0;

	(void)state;
	bench_checksum(&bench_tlb_reach, 100, 40 << 10, 0);
	for (const char *s = cap; (s = strstr(s, "\"ws_bytes\":")); s++)
		n++;
	/* 4, 8, 16, 32 KiB, then the odd 40 KiB maximum. */
	assert_int_equal(n, 5);
	assert_non_null(strstr(cap, "\"ws_bytes\":40960}"));
	assert_non_null(strstr(cap, "\"roi\":5,"));
}

static void test_benches_reject_bad_sizes(void **state)
{
	struct vmb_params p = {.iters = 1, .size = 0};

	(void)state;
	assert_int_not_equal(bench_sort.run(&p), 0);
	assert_int_not_equal(bench_crc.run(&p), 0);
	assert_int_not_equal(bench_matmul.run(&p), 0);
	assert_int_not_equal(bench_fsm.run(&p), 0);
	assert_int_not_equal(bench_tlb_reach.run(&p), 0);
	assert_int_not_equal(bench_mixed.run(&p), 0);
	assert_non_null(strstr(cap, "\"ev\":\"error\""));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sort_run_sorts_any_input),
		cmocka_unit_test(test_sort_run_sorted_and_reversed),
		cmocka_unit_test(test_crc_run_chains),
		cmocka_unit_test(test_matmul_run_matches_naive),
		cmocka_unit_test(test_matmul_run_small_known),
		cmocka_unit_test(test_fsm_run_tokenizes_by_hand),
		cmocka_unit_test(test_fsm_text_gen_fills_exactly),
		cmocka_unit_test(test_tlb_chain_is_one_cycle),
		cmocka_unit_test(test_mixed_job_is_pure),
		cmocka_unit_test(test_benches_pinned_checksums),
		cmocka_unit_test(test_benches_depend_on_seed),
		cmocka_unit_test(test_tlb_reach_one_result_per_working_set),
		cmocka_unit_test(test_benches_reject_bad_sizes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
