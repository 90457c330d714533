/*
 * cmd_plot.c - `vmbench plot [RUN] [--out DIR] [--svg] [--history M]`.
 */
#include <getopt.h>
#include <stdio.h>

#include "cli.h"
#include "cmdutil.h"
#include "db.h"
#include "plot.h"

int cmd_plot(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "db", required_argument, 0, 'd' },
		{ "out", required_argument, 0, 'o' },
		{ "history", required_argument, 0, 'H' },
		{ "svg", no_argument, 0, 's' },
		{ "help", no_argument, 0, 'h' },
		{ 0, 0, 0, 0 },
	};
	const char *dbpath = NULL;
	struct plot_opts o = { "results/latest/plots", false, NULL };
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "d:o:h", lo, NULL)) != -1) {
		switch (c) {
		case 'd': dbpath = optarg; break;
		case 'o': o.dir = optarg; break;
		case 'H': o.history = optarg; break;
		case 's': o.svg = true; break;
		default:
			printf("usage: vmbench plot [RUN] [--out DIR] [--svg] "
			       "[--history BENCH[/METRIC][:SAMPLE]] [--db "
			       "PATH]\n  charts: cost, slowdown, trapmix, tlb, "
			       "history; data (.dat) and script (.gp) kept "
			       "beside each image\n");
			return c == 'h' ? CLI_OK : CLI_ERROR;
		}
	}
	const char *spec = optind < argc ? argv[optind] : "latest";
	sqlite3 *db;
	int64_t id;
	if (cmdutil_db_open("plot", dbpath, &db))
		return CLI_ERROR;
	if (cmdutil_run_resolve("plot", db, spec, &id)) {
		db_close(db);
		return CLI_ERROR;
	}
	char err[512];
	printf("plots of run %lld:\n", (long long)id);
	int n = plot_run(db, id, &o, stdout, err, sizeof(err));
	db_close(db);
	if (n < 0) {
		fprintf(stderr, "vmbench plot: %s\n", err);
		return CLI_ERROR;
	}
	printf("%d chart%s in %s\n", n, n == 1 ? "" : "s", o.dir);
	return CLI_OK;
}
