/*
 * cmdutil.h - small helpers shared by the subcommands that read the
 * result database (report, compare, export, history, plot).
 */
#ifndef VMB_CMDUTIL_H
#define VMB_CMDUTIL_H

#include <sqlite3.h>
#include <stdint.h>

/*
 * Open the existing database (path) (NULL: the default) for command (cmd).
 * Returns 0 and *db, or -1 after printing why (missing file included).
 */
int cmdutil_db_open(const char *cmd, const char *path, sqlite3 **db);

/* Resolve run (spec) or print why. Returns 0 and *id, or -1. */
int cmdutil_run_resolve(const char *cmd, sqlite3 *db, const char *spec,
			int64_t *id);

/* True when (arg) is -h or --help. */
int cmdutil_is_help(const char *arg);

#endif /* VMB_CMDUTIL_H */
