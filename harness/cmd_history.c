/*
 * cmd_history.c - `vmbench history METRIC`: a metric over stored runs.
 */
#include <getopt.h>
#include <stdio.h>

#include "cli.h"
#include "cmdutil.h"
#include "db.h"
#include "history.h"

int cmd_history(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "db", required_argument, 0, 'd' },
		{ "engine", required_argument, 0, 'e' },
		{ "help", no_argument, 0, 'h' },
		{ 0, 0, 0, 0 },
	};
	const char *dbpath = NULL, *engine = NULL;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "d:e:h", lo, NULL)) != -1) {
		if (c == 'd')
			dbpath = optarg;
		else if (c == 'e')
			engine = optarg;
		else
			goto usage;
	}
	if (argc - optind != 1)
		goto usage;
	sqlite3 *db;
	if (cmdutil_db_open("history", dbpath, &db))
		return CLI_ERROR;
	struct history h;
	char err[512];
	int rc = history_load(db, argv[optind], engine, &h, err, sizeof(err));
	db_close(db);
	if (rc) {
		fprintf(stderr, "vmbench history: %s\n", err);
		return CLI_ERROR;
	}
	printf("%s\n%-6s %-24s %-18s %-10s %-12s %12s %25s %3s\n", argv[optind],
	       "run", "started", "revision", "engine", "metric", "median",
	       "95% CI", "n");
	for (unsigned i = 0; i < h.n; i++) {
		const struct history_point *p = &h.p[i];
		char ci[64];
		snprintf(ci, sizeof(ci), "[%.4g, %.4g]%s", p->st.ci_lo,
			 p->st.ci_hi, p->st.wide ? "!" : "");
		printf("%-6lld %-24s %-18s %-10s %-12s %12.4g %25s %3zu\n",
		       (long long)p->run_id, p->started, p->git_rev, p->engine,
		       p->metric, p->st.median, ci, p->st.n);
	}
	if (!h.n)
		printf("(no stored measurement of %s)\n", argv[optind]);
	history_free(&h);
	return CLI_OK;
usage:
	printf("usage: vmbench history BENCH[/METRIC][:SAMPLE] [--engine E] "
	       "[--db PATH]\n  SAMPLE defaults to cycles_per_op\n");
	return c == 'h' ? CLI_OK : CLI_ERROR;
}
