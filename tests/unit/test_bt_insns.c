/*
 * test_bt_insns.c - bt counts retired guest instructions exactly, as the
 * interpreter does: tiny deterministic ELF kernels (no timer, interrupts
 * off) run on interp and on bt under both shadow policies; the whole-run
 * instruction count, the counts at ROI snapshots and the final registers
 * must be identical. Then every kernel is run again with --insn-limit at
 * several limits (1, a few, inside loops, one short of the end): both
 * engines must stop at exactly that count, at the same RIP with the same
 * registers. The kernels exercise what makes counting hard: chained and
 * self-looping blocks, RET-site caches and the indirect lookup, the
 * monitor (INT/IRETQ, REP STOSB, port I/O), a #DE raised in translated
 * code and handled through the IDT, an MMIO store inside a block, PUSH of
 * memory operands and MOV from CR0/2/3/4 (translated in place), INVLPG
 * (done by the dispatcher), and a
 * store into code the monitor has decoded (SMC stop mid-block).
 */
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

/* IDT at label idt, gate (vec) -> label (h): interrupt gate, DPL0. */
#define GATE(vec, h)                                                          \
	"lea idt(%rip), %rdi\n lea " h "(%rip), %rax\n"                       \
	"mov %rax, %rbx\n and $0xffff, %ebx\n or $0x80000, %rbx\n"            \
	"mov $0x8e00, %rcx\n shl $32, %rcx\n or %rcx, %rbx\n"                 \
	"mov %rax, %rcx\n shr $16, %rcx\n and $0xffff, %ecx\n"                \
	"shl $48, %rcx\n or %rcx, %rbx\n mov %rbx, 16*" #vec "(%rdi)\n"       \
	"mov %rax, %rcx\n shr $32, %rcx\n mov %rcx, 16*" #vec "+8(%rdi)\n"

/*
 * Calls and returns (RET caches, lookups), a self-loop, INT 0x80 and
 * IRETQ, a #DE from DIV in translated code (the handler skips the 2-byte
 * DIV), REP STOSB, an MMIO store between two ROI markers, then exit.
 */
GUEST(g_mix, GATE(0, "de") GATE(0x80, "sys")
	"sub $16, %rsp\n movw $0xfff, (%rsp)\n mov %rdi, 2(%rsp)\n"
	"lidt (%rsp)\n add $16, %rsp\n"
	"mov $0x500, %dx\n mov $0x101, %eax\n out %eax, %dx\n"
	"xor %r12d, %r12d\n mov $300, %r13d\n"
	"1: call f\n call g\n int $0x80\n"
	"mov $7, %eax\n xor %edx, %edx\n xor %ecx, %ecx\n div %ecx\n"
	"add %eax, %r12d\n"
	"sub $64, %rsp\n mov %rsp, %rdi\n mov $5, %ecx\n mov $'z', %al\n"
	"rep stosb\n add $64, %rsp\n"
	"mov $20, %ecx\n 2: add %ecx, %r12d\n dec %ecx\n jnz 2b\n"
	"mov %r13, %rax\n pushq 0(%rsp)\n pushq var(%rip)\n pushq (%rsp,%rax,8)\n"
	"pop %r8\n pop %r9\n pop %r10\n add %r9d, %r12d\n"
	"mov %cr3, %rbx\n mov %cr0, %r14\n mov %cr4, %rax\n mov %cr2, %r15\n"
	"xor %rbx, %r14\n add %eax, %r12d\n"
	"lea var(%rip), %rbx\n invlpg (%rbx)\n invlpg var(%rip)\n"
	"mov $1, %ecx\n invlpg -8(%rbx,%rcx,8)\n add $1, %r12d\n"
	"dec %r13d\n jnz 1b\n"
	"mov $0x500, %dx\n mov $0x102, %eax\n out %eax, %dx\n"
	"mov $0x500, %dx\n mov $0x201, %eax\n out %eax, %dx\n"
	"mov $0xc0000000, %rdi\n add $1, %r12d\n movl %r12d, (%rdi)\n"
	"add $2, %r12d\n"
	"mov $0x500, %dx\n mov $0x202, %eax\n out %eax, %dx\n"
	"mov %r12d, %eax\n and $0x7f, %eax\n mov $0xf4, %dx\n out %eax, %dx\n"
	"3: jmp 3b\n"
	"f: lea 1(%r12), %r12\n ret\n"
	"g: push %rbx\n call f\n pop %rbx\n ret\n"
	"sys: add $3, %r12d\n iretq\n"
	"de: addq $2, (%rsp)\n iretq\n"
	"var: .quad 0x1234\n"
	".p2align 4\n idt: .fill 4096, 1, 0\n");

/* Translated code patches an immediate of code the monitor decoded (it
 * runs the block from LODSB to RET), in a loop. */
GUEST(g_smc, "xor %ebx, %ebx\n mov %rsp, %rsi\n mov $50, %r13d\n"
	     "1: call target\n lea imm(%rip), %rdi\n"
	     "mov %r13d, %eax\n movl %eax, (%rdi)\n add $1, %ebx\n"
	     "call target\n dec %r13d\n jnz 1b\n"
	     "mov %ebx, %eax\n and $0x7f, %eax\n mov $0xf4, %dx\n out %eax, %dx\n"
	     "2: jmp 2b\n"
	     ".p2align 12\n target: lodsb\n .byte 0xb9\n imm: .long 0x11\n"
	     "add %ecx, %ebx\n ret\n");

#define BYTES(g) g##_begin, (size_t)(g##_end - g##_begin)

struct result {
	struct run_exit x;
	uint64_t insns;
	bool valid;
	unsigned nroi;
	uint64_t roi_insns[8];
};

/* Run (code) on engine (name) with (options) and (limit); false when the
 * engine cannot run here. */
static bool run_on(const char *name, const char *options, const uint8_t *code,
		   size_t len, uint64_t limit, struct result *r)
{
	const struct engine_ops *ops = engine_find(name);
	struct engine_counters c;
	struct vm_config cfg;
	struct engine *e;
	char err[512], path[64];

	if (!ops || engine_probe(ops, err, sizeof(err)) < 0)
		return false;
	assert_int_equal(test_elf_flat_kernel_file(code, len, path,
						   sizeof(path)), 0);
	memset(&cfg, 0, sizeof(cfg));
	cfg.machine.ram_bytes = MACHINE_RAM_MIN;
	cfg.machine.kernel_path = path;
	cfg.time_limit_s = 30;
	cfg.insn_limit = limit;
	cfg.options = options;
	if (engine_create(ops, &cfg, &e, err, sizeof(err)) < 0)
		fail_msg("engine_create %s: %s", name, err);
	unlink(path);
	memset(r, 0, sizeof(*r));
	assert_int_equal(engine_run(e, &r->x), 0);
	engine_counters(e, &c);
	r->insns = c.instructions;
	r->valid = c.instructions_valid;
	r->nroi = e->nroi < 8 ? e->nroi : 8;
	for (unsigned i = 0; i < r->nroi; i++)
		r->roi_insns[i] = e->roi[i].counters.instructions;
	engine_destroy(e);
	return true;
}

static void same(const struct result *a, const struct result *b,
		 const char *what)
{
	if (a->insns != b->insns || a->x.reason != b->x.reason ||
	    a->x.regs.rip != b->x.regs.rip)
		fail_msg("%s: interp %llu insns (reason %d, RIP %#llx), bt %llu "
			 "(reason %d, RIP %#llx)", what,
			 (unsigned long long)a->insns, a->x.reason,
			 (unsigned long long)a->x.regs.rip,
			 (unsigned long long)b->insns, b->x.reason,
			 (unsigned long long)b->x.regs.rip);
	assert_memory_equal(a->x.regs.gpr, b->x.regs.gpr, sizeof(a->x.regs.gpr));
	assert_int_equal(a->x.regs.rflags & 0xcd5, b->x.regs.rflags & 0xcd5);
	assert_int_equal(a->nroi, b->nroi);
	for (unsigned i = 0; i < a->nroi; i++)
		assert_int_equal(a->roi_insns[i], b->roi_insns[i]);
}

static void check(const uint8_t *code, size_t len, unsigned nroi)
{
	static const char *pol[] = { "shadow=vtlb", "shadow=trace" };
	struct result ref, r;
	uint64_t limits[8];
	char what[128];

	if (!run_on("interp", NULL, code, len, 0, &ref) ||
	    !run_on("bt", pol[0], code, len, 0, &r)) {
		print_message("[  SKIPPED ] interp or bt unusable here\n");
		skip();
	}
	assert_int_equal(ref.x.reason, RUN_EXIT_GUEST);
	assert_true(ref.valid);
	assert_int_equal(ref.nroi, nroi);
	limits[0] = 1, limits[1] = 5, limits[2] = 37, limits[3] = 1000;
	limits[4] = ref.insns / 3, limits[5] = ref.insns / 2 + 3;
	limits[6] = ref.insns - 1, limits[7] = ref.insns + 10;
	for (int p = 0; p < 2; p++) {
		snprintf(what, sizeof(what), "%s, no limit", pol[p]);
		if (p)
			assert_true(run_on("bt", pol[p], code, len, 0, &r));
		assert_true(r.valid);
		same(&ref, &r, what);
		for (int k = 0; k < 8; k++) {
			struct result a, b;

			snprintf(what, sizeof(what), "%s, limit %llu", pol[p],
				 (unsigned long long)limits[k]);
			assert_true(run_on("interp", NULL, code, len, limits[k],
					   &a));
			assert_true(run_on("bt", pol[p], code, len, limits[k],
					   &b));
			same(&a, &b, what);
			if (limits[k] < ref.insns) {
				assert_int_equal(b.x.reason, RUN_EXIT_INSN_LIMIT);
				assert_int_equal(b.insns, limits[k]);
			}
		}
	}
}

static void mix_countsAndLimits_matchInterp(void **state)
{
	(void)state;
	check(BYTES(g_mix), 4);
}

static void smc_countsAndLimits_matchInterp(void **state)
{
	(void)state;
	check(BYTES(g_smc), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(mix_countsAndLimits_matchInterp),
		cmocka_unit_test(smc_countsAndLimits_matchInterp),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
