/*
 * cmd_compare.c - `vmbench compare BASE NEW`: exit 1 on a regression.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"
#include "cmdutil.h"
#include "compare.h"
#include "db.h"

static int frac_parse(const char *s, double *v)
{
	char *end;
	errno = 0;
	*v = strtod(s, &end);
	return errno || *end || end == s || *v < 0 || *v > 100 ? -1 : 0;
}

int cmd_compare(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "db", required_argument, 0, 'd' },
		{ "metric", required_argument, 0, 'm' },
		{ "threshold", required_argument, 0, 't' },
		{ "alpha", required_argument, 0, 'a' },
		{ "help", no_argument, 0, 'h' },
		{ 0, 0, 0, 0 },
	};
	struct compare_opts o = { "cycles_per_op", 0.05, 0.05 };
	const char *dbpath = NULL;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "d:m:t:a:h", lo, NULL)) != -1) {
		if (c == 'd')
			dbpath = optarg;
		else if (c == 'm')
			o.metric = optarg;
		else if ((c == 't' && !frac_parse(optarg, &o.threshold)) ||
			 (c == 'a' && !frac_parse(optarg, &o.alpha)))
			continue;
		else
			goto usage;
	}
	if (argc - optind != 2)
		goto usage;
	sqlite3 *db;
	int64_t base, cur;
	if (cmdutil_db_open("compare", dbpath, &db))
		return CLI_ERROR;
	if (cmdutil_run_resolve("compare", db, argv[optind], &base) ||
	    cmdutil_run_resolve("compare", db, argv[optind + 1], &cur)) {
		db_close(db);
		return CLI_ERROR;
	}
	struct compare_result r;
	char err[512];
	int rc = compare_runs(db, base, cur, &o, stdout, &r, err, sizeof(err));
	db_close(db);
	if (rc) {
		fprintf(stderr, "vmbench compare: %s\n", err);
		return CLI_ERROR;
	}
	return r.regressions ? CLI_FAILED : CLI_OK;
usage:
	printf("usage: vmbench compare BASE NEW [--metric NAME] [--threshold "
	       "F] [--alpha F] [--db PATH]\n"
	       "  BASE, NEW: run ids, latest or latest~N; metric default "
	       "cycles_per_op (lower is better)\n"
	       "  exit status: 0 no regression, 1 a metric regressed past "
	       "the threshold (p < alpha), 2 error\n");
	return c == 'h' ? CLI_OK : CLI_ERROR;
}
