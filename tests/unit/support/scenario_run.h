/*
 * scenario_run.h - run one scenario of a bt scenario kernel (see
 * scenario_kernel.h) on an engine and compare bt's end with interp's, for
 * test_bt_badguest.c, test_bt_loops.c and test_bt_kpath.c.
 *
 * A scenario kernel is a flat blob in the test binary's .rodata, loaded
 * at VMB_PHYS_KERNEL; the host writes the scenario number into an 8-byte
 * word of it before the run and, for kernels that record, reads
 * SCENARIO_RES_WORDS result words from it after: 0 vector, 1 error, 2
 * RIP, 3 CS, 4 RFLAGS, 5 RSP, 6 SS, 7 CR2 (the exception frame), 8..23
 * RAX..R15 at the handler, 24 a scenario's value. The checks fail the
 * running cmocka test with the scenario's name in every message.
 */
#ifndef VMB_TEST_SCENARIO_RUN_H
#define VMB_TEST_SCENARIO_RUN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine.h"

#define SCENARIO_RES_WORDS 25
#define SCENARIO_TRIPLE 0xffffffffu	/* status: a triple fault */
/* status: any (only bt == interp is checked) */
#define SCENARIO_ANYS 0xfffffffeu
#define SCENARIO_ANY (~0ull)		/* error, CR2: not checked */

/* What one run ended with. */
struct scenario_outcome {
	enum run_exit_reason reason;
	uint32_t status;
	uint64_t rip;
	uint64_t res[SCENARIO_RES_WORDS];	/* zero without (res) */
	struct x86_state regs;
	char message[512];
};

/* A scenario kernel: its bytes and where in them the host reads and
 * writes (each a pointer into [begin, end)). */
struct scenario_kernel {
	const uint8_t *begin, *end;
	const uint8_t *scenario;	/* the scenario number (8 bytes) */
	const uint8_t *res;		/* the result words, or NULL */
	/* Where the address of a host canary goes (8 bytes), or NULL: the
	 * canary must be intact after the run. */
	const uint8_t *hostptr;
	/* Called after the run, before the engine goes, with (arg); or NULL. */
	void (*inspect)(struct engine *e, void *arg);
};

/*
 * Run scenario (id) of kernel (k) on (engine, options) into *o (time
 * limit 10 s, the least RAM); false when the engine is not usable here
 * (*why says why). Fails the test when the run cannot be made.
 */
bool scenario_kernel_run(const struct scenario_kernel *k, const char *engine,
			 const char *options, unsigned id,
			 struct scenario_outcome *o, void *arg, char *why,
			 size_t whylen);

/* interp's outcome (o) of scenario (name) must be the architectural one:
 * exit (status) (SCENARIO_TRIPLE, SCENARIO_ANYS or the exit status),
 * recorded (error) and (cr2) (SCENARIO_ANY: not checked). */
void scenario_outcome_check_expected(const char *name, uint32_t status,
				     uint64_t error, uint64_t cr2,
				     const struct scenario_outcome *o);

/* bt's outcome (o) under (opts) must be exactly interp's (ref): reason,
 * status, result words, exit RIP, GPRs, CR2 and the defined RFLAGS (only
 * reason and status after a triple fault). */
void scenario_outcome_compare(const char *name, const char *opts,
			      const struct scenario_outcome *ref,
			      const struct scenario_outcome *o);

/* One line on stdout: scenario (name) on (who) ended with (o). */
void scenario_outcome_dump(const char *name, const char *who,
			   const struct scenario_outcome *o);

/*
 * Run one cmocka test per element of (table): (n) elements (stride)
 * bytes apart, each starting with its name (a const char *), each run as
 * (test) with the element as its state. Returns what cmocka returns (the
 * number of failed tests) for main() to return.
 */
int scenario_group_run(void (*test)(void **state), const void *table,
		       size_t stride, size_t n);

#endif
