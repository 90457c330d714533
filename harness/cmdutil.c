/*
 * cmdutil.c - database helpers for subcommands.
 */
#include "cmdutil.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "db.h"

int cmdutil_db_open(const char *cmd, const char *path, sqlite3 **db)
{
	char err[512];
	if (!path)
		path = DB_DEFAULT_PATH;
	if (access(path, R_OK)) {
		fprintf(stderr, "vmbench %s: %s: %s (run `vmbench run` first "
				"or pass --db PATH)\n", cmd, path,
			strerror(errno));
		return -1;
	}
	if (db_open(path, db, err, sizeof(err))) {
		fprintf(stderr, "vmbench %s: %s\n", cmd, err);
		return -1;
	}
	return 0;
}

int cmdutil_run_resolve(const char *cmd, sqlite3 *db, const char *spec,
			int64_t *id)
{
	char err[512];
	if (db_run_resolve(db, spec, id, err, sizeof(err))) {
		fprintf(stderr, "vmbench %s: %s\n", cmd, err);
		return -1;
	}
	return 0;
}

int cmdutil_is_help(const char *arg)
{
	return !strcmp(arg, "-h") || !strcmp(arg, "--help");
}
