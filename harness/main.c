/*
 * main.c - the vmbench command line: dispatch to one subcommand.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"

struct command {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *help;
};

static const struct command commands[] = {
	{ "info", cmd_info, "describe the host: CPU, TSC, KVM, PMU, versions" },
	{ "list", cmd_list, "engines and peers (usable here?), workloads" },
	{ "run", cmd_run, "run an engine x workload matrix, store results" },
	{ "report", cmd_report, "table of a stored run (engines as columns)" },
	{ "compare", cmd_compare, "compare two runs; non-zero on regression" },
	{ "export", cmd_export, "dump a run's raw samples as CSV or JSON" },
	{ "history", cmd_history, "one metric over all stored runs" },
	{ "plot", cmd_plot, "gnuplot charts of a run" },
};

static void usage(FILE *f)
{
	fprintf(f, "usage: vmbench COMMAND [ARGS]   (vmbench COMMAND --help)\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-8s %s\n", commands[i].name, commands[i].help);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return CLI_ERROR;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") ||
	    !strcmp(argv[1], "help")) {
		usage(stdout);
		return CLI_OK;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].fn(argc - 1, argv + 1);
	fprintf(stderr, "vmbench: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return CLI_ERROR;
}
