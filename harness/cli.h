/*
 * cli.h - the vmbench subcommands, one file each (cmd_<name>.c).
 *
 * Each takes the arguments after the subcommand name (argv[0] is the
 * subcommand) and returns the process exit status: 0 success, 1 a
 * measured failure (a failed run, a regression), 2 a usage or host error.
 * Only main.c exits.
 */
#ifndef VMB_CLI_H
#define VMB_CLI_H

#define CLI_OK 0
#define CLI_FAILED 1
#define CLI_ERROR 2

int cmd_info(int argc, char **argv);
int cmd_list(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_compare(int argc, char **argv);
int cmd_export(int argc, char **argv);
int cmd_history(int argc, char **argv);
int cmd_plot(int argc, char **argv);

#endif /* VMB_CLI_H */
