/* scenario_run.c - run bt scenario kernels and compare (scenario_run.h). */
#include "scenario_run.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "elf_build.h"
#include "vmb_abi.h"

#define RFLAGS_DEFINED 0x3f7fd7ull	/* bit 1 and every defined flag */

static volatile uint64_t scenario_host_canary[64];

static uint64_t scenario_phys(const struct scenario_kernel *k,
			      const uint8_t *sym)
{
	return VMB_PHYS_KERNEL + (uint64_t)(sym - k->begin);
}

bool scenario_kernel_run(const struct scenario_kernel *k, const char *engine,
			 const char *options, unsigned id,
			 struct scenario_outcome *o, void *arg, char *why,
			 size_t whylen)
{
	const struct engine_ops *ops = engine_find(engine);
	uint64_t hostptr = (uint64_t)(uintptr_t)&scenario_host_canary[32];
	struct vm_config cfg;
	struct run_exit x;
	struct engine *e;
	char path[64], err[512];
	uint64_t sc = id;
	void *p;

	if (!ops || engine_probe(ops, why, whylen) < 0)
		return false;
	assert_int_equal(test_elf_flat_kernel_file(k->begin,
						   (size_t)(k->end - k->begin),
						   path, sizeof(path)), 0);
	memset(&cfg, 0, sizeof(cfg));
	cfg.machine.ram_bytes = MACHINE_RAM_MIN;
	cfg.machine.kernel_path = path;
	cfg.options = options;
	cfg.time_limit_s = 10;
	if (engine_create(ops, &cfg, &e, err, sizeof(err)) < 0)
		fail_msg("%s: engine_create: %s", engine, err);
	unlink(path);
	p = guest_mem_ptr(&e->m->mem, scenario_phys(k, k->scenario), 8);
	assert_non_null(p);
	memcpy(p, &sc, 8);
	if (k->hostptr) {
		p = guest_mem_ptr(&e->m->mem, scenario_phys(k, k->hostptr), 8);
		assert_non_null(p);
		memcpy(p, &hostptr, 8);
		for (unsigned i = 0; i < 64; i++)
			scenario_host_canary[i] = 0x5eedull * i;
	}
	assert_int_equal(engine_run(e, &x), 0);
	if (k->hostptr)
		for (unsigned i = 0; i < 64; i++)
			assert_true(scenario_host_canary[i] == 0x5eedull * i);
	memset(o, 0, sizeof(*o));
	o->reason = x.reason;
	o->status = x.status;
	o->rip = x.rip;
	o->regs = x.regs;
	snprintf(o->message, sizeof(o->message), "%s", x.message);
	if (k->res) {
		p = guest_mem_ptr(&e->m->mem, scenario_phys(k, k->res),
				  sizeof(o->res));
		assert_non_null(p);
		memcpy(o->res, p, sizeof(o->res));
	}
	if (k->inspect)
		k->inspect(e, arg);
	engine_destroy(e);
	return true;
}

static const char *const scenario_res_name[SCENARIO_RES_WORDS] = {
	"vector", "error", "rip", "cs", "rflags", "rsp", "ss", "cr2",
	"rax", "rcx", "rdx", "rbx", "rsp(unused)", "rbp", "rsi", "rdi",
	"r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15", "value",
};

void scenario_outcome_check_expected(const char *name, uint32_t status,
				     uint64_t error, uint64_t cr2,
				     const struct scenario_outcome *o)
{
	if (status == SCENARIO_TRIPLE) {
		assert_int_equal(o->reason, RUN_EXIT_TRIPLE_FAULT);
		return;
	}
	if (o->reason != RUN_EXIT_GUEST)
		fail_msg("%s: interp stopped with %s at RIP %#llx: %s", name,
			 run_exit_reason_name(o->reason),
			 (unsigned long long)o->rip, o->message);
	if (status != SCENARIO_ANYS && o->status != status)
		fail_msg("%s: interp exit status %#x, want %#x (RIP %#llx)",
			 name, o->status, status,
			 (unsigned long long)o->res[2]);
	if (error != SCENARIO_ANY)
		assert_int_equal(o->res[1], error);
	if (cr2 != SCENARIO_ANY)
		assert_int_equal(o->res[7], cr2);
}

void scenario_outcome_compare(const char *name, const char *opts,
			      const struct scenario_outcome *ref,
			      const struct scenario_outcome *o)
{
	if (o->reason != ref->reason || o->status != ref->status)
		fail_msg("%s: bt %s ended with %s status %#x (RIP %#llx: %s), "
			 "interp with %s status %#x", name, opts,
			 run_exit_reason_name(o->reason), o->status,
			 (unsigned long long)o->rip, o->message,
			 run_exit_reason_name(ref->reason), ref->status);
	if (o->reason == RUN_EXIT_TRIPLE_FAULT)
		return;	/* the state after a shutdown is best effort */
	for (unsigned i = 0; i < SCENARIO_RES_WORDS; i++)
		if (o->res[i] != ref->res[i])
			fail_msg("%s: bt %s recorded %s %#llx, interp %#llx",
				 name, opts, scenario_res_name[i],
				 (unsigned long long)o->res[i],
				 (unsigned long long)ref->res[i]);
	if (o->rip != ref->rip)
		fail_msg("%s: bt %s exit RIP %#llx, interp %#llx", name, opts,
			 (unsigned long long)o->rip,
			 (unsigned long long)ref->rip);
	for (unsigned g = 0; g < X86_NGPR; g++)
		if (o->regs.gpr[g] != ref->regs.gpr[g])
			fail_msg("%s: bt %s exit GPR %u %#llx, interp %#llx",
				 name, opts, g,
				 (unsigned long long)o->regs.gpr[g],
				 (unsigned long long)ref->regs.gpr[g]);
	assert_int_equal(o->regs.cr2, ref->regs.cr2);
	assert_int_equal(o->regs.rflags & RFLAGS_DEFINED,
			 ref->regs.rflags & RFLAGS_DEFINED);
}

void scenario_outcome_dump(const char *name, const char *who,
			   const struct scenario_outcome *o)
{
	printf("%-16s %-13s %-14s st %#5x vec %#4llx err %#5llx rip %#llx "
	       "cr2 %#llx %s\n", name, who, run_exit_reason_name(o->reason),
	       o->status, (unsigned long long)o->res[0],
	       (unsigned long long)o->res[1], (unsigned long long)o->res[2],
	       (unsigned long long)o->res[7],
	       o->reason == RUN_EXIT_GUEST ? "" : o->message);
}

int scenario_group_run(void (*test)(void **state), const void *table,
		       size_t stride, size_t n)
{
	struct CMUnitTest *tests = calloc(n, sizeof(*tests));
	int failed;

	assert_non_null(tests);
	for (size_t i = 0; i < n; i++) {
		const char *const *name =
			(const void *)((const char *)table + i * stride);

		tests[i].name = *name;
		tests[i].test_func = test;
		tests[i].initial_state = (void *)name;
	}
	failed = _cmocka_run_group_tests("tests", tests, n, NULL, NULL);
	free(tests);
	return failed;
}
