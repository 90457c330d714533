/*
 * golden.c - find and compare reference checksums.
 */
#include "golden.h"

#include <dirent.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "paths.h"

/* Search one file; true when a line for these parameters was found. */
static bool golden_file_find(const char *path, const char *bench,
			     uint64_t iters, uint64_t size, uint64_t seed,
			     uint64_t *want)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return false;
	char line[256], name[64];
	unsigned long long it, sz, sd, ck;
	bool found = false;
	while (!found && fgets(line, sizeof(line), f)) {
		line[strcspn(line, "#\n")] = '\0';
		if (sscanf(line, "%63s %llu %llu %llu %llx", name, &it, &sz,
			   &sd, &ck) != 5)
			continue;
		if (!strcmp(name, bench) && it == iters && sz == size &&
		    sd == seed) {
			*want = ck;
			found = true;
		}
	}
	fclose(f);
	return found;
}

enum golden_verdict golden_check(const char *dir, const char *bench,
				 uint64_t iters, uint64_t size, uint64_t seed,
				 uint64_t got, char *note, size_t notelen)
{
	char def[PATHS_MAX];
	if (!dir) {
		paths_src_file(def, sizeof(def), "workloads/golden");
		dir = def;
	}
	DIR *d = opendir(dir);
	if (!d) {
		snprintf(note, notelen, "no golden directory %s", dir);
		return GOLDEN_UNKNOWN;
	}
	uint64_t want = 0;
	bool found = false;
	struct dirent *de;
	while (!found && (de = readdir(d))) {
		size_t n = strlen(de->d_name);
		if (n < 5 || strcmp(de->d_name + n - 4, ".txt"))
			continue;
		char path[PATHS_MAX + 256];
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		found = golden_file_find(path, bench, iters, size, seed, &want);
	}
	closedir(d);
	if (!found) {
		snprintf(note, notelen,
			 "no golden checksum for %s iters=%" PRIu64
			 " size=%" PRIu64 " seed=%" PRIu64,
			 bench, iters, size, seed);
		return GOLDEN_UNKNOWN;
	}
	if (want != got) {
		snprintf(note, notelen,
			 "checksum mismatch: got 0x%016" PRIx64
			 ", golden 0x%016" PRIx64,
			 got, want);
		return GOLDEN_MISMATCH;
	}
	snprintf(note, notelen, "matches golden 0x%016" PRIx64, want);
	return GOLDEN_MATCH;
}
