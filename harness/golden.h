/*
 * golden.h - reference checksums (workloads/golden/) for the first
 * correctness check of every run.
 *
 * A checksum depends only on (bench, iters, size, seed). The golden files
 * are text, one reference per line: "bench iters size seed 0xCHECKSUM"
 * ('#' comments), in any *.txt file of the golden directory.
 */
#ifndef VMB_GOLDEN_H
#define VMB_GOLDEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum golden_verdict {
	GOLDEN_MATCH,
	GOLDEN_MISMATCH,
	GOLDEN_UNKNOWN,		/* no reference for these parameters */
};

/*
 * Look up (bench, iters, size, seed) in the golden directory (dir) (NULL:
 * <source root>/workloads/golden) and compare with (got). (note) says what
 * was compared or why there is no verdict.
 */
enum golden_verdict golden_check(const char *dir, const char *bench,
				 uint64_t iters, uint64_t size, uint64_t seed,
				 uint64_t got, char *note, size_t notelen);

#endif /* VMB_GOLDEN_H */
