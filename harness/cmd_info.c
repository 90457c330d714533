/*
 * cmd_info.c - `vmbench info`: what this host can measure, and why not.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "hostinfo.h"

int cmd_info(int argc, char **argv)
{
	if (argc > 1) {
		if (strcmp(argv[1], "--help") && strcmp(argv[1], "-h"))
			fprintf(stderr, "vmbench info: unexpected '%s'\n",
				argv[1]);
		printf("usage: vmbench info\n"
		       "  VMB_HOST_ROOT=DIR reads /proc, /sys, /dev below DIR "
		       "(tests)\n");
		return strcmp(argv[1], "--help") && strcmp(argv[1], "-h") ?
			       CLI_ERROR : CLI_OK;
	}
	struct host_info h;
	hostinfo_probe(&h);
	hostinfo_print(&h);
	return CLI_OK;
}
