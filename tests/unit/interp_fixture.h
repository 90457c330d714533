/*
 * interp_fixture.h - a bare interpreter vCPU for unit tests: 16 MiB of
 * guest RAM, no kernel, 64-bit flat segments at CPL0, paging off (guest
 * virtual = physical) unless a test builds page tables. Code is copied to
 * FX_CODE and run with fx_step()/fx_run(). Included by test_interp_*.c.
 */
#ifndef VMB_TEST_INTERP_FIXTURE_H
#define VMB_TEST_INTERP_FIXTURE_H

#include <stdlib.h>
#include <string.h>

#include "interp/cpu.h"
#include "interp/exec.h"
#include "interp/flags.h"
#include "interp/seg.h"

#define FX_RAM (16ull << 20)
#define FX_CODE 0x100000ull
#define FX_DATA 0x200000ull
#define FX_STACK 0x300000ull

struct fx {
	struct machine m;
	struct cpu *c;
	struct run_exit x;
};

static inline struct fx *fx_new(void)
{
	struct fx *f = calloc(1, sizeof(*f));
	char err[256];
	struct cpu *c;

	if (!f || guest_mem_create(&f->m.mem, FX_RAM, false, err, sizeof(err)))
		abort();
	c = f->c = calloc(1, sizeof(*c));
	if (!c || icache_init(&c->ic, FX_RAM))
		abort();
	c->m = &f->m;
	x2apic_init(&c->apic, 1000000);
	/* the tests exercise the whole ISA the interpreter implements */
	c->feat = (struct cpu_features){ true, true, true, true, true, true,
					 true };
	seg_flat_code(&c->s.seg[X86_CS], 8, 0);
	seg_flat_data(&c->s.seg[X86_SS], 16, 0);
	c->s.cr0 = X86_CR0_PE | X86_CR0_ET;
	c->s.cr4 = X86_CR4_PAE;
	c->s.efer = X86_EFER_LME | X86_EFER_LMA | X86_EFER_SCE;
	c->s.rflags = X86_RFLAGS_FIXED;
	c->s.gpr[X86_RSP] = FX_STACK;
	c->s.rip = FX_CODE;
	tlb_flush(&c->tlb, false);
	c->exit = &f->x;
	return f;
}

static inline void fx_free(struct fx *f)
{
	icache_free(&f->c->ic);
	free(f->c);
	guest_mem_destroy(&f->m.mem);
	free(f);
}

/* Copy (len) bytes of code to FX_CODE and point RIP at it. */
/* 64-bit guest-physical RAM accesses, for building tables by hand. */
static inline void fx_put64(struct fx *f, uint64_t gpa, uint64_t v)
{
	memcpy(f->m.mem.host + gpa, &v, 8);
}

static inline uint64_t fx_get64(struct fx *f, uint64_t gpa)
{
	uint64_t v;

	memcpy(&v, f->m.mem.host + gpa, 8);
	return v;
}

/* cmocka teardown for a fixture made by fx_new(). */
static inline int fx_teardown(void **state)
{
	fx_free(*state);
	return 0;
}

/* Run up to (limit) instructions from the current state through the
 * threaded executor; the exit record. */
static inline struct run_exit *fx_run(struct fx *f, uint64_t limit)
{
	memset(&f->x, 0, sizeof(f->x));
	exec_run(f->c, &f->x, f->c->icount + limit, 0);
	return &f->x;
}

static inline void fx_code(struct fx *f, const void *code, size_t len)
{
	memcpy(f->m.mem.host + FX_CODE, code, len);
	icache_flush(f->c);
	f->c->s.rip = FX_CODE;
}

/* Execute one instruction; OP_OK, OP_FAULT (f->c->exc) or OP_STOP. */
static inline int fx_step(struct fx *f)
{
	return exec_step(f->c, &f->x);
}

/* Execute (n) instructions or until the first fault/stop. */
static inline int fx_steps(struct fx *f, unsigned n)
{
	int rc = OP_OK;

	while (n-- && rc == OP_OK)
		rc = fx_step(f);
	return rc;
}

static inline uint64_t fx_flags(struct fx *f)
{
	return flags_get(f->c) & FLAGS_ARITH;
}

static inline uint64_t *fx_gpr(struct fx *f)
{
	return f->c->s.gpr;
}

#endif /* VMB_TEST_INTERP_FIXTURE_H */
