/*
 * test_guest_lib.c - the guest SDK (workloads/lib) compiled for the host.
 *
 * The SDK's .c files are included directly (the unit-test rule links only
 * libvmb.a), with a port layer that captures console output, so every
 * result line can be checked byte for byte and parsed with jansson.
 * Formatting is also checked differentially against the host's snprintf.
 */
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "../../workloads/lib/fmt.c"
#include "../../workloads/lib/hash.c"
#include "../../workloads/lib/parse.c"
#include "../../workloads/lib/report.c"
#include "../../workloads/lib/string.c"

/* ---- capturing port layer ------------------------------------------------ */

static char cap[8192];
static size_t cap_len;
static unsigned cap_writes;
static uint32_t roi_next = 1;

void vmb_port_write(const char *buf, size_t len)
{
	assert_true(cap_len + len < sizeof(cap));
	memcpy(cap + cap_len, buf, len);
	cap_len += len;
	cap[cap_len] = '\0';
	cap_writes++;
}

uint32_t vmb_port_roi_begin(void)
{
	return roi_next++;
}

void vmb_port_roi_end(uint32_t id)
{
	(void)id;
}

static int cap_reset(void **state)
{
	(void)state;
	cap_len = 0;
	cap[0] = '\0';
	cap_writes = 0;
	return 0;
}

/* Parse the single captured result line as JSON; checks the framing. */
static json_t *cap_json(void)
{
	json_error_t err;
	json_t *j;

	assert_true(cap_len > strlen(VMB_RESULT_PREFIX) + 1);
	assert_memory_equal(cap, VMB_RESULT_PREFIX, strlen(VMB_RESULT_PREFIX));
	assert_int_equal(cap[cap_len - 1], '\n');
	assert_null(memchr(cap, '\n', cap_len - 1));
	j = json_loadb(cap + strlen(VMB_RESULT_PREFIX),
		       cap_len - strlen(VMB_RESULT_PREFIX), 0, &err);
	if (!j)
		fail_msg("not JSON (%s): %s", err.text, cap);
	return j;
}

/* ---- formatting ------------------------------------------------------------ */

static char out[256], ref[256];

#define CHECK_FMT(...)                                                      \
	do {                                                                \
		int a_ = vmb_snprintf(out, sizeof(out), __VA_ARGS__);        \
		int b_ = snprintf(ref, sizeof(ref), __VA_ARGS__);            \
		assert_string_equal(out, ref);                              \
		assert_int_equal(a_, b_);                                   \
	} while (0)

static void test_fmt_integers_match_libc(void **state)
{
	(void)state;
	CHECK_FMT("%d %i %u", 0, -1, 4000000000u);
	CHECK_FMT("%d", INT_MIN);
	CHECK_FMT("%d|%5d|%-5d|%05d|", 42, 42, 42, -42);
	CHECK_FMT("%x %X %08x %lx", 0xdeadbeefu, 0xabcu, 0x1fu, 0x123456789abUL);
	CHECK_FMT("%llu %lld", (unsigned long long)UINT64_MAX,
		  (long long)INT64_MIN);
	CHECK_FMT("%ld %lu", LONG_MIN, ULONG_MAX);
	CHECK_FMT("%zu %zx", (size_t)12345, (size_t)0xffff);
	CHECK_FMT("%016llx", 0x1234ull);
	CHECK_FMT("[%*d] [%-*d]", 6, -3, 4, 9);
}

static void test_fmt_strings_chars_match_libc(void **state)
{
	(void)state;
	CHECK_FMT("%s|%10s|%-10s|", "abc", "right", "left");
	CHECK_FMT("%.3s|%.*s|%.10s", "abcdef", 2, "xyz", "short");
	CHECK_FMT("%c%c%c %%", 'a', 'b', 'c');
	CHECK_FMT("%3c|%-3c|", 'x', 'y');
	CHECK_FMT("plain text, no conversions");
	CHECK_FMT("%s", "");
}

/* These cases are deliberately outside what -Wformat accepts. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat"
#pragma GCC diagnostic ignored "-Wformat-extra-args"
#pragma GCC diagnostic ignored "-Wformat-overflow"
static void test_fmt_pointer_null_unknown(void **state)
{
	(void)state;
	vmb_snprintf(out, sizeof(out), "%p", (void *)0x1234);
	assert_string_equal(out, "0x1234");
	vmb_snprintf(out, sizeof(out), "%p", (void *)0);
	assert_string_equal(out, "0x0");
	vmb_snprintf(out, sizeof(out), "%s", (char *)NULL);
	assert_string_equal(out, "(null)");
	/* An unknown conversion is printed as written; nothing consumed. */
	vmb_snprintf(out, sizeof(out), "a%qb%d", 5);
	assert_string_equal(out, "a%qb5");
	vmb_snprintf(out, sizeof(out), "end%");
	assert_string_equal(out, "end%");
	/* '-' wins over '0', as in C. */
	vmb_snprintf(out, sizeof(out), "%-05d|", 7);
	assert_string_equal(out, "7    |");
}
#pragma GCC diagnostic pop

static void test_fmt_truncation_returns_full_length(void **state)
{
	char small[6];

	(void)state;
	memset(small, 'X', sizeof(small));
	assert_int_equal(vmb_snprintf(small, sizeof(small), "%s-%d", "hello", 123),
			 9);
	assert_string_equal(small, "hello");
	assert_int_equal(vmb_snprintf(small, 1, "abc"), 3);
	assert_string_equal(small, "");
	assert_int_equal(vmb_snprintf(NULL, 0, "%llu", 1234567ull), 7);
}

static void test_printf_chunks_to_console(void **state)
{
	char big[600];

	(void)state;
	memset(big, 'z', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(vmb_printf("<%s>%d\n", big, 7), 603);
	assert_int_equal(cap_len, 603);
	assert_int_equal(cap[0], '<');
	assert_string_equal(cap + 600, ">7\n");
	/* 603 bytes through a 128-byte chunk buffer: 5 writes. */
	assert_int_equal(cap_writes, (603 + VMB_PRINTF_CHUNK - 1) / VMB_PRINTF_CHUNK);
}

/* ---- JSON escaping and result lines ----------------------------------------- */

static void test_json_escape_specials(void **state)
{
	char buf[128];
	size_t pos = 0;
	const char *in = "a\"b\\c\n\t\r\x01\x1f\x7f\xc3\xa9/";

	(void)state;
	assert_int_equal(vmb_json_escape(buf, sizeof(buf), &pos, in), strlen(in));
	buf[pos] = '\0';
	assert_string_equal(buf, "a\\\"b\\\\c\\n\\t\\r\\u0001\\u001f\\u007f"
				 "\\u00c3\\u00a9/");
}

static void test_json_escape_never_splits(void **state)
{
	char buf[8];
	size_t pos = 0, used;

	(void)state;
	/* "ab" fits, then \u0001 (6 bytes) does not fit in the 6 left. */
	used = vmb_json_escape(buf, 7, &pos, "ab\x01z");
	assert_int_equal(used, 2);
	assert_int_equal(pos, 2);
	used = vmb_json_escape(buf, sizeof(buf), &pos, "\x01z");
	assert_int_equal(used, 1);
	assert_int_equal(pos, 8);
	assert_memory_equal(buf, "ab\\u0001", 8);
}

static void test_report_lines_exact(void **state)
{
	struct vmb_bench b = {.name = "cpuid", .suite = "micro",
			      .mode = VMB_MODE_KERNEL};
	struct vmb_params p = {.iters = 1000, .size = 0};

	(void)state;
	vmb_report_boot("vmbench", 256, 2995200, "bench=cpuid iters=1000");
	vmb_report_start(&b, &p);
	vmb_report_result("cpuid", 1, "op", 1000, 81234000);
	vmb_report_checksum("cpuid", 0x3e8);
	vmb_report_end("cpuid", 0);
	vmb_report_done(0, 1);
	assert_string_equal(cap,
		"@vmb {\"ev\":\"boot\",\"proto\":1,\"entry\":\"vmbench\",\"ram_mb\":256,\"tsc_khz\":2995200,\"cmdline\":\"bench=cpuid iters=1000\"}\n"
		"@vmb {\"ev\":\"start\",\"bench\":\"cpuid\",\"suite\":\"micro\",\"mode\":\"kernel\",\"iters\":1000,\"size\":0}\n"
		"@vmb {\"ev\":\"result\",\"bench\":\"cpuid\",\"roi\":1,\"metric\":\"op\",\"ops\":1000,\"cycles\":81234000}\n"
		"@vmb {\"ev\":\"checksum\",\"bench\":\"cpuid\",\"value\":\"0x00000000000003e8\"}\n"
		"@vmb {\"ev\":\"end\",\"bench\":\"cpuid\",\"status\":0}\n"
		"@vmb {\"ev\":\"done\",\"status\":0,\"benches\":1}\n");
	assert_int_equal(cap_writes, 6); /* one write per line */
}

static void test_report_result_x_and_error_parse(void **state)
{
	json_t *j;

	(void)state;
	vmb_report_result_x("tlb_reach", 7, "access", 1ull << 20,
			    1ull << 62, "ws_bytes", 1ull << 28);
	j = cap_json();
	assert_string_equal(json_string_value(json_object_get(j, "ev")), "result");
	assert_int_equal(json_integer_value(json_object_get(j, "roi")), 7);
	assert_int_equal(json_integer_value(json_object_get(j, "cycles")),
			 1ll << 62);
	assert_int_equal(json_integer_value(json_object_get(j, "ws_bytes")),
			 1ll << 28);
	json_decref(j);

	cap_reset(NULL);
	vmb_report_error("x\"y", "bad\nthing \\ \x02\xff");
	j = cap_json();
	assert_string_equal(json_string_value(json_object_get(j, "bench")), "x\"y");
	assert_string_equal(json_string_value(json_object_get(j, "msg")),
			    "bad\nthing \\ \x02\xc3\xbf"); /* U+00FF in UTF-8 */
	json_decref(j);

	cap_reset(NULL);
	vmb_report_end("b", -3);
	j = cap_json();
	assert_int_equal(json_integer_value(json_object_get(j, "status")), -3);
	json_decref(j);
}

static void test_report_long_line_stays_one_line(void **state)
{
	char cmd[VMB_CMDLINE_MAX];
	json_t *j;

	(void)state;
	for (size_t i = 0; i < sizeof(cmd) - 1; i++)
		cmd[i] = (i % 7 == 0) ? '"' : (char)('a' + i % 26);
	cmd[sizeof(cmd) - 1] = '\0';
	vmb_report_boot("pvh", 2048, 0, cmd);
	assert_true(cap_writes > 1); /* longer than VMB_LINE_MAX: split */
	j = cap_json();
	assert_string_equal(json_string_value(json_object_get(j, "cmdline")), cmd);
	assert_string_equal(json_string_value(json_object_get(j, "entry")), "pvh");
	json_decref(j);
}

/* ---- hashes and generator ----------------------------------------------------- */

static void test_hash64_fnv1a_vectors(void **state)
{
	uint64_t v = 0x0123456789abcdefull;

	(void)state;
	assert_int_equal(vmb_hash64(VMB_HASH64_INIT, "", 0), 0xcbf29ce484222325ull);
	assert_int_equal(vmb_hash64(VMB_HASH64_INIT, "a", 1), 0xaf63dc4c8601ec8cull);
	assert_int_equal(vmb_hash64(VMB_HASH64_INIT, "foobar", 6),
			 0x85944171f73967e8ull);
	/* Chaining equals hashing the concatenation. */
	assert_int_equal(vmb_hash64(vmb_hash64(VMB_HASH64_INIT, "foo", 3), "bar", 3),
			 0x85944171f73967e8ull);
	/* The u64 form hashes the little-endian bytes. */
	assert_int_equal(vmb_hash64_u64(VMB_HASH64_INIT, v),
			 vmb_hash64(VMB_HASH64_INIT, &v, sizeof(v)));
}

static void test_crc32_vectors(void **state)
{
	static const char fox[] = "The quick brown fox jumps over the lazy dog";

	(void)state;
	assert_int_equal(vmb_crc32(0, "", 0), 0);
	assert_int_equal(vmb_crc32(0, "123456789", 9), 0xcbf43926u);
	assert_int_equal(vmb_crc32(0, fox, strlen(fox)), 0x414fa339u);
	assert_int_equal(vmb_crc32(vmb_crc32(0, "12345", 5), "6789", 4),
			 0xcbf43926u);
}

static void test_rng_splitmix64_vectors(void **state)
{
	static const uint64_t seed0[] = {0xe220a8397b1dcdafull,
					 0x6e789e6aa1b965f4ull,
					 0x06c45d188009454full};
	static const uint64_t seed1234567[] = {
		6457827717110365317ull, 3203168211198807973ull,
		9817491932198370423ull, 4593380528125082431ull,
		16408922859458223821ull};
	struct vmb_rng r;

	(void)state;
	vmb_rng_seed(&r, 0);
	for (size_t i = 0; i < VMB_ARRAY_SIZE(seed0); i++)
		assert_int_equal(vmb_rng_next(&r), seed0[i]);
	vmb_rng_seed(&r, 1234567);
	for (size_t i = 0; i < VMB_ARRAY_SIZE(seed1234567); i++)
		assert_int_equal(vmb_rng_next(&r), seed1234567[i]);
	for (int i = 0; i < 1000; i++)
		assert_true(vmb_rng_below(&r, 7) < 7);
}

/* ---- parsing ------------------------------------------------------------------ */

static void expect_parse(const char *s, uint64_t want)
{
	uint64_t v = 0xbad;

	if (vmb_parse_u64(s, &v) != 0)
		fail_msg("'%s' rejected", s);
	if (v != want)
		fail_msg("'%s' -> %llu, want %llu", s, (unsigned long long)v,
			 (unsigned long long)want);
}

static void expect_reject(const char *s)
{
	uint64_t v = 0xbad;

	if (vmb_parse_u64(s, &v) != -1)
		fail_msg("'%s' accepted as %llu", s, (unsigned long long)v);
	assert_int_equal(v, 0xbad);
}

static void test_parse_u64_accepts(void **state)
{
	(void)state;
	expect_parse("0", 0);
	expect_parse("123", 123);
	expect_parse("0x1F", 31);
	expect_parse("0Xabc", 0xabc);
	expect_parse("4k", 4096);
	expect_parse("4K", 4096);
	expect_parse("256m", 256ull << 20);
	expect_parse("2G", 2ull << 30);
	expect_parse("0x10k", 16384);
	expect_parse("18446744073709551615", UINT64_MAX);
	expect_parse("0xffffffffffffffff", UINT64_MAX);
	expect_parse("16777215g", 16777215ull << 30);
}

static void test_parse_u64_rejects(void **state)
{
	(void)state;
	expect_reject("");
	expect_reject("k");
	expect_reject("0x");
	expect_reject("12a");
	expect_reject("-1");
	expect_reject(" 1");
	expect_reject("1 ");
	expect_reject("4kk");
	expect_reject("18446744073709551616");
	expect_reject("0x10000000000000000");
	expect_reject("17179869184g"); /* 2^64 */
	expect_reject("16777216t");
}

/* ---- memory and strings ---------------------------------------------------------- */

static void test_mem_functions(void **state)
{
	unsigned char a[64], b[64];

	(void)state;
	for (size_t off = 0; off < 8; off++) {
		for (size_t n = 0; n < 40; n++) {
			memset(a, 0xee, sizeof(a));
			for (size_t i = 0; i < sizeof(b); i++)
				b[i] = (unsigned char)i;
			assert_ptr_equal(vmb_memcpy(a + off, b + 3, n), a + off);
			assert_memory_equal(a + off, b + 3, n);
			assert_int_equal(a[off + n], 0xee);
			vmb_memset(a + off, 0x5a, n);
			for (size_t i = 0; i < n; i++)
				assert_int_equal(a[off + i], 0x5a);
			assert_int_equal(a[off + n], 0xee);
		}
	}
	for (size_t i = 0; i < sizeof(b); i++)
		b[i] = (unsigned char)i;
	vmb_memmove(b + 5, b, 20);	/* forward overlap */
	for (size_t i = 0; i < 20; i++)
		assert_int_equal(b[5 + i], i);
	vmb_memmove(b, b + 5, 20);	/* backward overlap */
	for (size_t i = 0; i < 20; i++)
		assert_int_equal(b[i], i);
	assert_int_equal(vmb_memcmp("abc", "abd", 3), -1);
	assert_int_equal(vmb_memcmp("abd", "abc", 3), 1);
	assert_int_equal(vmb_memcmp("ab\xff", "ab\x01", 3), 1);
	assert_int_equal(vmb_memcmp("abc", "abd", 2), 0);
}

static void test_string_functions(void **state)
{
	char buf[8];

	(void)state;
	assert_int_equal(vmb_strlen(""), 0);
	assert_int_equal(vmb_strlen("hello"), 5);
	assert_int_equal(vmb_strcmp("a", "a"), 0);
	assert_true(vmb_strcmp("a", "b") < 0);
	assert_true(vmb_strcmp("b", "a") > 0);
	assert_true(vmb_strcmp("ab", "a") > 0);
	assert_true(vmb_strcmp("\xff", "a") > 0); /* unsigned compare */
	assert_int_equal(vmb_strncmp("abcX", "abcY", 3), 0);
	assert_true(vmb_strncmp("abcX", "abcY", 4) < 0);
	assert_int_equal(vmb_strncmp("ab", "ab", 10), 0);
	assert_int_equal(vmb_strlcpy(buf, "short", sizeof(buf)), 5);
	assert_string_equal(buf, "short");
	assert_int_equal(vmb_strlcpy(buf, "much too long", sizeof(buf)), 13);
	assert_string_equal(buf, "much to");
	assert_int_equal(vmb_strlcpy(buf, "x", 0), 1);
}

#define T(f) cmocka_unit_test_setup(f, cap_reset)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_fmt_integers_match_libc),
		T(test_fmt_strings_chars_match_libc),
		T(test_fmt_pointer_null_unknown),
		T(test_fmt_truncation_returns_full_length),
		T(test_printf_chunks_to_console),
		T(test_json_escape_specials),
		T(test_json_escape_never_splits),
		T(test_report_lines_exact),
		T(test_report_result_x_and_error_parse),
		T(test_report_long_line_stays_one_line),
		T(test_hash64_fnv1a_vectors),
		T(test_crc32_vectors),
		T(test_rng_splitmix64_vectors),
		T(test_parse_u64_accepts),
		T(test_parse_u64_rejects),
		T(test_mem_functions),
		T(test_string_functions),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
