/*
 * programs.S - the user programs, embedded as ELF files (paths given by
 * the Makefile as BENCH_ELF and CHILD_ELF). exec.c lists them by name.
 */
#define EMBED(name, path) \
	.globl prog_##name##_start, prog_##name##_end; \
	.p2align 4; \
prog_##name##_start: \
	.incbin path; \
prog_##name##_end:

	.section .rodata
EMBED(bench, BENCH_ELF)
EMBED(child, CHILD_ELF)
