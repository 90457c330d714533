/*
 * bt_timer.c - POSIX timer + real-time signal that kicks a vCPU
 * (bt_timer.h).
 */
#include "bt/bt_timer.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "bt/bt_exec.h"

static struct bt_timer *volatile active;

uint64_t bt_timer_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void timer_signal(int sig, siginfo_t *si, void *uc)
{
	struct bt_timer *t = active;
	int saved = errno;

	(void)sig, (void)si, (void)uc;
	if (t && t->deadline_ns) {
		uint64_t now = bt_timer_now_ns();

		if (now > t->deadline_ns && now - t->deadline_ns > t->late_ns_max)
			t->late_ns_max = now - t->deadline_ns;
		t->deadline_ns = 0;
		t->fires++;
		bt_vcpu_kick(t->v);
	}
	errno = saved;
}

int bt_timer_start(struct bt_timer *t, struct bt_vcpu *v, char *err,
		   size_t errlen)
{
	struct sigevent ev;
	struct sigaction sa;

	memset(t, 0, sizeof(*t));
	t->v = v;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = timer_signal;
	sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_RESTART;
	sigemptyset(&sa.sa_mask);
	if (sigaction(BT_TIMER_SIGNAL, &sa, &t->old)) {
		snprintf(err, errlen, "bt: timer signal: %s", strerror(errno));
		return -1;
	}
	memset(&ev, 0, sizeof(ev));
	ev.sigev_notify = SIGEV_THREAD_ID;
	ev.sigev_signo = BT_TIMER_SIGNAL;
	ev._sigev_un._tid = gettid(); /* sigev_notify_thread_id */
	if (timer_create(CLOCK_MONOTONIC, &ev, &t->id)) {
		snprintf(err, errlen, "bt: timer_create: %s", strerror(errno));
		sigaction(BT_TIMER_SIGNAL, &t->old, NULL);
		return -1;
	}
	t->started = true;
	active = t;
	return 0;
}

void bt_timer_arm(struct bt_timer *t, uint64_t deadline_ns)
{
	struct itimerspec its = { 0 };

	t->deadline_ns = deadline_ns;
	if (deadline_ns) {
		its.it_value.tv_sec = (time_t)(deadline_ns / 1000000000ull);
		its.it_value.tv_nsec = (long)(deadline_ns % 1000000000ull);
	}
	timer_settime(t->id, TIMER_ABSTIME, &its, NULL);
}

void bt_timer_stop(struct bt_timer *t)
{
	if (!t->started)
		return;
	timer_delete(t->id);
	if (active == t)
		active = NULL;
	sigaction(BT_TIMER_SIGNAL, &t->old, NULL);
	t->started = false;
}
