/*
 * sort.c - macro workload `sort`: generate and sort 64-bit integers.
 *
 * Each iteration refills the array from the generator and sorts it in
 * place (quicksort). size = number of elements, ops = elements sorted.
 * Checksum: a sample of every sorted array, then the whole final array.
 */
#include "macro.h"

#define SORT_SALT 0x736f7274ull /* "sort" */
#define SORT_INSERTION_MAX 16

void sort_fill(uint64_t *a, size_t n, struct vmb_rng *r)
{
	for (size_t i = 0; i < n; i++)
		a[i] = vmb_rng_next(r);
}

static void insertion_sort(uint64_t *a, size_t n)
{
	for (size_t i = 1; i < n; i++) {
		uint64_t v = a[i];
		size_t j = i;

		for (; j > 0 && a[j - 1] > v; j--)
			a[j] = a[j - 1];
		a[j] = v;
	}
}

static void swap(uint64_t *a, size_t i, size_t j)
{
	uint64_t t = a[i];

	a[i] = a[j];
	a[j] = t;
}

/* Order a[0], a[mid], a[n-1] and return the median, left at a[mid]. */
static uint64_t median3(uint64_t *a, size_t n)
{
	size_t mid = n / 2;

	if (a[mid] < a[0])
		swap(a, mid, 0);
	if (a[n - 1] < a[0])
		swap(a, n - 1, 0);
	if (a[n - 1] < a[mid])
		swap(a, n - 1, mid);
	return a[mid];
}

/* Hoare partition around (pivot); returns the split: [0,k) <= pivot <= [k,n). */
static size_t partition(uint64_t *a, size_t n, uint64_t pivot)
{
	size_t i = 0, j = n - 1;

	for (;;) {
		while (a[i] < pivot)
			i++;
		while (a[j] > pivot)
			j--;
		if (i >= j)
			return j + 1;
		swap(a, i++, j--);
	}
}

void sort_run(uint64_t *a, size_t n)
{
	/* Recurse on the smaller half, loop on the larger: depth <= log2(n). */
	while (n > SORT_INSERTION_MAX) {
		size_t k = partition(a, n, median3(a, n));

		if (k < n - k) {
			sort_run(a, k);
			a += k;
			n -= k;
		} else {
			sort_run(a + k, n - k);
			n = k;
		}
	}
	insertion_sort(a, n);
}

int sort_check(const uint64_t *a, size_t n)
{
	for (size_t i = 1; i < n; i++) {
		if (a[i - 1] > a[i])
			return 0;
	}
	return 1;
}

static int sort_bench(const struct vmb_params *p)
{
	size_t n = (size_t)p->size;
	uint64_t bytes, h = VMB_HASH64_INIT, t0, t1;
	struct vmb_rng r;
	uint64_t *a;
	uint32_t roi;

	if (n == 0) {
		vmb_report_error("sort", "size (elements) must be > 0");
		return 1;
	}
	if (macro_bytes("sort", n, sizeof(*a), &bytes))
		return 1;
	a = macro_alloc("sort", bytes);
	if (!a)
		return 1;
	vmb_rng_seed(&r, macro_seed(p, SORT_SALT));
	/* First touch now: the demand-zero faults stay out of the region. */
	vmb_memset(a, 0, bytes);

	roi = vmb_port_roi_begin();
	t0 = vmb_rdtsc();
	for (uint64_t it = 0; it < p->iters; it++) {
		sort_fill(a, n, &r);
		sort_run(a, n);
		h = vmb_hash64_u64(h, a[0] ^ a[n / 2] ^ a[n - 1]);
	}
	t1 = vmb_rdtsc();
	vmb_port_roi_end(roi);

	vmb_report_result("sort", roi, "elem", p->iters * n, t1 - t0);
	if (p->iters && !sort_check(a, n)) {
		vmb_report_error("sort", "array not sorted");
		return 1;
	}
	vmb_report_checksum("sort", vmb_hash64(h, a, bytes));
	vmb_sys_munmap(a, bytes);
	return 0;
}

const struct vmb_bench bench_sort = {
	.name = "sort",
	.suite = "macro",
	.mode = VMB_MODE_USER,
	.default_iters = 10,
	.default_size = 1u << 20,
	.run = sort_bench,
};
