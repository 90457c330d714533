/*
 * test_bt_engine.c - the bt engine through engine.h, under both shadow
 * policies: tiny ELF kernels (assembled into this binary, written out as
 * ELF64 files at setup) that use the console, exit and ROI ports and the
 * null MMIO page, triple-fault, spin into the time limit, halt with IF=0,
 * deliver INT 0x80 through the IDT and IRETQ back (the monitor), patch
 * code the monitor has decoded from translated code, and run a loop long
 * enough for translated code to dominate.
 */
#include <elf.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "engine.h"
#include "support/elf_build.h"
#include "vmb_abi.h"

#define GUEST(name, body)                                                     \
	extern const uint8_t name##_begin[], name##_end[];                   \
	__asm__(".pushsection .rodata\n.p2align 12\n" #name "_begin:\n" body   \
		"\n" #name "_end:\n.popsection\n")

/* Console "hi", ROI 1 begin, MMIO store, ROI 1 end, exit status 7. */
GUEST(g_ports, "mov $0xe9, %dx\n mov $'h', %al\n out %al, %dx\n"
	       "mov $'i', %al\n out %al, %dx\n"
	       "mov $0x500, %dx\n mov $0x101, %eax\n out %eax, %dx\n"
	       "mov $0xc0000000, %rdi\n movl %eax, (%rdi)\n"
	       "mov $0x500, %dx\n mov $0x102, %eax\n out %eax, %dx\n"
	       "mov $0xf4, %dx\n mov $7, %eax\n out %eax, %dx\n"
	       "1: jmp 1b\n");
GUEST(g_triple, "ud2\n");
GUEST(g_spin, "1: jmp 1b\n");
GUEST(g_cli_hlt, "cli\n hlt\n 1: jmp 1b\n");
GUEST(g_fetch_mmio, "mov $0xc0000000, %rax\n jmp *%rax\n");
/* IDT with one gate (0x80, interrupt gate, DPL0), then INT 0x80 at CPL0:
 * the handler increments EBX; the exit status is 0x2b. */
GUEST(g_int80, "lea idt(%rip), %rdi\n lea handler(%rip), %rax\n"
	       "mov %rax, %rbx\n and $0xffff, %ebx\n or $0x80000, %rbx\n"
	       "mov $0x8e00, %rcx\n shl $32, %rcx\n or %rcx, %rbx\n"
	       "mov %rax, %rcx\n shr $16, %rcx\n and $0xffff, %ecx\n"
	       "shl $48, %rcx\n or %rcx, %rbx\n mov %rbx, 0x800(%rdi)\n"
	       "mov %rax, %rcx\n shr $32, %rcx\n mov %rcx, 0x808(%rdi)\n"
	       "sub $16, %rsp\n movw $0xfff, (%rsp)\n mov %rdi, 2(%rsp)\n"
	       "lidt (%rsp)\n add $16, %rsp\n"
	       "mov $0x2a, %ebx\n int $0x80\n"
	       "mov %ebx, %eax\n mov $0xf4, %dx\n out %eax, %dx\n"
	       "1: jmp 1b\n"
	       "handler: inc %ebx\n iretq\n"
	       ".p2align 4\n idt: .fill 4096, 1, 0\n");

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

#define BYTES(g) g##_begin, (size_t)(g##_end - g##_begin)

struct fixture {
	char path[64];
	struct engine *e;
	struct run_exit x;
	const uint8_t *code;
	size_t len;
	double time_limit;
	const char *options;
};

/* Remember what to build: the engine is made in the test body, because
 * cmocka swaps signal handlers around setup and the test (bt's fault
 * handler must be installed over the test's ones). */
static int fixture_make(void **state, const uint8_t *code, size_t len,
			double time_limit, const char *options)
{
	struct fixture *f = calloc(1, sizeof(*f));

	f->code = code;
	f->len = len;
	f->time_limit = time_limit;
	f->options = options;
	*state = f;
	return 0;
}

/* Build a bt engine on the fixture's code; false when bt cannot run. */
static bool fixture_build(struct fixture *f)
{
	const struct engine_ops *ops = engine_find("bt");
	struct vm_config cfg;
	char err[512];

	if (!ops || engine_probe(ops, err, sizeof(err)) < 0)
		return false;
	assert_int_equal(test_elf_flat_kernel_file(f->code, f->len, f->path,
						   sizeof(f->path)), 0);
	memset(&cfg, 0, sizeof(cfg));
	cfg.machine.ram_bytes = MACHINE_RAM_MIN;
	cfg.machine.kernel_path = f->path;
	cfg.time_limit_s = f->time_limit;
	cfg.options = f->options;
	if (engine_create(ops, &cfg, &f->e, err, sizeof(err)) < 0)
		fail_msg("engine_create: %s", err);
	return true;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	if (f) {
		engine_destroy(f->e);
		if (f->path[0])
			unlink(f->path);
		free(f);
	}
	return 0;
}

static struct fixture *fixture_or_skip(void **state)
{
	char why[256] = "";

	if (!fixture_build(*state)) {
		engine_probe(engine_find("bt"), why, sizeof(why));
		print_message("[  SKIPPED ] bt engine unusable: %s\n", why);
		skip();
	}
	return *state;
}

#define SETUP(name, g, limit)                                                 \
	static int setup_##name##_vtlb(void **s)                              \
	{                                                                     \
		return fixture_make(s, BYTES(g), limit, "shadow=vtlb");       \
	}                                                                     \
	static int setup_##name##_trace(void **s)                             \
	{                                                                     \
		return fixture_make(s, BYTES(g), limit, "shadow=trace");      \
	}
SETUP(ports, g_ports, 10)
SETUP(triple, g_triple, 10)
SETUP(spin, g_spin, 0.3)
SETUP(cli_hlt, g_cli_hlt, 10)
SETUP(fetch, g_fetch_mmio, 10)
SETUP(int80, g_int80, 10)
SETUP(smc, g_smc, 10)
SETUP(loop, g_loop, 30)
SETUP(rep, g_rep, 10)

static void ports_consoleRoiMmioExit_areCountedAndReported(void **state)
{
	struct fixture *f = fixture_or_skip(state);
	struct engine_counters c;

	assert_int_equal(engine_run(f->e, &f->x), 0);
	assert_int_equal(f->x.reason, RUN_EXIT_GUEST);
	assert_int_equal(f->x.status, 7);
	assert_true(f->x.regs_valid);
	assert_int_equal(f->e->m->console.len, 2);
	assert_memory_equal(f->e->m->console.buf, "hi", 2);
	engine_counters(f->e, &c);
	assert_int_equal(c.traps.count[TRAP_PIO], 5);
	assert_int_equal(c.traps.count[TRAP_MMIO], 1);
	assert_true(c.instructions_valid);
	assert_non_null(engine_stat_find(&c, "bt_translations"));
	assert_non_null(engine_stat_find(&c, "bt_monitor_steps"));
	/* ROI snapshots at the two marker writes; the MMIO access between */
	assert_int_equal(f->e->nroi, 2);
	assert_int_equal(f->e->roi[0].value, VMB_ROI_VALUE(1, VMB_ROI_BEGIN));
	/* exact counts: OUT (begin), MOV, MOVL (MMIO), MOV, MOV */
	assert_int_equal(f->e->roi[1].counters.instructions -
				 f->e->roi[0].counters.instructions, 5);
	assert_int_equal(f->e->roi[1].counters.traps.count[TRAP_MMIO] -
				 f->e->roi[0].counters.traps.count[TRAP_MMIO],
			 1);
	assert_int_equal(f->e->roi[1].counters.traps.count[TRAP_PIO] -
				 f->e->roi[0].counters.traps.count[TRAP_PIO],
			 1);
}

static void describe_namesPolicy(void **state)
{
	struct fixture *f = fixture_or_skip(state);
	char buf[256] = "";

	f->e->ops->describe(f->e, buf, sizeof(buf));
	assert_non_null(strstr(buf, "shadow="));
	assert_non_null(strstr(buf, "GS base"));
}

static void options_bad_areRejected(void **state)
{
	struct fixture *f = fixture_or_skip(state);
	struct vm_config cfg = f->e->cfg;
	struct engine *e = NULL;
	char err[512] = "";

	cfg.options = "shadow=nested";
	assert_int_equal(engine_create(f->e->ops, &cfg, &e, err, sizeof(err)),
			 -1);
	assert_null(e);
	assert_non_null(strstr(err, "shadow"));
}

static void triple_fault_isReportedWithRip(void **state)
{
	struct fixture *f = fixture_or_skip(state);

	assert_int_equal(engine_run(f->e, &f->x), 0);
	assert_int_equal(f->x.reason, RUN_EXIT_TRIPLE_FAULT);
	assert_non_null(strstr(f->x.message, "triple fault"));
	assert_non_null(strstr(f->x.message, "0x"));
}

static void spin_hitsTimeLimit(void **state)
{
	struct fixture *f = fixture_or_skip(state);

	assert_int_equal(engine_run(f->e, &f->x), 0);
	assert_int_equal(f->x.reason, RUN_EXIT_TIME_LIMIT);
	assert_int_equal(f->x.rip, VMB_KERNEL_VBASE + VMB_PHYS_KERNEL);
}

static void cli_hlt_isHalted(void **state)
{
	struct fixture *f = fixture_or_skip(state);

	assert_int_equal(engine_run(f->e, &f->x), 0);
	assert_int_equal(f->x.reason, RUN_EXIT_HALTED);
}

static void fetch_from_mmio_isAnError(void **state)
{
	struct fixture *f = fixture_or_skip(state);

	assert_int_equal(engine_run(f->e, &f->x), 0);
	assert_int_not_equal(f->x.reason, RUN_EXIT_GUEST);
	assert_non_null(strstr(f->x.message, "0xc0000000"));
}

static void int80_atCpl0_isDelivered(void **state)
{
	struct fixture *f = fixture_or_skip(state);
	struct engine_counters c;

	assert_int_equal(engine_run(f->e, &f->x), 0);
	assert_int_equal(f->x.reason, RUN_EXIT_GUEST);
	assert_int_equal(f->x.status, 0x2b);
	engine_counters(f->e, &c);
	assert_int_equal(c.traps.exception_by_vector[0], 0);
}

static void smc_ofMonitorDecodedCode_isSeen(void **state)
{
	struct fixture *f = fixture_or_skip(state);

	assert_int_equal(engine_run(f->e, &f->x), 0);
	assert_int_equal(f->x.reason, RUN_EXIT_GUEST);
	assert_int_equal(f->x.status, 0x33);
}

static void loop_runsTranslated(void **state)
{
	struct fixture *f = fixture_or_skip(state);
	struct engine_counters c;
	uint32_t sum = 0;

	for (uint32_t k = 1000000; k; k--)
		sum = (sum + k) ^ 0x5a;
	assert_int_equal(engine_run(f->e, &f->x), 0);
	assert_int_equal(f->x.reason, RUN_EXIT_GUEST);
	assert_int_equal(f->x.status, sum & 0xff);
	engine_counters(f->e, &c);
	/* the loop never went through the monitor */
	assert_true(engine_stat_find(&c, "mon_insns")->value < 100);
	assert_true(engine_stat_find(&c, "bt_translations")->value < 20);
}

static void rep_stos_runsInMonitor(void **state)
{
	struct fixture *f = fixture_or_skip(state);

	assert_int_equal(engine_run(f->e, &f->x), 0);
	assert_int_equal(f->x.reason, RUN_EXIT_GUEST);
	assert_int_equal(f->x.status, 5 * 'z');
}

#define T(f, s)                                                               \
	cmocka_unit_test_setup_teardown(f, setup_##s##_vtlb, teardown),       \
	cmocka_unit_test_setup_teardown(f, setup_##s##_trace, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(ports_consoleRoiMmioExit_areCountedAndReported, ports),
		T(describe_namesPolicy, ports),
		T(options_bad_areRejected, ports),
		T(triple_fault_isReportedWithRip, triple),
		T(spin_hitsTimeLimit, spin),
		T(cli_hlt_isHalted, cli_hlt),
		T(fetch_from_mmio_isAnError, fetch),
		T(int80_atCpl0_isDelivered, int80),
		T(smc_ofMonitorDecodedCode_isSeen, smc),
		T(loop_runsTranslated, loop),
		T(rep_stos_runsInMonitor, rep),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
