/*
 * cmd_list.c - `vmbench list`: engines, peers and workloads.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "target.h"
#include "workloads.h"

static void targets_print(void)
{
	struct target t[32];
	unsigned n = target_list_all(t, 32);
	unsigned nengines = 0;
	printf("engines and peers\n");
	for (unsigned i = 0; i < n; i++) {
		nengines += t[i].kind == TARGET_ENGINE;
		printf("  %-9s %-6s %s\n", t[i].name,
		       t[i].usable ? "usable" : "NO", t[i].technique);
		if (!t[i].usable)
			printf("  %-9s        not available here: %s\n", "",
			       t[i].why);
	}
	if (nengines == 0)
		printf("  (no engine is registered in this build: interp, bt "
		       "and kvm are not implemented yet)\n");
}

static void workloads_print(void)
{
	struct workload_list l;
	char err[512];
	printf("workloads\n");
	if (workloads_load(NULL, &l, err, sizeof(err))) {
		printf("  not available here: %s\n", err);
		return;
	}
	for (unsigned i = 0; i < l.n; i++)
		printf("  %-16s %-6s %-7s%s\n", l.w[i].name, l.w[i].suite,
		       l.w[i].mode, l.w[i].native ? " native" : "");
	if (l.n == 0)
		printf("  (the workload list is empty)\n");
	workloads_free(&l);
}

int cmd_list(int argc, char **argv)
{
	if (argc > 1) {
		bool help = !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h");
		if (!help)
			fprintf(stderr, "vmbench list: unexpected '%s'\n",
				argv[1]);
		printf("usage: vmbench list\n");
		return help ? CLI_OK : CLI_ERROR;
	}
	targets_print();
	workloads_print();
	return CLI_OK;
}
