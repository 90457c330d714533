/*
 * test_resultparse.c - the result-line parser on good output, interleaved
 * console text, malformed JSON, missing fields and truncated streams.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "resultparse.h"

static const char good[] =
	"vmbench kernel booting\n"
	"@vmb {\"ev\":\"boot\",\"proto\":1,\"entry\":\"vmbench\",\"ram_mb\":256,"
	"\"tsc_khz\":2995200,\"cmdline\":\"bench=cpuid iters=1000\"}\n"
	"@vmb {\"ev\":\"start\",\"bench\":\"cpuid\",\"suite\":\"micro\","
	"\"mode\":\"kernel\",\"iters\":1000,\"size\":0}\n"
	"@vmb {\"ev\":\"result\",\"bench\":\"cpuid\",\"roi\":1,\"metric\":\"op\","
	"\"ops\":1000,\"cycles\":81234000}\n"
	"@vmb {\"ev\":\"result\",\"bench\":\"cpuid\",\"roi\":2,\"metric\":"
	"\"access\",\"ops\":10,\"cycles\":500,\"ws_bytes\":4096}\n"
	"@vmb {\"ev\":\"checksum\",\"bench\":\"cpuid\",\"value\":"
	"\"0xfedcba9876543210\"}\n"
	"@vmb {\"ev\":\"end\",\"bench\":\"cpuid\",\"status\":0}\n"
	"@vmb {\"ev\":\"done\",\"status\":0,\"benches\":1}\n";

static void parse(const char *text, struct rp_output *o)
{
	memset(o, 0, sizeof(*o));
	assert_int_equal(rp_parse(text, strlen(text), o), 0);
}

static void goodOutput_allEventsParsed(void **state)
{
	(void)state;
	struct rp_output o;
	parse(good, &o);
	assert_int_equal(o.nerrors, 0);
	assert_false(o.truncated);
	assert_true(o.has_boot);
	assert_int_equal(o.boot_tsc_khz, 2995200);
	assert_int_equal(o.nbenches, 1);
	const struct rp_bench *b = rp_bench_find(&o, "cpuid");
	assert_non_null(b);
	assert_string_equal(b->suite, "micro");
	assert_int_equal(b->iters, 1000);
	assert_true(b->has_checksum);
	assert_true(b->checksum == 0xfedcba9876543210ull);
	assert_true(b->ended && b->status == 0);
	assert_int_equal(o.nresults, 2);
	assert_int_equal(o.results[0].roi, 1);
	assert_int_equal(o.results[0].ops, 1000);
	assert_int_equal(o.results[0].cycles, 81234000);
	assert_int_equal(o.results[0].line, 4);
	int64_t ws;
	assert_true(rp_result_extra(&o.results[1], "ws_bytes", &ws));
	assert_int_equal(ws, 4096);
	assert_false(rp_result_extra(&o.results[0], "ws_bytes", &ws));
	assert_true(o.has_done && o.done_benches == 1);
	rp_free(&o);
}

static void interleavedText_resultLinesStillFound(void **state)
{
	(void)state;
	const char *t =
		"noise before\r\n"
		"@vmb {\"ev\":\"start\",\"bench\":\"x\"}\n"
		"[kernel] tick[kernel] @vmb {\"ev\":\"result\",\"bench\":\"x\","
		"\"roi\":1,\"metric\":\"op\",\"ops\":2,\"cycles\":10}\n"
		"random @ text vmb\n"
		"@vmb {\"ev\":\"checksum\",\"bench\":\"x\",\"value\":\"0x1\"}\r\n"
		"@vmb {\"ev\":\"end\",\"bench\":\"x\",\"status\":0}\n"
		"@vmb {\"ev\":\"done\",\"status\":0,\"benches\":1}\n";
	struct rp_output o;
	parse(t, &o);
	assert_int_equal(o.nerrors, 0);
	assert_int_equal(o.nresults, 1);
	assert_int_equal(o.results[0].cycles, 10);
	assert_true(o.benches[0].has_checksum && o.benches[0].checksum == 1);
	assert_false(o.truncated);
	rp_free(&o);
}

static void malformedJson_errorNamesLine_laterLinesKept(void **state)
{
	(void)state;
	const char *t =
		"@vmb {\"ev\":\"start\",\"bench\":\"x\"}\n"
		"@vmb {\"ev\":\"result\",\"bench\":\"x\",\"roi\":1,\n"
		"@vmb {\"ev\":\"result\",\"bench\":\"x\",\"roi\":2,\"metric\":"
		"\"op\",\"ops\":2,\"cycles\":10}\n"
		"@vmb {\"ev\":\"done\",\"status\":0,\"benches\":1}\n";
	struct rp_output o;
	parse(t, &o);
	assert_int_equal(o.nerrors, 1);
	assert_int_equal(o.errors[0].line, 2);
	assert_non_null(strstr(o.errors[0].msg, "malformed JSON"));
	assert_int_equal(o.nresults, 1);
	assert_int_equal(o.results[0].roi, 2);
	rp_free(&o);
}

static void missingOrWrongFields_reported(void **state)
{
	(void)state;
	const char *t =
		"@vmb {\"ev\":\"result\",\"bench\":\"x\",\"roi\":1,\"metric\":"
		"\"op\",\"cycles\":10}\n"
		"@vmb {\"ev\":\"result\",\"bench\":\"x\",\"roi\":1,\"metric\":"
		"\"op\",\"ops\":\"2\",\"cycles\":10}\n"
		"@vmb {\"ev\":\"checksum\",\"bench\":\"x\",\"value\":\"12\"}\n"
		"@vmb [1,2]\n"
		"@vmb {\"ev\":\"bogus\"}\n"
		"@vmb {\"ev\":\"done\",\"status\":0}\n";
	struct rp_output o;
	parse(t, &o);
	assert_int_equal(o.nerrors, 5);
	assert_non_null(strstr(o.errors[0].msg, "missing field \"ops\""));
	assert_non_null(strstr(o.errors[1].msg, "\"ops\" is not"));
	assert_non_null(strstr(o.errors[2].msg, "0x hex"));
	assert_non_null(strstr(o.errors[3].msg, "not a JSON object"));
	assert_non_null(strstr(o.errors[4].msg, "unknown event"));
	assert_int_equal(o.nresults, 0);
	rp_free(&o);
}

static void truncatedMidLine_flaggedAndErrored(void **state)
{
	(void)state;
	const char *t = "@vmb {\"ev\":\"start\",\"bench\":\"x\"}\n"
			"@vmb {\"ev\":\"result\",\"bench\":\"x\",\"ro";
	struct rp_output o;
	parse(t, &o);
	assert_true(o.truncated);
	assert_non_null(strstr(o.truncated_why, "mid-line"));
	assert_int_equal(o.nerrors, 1);
	assert_int_equal(o.errors[0].line, 2);
	rp_free(&o);
}

static void noDoneEvent_flaggedTruncated(void **state)
{
	(void)state;
	struct rp_output o;
	parse("@vmb {\"ev\":\"start\",\"bench\":\"x\"}\nkernel panic\n", &o);
	assert_true(o.truncated);
	assert_non_null(strstr(o.truncated_why, "no \"done\""));
	assert_int_equal(o.nerrors, 0);
	rp_free(&o);
	parse("", &o);
	assert_true(o.truncated);
	rp_free(&o);
}

static void faultEvent_parsed(void **state)
{
	(void)state;
	struct rp_output o;
	parse("@vmb {\"ev\":\"fault\",\"vector\":14,\"name\":\"PF\",\"error\":"
	      "\"0x2\",\"rip\":\"0xffffffff80001234\",\"cr2\":\"0x0\","
	      "\"cpl\":0}\n",
	      &o);
	assert_int_equal(o.nfaults, 1);
	assert_int_equal(o.faults[0].vector, 14);
	assert_string_equal(o.faults[0].name, "PF");
	assert_true(o.faults[0].rip == 0xffffffff80001234ull);
	assert_true(o.faults[0].error == 2);
	rp_free(&o);
	/* A 64-bit integer error code beyond int64 still yields the fault. */
	parse("@vmb {\"ev\":\"fault\",\"vector\":13,\"name\":\"#GP\","
	      "\"error\":18446744073709551602,\"rip\":\"0x400000\"}\n", &o);
	assert_int_equal(o.nerrors, 0);
	assert_int_equal(o.nfaults, 1);
	assert_int_equal(o.faults[0].vector, 13);
	rp_free(&o);
	/* The current hex form keeps all 64 bits of the error code. */
	parse("@vmb {\"ev\":\"fault\",\"vector\":13,\"name\":\"#GP\","
	      "\"error\":\"0xfffffffffffffff2\",\"rip\":\"0x400000\","
	      "\"cr2\":\"0x0\",\"cpl\":3}\n", &o);
	assert_int_equal(o.nerrors, 0);
	assert_int_equal(o.nfaults, 1);
	assert_true(o.faults[0].error == 0xfffffffffffffff2ull);
	assert_int_equal(o.faults[0].cpl, 3);
	/* The old integer form (below 2^53) still reads exactly. */
	rp_free(&o);
	parse("@vmb {\"ev\":\"fault\",\"vector\":14,\"name\":\"#PF\","
	      "\"error\":6,\"rip\":\"0x4014b5\",\"cr2\":\"0x10\","
	      "\"cpl\":3}\n", &o);
	assert_int_equal(o.nfaults, 1);
	assert_true(o.faults[0].error == 6);
	rp_free(&o);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(goodOutput_allEventsParsed),
		cmocka_unit_test(interleavedText_resultLinesStillFound),
		cmocka_unit_test(malformedJson_errorNamesLine_laterLinesKept),
		cmocka_unit_test(missingOrWrongFields_reported),
		cmocka_unit_test(truncatedMidLine_flaggedAndErrored),
		cmocka_unit_test(noDoneEvent_flaggedTruncated),
		cmocka_unit_test(faultEvent_parsed),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
