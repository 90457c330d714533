/*
 * main.c - vmbench-native: run the macro workloads as a host process.
 *
 *   vmbench-native bench=NAME|all [iters=N] [size=S] [seed=X]
 *   vmbench-native list      one "NAME SUITE MODE native" line per workload
 *
 * The arguments are the guest's command line (they may also come as one
 * string): iters and size of 0 or absent mean the bench's defaults. Output
 * is the guest's result protocol on stdout, beginning with a boot line whose
 * entry is "native". Exit status as the guest's exit port: 0 ok,
 * 1 bad command line, 2 a workload failed.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "native.h"

struct cmdline {
	char text[VMB_CMDLINE_MAX];
	struct vmb_params p;	/* bench "" = none given */
};

static void usage(void)
{
	fprintf(stderr, "usage: vmbench-native bench=NAME|all [iters=N] "
			"[size=S] [seed=X]\n       vmbench-native list\n"
			"workloads:");
	for (const struct vmb_bench *const *b = native_benches; *b; b++)
		fprintf(stderr, " %s", (*b)->name);
	fprintf(stderr, "\n");
}

/* Parse one "key=value" word into (c). Returns 0, or -1 (message on stderr). */
static int word_parse(struct cmdline *c, const char *w)
{
	const char *eq = strchr(w, '=');
	uint64_t *num = NULL;

	if (!eq) {
		fprintf(stderr, "vmbench-native: '%s' is not key=value\n", w);
		return -1;
	}
	if (!strncmp(w, "bench=", 6)) {
		if (vmb_strlcpy(c->p.bench, eq + 1, sizeof(c->p.bench)) >=
		    sizeof(c->p.bench)) {
			fprintf(stderr, "vmbench-native: bench name too long\n");
			return -1;
		}
		return 0;
	}
	if (!strncmp(w, "iters=", 6))
		num = &c->p.iters;
	else if (!strncmp(w, "size=", 5))
		num = &c->p.size;
	else if (!strncmp(w, "seed=", 5))
		num = &c->p.seed;
	if (!num) {
		fprintf(stderr, "vmbench-native: unknown parameter '%.*s'\n",
			(int)(eq - w), w);
		return -1;
	}
	if (vmb_parse_u64(eq + 1, num)) {
		fprintf(stderr, "vmbench-native: bad number in '%s'\n", w);
		return -1;
	}
	return 0;
}

/* Join (argv) into c->text and parse its space-separated words. */
static int cmdline_parse(struct cmdline *c, int argc, char **argv)
{
	char words[VMB_CMDLINE_MAX], *save = NULL;

	c->text[0] = '\0';
	for (int i = 1; i < argc; i++) {
		if (i > 1)
			strncat(c->text, " ", sizeof(c->text) - strlen(c->text) - 1);
		strncat(c->text, argv[i], sizeof(c->text) - strlen(c->text) - 1);
	}
	vmb_strlcpy(words, c->text, sizeof(words));
	for (char *w = strtok_r(words, " \t", &save); w;
	     w = strtok_r(NULL, " \t", &save)) {
		if (word_parse(c, w))
			return -1;
	}
	if (!c->p.bench[0]) {
		fprintf(stderr, "vmbench-native: no bench= given\n");
		return -1;
	}
	return 0;
}

static const struct vmb_bench *bench_find(const char *name)
{
	for (const struct vmb_bench *const *b = native_benches; *b; b++) {
		if (!strcmp((*b)->name, name))
			return *b;
	}
	return NULL;
}

/* Run (b) with the command line's parameters; returns its status. */
static int bench_run(const struct vmb_bench *b, const struct vmb_params *cp)
{
	struct vmb_params p = *cp;
	int status;

	vmb_strlcpy(p.bench, b->name, sizeof(p.bench));
	if (!p.iters)
		p.iters = b->default_iters;
	if (!p.size)
		p.size = b->default_size;
	native_params_set(&p);
	vmb_report_start(b, &p);
	status = b->run(&p);
	vmb_report_end(b->name, status);
	return status;
}

int main(int argc, char **argv)
{
	struct cmdline c = {0};
	const struct vmb_bench *one = NULL;
	unsigned ran = 0;
	int failed = 0;

	if (argc == 2 && !strcmp(argv[1], "list")) {
		for (const struct vmb_bench *const *b = native_benches; *b; b++)
			printf("%s %s %s native\n", (*b)->name, (*b)->suite,
			       (*b)->mode == VMB_MODE_USER ? "user" : "kernel");
		return 0;
	}
	if (cmdline_parse(&c, argc, argv)) {
		usage();
		return VMB_EXIT_BAD_CMDLINE;
	}
	if (strcmp(c.p.bench, "all")) {
		one = bench_find(c.p.bench);
		if (!one) {
			fprintf(stderr, "vmbench-native: unknown workload '%s'\n",
				c.p.bench);
			usage();
			return VMB_EXIT_BAD_CMDLINE;
		}
	}
	vmb_report_boot("native",
			(uint64_t)sysconf(_SC_PHYS_PAGES) *
				(uint64_t)sysconf(_SC_PAGESIZE) >> 20,
			native_tsc_khz(), c.text);
	for (const struct vmb_bench *const *b = native_benches; *b; b++) {
		if (one && *b != one)
			continue;
		failed |= bench_run(*b, &c.p) != 0;
		ran++;
	}
	vmb_report_done(failed ? VMB_EXIT_BENCH_FAILED : VMB_EXIT_OK, ran);
	return failed ? VMB_EXIT_BENCH_FAILED : VMB_EXIT_OK;
}
