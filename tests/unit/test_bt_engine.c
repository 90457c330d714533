/*
 * test_bt_engine.c - what only the bt engine does, through engine.h under
 * both shadow policies: its counters and description, its options, a
 * translated store into code the monitor has decoded, a loop long enough
 * for translated code to dominate, a string instruction in the monitor.
 * What every engine must do alike (ports, ROI snapshots, triple fault,
 * time limit, HLT with IF=0, INT 0x80, fetch from MMIO) is in
 * test_engine_conformance.c.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "engine.h"
#include "support/tiny_guest.h"
#include "vmb_abi.h"

#define GUEST(name, body)                                                     \
	extern const uint8_t name##_begin[], name##_end[];                   \
	__asm__(".pushsection .rodata\n.p2align 12\n" #name "_begin:\n" body   \
		"\n" #name "_end:\n.popsection\n")

/* Translated code patches the immediate of an instruction the monitor
 * has decoded (it runs the block from LODSB, a string instruction, to
 * RET): the second call must see 0x22. */
GUEST(g_smc, "xor %ebx, %ebx\n mov %rsp, %rsi\n call target\n"
	     "lea imm(%rip), %rdi\n movl $0x22, (%rdi)\n call target\n"
	     "mov %ebx, %eax\n mov $0xf4, %dx\n out %eax, %dx\n"
	     "1: jmp 1b\n"
	     ".p2align 12\n target: lodsb\n .byte 0xb9\n imm: .long 0x11\n"
	     "add %ecx, %ebx\n ret\n");
/* 10^6 iterations of an integer loop, then the exit port (status = the
 * low bits of the sum). */
GUEST(g_loop, "xor %eax, %eax\n mov $1000000, %ecx\n"
	      "1: add %ecx, %eax\n xor $0x5a, %eax\n dec %ecx\n jnz 1b\n"
	      "and $0xff, %eax\n mov $0xf4, %dx\n out %eax, %dx\n"
	      "2: jmp 2b\n");
/* A string store at CPL0 (the monitor runs REP STOSB): 5 bytes of 'z'
 * after RSP, then the sum of the bytes. */
GUEST(g_rep, "sub $64, %rsp\n mov %rsp, %rdi\n mov $'z', %al\n"
	     "mov $5, %ecx\n rep stosb\n xor %eax, %eax\n xor %ebx, %ebx\n"
	     "mov $5, %ecx\n 1: movzbl -1(%rsp,%rcx), %ebx\n add %ebx, %eax\n"
	     "dec %ecx\n jnz 1b\n mov $0xf4, %dx\n out %eax, %dx\n"
	     "2: jmp 2b\n");

#define GUEST_OF(g)                                                           \
	(&(struct tiny_guest){g##_begin, (size_t)(g##_end - g##_begin)})

/* The bt engine with (*state) ("shadow=vtlb"/"shadow=trace") on (g), or
 * skip saying why bt cannot run here. Made in the test body: cmocka swaps
 * signal handlers around setup, and bt's fault handler must be installed
 * over the test's. */
static struct engine *bt_or_skip(void **state, const struct tiny_guest *g,
				 double time_limit)
{
	struct engine *e;
	char why[512] = "";
	int rc = tiny_engine_create("bt", *state, g, time_limit, &e, why,
				    sizeof(why));

	if (rc == 0) {
		print_message("[  SKIPPED ] bt engine unusable: %s\n", why);
		skip();
	}
	if (rc < 0)
		fail_msg("bt %s: %s", (const char *)*state, why);
	return e;
}

static void ports_countersAreBts(void **state)
{
	struct engine *e = bt_or_skip(state, &tiny_ports, 10);
	struct engine_counters c;
	struct run_exit x;

	assert_int_equal(engine_run(e, &x), 0);
	assert_int_equal(x.reason, RUN_EXIT_GUEST);
	engine_counters(e, &c);
	assert_true(c.instructions_valid);
	assert_non_null(engine_stat_find(&c, "bt_translations"));
	assert_non_null(engine_stat_find(&c, "bt_monitor_steps"));
	/* exact counts between the ROI markers: OUT (begin), MOV, MOVL
	 * (MMIO), MOV, MOV */
	assert_int_equal(e->nroi, 2);
	assert_int_equal(e->roi[1].counters.instructions -
				 e->roi[0].counters.instructions, 5);
	engine_destroy(e);
}

static void describe_namesPolicy(void **state)
{
	struct engine *e = bt_or_skip(state, &tiny_ports, 10);
	char buf[256] = "";

	e->ops->describe(e, buf, sizeof(buf));
	assert_non_null(strstr(buf, "shadow="));
	assert_non_null(strstr(buf, "GS base"));
	engine_destroy(e);
}

static void options_bad_areRejected(void **state)
{
	struct engine *e = bt_or_skip(state, &tiny_ports, 10), *e2 = NULL;
	char err[512] = "";

	engine_destroy(e);	/* bt is usable: now the bad option */
	assert_int_equal(tiny_engine_create("bt", "shadow=nested", &tiny_ports,
					    10, &e2, err, sizeof(err)), -1);
	assert_null(e2);
	assert_non_null(strstr(err, "shadow"));
}

static void smc_ofMonitorDecodedCode_isSeen(void **state)
{
	struct engine *e = bt_or_skip(state, GUEST_OF(g_smc), 10);
	struct run_exit x;

	assert_int_equal(engine_run(e, &x), 0);
	assert_int_equal(x.reason, RUN_EXIT_GUEST);
	assert_int_equal(x.status, 0x33);
	engine_destroy(e);
}

static void loop_runsTranslated(void **state)
{
	struct engine *e = bt_or_skip(state, GUEST_OF(g_loop), 30);
	struct engine_counters c;
	struct run_exit x;
	uint32_t sum = 0;

	for (uint32_t k = 1000000; k; k--)
		sum = (sum + k) ^ 0x5a;
	assert_int_equal(engine_run(e, &x), 0);
	assert_int_equal(x.reason, RUN_EXIT_GUEST);
	assert_int_equal(x.status, sum & 0xff);
	engine_counters(e, &c);
	/* the loop never went through the monitor */
	assert_true(engine_stat_find(&c, "mon_insns")->value < 100);
	assert_true(engine_stat_find(&c, "bt_translations")->value < 20);
	engine_destroy(e);
}

static void rep_stos_runsInMonitor(void **state)
{
	struct engine *e = bt_or_skip(state, GUEST_OF(g_rep), 10);
	struct run_exit x;

	assert_int_equal(engine_run(e, &x), 0);
	assert_int_equal(x.reason, RUN_EXIT_GUEST);
	assert_int_equal(x.status, 5 * 'z');
	engine_destroy(e);
}

#define T(f)                                                                  \
	cmocka_unit_test_prestate(f, "shadow=vtlb"),                          \
	cmocka_unit_test_prestate(f, "shadow=trace")

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(ports_countersAreBts),
		T(describe_namesPolicy),
		T(options_bad_areRejected),
		T(smc_ofMonitorDecodedCode_isSeen),
		T(loop_runsTranslated),
		T(rep_stos_runsInMonitor),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
