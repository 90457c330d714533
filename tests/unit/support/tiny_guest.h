/*
 * tiny_guest.h - the smallest guests, shared by the engine tests: a few
 * instructions each, written out as flat ELF64 kernels (elf_build.h) and
 * booted through engine.h on any engine.
 *
 * The guest bytes are assembled into the test binary (tiny_guest.c); a
 * guest is (begin, length) as struct tiny_guest.
 */
#ifndef VMB_TEST_TINY_GUEST_H
#define VMB_TEST_TINY_GUEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine.h"

struct tiny_guest {
	const uint8_t *code;
	size_t len;
};

/* Console "hi", ROI 1 begin, a store to the null MMIO page, ROI 1 end,
 * exit status 7: five port writes and one MMIO access. */
extern const struct tiny_guest tiny_ports;
/* UD2 with no IDT: #UD, #GP delivering it, #DF, shutdown. */
extern const struct tiny_guest tiny_triple;
/* `jmp .` at the entry: runs into any time limit. */
extern const struct tiny_guest tiny_spin;
/* CLI; HLT: nothing can ever wake the vCPU. */
extern const struct tiny_guest tiny_cli_hlt;
/* Jump to the null MMIO page: code fetch from a device. */
extern const struct tiny_guest tiny_fetch_mmio;
/* An IDT with gate 0x80 (interrupt gate, DPL0), INT 0x80 at CPL0: the
 * handler increments EBX and IRETQs; the exit status is 0x2b. */
extern const struct tiny_guest tiny_int80;
/* VMCALL with an unknown number (VMB_HC_NOP): status = RAX after it. */
extern const struct tiny_guest tiny_vmcall;

/*
 * Create engine (name) with (options) on guest (g): 16 MiB of RAM, wall
 * time limit (time_limit) seconds (0 = none). Returns 1 and *e, 0 when the
 * engine is not usable here ((why) says why), -1 on a creation failure
 * ((why) names it). The kernel file is written to a temporary path and
 * removed again before this returns.
 */
int tiny_engine_create(const char *name, const char *options,
		       const struct tiny_guest *g, double time_limit,
		       struct engine **e, char *why, size_t whylen);

#endif /* VMB_TEST_TINY_GUEST_H */
