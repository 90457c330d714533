/*
 * fuzz_interp_exec.c - libFuzzer target: arbitrary bytes as guest code.
 *
 * The input is copied to guest RAM and run for up to 200 instructions on
 * a bare interpreter vCPU (flat 64-bit CPL0, paging off, an IDT whose
 * handlers are HLT). Whatever the bytes, the interpreter must not crash,
 * leak or read outside guest RAM (ASan/UBSan), and must end in a defined
 * way: an exit reason, never a host error. Run:
 *   make fuzz && build/fuzz/fuzz_interp_exec -max_total_time=60
 */
#include <stddef.h>
#include <stdint.h>
#include <x86intrin.h>

#include "../unit/interp_fixture.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct fx *f;
	static struct x86_state pristine;
	struct cpu *c;
	char err[128];

	if (size > 4096)
		return 0;
	if (!f) {
		f = fx_new();
		if (devices_register_standard(&f->m, err, sizeof(err)))
			abort();
		pristine = f->c->s;
	}
	c = f->c;
	c->s = pristine;	/* the last input may have changed anything */
	x2apic_init(&c->apic, 1000000);
	tlb_flush(&c->tlb, false);
	memset(f->m.mem.host + FX_CODE, 0xf4, 8192);	/* hlt after code */
	memcpy(f->m.mem.host + FX_CODE, data, size);
	memset(&c->s.gpr, 0, sizeof(c->s.gpr));
	c->s.gpr[X86_RSP] = FX_STACK;
	c->sti_shadow = false;
	c->s.gpr[X86_RSI] = c->s.gpr[X86_RDI] = FX_DATA;
	c->s.rflags = X86_RFLAGS_FIXED;
	c->s.idtr = (struct x86_dtable){ 0, 0 };	/* faults: triple */
	c->lf.op = LF_NONE;
	c->halted = false;
	f->m.exit_requested = false;
	fx_code(f, data, 0);
	memset(&f->x, 0, sizeof(f->x));
	/* 1 GHz fixture TSC: a 0.1 s wall limit bounds HLT sleeps */
	if (exec_run(c, &f->x, c->icount + 200, __rdtsc() + 100000000) != 0)
		abort();
	if (f->x.reason > RUN_EXIT_INTERNAL_ERROR)
		abort();
	return 0;
}
