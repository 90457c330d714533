/*
 * child.c - the exec target of the forkexec workload, program "child":
 * `child N` exits with status N % 128 (so the parent can check that the
 * right image ran with the right arguments).
 */
#include "vmb.h"
#include "vmb_sys.h"

int main(int argc, char **argv);

int main(int argc, char **argv)
{
	uint64_t n = 0;

	if (argc < 2)
		return 127;
	for (const char *s = argv[1]; *s >= '0' && *s <= '9'; s++)
		n = n * 10 + (uint64_t)(*s - '0');
	return (int)(n % 128);
}
