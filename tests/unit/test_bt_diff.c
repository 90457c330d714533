/*
 * Differential test of the translator against the host CPU: random
 * sequences of integer instructions (encoded with the Zydis encoder:
 * ALU, shifts, multiplies, moves and extensions, CMOVcc/SETcc, bit tests,
 * XCHG/XADD/CMPXCHG, LEA, PUSH/POP, in register, memory, RIP-relative and
 * SIB forms, 8- to 64-bit; conditional jumps over single instructions)
 * run once natively and once through bt at CPL3.
 * Every GPR, the six arithmetic flags and the data page must come out
 * identical (the very same instructions run on the same CPU, so even
 * "undefined" flags must match).
 *
 * Layout, identical on both sides: code page, then the data page; R15
 * holds the data page's address and R14 a small index, neither is ever
 * written; RIP-relative operands reach the data page from the code page.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <Zydis/Zydis.h>

#include "bt/bt_exec.h"
#include "bt/bt_shadow.h"
#include "support/guest_pt.h"
#include "machine/guest_mem.h"
#include "machine/x86_state.h"

#define RAM (16ull << 20)
#define P 0x1ull
#define RW 0x2ull
#define US 0x4ull
#define CR3 0x100000ull
#define CODE_VA 0x400000ull
#define CODE_GPA 0x200000ull
#define STACK_VA 0x7ff000ull
#define STACK_GPA 0x220000ull
#define PROGRAMS 1500
#define INSNS 32
#define FLAGS_CMP 0x8d5ull	/* CF PF AF ZF SF OF */

struct regs {
	uint64_t gpr[16];
	uint64_t rflags;
};

/* Run (code) natively with (r) loaded; store the registers back. */
void diff_native(struct regs *r, const void *code);

__asm__(".text\n"
	".globl diff_native\n"
	"diff_native:\n"
	"  push %rbp\n push %rbx\n push %r12\n push %r13\n push %r14\n push %r15\n"
	"  push %rdi\n"
	"  push %rsi\n"
	"  pushq 128(%rdi)\n"
	"  popfq\n"
	"  mov 0(%rdi), %rax\n mov 8(%rdi), %rcx\n mov 16(%rdi), %rdx\n"
	"  mov 24(%rdi), %rbx\n mov 40(%rdi), %rbp\n mov 48(%rdi), %rsi\n"
	"  mov 64(%rdi), %r8\n mov 72(%rdi), %r9\n mov 80(%rdi), %r10\n"
	"  mov 88(%rdi), %r11\n mov 96(%rdi), %r12\n mov 104(%rdi), %r13\n"
	"  mov 112(%rdi), %r14\n mov 120(%rdi), %r15\n mov 56(%rdi), %rdi\n"
	"  call *(%rsp)\n"
	"  xchg %rdi, 8(%rsp)\n"
	"  mov %rax, 0(%rdi)\n mov %rcx, 8(%rdi)\n mov %rdx, 16(%rdi)\n"
	"  mov %rbx, 24(%rdi)\n mov %rbp, 40(%rdi)\n mov %rsi, 48(%rdi)\n"
	"  mov %r8, 64(%rdi)\n mov %r9, 72(%rdi)\n mov %r10, 80(%rdi)\n"
	"  mov %r11, 88(%rdi)\n mov %r12, 96(%rdi)\n mov %r13, 104(%rdi)\n"
	"  mov %r14, 112(%rdi)\n mov %r15, 120(%rdi)\n"
	"  pushfq\n"
	"  popq 128(%rdi)\n"
	"  mov 8(%rsp), %rax\n mov %rax, 56(%rdi)\n"
	"  add $16, %rsp\n"
	"  pop %r15\n pop %r14\n pop %r13\n pop %r12\n pop %rbx\n pop %rbp\n"
	"  ret\n");

/* Registers the programs may write (ids in x86_gpr order). */
static const uint8_t writable_ids[] = { 0, 1, 2, 3, 5, 6, 7, 8, 9, 10, 11,
					12, 13 };

static uint64_t rng(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return *s = x;
}

static ZydisRegister reg_of(unsigned size, unsigned id)
{
	static const ZydisRegister r8[16] = {
		ZYDIS_REGISTER_AL, ZYDIS_REGISTER_CL, ZYDIS_REGISTER_DL,
		ZYDIS_REGISTER_BL, ZYDIS_REGISTER_SPL, ZYDIS_REGISTER_BPL,
		ZYDIS_REGISTER_SIL, ZYDIS_REGISTER_DIL, ZYDIS_REGISTER_R8B,
		ZYDIS_REGISTER_R9B, ZYDIS_REGISTER_R10B, ZYDIS_REGISTER_R11B,
		ZYDIS_REGISTER_R12B, ZYDIS_REGISTER_R13B, ZYDIS_REGISTER_R14B,
		ZYDIS_REGISTER_R15B,
	};

	switch (size) {
	case 8: return r8[id];
	case 16: return ZydisRegisterEncode(ZYDIS_REGCLASS_GPR16, (ZyanU8)id);
	case 32: return ZydisRegisterEncode(ZYDIS_REGCLASS_GPR32, (ZyanU8)id);
	default: return ZydisRegisterEncode(ZYDIS_REGCLASS_GPR64, (ZyanU8)id);
	}
}

static void op_reg(ZydisEncoderOperand *o, unsigned size, uint64_t *s)
{
	o->type = ZYDIS_OPERAND_TYPE_REGISTER;
	o->reg.value = reg_of(size, writable_ids[rng(s) % sizeof(writable_ids)]);
}

/* A memory operand inside the data page: [r15+d], [r15+r14*k+d] or
 * [rip+d]. (code_off) is where the instruction starts in the code page
 * (RIP-relative displacements are fixed up after encoding). */
static void op_mem(ZydisEncoderOperand *o, unsigned size, uint64_t *s)
{
	unsigned form = rng(s) % 3;
	int64_t d = (int64_t)(rng(s) % 3400) & ~7; /* + r14*8 < 4096 */

	o->type = ZYDIS_OPERAND_TYPE_MEMORY;
	o->mem.size = (ZyanU16)(size / 8);
	o->mem.displacement = d;
	o->mem.base = ZYDIS_REGISTER_R15;
	if (form == 1) {
		static const uint8_t scales[] = { 1, 2, 4, 8 };

		o->mem.index = ZYDIS_REGISTER_R14;
		o->mem.scale = scales[rng(s) & 3];
	} else if (form == 2) {
		o->mem.base = ZYDIS_REGISTER_RIP;
	}
}

static void op_imm(ZydisEncoderOperand *o, uint64_t *s, unsigned bits)
{
	o->type = ZYDIS_OPERAND_TYPE_IMMEDIATE;
	o->imm.s = (int64_t)(rng(s) & ((1ull << (bits - 1)) - 1)) -
		   (int64_t)(1ull << (bits - 2));
}

static const ZydisMnemonic binops[] = {
	ZYDIS_MNEMONIC_ADD, ZYDIS_MNEMONIC_SUB, ZYDIS_MNEMONIC_AND,
	ZYDIS_MNEMONIC_OR, ZYDIS_MNEMONIC_XOR, ZYDIS_MNEMONIC_ADC,
	ZYDIS_MNEMONIC_SBB, ZYDIS_MNEMONIC_CMP, ZYDIS_MNEMONIC_TEST,
	ZYDIS_MNEMONIC_MOV, ZYDIS_MNEMONIC_XCHG, ZYDIS_MNEMONIC_XADD,
	ZYDIS_MNEMONIC_CMPXCHG, ZYDIS_MNEMONIC_IMUL, ZYDIS_MNEMONIC_CMOVB,
	ZYDIS_MNEMONIC_CMOVNZ, ZYDIS_MNEMONIC_CMOVLE, ZYDIS_MNEMONIC_BT,
	ZYDIS_MNEMONIC_BTS, ZYDIS_MNEMONIC_BTR, ZYDIS_MNEMONIC_BTC,
	ZYDIS_MNEMONIC_BSF, ZYDIS_MNEMONIC_BSR,
};
static const ZydisMnemonic unops[] = {
	ZYDIS_MNEMONIC_INC, ZYDIS_MNEMONIC_DEC, ZYDIS_MNEMONIC_NEG,
	ZYDIS_MNEMONIC_NOT, ZYDIS_MNEMONIC_MUL, ZYDIS_MNEMONIC_IMUL,
	ZYDIS_MNEMONIC_SETB, ZYDIS_MNEMONIC_SETNLE, ZYDIS_MNEMONIC_SETP,
};
static const ZydisMnemonic shifts[] = {
	ZYDIS_MNEMONIC_SHL, ZYDIS_MNEMONIC_SHR, ZYDIS_MNEMONIC_SAR,
	ZYDIS_MNEMONIC_ROL, ZYDIS_MNEMONIC_ROR, ZYDIS_MNEMONIC_RCL,
	ZYDIS_MNEMONIC_RCR,
};

/* One random instruction into (req). */
static void insn_random(ZydisEncoderRequest *req, uint64_t *s, int *depth)
{
	static const unsigned sizes[] = { 8, 16, 32, 64, 64, 64 };
	unsigned size = sizes[rng(s) % 6], kind = rng(s) % 16;

	memset(req, 0, sizeof(*req));
	req->machine_mode = ZYDIS_MACHINE_MODE_LONG_64;
	if (kind < 7) {
		unsigned form = rng(s) % 4;

		req->mnemonic = binops[rng(s) % (sizeof(binops) / sizeof(binops[0]))];
		req->operand_count = 2;
		/* BTx mem, reg reaches reg/8 bytes away: bt leaves it to the
		 * monitor, and natively it would leave the data page */
		if (form == 2 && req->mnemonic >= ZYDIS_MNEMONIC_BT &&
		    req->mnemonic <= ZYDIS_MNEMONIC_BTS)
			form = 0;
		if (form == 0) {
			op_reg(&req->operands[0], size, s);
			op_reg(&req->operands[1], size, s);
		} else if (form == 1) {
			op_reg(&req->operands[0], size, s);
			op_mem(&req->operands[1], size, s);
		} else if (form == 2) {
			op_mem(&req->operands[0], size, s);
			op_reg(&req->operands[1], size, s);
		} else {
			(rng(s) & 1 ? op_mem : op_reg)(&req->operands[0], size, s);
			op_imm(&req->operands[1], s, size == 8 ? 8 : 32);
		}
	} else if (kind < 10) {
		req->mnemonic = unops[rng(s) % (sizeof(unops) / sizeof(unops[0]))];
		req->operand_count = 1;
		if (req->mnemonic >= ZYDIS_MNEMONIC_SETB &&
		    req->mnemonic <= ZYDIS_MNEMONIC_SETZ)
			size = 8;
		(rng(s) & 1 ? op_mem : op_reg)(&req->operands[0], size, s);
	} else if (kind < 12) {
		req->mnemonic = shifts[rng(s) % (sizeof(shifts) / sizeof(shifts[0]))];
		req->operand_count = 2;
		(rng(s) & 1 ? op_mem : op_reg)(&req->operands[0], size, s);
		if (rng(s) & 1) {
			req->operands[1].type = ZYDIS_OPERAND_TYPE_REGISTER;
			req->operands[1].reg.value = ZYDIS_REGISTER_CL;
		} else {
			req->operands[1].type = ZYDIS_OPERAND_TYPE_IMMEDIATE;
			req->operands[1].imm.u = rng(s) % 70;
		}
	} else if (kind == 12) {
		req->mnemonic = rng(s) & 1 ? ZYDIS_MNEMONIC_MOVZX
					   : ZYDIS_MNEMONIC_MOVSX;
		req->operand_count = 2;
		op_reg(&req->operands[0], rng(s) & 1 ? 64 : 32, s);
		(rng(s) & 1 ? op_mem : op_reg)(&req->operands[1],
					       rng(s) & 1 ? 8 : 16, s);
	} else if (kind == 13) {
		/* LEA without R15/RIP: the value must not depend on layout */
		req->mnemonic = ZYDIS_MNEMONIC_LEA;
		req->operand_count = 2;
		op_reg(&req->operands[0], rng(s) & 1 ? 64 : 32, s);
		req->operands[1].type = ZYDIS_OPERAND_TYPE_MEMORY;
		req->operands[1].mem.base =
			reg_of(64, writable_ids[rng(s) % sizeof(writable_ids)]);
		req->operands[1].mem.index = ZYDIS_REGISTER_R14;
		req->operands[1].mem.scale = 1u << (rng(s) & 3);
		req->operands[1].mem.displacement = (int64_t)(rng(s) % 4096) - 2048;
		req->operands[1].mem.size = 8;
	} else if (kind == 14 && *depth < 6) {
		req->mnemonic = ZYDIS_MNEMONIC_PUSH;
		req->operand_count = 1;
		if (rng(s) & 1)
			op_reg(&req->operands[0], 64, s);
		else
			op_imm(&req->operands[0], s, 32);
		(*depth)++;
	} else if (*depth > 0) {
		req->mnemonic = ZYDIS_MNEMONIC_POP;
		req->operand_count = 1;
		op_reg(&req->operands[0], 64, s);
		(*depth)--;
	} else {
		req->mnemonic = ZYDIS_MNEMONIC_NOP;
	}
}

/* Encode one instruction at (code + at); RIP-relative operands are given
 * as displacements from the data page start and converted here. */
static size_t insn_encode(ZydisEncoderRequest *req, uint8_t *code, size_t at)
{
	uint8_t buf[ZYDIS_MAX_INSTRUCTION_LENGTH];
	ZyanUSize len = sizeof(buf);
	int rip_op = -1;

	for (int i = 0; i < req->operand_count; i++)
		if (req->operands[i].type == ZYDIS_OPERAND_TYPE_MEMORY &&
		    req->operands[i].mem.base == ZYDIS_REGISTER_RIP)
			rip_op = i;
	if (rip_op >= 0) {
		/* the encoder wants the absolute target for RIP-relative; give
		 * it as runtime-address-free: encode twice to learn the length */
		int64_t data_off = req->operands[rip_op].mem.displacement;

		req->operands[rip_op].mem.displacement = 0;
		if (ZYAN_FAILED(ZydisEncoderEncodeInstruction(req, buf, &len)))
			return 0;
		req->operands[rip_op].mem.displacement =
			(int64_t)(4096 + data_off) - (int64_t)(at + len);
		len = sizeof(buf);
	}
	if (ZYAN_FAILED(ZydisEncoderEncodeInstruction(req, buf, &len)))
		return 0;
	memcpy(code + at, buf, len);
	return len;
}

/*
 * A program of INSNS instructions, stack balanced; returns its length.
 * One in six instructions is preceded by a Jcc (rel8) that skips it, so
 * blocks end, exits are chained and flags must survive block boundaries.
 */
static size_t program_make(uint8_t *code, uint64_t *s, unsigned *encoded)
{
	size_t at = 0;
	int depth = 0;

	for (unsigned i = 0; i < INSNS; i++) {
		ZydisEncoderRequest req;
		bool skip = rng(s) % 6 == 0;
		uint8_t cc = (uint8_t)(rng(s) & 15);
		size_t n;

		insn_random(&req, s, &depth);
		if (skip && (req.mnemonic == ZYDIS_MNEMONIC_PUSH ||
			     req.mnemonic == ZYDIS_MNEMONIC_POP))
			skip = false;	/* keep the stack balanced on both paths */
		if (skip)
			at += 2;	/* room for jcc rel8 */
		n = insn_encode(&req, code, at);
		if (skip) {
			code[at - 2] = (uint8_t)(0x70 | cc);
			code[at - 1] = (uint8_t)n;	/* over the instruction */
		}
		if (!n && req.mnemonic == ZYDIS_MNEMONIC_PUSH)
			depth--;
		if (!n && req.mnemonic == ZYDIS_MNEMONIC_POP)
			depth++;
		at += n;
		*encoded += n != 0;
	}
	while (depth-- > 0)
		code[at++] = 0x58 + 1; /* pop %rcx */
	return at;
}

static uint64_t next_table;

static void map4k(struct guest_mem *m, uint64_t va, uint64_t gpa, uint64_t fl)
{
	assert_int_equal(guest_pt_map4k(m, &next_table, CR3, va, gpa, fl), 0);
}

static void test_diff_native(void **state)
{
	struct walk_ctx ctx = {
		.cr3 = CR3, .cr0 = X86_CR0_PG | X86_CR0_PE | X86_CR0_WP,
		.cr4 = X86_CR4_PAE, .efer = X86_EFER_LME | X86_EFER_LMA,
	};
	static struct bt_vcpu v;
	struct guest_mem mem;
	struct bt_shadow sh;
	uint8_t *native = mmap(NULL, 8192, PROT_READ | PROT_WRITE | PROT_EXEC,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint8_t *gcode, *gdata;
	char err[256];
	uint64_t seed = 0x853c49e6748fea9bull;
	unsigned encoded = 0;

	(void)state;
	assert_true(native != MAP_FAILED);
	assert_int_equal(guest_mem_create(&mem, RAM, false, err, sizeof(err)), 0);
	next_table = CR3 + 0x1000;
	map4k(&mem, CODE_VA, CODE_GPA, P | RW | US);
	map4k(&mem, CODE_VA + 0x1000, CODE_GPA + 0x1000, P | RW | US);
	map4k(&mem, STACK_VA, STACK_GPA, P | RW | US);
	gcode = mem.host + CODE_GPA;
	gdata = gcode + 0x1000;
	assert_int_equal(bt_shadow_create(&sh, &mem, BT_SHADOW_VTLB, &ctx, err,
					  sizeof(err)), 0);
	assert_int_equal(bt_vcpu_create(&v, &sh, 8 << 20, err, sizeof(err)), 0);
	for (unsigned prog = 0; prog < PROGRAMS; prog++) {
		struct regs r;
		struct bt_stop st;
		size_t len;

		memset(native, 0x90, 4096);
		len = program_make(native, &seed, &encoded);
		for (unsigned i = 0; i < 4096; i += 8) {
			uint64_t x = rng(&seed);

			memcpy(native + 4096 + i, &x, 8);
		}
		memcpy(gcode, native, 4096);
		memcpy(gdata, native + 4096, 4096);
		gcode[len] = 0xf4;	/* hlt: the monitor stops bt */
		native[len] = 0xc3;	/* ret: back to diff_native */
		bt_vcpu_note_write(&v, CODE_GPA, 4096);
		for (int i = 0; i < 16; i++)
			r.gpr[i] = rng(&seed) >> (rng(&seed) & 63);
		r.gpr[X86_R14] = rng(&seed) & 63;
		r.rflags = (rng(&seed) & FLAGS_CMP) | X86_RFLAGS_FIXED;
		memcpy(v.ctx.gpr, r.gpr, sizeof(r.gpr));
		v.ctx.gpr[X86_R15] = CODE_VA + 0x1000;
		v.ctx.gpr[X86_RSP] = STACK_VA + 0x800;
		v.ctx.rflags = r.rflags;
		v.rip = CODE_VA;
		v.cpl = 3;
		r.gpr[X86_R15] = (uint64_t)(uintptr_t)(native + 4096);
		diff_native(&r, native);
		bt_exec_run(&v, 0, &st);
		if (st.kind != BT_STOP_MONITOR || st.rip != CODE_VA + len) {
			fprintf(stderr, "program %u: stop %d at 0x%llx (vector %u "
				"cr2 0x%llx), expected the hlt at 0x%llx\n", prog,
				st.kind, (unsigned long long)st.rip, st.vector,
				(unsigned long long)st.cr2,
				(unsigned long long)(CODE_VA + len));
			fail();
		}
		for (int i = 0; i < 16; i++) {
			if (i == X86_RSP || i == X86_R15)
				continue;
			if (v.ctx.gpr[i] != r.gpr[i]) {
				fprintf(stderr, "program %u: gpr %d bt 0x%llx "
					"native 0x%llx\n", prog, i,
					(unsigned long long)v.ctx.gpr[i],
					(unsigned long long)r.gpr[i]);
				fail();
			}
		}
		assert_true(v.ctx.gpr[X86_RSP] == STACK_VA + 0x800);
		if ((v.ctx.rflags ^ r.rflags) & FLAGS_CMP) {
			fprintf(stderr, "program %u: flags bt 0x%llx native "
				"0x%llx\n", prog, (unsigned long long)v.ctx.rflags,
				(unsigned long long)r.rflags);
			fail();
		}
		if (memcmp(gdata, native + 4096, 4096)) {
			fprintf(stderr, "program %u: data page differs\n", prog);
			fail();
		}
	}
	/* most random requests were encodable and ran */
	assert_true(encoded > PROGRAMS * INSNS / 2);
	bt_vcpu_destroy(&v);
	bt_shadow_destroy(&sh);
	guest_mem_destroy(&mem);
	munmap(native, 8192);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_diff_native),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
