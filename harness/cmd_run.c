/*
 * cmd_run.c - `vmbench run`: the engine x workload matrix.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "strutil.h"
#include "cli.h"
#include "db.h"
#include "export.h"
#include "hostinfo.h"
#include "matrix.h"
#include "report.h"

#define RUN_MAX_TARGETS 16

struct run_args {
	char engines[512];
	char workloads[1024];
	int reps, warmup;
	bool reps_set, warmup_set, time_set, echo, quiet, dflt;
	char params[512];
	const char *out, *db, *golden;
	double time_limit;
	uint64_t insn_limit, ram_mb;
	int cpu;
	struct matrix_engine_opt opts[MATRIX_MAX_OPTS];
	unsigned nopts;
	struct matrix_wparam wparams[MATRIX_MAX_WPARAMS];
	unsigned nwparams;
};

/*
 * Parameters of the default matrix (`make run`): small enough that every
 * cell takes about a second on the slowest engine here (kvm on the PVM
 * backend, where a guest page fault costs milliseconds), large enough that
 * the measured phase dwarfs the ROI marker cost. Workloads not listed
 * run with their own defaults.
 */
static const struct {
	const char *workload, *params;
} quick_params[] = {
	{ "pio", "iters=20000" },	{ "mmio", "iters=20000" },
	{ "cpuid", "iters=20000" },	{ "hypercall", "iters=20000" },
	{ "divzero", "iters=5000" },	{ "invlpg", "iters=20000" },
	{ "timer", "iters=200" },	{ "callret", "iters=100000" },
	{ "syscall", "iters=5000" },	{ "int80", "iters=5000" },
	{ "pagefault", "iters=256" },	{ "mprotect", "iters=400" },
	{ "ctxswitch", "iters=500" },	{ "sort", "iters=1 size=262144" },
	{ "crc", "iters=4 size=262144" }, { "matmul", "iters=2 size=128" },
	{ "fsm", "iters=4 size=262144" }, { "mixed", "iters=1 size=131072" },
	{ "tlb_reach", "iters=32768 size=4194304" },
	{ "forkexec", "iters=50" },
};

static void run_usage(FILE *f)
{
	fprintf(f,
		"usage: vmbench run [--default] --engines E1,E2 --workloads "
		"W1,W2|micro|macro|all\n"
		"         [--reps N] [--warmup K] [--params iters=N,size=S,"
		"seed=X] [--out DIR]\n"
		"         [--db PATH] [--cpu N] [--time-limit S] "
		"[--insn-limit N] [--ram MB (1024)]\n"
		"         [--engine-opt E:k=v] [--wparams W:k=v,k=v] "
		"[--golden DIR]\n         [--echo] [--quiet]\n"
		"  --params apply to every workload, --wparams to one (later "
		"keys win).\n"
		"  --engine/--workload are synonyms; both may repeat.\n"
		"  engines: interp bt kvm (when built), peers: qemu-tcg "
		"qemu-kvm native\n"
		"  --default: every usable engine and peer, the micro suite "
		"and the compute\n"
		"  kernels, 3 reps after 1 warm-up (the `make run` matrix)\n"
		"  exit status: 0 all cells ok, 1 some cell failed, 2 usage "
		"or host error\n");
}

static void list_append(char *list, size_t len, const char *item)
{
	size_t n = strlen(list);
	snprintf(list + n, len - n, "%s%s", n ? "," : "", item);
}

static int opt_engine_add(struct run_args *a, const char *arg)
{
	const char *colon = strchr(arg, ':');
	if (!colon || colon == arg || !strchr(colon, '=')) {
		fprintf(stderr, "vmbench run: --engine-opt wants E:key=value, "
				"got '%s'\n", arg);
		return -1;
	}
	size_t elen = (size_t)(colon - arg);
	for (unsigned i = 0; i < a->nopts; i++)
		if (strlen(a->opts[i].engine) == elen &&
		    !strncmp(a->opts[i].engine, arg, elen)) {
			list_append(a->opts[i].opts, sizeof(a->opts[i].opts),
				    colon + 1);
			return 0;
		}
	if (a->nopts == MATRIX_MAX_OPTS || elen >= sizeof(a->opts[0].engine)) {
		fprintf(stderr, "vmbench run: too many --engine-opt\n");
		return -1;
	}
	snprintf(a->opts[a->nopts].engine, sizeof(a->opts[0].engine), "%.*s",
		 (int)elen, arg);
	str_copy(a->opts[a->nopts].opts, sizeof(a->opts[0].opts), colon + 1);
	a->nopts++;
	return 0;
}

static int opt_wparams_add(struct run_args *a, const char *arg)
{
	const char *colon = strchr(arg, ':');
	if (!colon || colon == arg || !strchr(colon, '=') ||
	    a->nwparams == MATRIX_MAX_WPARAMS ||
	    (size_t)(colon - arg) >= sizeof(a->wparams[0].workload)) {
		fprintf(stderr, "vmbench run: --wparams wants W:key=value,..., "
				"got '%s'\n", arg);
		return -1;
	}
	struct matrix_wparam *w = &a->wparams[a->nwparams++];
	snprintf(w->workload, sizeof(w->workload), "%.*s",
		 (int)(colon - arg), arg);
	str_copy(w->params, sizeof(w->params), colon + 1);
	for (char *p = w->params; *p; p++)
		if (*p == ',')
			*p = ' ';
	return 0;
}

/* --default: the quick parameters, unless the user gave their own. */
static void quick_params_apply(struct run_args *a)
{
	for (size_t i = 0; i < sizeof(quick_params) / sizeof(quick_params[0]);
	     i++) {
		bool given = false;
		for (unsigned j = 0; j < a->nwparams && !given; j++)
			given = !strcmp(a->wparams[j].workload,
					quick_params[i].workload);
		if (given || a->nwparams == MATRIX_MAX_WPARAMS)
			continue;
		struct matrix_wparam *w = &a->wparams[a->nwparams++];
		str_copy(w->workload, sizeof(w->workload),
			 quick_params[i].workload);
		str_copy(w->params, sizeof(w->params), quick_params[i].params);
	}
}

static int num_parse(const char *opt, const char *s, double lo, double *v)
{
	char *end;
	errno = 0;
	*v = strtod(s, &end);
	if (errno || *end || end == s || *v < lo) {
		fprintf(stderr, "vmbench run: %s wants a number >= %g, got "
				"'%s'\n", opt, lo, s);
		return -1;
	}
	return 0;
}

/* "--name" of short option (c) in (lo), for messages. */
static const char *opt_name(const struct option *lo, int c)
{
	static char buf[40];
	for (; lo->name; lo++)
		if (lo->val == c) {
			snprintf(buf, sizeof(buf), "--%s", lo->name);
			return buf;
		}
	return "option";
}

static int args_parse(int argc, char **argv, struct run_args *a)
{
	static const struct option lo[] = {
		{ "engines", required_argument, 0, 'e' },
		{ "engine", required_argument, 0, 'e' },
		{ "workloads", required_argument, 0, 'w' },
		{ "workload", required_argument, 0, 'w' },
		{ "reps", required_argument, 0, 'r' },
		{ "warmup", required_argument, 0, 'k' },
		{ "params", required_argument, 0, 'p' },
		{ "out", required_argument, 0, 'o' },
		{ "db", required_argument, 0, 'd' },
		{ "cpu", required_argument, 0, 'c' },
		{ "time-limit", required_argument, 0, 't' },
		{ "insn-limit", required_argument, 0, 'i' },
		{ "ram", required_argument, 0, 'm' },
		{ "engine-opt", required_argument, 0, 'x' },
		{ "golden", required_argument, 0, 'g' },
		{ "wparams", required_argument, 0, 'W' },
		{ "default", no_argument, 0, 'D' },
		{ "echo", no_argument, 0, 'v' },
		{ "quiet", no_argument, 0, 'q' },
		{ "help", no_argument, 0, 'h' },
		{ 0, 0, 0, 0 },
	};
	double v;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "e:w:r:k:p:o:d:vqh", lo, NULL)) !=
	       -1) {
		switch (c) {
		case 'e': list_append(a->engines, sizeof(a->engines), optarg); break;
		case 'w': list_append(a->workloads, sizeof(a->workloads), optarg); break;
		case 'p': list_append(a->params, sizeof(a->params), optarg); break;
		case 'o': a->out = optarg; break;
		case 'd': a->db = optarg; break;
		case 'g': a->golden = optarg; break;
		case 'D': a->dflt = true; break;
		case 'v': a->echo = true; break;
		case 'q': a->quiet = true; break;
		case 'x':
			if (opt_engine_add(a, optarg))
				return -1;
			break;
		case 'W':
			if (opt_wparams_add(a, optarg))
				return -1;
			break;
		case 'r': case 'k': case 'c': case 't': case 'i': case 'm':
			if (num_parse(opt_name(lo, c), optarg,
				      c == 'r' ? 1 : 0, &v))
				return -1;
			if (c == 'r') { a->reps = (int)v; a->reps_set = true; }
			if (c == 'k') { a->warmup = (int)v; a->warmup_set = true; }
			if (c == 'c') a->cpu = (int)v;
			if (c == 't') { a->time_limit = v; a->time_set = true; }
			if (c == 'i') a->insn_limit = (uint64_t)v;
			if (c == 'm') a->ram_mb = (uint64_t)v;
			break;
		case 'h':
			run_usage(stdout);
			return 1;
		default:
			run_usage(stderr);
			return -1;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "vmbench run: unexpected '%s'\n", argv[optind]);
		return -1;
	}
	/* "iters=1,size=2" -> "iters=1 size=2" for the guest command line. */
	for (char *p = a->params; *p; p++)
		if (*p == ',')
			*p = ' ';
	return 0;
}

/* Resolve the engine list; --default takes every usable target. */
static int targets_build(struct run_args *a, struct target *t, unsigned *n)
{
	char err[512];
	*n = 0;
	if (a->dflt && !a->engines[0]) {
		struct target all[RUN_MAX_TARGETS];
		unsigned na = target_list_all(all, RUN_MAX_TARGETS);
		char backend[64], detail[256];
		hostinfo_kvm_backend(backend, sizeof(backend), detail,
				     sizeof(detail));
		for (unsigned i = 0; i < na; i++) {
			if (all[i].usable && all[i].kind == TARGET_QEMU_KVM &&
			    !strcmp(backend, "PVM"))
				printf("skipping qemu-kvm in the default matrix: "
				       "on the PVM backend every QEMU boot takes "
				       "~10 s (run it with --engines qemu-kvm)\n");
			else if (all[i].usable)
				t[(*n)++] = all[i];
			else
				printf("skipping %s: not available here: %s\n",
				       all[i].name, all[i].why);
		}
		if (!*n) {
			fprintf(stderr, "vmbench run: no engine or peer is "
					"usable here (see vmbench list)\n");
			return -1;
		}
		return 0;
	}
	if (!a->engines[0]) {
		fprintf(stderr, "vmbench run: which engines? (--engines E1,E2 "
				"or --default)\n");
		return -1;
	}
	char *save = NULL;
	for (char *e = strtok_r(a->engines, ",", &save); e;
	     e = strtok_r(NULL, ",", &save)) {
		if (*n == RUN_MAX_TARGETS)
			break;
		if (target_resolve(e, &t[*n], err, sizeof(err))) {
			fprintf(stderr, "vmbench run: %s\n", err);
			return -1;
		}
		target_probe(&t[(*n)++]);
	}
	return 0;
}

static int workloads_build(struct run_args *a, struct workload_list *sel)
{
	struct workload_list all;
	char err[512];
	bool have = workloads_load(NULL, &all, err, sizeof(err)) == 0;
	if (!have) {
		memset(&all, 0, sizeof(all));
		if (a->dflt || !a->workloads[0]) {
			fprintf(stderr, "vmbench run: %s\n", err);
			return -1;
		}
	}
	if (a->dflt && !a->workloads[0]) {
		/* The micro suite and the compute kernels. */
		for (unsigned i = 0; i < all.n; i++)
			if (!strcmp(all.w[i].suite, "micro") || all.w[i].native)
				list_append(a->workloads, sizeof(a->workloads),
					    all.w[i].name);
	}
	if (!a->workloads[0]) {
		fprintf(stderr, "vmbench run: which workloads? (--workloads "
				"W1,W2|micro|macro|all)\n");
		workloads_free(&all);
		return -1;
	}
	int rc = workloads_select(&all, a->workloads, sel, err, sizeof(err));
	if (rc)
		fprintf(stderr, "vmbench run: %s\n", err);
	workloads_free(&all);
	return rc;
}

static void argv_join(char *buf, size_t len, int argc, char **argv)
{
	buf[0] = '\0';
	list_append(buf, len, "vmbench");
	for (int i = 0; i < argc; i++) {
		size_t n = strlen(buf);
		snprintf(buf + n, len - n, " %s", argv[i]);
	}
}

static void defaults_apply(struct run_args *a, unsigned ntargets,
			   unsigned nworkloads)
{
	bool single = ntargets == 1 && nworkloads == 1 && !a->dflt;
	if (!a->reps_set)
		a->reps = a->dflt ? 3 : single ? 1 : 5;
	if (!a->warmup_set)
		a->warmup = single ? 0 : 1;
	if (single && !a->reps_set && !a->quiet)
		a->echo = true;
}

static int run_outputs_write(sqlite3 *db, int64_t run_id, const char *out)
{
	char path[1024], err[512];
	mkdir(out, 0777);
	snprintf(path, sizeof(path), "%s/run_id", out);
	FILE *f = fopen(path, "w");
	if (!f) {
		fprintf(stderr, "vmbench run: %s: %s\n", path, strerror(errno));
		return -1;
	}
	fprintf(f, "%lld\n", (long long)run_id);
	fclose(f);
	if (export_run_files(db, run_id, out, err, sizeof(err)) ||
	    report_file_write(db, run_id, out, err, sizeof(err))) {
		fprintf(stderr, "vmbench run: %s\n", err);
		return -1;
	}
	return 0;
}

int cmd_run(int argc, char **argv)
{
	/* 1 GiB of guest RAM by default: the largest default working set
	 * (tlb_reach, 256 MiB plus its page tables and the kernel) must fit,
	 * and RAM is only backed where the guest touches it. */
	struct run_args a = { .cpu = -1, .time_limit = 300, .out = NULL,
			      .ram_mb = 1024 };
	int prc = args_parse(argc, argv, &a);
	if (prc)
		return prc > 0 ? CLI_OK : CLI_ERROR;
	if (!a.out)
		a.out = "results/latest";
	if (!a.db)
		a.db = DB_DEFAULT_PATH;
	static struct target targets[RUN_MAX_TARGETS];
	unsigned ntargets;
	struct workload_list wl;
	if (targets_build(&a, targets, &ntargets) || workloads_build(&a, &wl))
		return CLI_ERROR;
	defaults_apply(&a, ntargets, wl.n);
	if (a.dflt && !a.params[0])
		quick_params_apply(&a);
	if (a.dflt && !a.time_set)
		a.time_limit = 60;

	struct host_info host;
	hostinfo_probe(&host);
	char err[1024], argstr[2048];
	argv_join(argstr, sizeof(argstr), argc, argv);
	sqlite3 *db;
	if (db_open(a.db, &db, err, sizeof(err))) {
		fprintf(stderr, "vmbench run: %s\n", err);
		workloads_free(&wl);
		return CLI_ERROR;
	}
	struct db_run_meta meta = {
		.host = &host, .argv = argstr, .params = a.params,
		.reps = a.reps, .warmup = a.warmup, .out_dir = a.out,
	};
	struct matrix_spec m = {
		.targets = targets, .ntargets = ntargets, .workloads = &wl,
		.reps = a.reps, .warmup = a.warmup, .params = a.params,
		.nopts = a.nopts, .ram_bytes = a.ram_mb << 20,
		.time_limit_s = a.time_limit, .insn_limit = a.insn_limit,
		.cpu = a.cpu, .echo = a.echo, .quiet = a.quiet,
		.golden_dir = a.golden, .host_tsc_khz = host.tsc_khz, .db = db,
	};
	memcpy(m.opts, a.opts, sizeof(a.opts));
	memcpy(m.wparams, a.wparams, sizeof(a.wparams));
	m.nwparams = a.nwparams;
	struct matrix_summary sum;
	int rc = CLI_ERROR;
	if (db_run_begin(db, &meta, &m.run_id, err, sizeof(err)) ||
	    matrix_run(&m, &sum, err, sizeof(err)) ||
	    db_run_finish(db, m.run_id, (int)sum.failed, err, sizeof(err))) {
		fprintf(stderr, "vmbench run: %s\n", err);
		goto out;
	}
	if (run_outputs_write(db, m.run_id, a.out))
		goto out;
	printf("run %lld: %u cells, %u ok, %u failed, %u skipped\n"
	       "results: %s (report.txt, cells.csv, samples.csv, run.json), "
	       "database: %s\n",
	       (long long)m.run_id, sum.cells, sum.ok, sum.failed,
	       sum.skipped, a.out, a.db);
	rc = sum.failed ? CLI_FAILED : CLI_OK;
out:
	db_close(db);
	workloads_free(&wl);
	return rc;
}
