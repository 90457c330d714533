/*
 * cmd_export.c - `vmbench export [RUN] --csv|--json [--out FILE]`.
 */
#include <errno.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cmdutil.h"
#include "db.h"
#include "export.h"

int cmd_export(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "db", required_argument, 0, 'd' },
		{ "out", required_argument, 0, 'o' },
		{ "csv", no_argument, 0, 'c' },
		{ "cells", no_argument, 0, 'C' },
		{ "json", no_argument, 0, 'j' },
		{ "golden", no_argument, 0, 'g' },
		{ "seed", required_argument, 0, 's' },
		{ "help", no_argument, 0, 'h' },
		{ 0, 0, 0, 0 },
	};
	const char *dbpath = NULL, *out = NULL;
	int fmt = 0, c;
	uint64_t seed = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "d:o:h", lo, NULL)) != -1) {
		switch (c) {
		case 'd': dbpath = optarg; break;
		case 'o': out = optarg; break;
		case 'c': case 'C': case 'j': case 'g': fmt = c; break;
		case 's': seed = strtoull(optarg, NULL, 0); break;
		default:
			printf("usage: vmbench export [RUN] --csv|--cells|--json"
			       "|--golden [--seed X]\n"
			       "         [--out FILE] [--db PATH]\n"
			       "  --csv: one row per raw sample; --cells: one "
			       "row per cell; --json: everything;\n"
			       "  --golden: workloads/golden/ lines for the "
			       "checksums every target agreed on\n");
			return c == 'h' ? CLI_OK : CLI_ERROR;
		}
	}
	if (!fmt) {
		fprintf(stderr, "vmbench export: choose --csv, --cells, --json "
				"or --golden\n");
		return CLI_ERROR;
	}
	const char *spec = optind < argc ? argv[optind] : "latest";
	sqlite3 *db;
	int64_t id;
	if (cmdutil_db_open("export", dbpath, &db))
		return CLI_ERROR;
	if (cmdutil_run_resolve("export", db, spec, &id)) {
		db_close(db);
		return CLI_ERROR;
	}
	FILE *f = out ? fopen(out, "w") : stdout;
	if (!f) {
		fprintf(stderr, "vmbench export: %s: %s\n", out,
			strerror(errno));
		db_close(db);
		return CLI_ERROR;
	}
	char err[512];
	int rc = fmt == 'g' ? export_golden(db, id, seed, f, err, sizeof(err)) :
		 fmt == 'c' ? export_csv(db, id, f, err, sizeof(err)) :
		 fmt == 'C' ? export_cells_csv(db, id, f, err, sizeof(err)) :
			      export_json(db, id, f, err, sizeof(err));
	if (out && fclose(f) && !rc) {
		snprintf(err, sizeof(err), "%s: %s", out, strerror(errno));
		rc = -1;
	}
	if (rc)
		fprintf(stderr, "vmbench export: %s\n", err);
	db_close(db);
	return rc ? CLI_ERROR : CLI_OK;
}
