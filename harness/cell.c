/*
 * cell.c - one cell in a forked child, with a timeout.
 */
#include "cell.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "paths.h"
#include "strutil.h"

#define CELL_RECORD_MAGIC 0x564d42434c4c3031ull /* "VMBCLL01" */
/* Extra wall time an engine gets to honour its own limit first. */
#define CELL_KILL_GRACE_S 2.0

struct cell_record_hdr {
	uint64_t magic;
	int create_failed;
	char create_err[512];
	int run_rc;
	struct run_exit exit;
	unsigned nroi;
	uint64_t roi_dropped;
	char describe[256];	/* engine_ops.describe(), "" if none */
};

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Moves all len bytes through fd (retrying short transfers and EINTR);
 * -1 on error or EOF before the end. */
static int fd_transfer(int fd, void *buf, size_t len, bool writing)
{
	char *p = buf;
	while (len) {
		ssize_t n = writing ? write(fd, p, len) : read(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int write_all(int fd, const void *buf, size_t len)
{
	return fd_transfer(fd, (void *)buf, len, true);
}

static int read_all(int fd, void *buf, size_t len)
{
	return fd_transfer(fd, buf, len, false);
}

static void console_to_fd(void *opaque, const char *buf, size_t len)
{
	write_all(*(int *)opaque, buf, len);
}

/* ---- child side ------------------------------------------------------- */

/* Host counters of the vCPU thread at each ROI marker, as "host.*" stats
 * of the snapshot; analyze.c turns them into per-region samples. */
static void roi_host_counters(void *opaque, struct engine_roi_snapshot *snap)
{
	struct pmu_set *set = opaque;

	pmu_sample(set);
	for (unsigned i = 0; i < set->n; i++)
		if (set->c[i].available)
			engine_stat_add(&snap->counters, set->c[i].name,
					set->c[i].value);
}

static void child_engine(const struct cell_spec *s, const char *image,
			 int con_fd, int rec_fd, const char *cmdline)
{
	static struct cell_record_hdr h;
	static struct engine_counters total;
	struct vm_config cfg;
	memset(&cfg, 0, sizeof(cfg));
	cfg.machine.ram_bytes = s->ram_bytes;
	cfg.machine.kernel_path = image;
	cfg.machine.cmdline = cmdline;
	cfg.insn_limit = s->insn_limit;
	cfg.time_limit_s = s->time_limit_s;
	cfg.options = s->engine_opts ? s->engine_opts : "";
	cfg.console_sink = console_to_fd;
	cfg.console_opaque = &con_fd;
	static struct pmu_set roi_pmu;
	pmu_open_thread(&roi_pmu, !strcmp(s->target->name, "kvm"));
	cfg.roi_observer = roi_host_counters;
	cfg.roi_observer_opaque = &roi_pmu;

	h.magic = CELL_RECORD_MAGIC;
	struct engine *e = NULL;
	if (engine_create(s->target->ops, &cfg, &e, h.create_err,
			  sizeof(h.create_err))) {
		h.create_failed = 1;
		write_all(rec_fd, &h, sizeof(h));
		_exit(0);
	}
	if (e->ops->describe)
		e->ops->describe(e, h.describe, sizeof(h.describe));
	h.run_rc = engine_run(e, &h.exit);
	engine_counters(e, &total);
	h.nroi = e->nroi;
	h.roi_dropped = e->roi_dropped;
	if (write_all(rec_fd, &h, sizeof(h)) ||
	    write_all(rec_fd, &total, sizeof(total)) ||
	    (h.nroi && write_all(rec_fd, e->roi, h.nroi * sizeof(*e->roi))))
		_exit(3);
	engine_destroy(e);
	_exit(0);
}

/* Split "a=1 b=2" into argv slots after (argv)[*argc]. */
static void params_split(char *params, const char **argv, int *argc, int max)
{
	char *save = NULL;
	for (char *t = strtok_r(params, " ", &save); t && *argc < max - 1;
	     t = strtok_r(NULL, " ", &save))
		argv[(*argc)++] = t;
}

static void child_peer(const struct cell_spec *s, const char *image,
		       const char *cmdline)
{
	const char *argv[64];
	int argc = 0;
	char mem[32], append[600], native[PATHS_MAX], params[512];
	if (s->target->kind == TARGET_NATIVE) {
		paths_guest_file(native, sizeof(native), PATHS_NATIVE);
		snprintf(append, sizeof(append), "bench=%s", s->workload);
		str_copy(params, sizeof(params), s->params ? s->params : "");
		argv[argc++] = native;
		argv[argc++] = append;
		params_split(params, argv, &argc, 64);
	} else {
		bool kvm = s->target->kind == TARGET_QEMU_KVM;
		snprintf(mem, sizeof(mem), "%lluM",
			 (unsigned long long)((s->ram_bytes ? s->ram_bytes :
							      MACHINE_RAM_DEFAULT) >> 20));
		str_copy(append, sizeof(append), cmdline);
		const char *fixed[] = {
			"qemu-system-x86_64", "-accel", kvm ? "kvm" : "tcg",
			"-cpu", kvm ? "host,-arch-capabilities" : "max",
			"-nodefaults",
			"-display", "none", "-no-reboot", "-m", mem,
			"-kernel", image, "-append", append,
			"-debugcon", "stdio", "-device",
			"isa-debug-exit,iobase=0xf4,iosize=0x04",
		};
		for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
			argv[argc++] = fixed[i];
	}
	argv[argc] = NULL;
	execvp(argv[0], (char *const *)argv);
	fprintf(stderr, "exec %s: %s\n", argv[0], strerror(errno));
	_exit(127);
}

static void child_main(const struct cell_spec *s, int go_fd, int con_fd,
		       int rec_fd, int err_fd, const char *cmdline)
{
	char image[PATHS_MAX], go;
	setpgid(0, 0);
	/* Fatal signals must kill the child so the parent sees them: undo
	 * handlers inherited from the caller (a test framework, say). */
	static const int fatal[] = { SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT,
				     SIGTERM, SIGINT };
	for (size_t i = 0; i < sizeof(fatal) / sizeof(fatal[0]); i++)
		signal(fatal[i], SIG_DFL);
	signal(SIGPIPE, SIG_IGN);
	if (s->cpu >= 0) {
		cpu_set_t set;
		CPU_ZERO(&set);
		CPU_SET(s->cpu, &set);
		if (sched_setaffinity(0, sizeof(set), &set))
			fprintf(stderr, "sched_setaffinity(cpu %d): %s\n",
				s->cpu, strerror(errno));
	}
	/* Wait until the parent has attached the host counters. */
	if (read(go_fd, &go, 1) != 1)
		_exit(126);
	close(go_fd);
	int devnull = open("/dev/null", O_RDONLY);
	if (devnull >= 0)
		dup2(devnull, 0);
	paths_guest_file(image, sizeof(image), PATHS_GUEST_IMAGE);
	if (s->target->kind == TARGET_ENGINE) {
		child_engine(s, image, con_fd, rec_fd, cmdline);
	} else {
		dup2(con_fd, 1);
		dup2(err_fd, 2);
		child_peer(s, image, cmdline);
	}
	_exit(125);
}

/* ---- parent side ------------------------------------------------------ */

static void console_append(struct cell_outcome *o, const char *buf, size_t n,
			   bool echo)
{
	if (echo)
		fwrite(buf, 1, n, stdout);
	if (o->console_len + n > CELL_CONSOLE_MAX) {
		o->console_truncated = true;
		n = CELL_CONSOLE_MAX - o->console_len;
	}
	memcpy(o->console + o->console_len, buf, n);
	o->console_len += n;
	o->console[o->console_len] = '\0';
}

/* Read the console until EOF or the deadline; true when the deadline hit. */
static bool console_pump(struct cell_outcome *o, int fd, double deadline,
			 bool echo)
{
	char buf[65536];
	for (;;) {
		int timeout = -1;
		if (deadline > 0) {
			double left = deadline - now_s();
			if (left <= 0)
				return true;
			timeout = (int)(left * 1000) + 1;
		}
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int r = poll(&p, 1, timeout);
		if (r < 0 && errno == EINTR)
			continue;
		if (r == 0)
			continue; /* re-check the deadline */
		ssize_t n = read(fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		console_append(o, buf, (size_t)n, echo);
	}
}

static void child_reap(struct cell_outcome *o, pid_t pid, double deadline)
{
	int status = 0;
	struct rusage ru;
	memset(&ru, 0, sizeof(ru));
	for (;;) {
		pid_t r = wait4(pid, &status, WNOHANG, &ru);
		if (r == pid || (r < 0 && errno != EINTR))
			break;
		if (deadline > 0 && now_s() > deadline && !o->timed_out) {
			o->timed_out = true;
			kill(-pid, SIGKILL);
			kill(pid, SIGKILL);
		}
		usleep(1000);
	}
	if (WIFSIGNALED(status))
		o->term_signal = WTERMSIG(status);
	else
		o->exit_code = WEXITSTATUS(status);
	o->user_s = (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6;
	o->sys_s = (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
	o->maxrss_kb = ru.ru_maxrss;
}

static void record_read(struct cell_outcome *o, int fd)
{
	struct cell_record_hdr h;
	if (lseek(fd, 0, SEEK_SET) < 0 || read_all(fd, &h, sizeof(h)) ||
	    h.magic != CELL_RECORD_MAGIC)
		return;
	o->create_failed = h.create_failed;
	str_copy(o->create_err, sizeof(o->create_err), h.create_err);
	if (h.create_failed) {
		o->have_engine = true;
		return;
	}
	if (read_all(fd, &o->total, sizeof(o->total)))
		return;
	o->run_rc = h.run_rc;
	str_copy(o->describe, sizeof(o->describe), h.describe);
	o->exit = h.exit;
	o->roi_dropped = h.roi_dropped;
	if (h.nroi) {
		o->roi = calloc(h.nroi, sizeof(*o->roi));
		if (!o->roi || read_all(fd, o->roi, h.nroi * sizeof(*o->roi))) {
			free(o->roi);
			o->roi = NULL;
			return;
		}
		o->nroi = h.nroi;
	}
	o->have_engine = true;
}

static void stderr_tail_read(struct cell_outcome *o, int fd)
{
	off_t end = lseek(fd, 0, SEEK_END);
	if (end <= 0)
		return;
	off_t from = end > (off_t)sizeof(o->peer_stderr) - 1 ?
			     end - (off_t)sizeof(o->peer_stderr) + 1 : 0;
	ssize_t n = pread(fd, o->peer_stderr, (size_t)(end - from), from);
	o->peer_stderr[n > 0 ? n : 0] = '\0';
}

int cell_run(const struct cell_spec *spec, struct cell_outcome *out,
	     char *err, size_t errlen)
{
	memset(out, 0, sizeof(*out));
	/* QEMU/KVM on a PVM host needs the guest's PVM assist (the kvm
	 * engine asks for it through boot_info; QEMU only passes a command
	 * line): SYSCALL and INT 0x80 from user mode do not work there. */
	bool pvm = spec->target->pvm_host;
	snprintf(out->cmdline, sizeof(out->cmdline), "bench=%s%s%s%s",
		 spec->workload, spec->params && *spec->params ? " " : "",
		 spec->params ? spec->params : "", pvm ? " pvm=1" : "");
	out->console = malloc(CELL_CONSOLE_MAX + 1);
	if (!out->console) {
		snprintf(err, errlen, "out of memory for the console buffer");
		return -1;
	}
	out->console[0] = '\0';
	int go[2] = { -1, -1 }, con[2] = { -1, -1 };
	int rec = memfd_create("vmbench-cell", MFD_CLOEXEC);
	int errf = memfd_create("vmbench-stderr", MFD_CLOEXEC);
	if (rec < 0 || errf < 0 || pipe2(go, O_CLOEXEC) || pipe2(con, O_CLOEXEC)) {
		snprintf(err, errlen, "cell setup: %s", strerror(errno));
		goto fail;
	}
	fflush(NULL);
	double t0 = now_s();
	pid_t pid = fork();
	if (pid < 0) {
		snprintf(err, errlen, "fork: %s", strerror(errno));
		goto fail;
	}
	if (pid == 0) {
		close(go[1]);
		close(con[0]);
		/* Peers need these across exec. */
		fcntl(con[1], F_SETFD, 0);
		fcntl(errf, F_SETFD, 0);
		child_main(spec, go[0], con[1], rec, errf, out->cmdline);
	}
	setpgid(pid, pid);
	close(go[0]);
	close(con[1]);
	bool kvmish = spec->target->kind == TARGET_QEMU_KVM ||
		      (spec->target->kind == TARGET_ENGINE &&
		       !strcmp(spec->target->name, "kvm"));
	pmu_open(&out->pmu, pid, kvmish);
	if (write(go[1], "g", 1) != 1) {
		/* The child died before starting: reaped below. */
	}
	close(go[1]);
	double deadline = 0;
	if (spec->time_limit_s > 0)
		deadline = t0 + spec->time_limit_s +
			   (spec->target->kind == TARGET_ENGINE ?
				    CELL_KILL_GRACE_S : 0);
	if (console_pump(out, con[0], deadline, spec->echo)) {
		out->timed_out = true;
		kill(-pid, SIGKILL);
		kill(pid, SIGKILL);
	}
	child_reap(out, pid, deadline);
	out->wall_s = now_s() - t0;
	pmu_read_close(&out->pmu);
	close(con[0]);
	if (spec->target->kind == TARGET_ENGINE)
		record_read(out, rec);
	else
		stderr_tail_read(out, errf);
	close(rec);
	close(errf);
	return 0;
fail:
	for (int i = 0; i < 2; i++) {
		if (go[i] >= 0)
			close(go[i]);
		if (con[i] >= 0)
			close(con[i]);
	}
	if (rec >= 0)
		close(rec);
	if (errf >= 0)
		close(errf);
	free(out->console);
	out->console = NULL;
	return -1;
}

void cell_outcome_free(struct cell_outcome *o)
{
	free(o->console);
	free(o->roi);
	memset(o, 0, sizeof(*o));
}
