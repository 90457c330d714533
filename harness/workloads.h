/*
 * workloads.h - the guest's workload list and the selection syntax.
 *
 * The guest build exports its workload table as a text file,
 * build/guest/workloads.txt: one workload per line, whitespace-separated
 * fields "name suite [mode] [native]" ('#' starts a comment); "native" in
 * the fourth field marks the compute kernels also built as host code
 * (vmbench-native). Without that file the list is read from the suite
 * lists the image is built from (workloads/SUITE/SUITE.mk:
 * "MICRO_KERNEL += name" and so on; macro/macro.mk's are the native
 * ones, TEST_* are guest tests and never listed). Selections are "all", "micro", "macro" or
 * comma-separated names (which may mix suites and names).
 */
#ifndef VMB_WORKLOADS_H
#define VMB_WORKLOADS_H

#include <stdbool.h>
#include <stddef.h>

#define WORKLOAD_NAME 48

struct workload {
	char name[WORKLOAD_NAME];
	char suite[16];		/* "micro", "macro" */
	char mode[16];		/* "kernel", "user" or "" */
	bool native;		/* also runs as a host process */
};

struct workload_list {
	struct workload *w;
	unsigned n;
};

/*
 * Load (path) into (out); NULL: the guest dir's workloads.txt, else the
 * suite .mk files (not when VMB_GUEST_DIR points at a test directory).
 * Returns 0, or -1 with (err) naming the file and line.
 */
int workloads_load(const char *path, struct workload_list *out, char *err,
		   size_t errlen);

void workloads_free(struct workload_list *l);

/* The workload called (name), or NULL. */
const struct workload *workloads_find(const struct workload_list *l,
				      const char *name);

/*
 * Expand (spec) against (l) into (out) (names, deduplicated, in order).
 * A name not in (l) is an error when (l) is non-empty. Returns 0, or -1
 * with (err) naming the unknown workload.
 */
int workloads_select(const struct workload_list *l, const char *spec,
		     struct workload_list *out, char *err, size_t errlen);

#endif /* VMB_WORKLOADS_H */
