/*
 * cmd_report.c - `vmbench report [RUN]`: the readable table of a run.
 */
#include <getopt.h>
#include <stdio.h>

#include "cli.h"
#include "cmdutil.h"
#include "db.h"
#include "report.h"

int cmd_report(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "db", required_argument, 0, 'd' },
		{ "help", no_argument, 0, 'h' },
		{ 0, 0, 0, 0 },
	};
	const char *dbpath = NULL;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "d:h", lo, NULL)) != -1) {
		if (c == 'd') {
			dbpath = optarg;
			continue;
		}
		printf("usage: vmbench report [RUN] [--db PATH]\n"
		       "  RUN: a run id, latest (default) or latest~N\n");
		return c == 'h' ? CLI_OK : CLI_ERROR;
	}
	const char *spec = optind < argc ? argv[optind] : "latest";
	sqlite3 *db;
	int64_t id;
	if (cmdutil_db_open("report", dbpath, &db))
		return CLI_ERROR;
	int rc = CLI_ERROR;
	char err[512];
	if (!cmdutil_run_resolve("report", db, spec, &id)) {
		if (report_print(db, id, stdout, err, sizeof(err)))
			fprintf(stderr, "vmbench report: %s\n", err);
		else
			rc = CLI_OK;
	}
	db_close(db);
	return rc;
}
