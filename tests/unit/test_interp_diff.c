/*
 * test_interp_diff.c - differential test of the interpreter against the
 * host CPU.
 *
 * Random integer instruction sequences (interp_diffgen.h) run natively in
 * a forked child (code in an mmap'd executable page, registers loaded and
 * stored by a small trampoline, SIGFPE and SIGBUS caught with the faulting
 * registers from the signal context) and in the interpreter, one instruction at a
 * time. Registers, the scratch memory, the fault (index and vector) and
 * every arithmetic flag the SDM defines after the sequence must match.
 * Flags left undefined (by Zydis' per-instruction tables, plus the
 * count-dependent rules of shifts) are masked; a sequence that reads an
 * undefined flag is skipped and counted. Every fourth case runs with
 * RFLAGS.AC set: natively (Linux sets CR0.AM) and in the interpreter at
 * CPL3 with CR0.AM, misaligned accesses raise #AC.
 *
 * VMB_DIFF_CASES (default 4000) and VMB_DIFF_SEED make longer runs.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <ucontext.h>
#include <unistd.h>

#include <cmocka.h>

#include "interp_diffgen.h"
#include "interp_fixture.h"

struct native_ctx {
	uint64_t gpr[16];
	uint64_t flags;
	uint64_t code;
};

struct dg_result {
	uint64_t gpr[16];
	uint64_t flags;
	uint8_t mem[DG_SCRATCH];
	int fault_at;		/* instruction index, -1 = none */
	int vector;
	int done;
};

void diff_native(struct native_ctx *ctx);
__asm__(".text\n.globl diff_native\ndiff_native:\n"
	"push %rbx\npush %rbp\npush %r12\npush %r13\npush %r14\npush %r15\n"
	"mov 0(%rdi),%rax\nmov 8(%rdi),%rcx\nmov 16(%rdi),%rdx\n"
	"mov 24(%rdi),%rbx\nmov 48(%rdi),%rsi\nmov 64(%rdi),%r8\n"
	"mov 72(%rdi),%r9\nmov 80(%rdi),%r10\nmov 88(%rdi),%r11\n"
	"mov 96(%rdi),%r12\nmov 104(%rdi),%r13\nmov 112(%rdi),%r14\n"
	"mov 120(%rdi),%r15\npushq 128(%rdi)\npopfq\n"
	"call *136(%rdi)\n"
	"pushfq\npopq 128(%rdi)\n"
	"pushfq\nandl $0xfffbffff,(%rsp)\npopfq\n"	/* AC off again */
	"mov %rax,0(%rdi)\nmov %rcx,8(%rdi)\nmov %rdx,16(%rdi)\n"
	"mov %rbx,24(%rdi)\nmov %rsi,48(%rdi)\nmov %r8,64(%rdi)\n"
	"mov %r9,72(%rdi)\nmov %r10,80(%rdi)\nmov %r11,88(%rdi)\n"
	"mov %r12,96(%rdi)\nmov %r13,104(%rdi)\nmov %r14,112(%rdi)\n"
	"pop %r15\npop %r14\npop %r13\npop %r12\npop %rbp\npop %rbx\nret\n");

/* ---- native side (child process) ---------------------------------------*/

static sigjmp_buf g_jmp;
static struct dg_result *g_res;
static uint8_t *g_code;
static const struct dg_case *g_case;

static void on_fpe(int sig, siginfo_t *si, void *uc_)
{
	ucontext_t *uc = uc_;
	greg_t *g = uc->uc_mcontext.gregs;
	static const int map[16] = { REG_RAX, REG_RCX, REG_RDX, REG_RBX,
				     REG_RSP, REG_RBP, REG_RSI, REG_RDI,
				     REG_R8, REG_R9, REG_R10, REG_R11,
				     REG_R12, REG_R13, REG_R14, REG_R15 };
	uint64_t off = (uint64_t)g[REG_RIP] - (uint64_t)g_code;

	/* AC off before anything else runs here (memcpy may be unaligned) */
	__asm__ volatile("pushfq\nandl $0xfffbffff,(%%rsp)\npopfq" ::: "cc");
	(void)si;
	g_res->fault_at = -2;
	for (unsigned k = 0; k < g_case->nins; k++)
		if (g_case->off[k] == off)
			g_res->fault_at = (int)k;
	g_res->vector = sig == SIGBUS ? X86_VEC_AC : X86_VEC_DE;
	for (unsigned k = 0; k < 16; k++)
		g_res->gpr[k] = (uint64_t)g[map[k]];
	g_res->flags = (uint64_t)g[REG_EFL];
	siglongjmp(g_jmp, 1);
}

static void native_run_all(const struct dg_case *cases, unsigned n,
			   struct dg_result *res)
{
	struct sigaction sa = { 0 };
	uint8_t *scratch;

	g_code = mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	scratch = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (g_code == MAP_FAILED || scratch == MAP_FAILED)
		_exit(3);
	sa.sa_sigaction = on_fpe;
	sa.sa_flags = SA_SIGINFO | SA_NODEFER;
	sigaction(SIGFPE, &sa, NULL);
	sigaction(SIGBUS, &sa, NULL);	/* #AC: Linux runs with CR0.AM set */
	for (unsigned k = 0; k < n; k++) {
		struct native_ctx ctx;

		g_case = &cases[k];
		g_res = &res[k];
		memcpy(g_code, cases[k].code, cases[k].len + 1);
		memcpy(scratch, cases[k].mem, DG_SCRATCH);
		memcpy(ctx.gpr, cases[k].gpr, sizeof(ctx.gpr));
		ctx.gpr[X86_R15] = (uint64_t)scratch;
		ctx.flags = cases[k].flags | X86_RFLAGS_FIXED;
		ctx.code = (uint64_t)g_code;
		res[k].fault_at = -1;
		if (sigsetjmp(g_jmp, 1) == 0) {
			diff_native(&ctx);
			memcpy(res[k].gpr, ctx.gpr, sizeof(ctx.gpr));
			res[k].flags = ctx.flags;
		}
		memcpy(res[k].mem, scratch, DG_SCRATCH);
		res[k].done = 1;
	}
	_exit(0);
}

/* ---- interpreter side ---------------------------------------------------*/

#define AF X86_RFLAGS_AF
#define OF X86_RFLAGS_OF
#define CF X86_RFLAGS_CF

/* Flags left undefined by a shift/rotate with its actual count. */
static int shift_undef(const ZydisDecodedInstruction *z,
		       const ZydisDecodedOperand *ops, struct cpu *c,
		       uint64_t *undef)
{
	unsigned size = ops[0].size, n;
	uint64_t cnt;

	switch (z->mnemonic) {
	case ZYDIS_MNEMONIC_SHL: case ZYDIS_MNEMONIC_SHR:
	case ZYDIS_MNEMONIC_SAR: case ZYDIS_MNEMONIC_ROL:
	case ZYDIS_MNEMONIC_ROR: case ZYDIS_MNEMONIC_RCL:
	case ZYDIS_MNEMONIC_RCR: case ZYDIS_MNEMONIC_SHLD:
	case ZYDIS_MNEMONIC_SHRD:
		break;
	default:
		return 0;
	}
	{
		const ZydisDecodedOperand *co =
			&ops[z->operand_count_visible - 1];
		cnt = co->type == ZYDIS_OPERAND_TYPE_IMMEDIATE
			      ? co->imm.value.u
			      : c->s.gpr[X86_RCX];
		if (z->operand_count_visible == 1)
			cnt = 1;
	}
	n = (unsigned)(cnt & (size == 64 ? 63 : 31));
	if (n == 0)
		return 1;
	switch (z->mnemonic) {
	case ZYDIS_MNEMONIC_ROL: case ZYDIS_MNEMONIC_ROR:
	case ZYDIS_MNEMONIC_RCL: case ZYDIS_MNEMONIC_RCR:
		*undef &= ~(CF | OF);
		if (n > 1)
			*undef |= OF;
		return 1;
	default:
		*undef = (n > 1 ? OF : 0) | AF;
		if (n >= size && (z->mnemonic == ZYDIS_MNEMONIC_SHL ||
				  z->mnemonic == ZYDIS_MNEMONIC_SHR))
			*undef |= CF;
		return 1;
	}
}

/* Update (undef) for the instruction about to run; true if it reads an
 * undefined flag. */
static bool undef_step(const uint8_t *code, struct cpu *c, uint64_t *undef)
{
	ZydisDecoder d;
	ZydisDecodedInstruction z;
	ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT];
	const ZydisAccessedFlags *f;
	bool taint;

	ZydisDecoderInit(&d, ZYDIS_MACHINE_MODE_LONG_64, ZYDIS_STACK_WIDTH_64);
	if (!ZYAN_SUCCESS(ZydisDecoderDecodeFull(&d, code, 15, &z, ops)))
		return true;
	f = z.cpu_flags;
	taint = f && (f->tested & *undef & FLAGS_ARITH);
	if (shift_undef(&z, ops, c, undef))
		return taint;
	if (f) {
		*undef &= ~(uint64_t)(f->modified | f->set_0 | f->set_1);
		*undef |= f->undefined;
	}
	*undef &= FLAGS_ARITH;
	return taint;
}

struct diff_stats {
	unsigned run, tainted, faults, ac, failed;
};

static void report(const struct dg_case *dc, unsigned idx, const char *what,
		   ...)
{
	va_list ap;
	char buf[200];

	va_start(ap, what);
	vsnprintf(buf, sizeof(buf), what, ap);
	va_end(ap);
	fprintf(stderr, "case %u: %s\n  code:", idx, buf);
	for (unsigned k = 0; k < dc->len; k++)
		fprintf(stderr, " %02x", dc->code[k]);
	fprintf(stderr, "\n");
	for (unsigned k = 0; k < dc->nins; k++) {
		ZydisDisassembledInstruction di;
		if (ZYAN_SUCCESS(ZydisDisassembleIntel(
			    ZYDIS_MACHINE_MODE_LONG_64, 0, dc->code + dc->off[k],
			    15, &di)))
			fprintf(stderr, "  [%u] %s\n", k, di.text);
	}
}

/* A case with RFLAGS.AC runs at CPL3 with CR0.AM, as the native side
 * does under Linux: misaligned accesses raise #AC (SIGBUS natively). */
static void case_mode(struct cpu *c, const struct dg_case *dc)
{
	bool user = (dc->flags & X86_RFLAGS_AC) != 0;

	if (user) {
		seg_flat_code(&c->s.seg[X86_CS], 0x23, 3);
		seg_flat_data(&c->s.seg[X86_SS], 0x1b, 3);
	} else {
		seg_flat_code(&c->s.seg[X86_CS], 8, 0);
		seg_flat_data(&c->s.seg[X86_SS], 16, 0);
	}
	c->s.cr0 |= X86_CR0_AM;
}

/*
 * The case once more as one block run whole by exec_run (threaded
 * dispatch, the specialized twins, ALU+Jcc fusion): the sequence and the
 * trailing RET form one block; it must leave exactly what the single
 * steps left, undefined flags included. Every other case runs with the
 * TLB flushed, so the twins' memory accesses miss and redo through the
 * plain handlers. Returns false after reporting a difference.
 */
static bool block_check(struct fx *f, const struct dg_case *dc,
			unsigned idx)
{
	struct cpu *c = f->c;
	uint64_t gpr[16], flags = flags_get(c) & FLAGS_ARITH;
	static uint8_t mem[DG_SCRATCH];

	memcpy(gpr, c->s.gpr, sizeof(gpr));
	memcpy(mem, f->m.mem.host + FX_DATA, DG_SCRATCH);
	case_mode(c, dc);
	memcpy(c->s.gpr, dc->gpr, sizeof(c->s.gpr));
	c->s.gpr[X86_R15] = FX_DATA;
	c->s.gpr[X86_RSP] = FX_STACK;
	c->s.rflags = dc->flags | X86_RFLAGS_FIXED;
	c->lf.op = LF_NONE;
	memcpy(f->m.mem.host + FX_DATA, dc->mem, DG_SCRATCH);
	fx_code(f, dc->code, dc->len + 1);
	c->icount = 0;
	c->prev = NULL;
	if (idx & 1)
		tlb_flush(&c->tlb, false);
	exec_run(c, &f->x, dc->nins + 1, 0);
	if (f->x.reason != RUN_EXIT_INSN_LIMIT || c->icount != dc->nins + 1) {
		report(dc, idx, "block run: %llu insns, %s",
		       (unsigned long long)c->icount, f->x.message);
		return false;
	}
	for (unsigned k = 0; k < DG_NPOOL; k++) {
		unsigned r = dg_pool[k];
		if (c->s.gpr[r] != gpr[r]) {
			report(dc, idx, "block run: gpr %u %#llx, stepped %#llx",
			       r, (unsigned long long)c->s.gpr[r],
			       (unsigned long long)gpr[r]);
			return false;
		}
	}
	if ((flags_get(c) & FLAGS_ARITH) != flags) {
		report(dc, idx, "block run: flags %#llx, stepped %#llx",
		       (unsigned long long)(flags_get(c) & FLAGS_ARITH),
		       (unsigned long long)flags);
		return false;
	}
	if (memcmp(f->m.mem.host + FX_DATA, mem, DG_SCRATCH) != 0) {
		report(dc, idx, "block run: scratch memory differs");
		return false;
	}
	return true;
}

static void interp_check(struct fx *f, const struct dg_case *dc,
			 const struct dg_result *nr, unsigned idx,
			 struct diff_stats *st)
{
	struct cpu *c = f->c;
	uint64_t undef = 0, mask;
	int fault_at = -1, vector = 0;
	bool taint = false;

	case_mode(c, dc);
	memcpy(c->s.gpr, dc->gpr, sizeof(c->s.gpr));
	c->s.gpr[X86_R15] = FX_DATA;
	c->s.gpr[X86_RSP] = FX_STACK;
	c->s.rflags = dc->flags | X86_RFLAGS_FIXED;
	c->lf.op = LF_NONE;
	memcpy(f->m.mem.host + FX_DATA, dc->mem, DG_SCRATCH);
	fx_code(f, dc->code, dc->len + 1);
	for (unsigned k = 0; k < dc->nins; k++) {
		uint64_t before = undef;
		int rc;

		taint |= undef_step(dc->code + dc->off[k], c, &undef);
		rc = fx_step(f);
		if (rc == OP_FAULT) {
			fault_at = (int)k;
			vector = c->exc.vector;
			undef = before;
			break;
		}
		if (rc != OP_OK) {
			report(dc, idx, "interp stopped: %s", f->x.message);
			st->failed++;
			return;
		}
	}
	st->run++;
	if (taint) {
		st->tainted++;
		return;
	}
	if (fault_at != nr->fault_at || (fault_at >= 0 && vector != nr->vector)) {
		report(dc, idx, "fault: interp at %d vector %d, native at %d",
		       fault_at, vector, nr->fault_at);
		st->failed++;
		return;
	}
	if (fault_at >= 0)
		st->faults++;
	if (fault_at >= 0 && vector == X86_VEC_AC)
		st->ac++;
	for (unsigned k = 0; k < DG_NPOOL; k++) {
		unsigned r = dg_pool[k];
		if (c->s.gpr[r] != nr->gpr[r]) {
			report(dc, idx, "gpr %u: interp %#llx native %#llx", r,
			       (unsigned long long)c->s.gpr[r],
			       (unsigned long long)nr->gpr[r]);
			st->failed++;
			return;
		}
	}
	mask = FLAGS_ARITH & ~undef;
	if ((flags_get(c) & mask) != (nr->flags & mask)) {
		report(dc, idx, "flags: interp %#llx native %#llx mask %#llx",
		       (unsigned long long)(flags_get(c) & FLAGS_ARITH),
		       (unsigned long long)(nr->flags & FLAGS_ARITH),
		       (unsigned long long)mask);
		st->failed++;
		return;
	}
	if (fault_at < 0 &&
	    memcmp(f->m.mem.host + FX_DATA, nr->mem, DG_SCRATCH) != 0) {
		report(dc, idx, "scratch memory differs");
		st->failed++;
		return;
	}
	if (fault_at < 0 && !block_check(f, dc, idx))
		st->failed++;
}

static unsigned env_uint(const char *name, unsigned def)
{
	const char *v = getenv(name);

	return v && *v ? (unsigned)strtoul(v, NULL, 0) : def;
}

static void test_interp_matches_host_cpu(void **state)
{
	unsigned n = env_uint("VMB_DIFF_CASES", 4000);
	struct dg_case *cases = calloc(n, sizeof(*cases));
	struct dg_result *res = mmap(NULL, n * sizeof(*res),
				     PROT_READ | PROT_WRITE,
				     MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	struct diff_stats st = { 0 };
	struct fx *f = fx_new();
	int status = 0;
	pid_t pid;

	(void)state;
	assert_non_null(cases);
	assert_true(res != MAP_FAILED);
	dg_state ^= env_uint("VMB_DIFF_SEED", 1) * 0x2545f4914f6cdd1dull;
	for (unsigned k = 0; k < n; k++) {
		dg_case_make(&cases[k]);
		if (k % 4 == 3)	/* alignment checking at CPL3 */
			cases[k].flags |= X86_RFLAGS_AC;
	}
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		native_run_all(cases, n, res);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	for (unsigned k = 0; k < n && st.failed < 10; k++) {
		assert_true(res[k].done);
		interp_check(f, &cases[k], &res[k], k, &st);
	}
	printf("diff: %u cases, %u compared, %u with #DE or #AC (%u #AC), %u "
	       "skipped (read an undefined flag), %u failed\n", st.run,
	       st.run - st.tainted, st.faults, st.ac, st.tainted, st.failed);
	assert_int_equal(st.failed, 0);
	assert_true(st.run - st.tainted > n / 2);
	fx_free(f);
	munmap(res, n * sizeof(*res));
	free(cases);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_interp_matches_host_cpu),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
