/*
 * paths.c - locations relative to the vmbench executable.
 */
#include "paths.h"

#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "strutil.h"

static char exe_dir[PATHS_MAX - 64];
static char guest_dir[PATHS_MAX];
static char src_root[PATHS_MAX];

static const char *exe_dir_get(void)
{
	if (exe_dir[0])
		return exe_dir;
	char buf[PATHS_MAX];
	ssize_t n = readlink("/proc/self/exe", buf, sizeof(buf) - 1);
	if (n <= 0) {
		snprintf(exe_dir, sizeof(exe_dir), ".");
		return exe_dir;
	}
	buf[n] = '\0';
	str_copy(exe_dir, sizeof(exe_dir), dirname(buf));
	/* Test programs live in build/{rel,san}/tests: climb to build/. */
	size_t len = strlen(exe_dir);
	if (len > 6 && !strcmp(exe_dir + len - 6, "/tests")) {
		exe_dir[len - 6] = '\0';
		char *slash = strrchr(exe_dir, '/');
		if (slash)
			*slash = '\0';
	}
	return exe_dir;
}

const char *paths_guest_dir(void)
{
	const char *e = getenv("VMB_GUEST_DIR");
	if (e)
		return e;
	if (!guest_dir[0])
		snprintf(guest_dir, sizeof(guest_dir), "%s/guest",
			 exe_dir_get());
	return guest_dir;
}

const char *paths_src_root(void)
{
	const char *e = getenv("VMB_SRC_ROOT");
	if (e)
		return e;
	if (!src_root[0])
		snprintf(src_root, sizeof(src_root), "%s/..", exe_dir_get());
	return src_root;
}

void paths_guest_file(char *out, size_t outlen, const char *file)
{
	snprintf(out, outlen, "%s/%s", paths_guest_dir(), file);
}

void paths_src_file(char *out, size_t outlen, const char *rel)
{
	snprintf(out, outlen, "%s/%s", paths_src_root(), rel);
}
