/*
 * test_kvm_engine.c - the kvm engine on the real /dev/kvm through engine.h:
 * tiny ELF kernels (assembled into this binary, written out as ELF64 files
 * at setup) that use the console, exit and ROI ports and the null MMIO
 * page, triple-fault, spin into the time limit, halt with IF=0, execute
 * VMCALL (unsupported on PVM, -1000 elsewhere), deliver INT 0x80 at CPL0
 * (the VMM does it on PVM) and fetch from MMIO (an emulation failure).
 * Skipped, saying why, without /dev/kvm.
 */
#include <elf.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "engine.h"
#include "support/elf_build.h"
#include "kvm/kvm_backend.h"
#include "vmb_abi.h"

#define GUEST(name, body)                                                     \
	extern const uint8_t name##_begin[], name##_end[];                   \
	__asm__(".pushsection .rodata\n.p2align 4\n" #name "_begin:\n" body   \
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
GUEST(g_vmcall, "mov $0x564d4200, %eax\n vmcall\n"
		"mov $0xf4, %dx\n out %eax, %dx\n 1: jmp 1b\n");
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

#define BYTES(g) g##_begin, (size_t)(g##_end - g##_begin)

struct fixture {
	char path[64];
	struct engine *e;
	struct run_exit x;
};

/* Build an engine on (code); NULL state (skip) without /dev/kvm. */
static int fixture_make(void **state, const uint8_t *code, size_t len,
			double time_limit)
{
	const struct engine_ops *ops = engine_find("kvm");
	struct fixture *f;
	struct vm_config cfg;
	char err[512];

	*state = NULL;
	if (!ops || engine_probe(ops, err, sizeof(err)) < 0)
		return 0;
	f = calloc(1, sizeof(*f));
	assert_int_equal(test_elf_flat_kernel_file(code, len, f->path,
						   sizeof(f->path)), 0);
	memset(&cfg, 0, sizeof(cfg));
	cfg.machine.ram_bytes = MACHINE_RAM_MIN;
	cfg.machine.kernel_path = f->path;
	cfg.time_limit_s = time_limit;
	if (engine_create(ops, &cfg, &f->e, err, sizeof(err)) < 0) {
		print_error("engine_create: %s\n", err);
		unlink(f->path);
		free(f);
		return -1;
	}
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	if (f) {
		engine_destroy(f->e);
		unlink(f->path);
		free(f);
	}
	return 0;
}

static struct fixture *fixture_or_skip(void **state)
{
	char why[256] = "";

	if (!*state) {
		engine_probe(engine_find("kvm"), why, sizeof(why));
		print_message("[  SKIPPED ] kvm engine unusable: %s\n", why);
		skip();
	}
	return *state;
}

static enum kvm_backend_kind backend(void)
{
	struct kvm_backend b;

	kvm_backend_detect(&b);
	return b.kind;
}

#define SETUP(name, g, limit)                                                 \
	static int setup_##name(void **s)                                     \
	{                                                                     \
		return fixture_make(s, BYTES(g), limit);                      \
	}
SETUP(ports, g_ports, 10)
SETUP(triple, g_triple, 10)
SETUP(spin, g_spin, 0.3)
SETUP(cli_hlt, g_cli_hlt, 0) /* no limit: the kick notices it */
SETUP(vmcall, g_vmcall, 10)
SETUP(fetch, g_fetch_mmio, 10)
SETUP(int80, g_int80, 10)

static void ports_consoleRoiMmioExit_areCountedAndReported(void **state)
{
	struct fixture *f = fixture_or_skip(state);
	struct engine_counters c;
	const struct engine_stat *s;

	assert_int_equal(engine_run(f->e, &f->x), 0);
	assert_int_equal(f->x.reason, RUN_EXIT_GUEST);
	assert_int_equal(f->x.status, 7);
	assert_true(f->x.regs_valid);
	assert_int_equal(f->e->m->console.len, 2);
	assert_memory_equal(f->e->m->console.buf, "hi", 2);
	engine_counters(f->e, &c);
	assert_int_equal(c.traps.count[TRAP_PIO], 5);
	assert_int_equal(c.traps.count[TRAP_MMIO], 1);
	assert_false(c.instructions_valid);
	s = engine_stat_find(&c, "user_exit_io");
	assert_non_null(s);
	assert_int_equal(s->value, 5);
	assert_non_null(engine_stat_find(&c, "exits"));
	assert_non_null(engine_stat_find(&c, "pf_fixed"));
	assert_null(engine_stat_find(&c, "halt_wait_hist"));
	/* ROI snapshots at the two marker exits; the MMIO exit between. */
	assert_int_equal(f->e->nroi, 2);
	assert_int_equal(f->e->roi[0].value, VMB_ROI_VALUE(1, VMB_ROI_BEGIN));
	assert_int_equal(f->e->roi[1].counters.traps.count[TRAP_MMIO] -
				 f->e->roi[0].counters.traps.count[TRAP_MMIO],
			 1);
	assert_int_equal(f->e->roi[1].counters.traps.count[TRAP_PIO] -
				 f->e->roi[0].counters.traps.count[TRAP_PIO],
			 1);
}

/* host-pages=2m: works when the host has free 2 MiB pages, else a clear
 * error naming vm.nr_hugepages (never a silent fallback to 4 KiB). */
static void hostpages_2m_runsOrSaysWhy(void **state)
{
	const struct engine_ops *ops = engine_find("kvm");
	struct fixture *f = fixture_or_skip(state);
	struct vm_config cfg;
	struct engine *e;
	struct run_exit x;
	char err[512], buf[512];

	memset(&cfg, 0, sizeof(cfg));
	cfg.machine.ram_bytes = MACHINE_RAM_MIN;
	cfg.machine.kernel_path = f->path;
	cfg.options = "host-pages=2m";
	cfg.time_limit_s = 10;
	if (engine_create(ops, &cfg, &e, err, sizeof(err)) < 0) {
		assert_non_null(strstr(err, "host-pages=2m"));
		assert_non_null(strstr(err, "nr_hugepages"));
		return;
	}
	ops->describe(e, buf, sizeof(buf));
	assert_non_null(strstr(buf, "host-pages=2m"));
	assert_true(e->m->mem.hugepages);
	assert_int_equal(engine_run(e, &x), 0);
	assert_int_equal(x.reason, RUN_EXIT_GUEST);
	assert_int_equal(x.status, 7);
	engine_destroy(e);
}

static void options_bad_areRejected(void **state)
{
	const struct engine_ops *ops = engine_find("kvm");
	struct fixture *f = fixture_or_skip(state);
	struct vm_config cfg;
	struct engine *e;
	char err[512];

	memset(&cfg, 0, sizeof(cfg));
	cfg.machine.ram_bytes = MACHINE_RAM_MIN;
	cfg.machine.kernel_path = f->path;
	cfg.options = "host-pages=1g";
	assert_true(engine_create(ops, &cfg, &e, err, sizeof(err)) < 0);
	assert_non_null(strstr(err, "host-pages=1g"));
	cfg.options = "irqchip=pic";
	assert_true(engine_create(ops, &cfg, &e, err, sizeof(err)) < 0);
	assert_non_null(strstr(err, "irqchip=pic"));
}

static void describe_namesBackend(void **state)
{
	struct fixture *f = fixture_or_skip(state);
	char buf[512];
	struct kvm_backend b;

	kvm_backend_detect(&b);
	f->e->ops->describe(f->e, buf, sizeof(buf));
	assert_non_null(strstr(buf, kvm_backend_name(b.kind)));
	assert_non_null(strstr(buf, "host-pages=4k"));
	assert_non_null(strstr(buf, b.kind == KVM_BACKEND_PVM ?
					    "pvm-accommodations=on" :
					    "pvm-accommodations=off"));
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

static void vmcall_isUnsupportedOnPvmElseEnosys(void **state)
{
	struct fixture *f = fixture_or_skip(state);
	struct engine_counters c;

	assert_int_equal(engine_run(f->e, &f->x), 0);
	if (backend() == KVM_BACKEND_PVM) {
		assert_int_equal(f->x.reason, RUN_EXIT_UNSUPPORTED_ON_BACKEND);
		assert_non_null(strstr(f->x.message,
				       "unsupported on this backend"));
		engine_counters(f->e, &c);
		assert_int_equal(engine_stat_find(&c, "pvm_vmcall_refused")
					 ->value, 1);
	} else {
		assert_int_equal(f->x.reason, RUN_EXIT_GUEST);
		assert_int_equal(f->x.status, (uint32_t)VMB_HC_ENOSYS);
	}
}

static void fetch_from_mmio_isUnsupportedInsnWithBytes(void **state)
{
	struct fixture *f = fixture_or_skip(state);

	assert_int_equal(engine_run(f->e, &f->x), 0);
	assert_int_equal(f->x.reason, RUN_EXIT_UNSUPPORTED_INSN);
	assert_non_null(strstr(f->x.message, "bytes"));
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
	if (backend() == KVM_BACKEND_PVM)
		assert_int_equal(engine_stat_find(&c, "pvm_int_emulated")
					 ->value, 1);
	else
		assert_null(engine_stat_find(&c, "pvm_int_emulated"));
}

#define T(f, s) cmocka_unit_test_setup_teardown(f, setup_##s, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(ports_consoleRoiMmioExit_areCountedAndReported, ports),
		T(describe_namesBackend, ports),
		T(hostpages_2m_runsOrSaysWhy, ports),
		T(options_bad_areRejected, ports),
		T(triple_fault_isReportedWithRip, triple),
		T(spin_hitsTimeLimit, spin),
		T(cli_hlt_isHalted, cli_hlt),
		T(vmcall_isUnsupportedOnPvmElseEnosys, vmcall),
		T(fetch_from_mmio_isUnsupportedInsnWithBytes, fetch),
		T(int80_atCpl0_isDelivered, int80),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
