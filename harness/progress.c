/*
 * progress.c - terminal progress line with ETA.
 */
#include "progress.h"

#include <stdio.h>
#include <time.h>
#include <unistd.h>

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void mmss(char *buf, size_t len, double s)
{
	unsigned t = s > 0 ? (unsigned)s : 0;
	snprintf(buf, len, "%u:%02u", t / 60, t % 60);
}

void progress_start(struct progress *p, unsigned total)
{
	p->total = total;
	p->done = 0;
	p->t0 = now_s();
	p->tty = isatty(2);
}

void progress_show(struct progress *p, const char *engine,
		   const char *workload, int rep, int reps, bool warmup)
{
	if (!p->tty)
		return;
	double el = now_s() - p->t0;
	char e[16], eta[16];
	mmss(e, sizeof(e), el);
	if (p->done)
		mmss(eta, sizeof(eta),
		     el / p->done * (double)(p->total - p->done));
	else
		snprintf(eta, sizeof(eta), "?");
	fprintf(stderr, "\r\033[K[%3u/%u] %s %s %s %d/%d  elapsed %s  ETA %s",
		p->done + 1, p->total, engine, workload,
		warmup ? "warm-up" : "rep", rep, reps, e, eta);
	fflush(stderr);
}

void progress_step(struct progress *p)
{
	p->done++;
}

void progress_clear(struct progress *p)
{
	if (p->tty) {
		fprintf(stderr, "\r\033[K");
		fflush(stderr);
	}
}
