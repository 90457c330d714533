/*
 * pmu.c - perf_event counting with libpfm4 encodings.
 */
#include "pmu.h"

#include <errno.h>
#include <perfmon/pfmlib_perf_event.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "hostinfo.h"
#include "strutil.h"

enum pmu_mode { MODE_ALL, MODE_HOST_ONLY, MODE_GUEST_ONLY };

struct pmu_def {
	const char *name;
	const char *pfm;
	bool hardware;
	enum pmu_mode mode;
	bool guest_split_only;
};

static const struct pmu_def defs[] = {
	{ "host.cycles", "PERF_COUNT_HW_CPU_CYCLES", true, MODE_ALL, false },
	{ "host.instructions", "PERF_COUNT_HW_INSTRUCTIONS", true, MODE_ALL,
	  false },
	{ "host.dtlb_misses", "PERF_COUNT_HW_CACHE_DTLB:READ:MISS", true,
	  MODE_ALL, false },
	{ "host.itlb_misses", "PERF_COUNT_HW_CACHE_ITLB:READ:MISS", true,
	  MODE_ALL, false },
	{ "host.cycles_guest_mode", "PERF_COUNT_HW_CPU_CYCLES", true,
	  MODE_GUEST_ONLY, true },
	{ "host.cycles_host_mode", "PERF_COUNT_HW_CPU_CYCLES", true,
	  MODE_HOST_ONLY, true },
	{ "host.page_faults", "PERF_COUNT_SW_PAGE_FAULTS", false, MODE_ALL,
	  false },
	{ "host.context_switches", "PERF_COUNT_SW_CONTEXT_SWITCHES", false,
	  MODE_ALL, false },
	{ "host.cpu_migrations", "PERF_COUNT_SW_CPU_MIGRATIONS", false,
	  MODE_ALL, false },
	{ "host.task_clock_ns", "PERF_COUNT_SW_TASK_CLOCK", false, MODE_ALL,
	  false },
};

static int pfm_ready(char *why, size_t whylen)
{
	static int state; /* 0 untried, 1 ok, -1 failed */
	static int err;
	if (!state) {
		err = pfm_initialize();
		state = err == PFM_SUCCESS ? 1 : -1;
	}
	if (state < 0)
		snprintf(why, whylen, "libpfm4 pfm_initialize: %s",
			 pfm_strerror(err));
	return state > 0 ? 0 : -1;
}

int pmu_encode(const char *name, struct perf_event_attr *attr, char *why,
	       size_t whylen)
{
	if (pfm_ready(why, whylen))
		return -1;
	memset(attr, 0, sizeof(*attr));
	pfm_perf_encode_arg_t arg;
	memset(&arg, 0, sizeof(arg));
	arg.attr = attr;
	arg.size = sizeof(arg);
	int rc = pfm_get_os_event_encoding(name, PFM_PLM0 | PFM_PLM3,
					   PFM_OS_PERF_EVENT, &arg);
	if (rc != PFM_SUCCESS) {
		snprintf(why, whylen, "libpfm4 cannot encode %s: %s", name,
			 pfm_strerror(rc));
		return -1;
	}
	attr->size = sizeof(*attr);
	return 0;
}

static void counter_open(struct pmu_counter *c, const struct pmu_def *d,
			 pid_t pid, bool inherit, bool pmu_ok,
			 const char *pmu_why)
{
	c->fd = -1;
	c->name = d->name;
	if (d->hardware && !pmu_ok) {
		str_copy(c->why, sizeof(c->why), pmu_why);
		return;
	}
	struct perf_event_attr a;
	if (pmu_encode(d->pfm, &a, c->why, sizeof(c->why)))
		return;
	a.inherit = inherit;
	a.read_format = PERF_FORMAT_TOTAL_TIME_ENABLED |
			PERF_FORMAT_TOTAL_TIME_RUNNING;
	a.exclude_guest = d->mode == MODE_HOST_ONLY;
	a.exclude_host = d->mode == MODE_GUEST_ONLY;
	long fd = syscall(SYS_perf_event_open, &a, pid, -1, -1,
			  PERF_FLAG_FD_CLOEXEC);
	if (fd < 0) {
		snprintf(c->why, sizeof(c->why), "perf_event_open(%s): %s",
			 d->pfm, strerror(errno));
		return;
	}
	c->fd = (int)fd;
	c->available = true;
}

static void set_open(struct pmu_set *s, pid_t pid, bool inherit,
		     bool guest_split)
{
	char pmu_why[HOSTINFO_STR];
	bool pmu_ok = hostinfo_pmu_usable(pmu_why, sizeof(pmu_why));

	memset(s, 0, sizeof(*s));
	for (size_t i = 0; i < sizeof(defs) / sizeof(defs[0]); i++) {
		if (defs[i].guest_split_only && !guest_split)
			continue;
		counter_open(&s->c[s->n++], &defs[i], pid, inherit, pmu_ok,
			     pmu_why);
	}
}

void pmu_open(struct pmu_set *s, pid_t pid, bool guest_split)
{
	set_open(s, pid, true, guest_split);
}

void pmu_open_thread(struct pmu_set *s, bool guest_split)
{
	/* Not inherited: with inherit=1 a read would miss live threads'
	 * counts anyway, and this set is read in the middle of the run. */
	set_open(s, 0, false, guest_split);
}

void pmu_sample(struct pmu_set *s)
{
	for (unsigned i = 0; i < s->n; i++) {
		struct pmu_counter *c = &s->c[i];
		if (c->fd < 0)
			continue;
		uint64_t v[3];
		ssize_t n = read(c->fd, v, sizeof(v));
		if (n != (ssize_t)sizeof(v)) {
			c->available = false;
			snprintf(c->why, sizeof(c->why), "read: %s",
				 n < 0 ? strerror(errno) : "short read");
		} else if (v[2] == 0) {
			c->available = false;
			snprintf(c->why, sizeof(c->why),
				 "counter never scheduled (PMU busy)");
		} else {
			/* Multiplexed: scale by enabled/running time. */
			c->available = true;
			c->value = v[2] == v[1] ?
					   v[0] :
					   (uint64_t)((double)v[0] * (double)v[1] /
						      (double)v[2]);
		}
	}
}

void pmu_close(struct pmu_set *s)
{
	for (unsigned i = 0; i < s->n; i++) {
		if (s->c[i].fd >= 0)
			close(s->c[i].fd);
		s->c[i].fd = -1;
	}
}

void pmu_read_close(struct pmu_set *s)
{
	pmu_sample(s);
	pmu_close(s);
}
