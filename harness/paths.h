/*
 * paths.h - where vmbench finds its guest image, native kernels, golden
 * checksums and plot templates.
 *
 * The build puts the CLI at build/vmbench and the guest at build/guest/,
 * so everything is found relative to the executable, whatever the current
 * directory: guest dir = <exe dir>/guest, source root = <exe dir>/..
 * Environment overrides: VMB_GUEST_DIR, VMB_SRC_ROOT.
 */
#ifndef VMB_PATHS_H
#define VMB_PATHS_H

#include <stddef.h>

#define PATHS_MAX 1024

/* Directory holding vmbench-guest.elf, vmbench-native, workloads.txt. */
const char *paths_guest_dir(void);
/* The source tree root (workloads/golden, scripts/plot). */
const char *paths_src_root(void);

/* (out) = guest dir + "/" + (file). */
void paths_guest_file(char *out, size_t outlen, const char *file);
/* (out) = source root + "/" + (rel). */
void paths_src_file(char *out, size_t outlen, const char *rel);

#define PATHS_GUEST_IMAGE "vmbench-guest.elf"
#define PATHS_NATIVE "vmbench-native"
#define PATHS_WORKLOADS "workloads.txt"

#endif /* VMB_PATHS_H */
