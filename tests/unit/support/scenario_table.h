/*
 * scenario_table.h - the scenario table of a recording bt scenario kernel
 * (test_bt_badguest.c, test_bt_loops.c): include it once, right after
 * defining SCENARIOS(X) as rows X(entry, label, status, error, cr2,
 * known), and before the kernel's __asm__.
 *
 * entry K runs (label) at CPL0; U goes to CPL3 at the user snippet
 * (label); UN does so with CR0.AM clear; UR runs the snippet (label) of
 * the RWX page (at 0x406000). status is the exit status interp must give:
 * E(vector), 0xc0 for INT 0x80, 1 for a kernel scenario without a fault,
 * TRIPLE for a triple fault, ANYS for any (only bt == interp is checked);
 * error and cr2 the recorded ones (ANY: not checked); known the test's
 * own flags.
 *
 * Gives: SCENARIO_STABLE_UCODE, the kernel's "stable" rows ({entry -
 * stable, user snippet offset}, for SK_DISPATCH_USER_KEXIT); struct
 * scenario and scenarios[NSCENARIOS], in table order, named
 * "<entry>_<label>", with ids SC_<entry>_<label>.
 */
#ifndef VMB_TEST_SCENARIO_TABLE_H
#define VMB_TEST_SCENARIO_TABLE_H

#include <stdint.h>

#include "scenario_run.h"

#define TRIPLE SCENARIO_TRIPLE
#define ANYS SCENARIO_ANYS
#define ANY SCENARIO_ANY
#define E(v) (0x40u + (v))

#define K_ROW(l) "	.long " #l " - stable, 0\n"
#define U_ROW(l) "	.long go_user - stable, " #l " - ucode\n"
#define UR_ROW(l) "	.long go_user - stable, " #l " - urwx + 0x6000\n"
#define UN_ROW(l) "	.long go_user_noam - stable, " #l " - ucode\n"
#define ASM_ROW(entry, l, st, err, cr2, known) entry##_ROW(l)

/* For the kernel's __asm__: the scenario table "stable" (8-aligned), then
 * "ucode:", the page-aligned start of the user snippets (0x400000). */
#define SCENARIO_STABLE_UCODE                                                 \
	".p2align 3\n"                                                        \
	"stable:\n"                                                           \
	SCENARIOS(ASM_ROW)                                                    \
	".p2align 12\n"                                                       \
	"ucode:\n"

struct scenario {
	const char *name;	/* first: see scenario_group_run() */
	uint32_t status;	/* TRIPLE, ANYS or the exit status */
	uint64_t error, cr2;	/* ANY: not checked */
	unsigned id;
	unsigned known;
};

enum {
#define ENUM_ROW(entry, l, st, err, cr2, known) SC_##entry##_##l,
	SCENARIOS(ENUM_ROW)
	NSCENARIOS
};

static struct scenario scenarios[NSCENARIOS] = {
#define TABLE_ROW(entry, l, st, err, cr2, known)                              \
	{#entry "_" #l, st, err, cr2, SC_##entry##_##l, known},
	SCENARIOS(TABLE_ROW)
};

#endif
