/*
 * bt_timer.h - the clock that interrupts translated code.
 *
 * Guest code runs without returning to C (chained blocks), so a timer
 * interrupt needs something else to stop it: a POSIX timer delivers a
 * real-time signal (BT_TIMER_SIGNAL) to the vCPU's own thread at the
 * armed deadline, straight from the host's timer interrupt, and its
 * handler (on the alternate stack: the host RSP holds the guest's RSP)
 * kicks the vCPU (bt_vcpu_kick), which stops guest code at the next block
 * boundary with its state exact. The engine arms it with the x2APIC's
 * next event and delivers the interrupt when bt_exec_run() returns
 * BT_STOP_KICK. A helper thread would have to be scheduled first, which
 * on a loaded host costs milliseconds.
 *
 * One timer per process at a time (the handler finds it through a
 * global); create and use it on the thread that runs the vCPU.
 */
#ifndef VMB_BT_TIMER_H
#define VMB_BT_TIMER_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct bt_vcpu;

#define BT_TIMER_SIGNAL (SIGRTMIN + 5)

struct bt_timer {
	struct bt_vcpu *v;
	timer_t id;
	bool started;
	struct sigaction old;
	volatile uint64_t deadline_ns;	/* CLOCK_MONOTONIC, 0 = disarmed */
	volatile uint64_t fires;	/* kicks made */
	volatile uint64_t late_ns_max;	/* worst signal lateness seen */
};

/* Create the timer for (v), delivering to the calling thread. Returns 0,
 * or -1 with (err). */
int bt_timer_start(struct bt_timer *t, struct bt_vcpu *v, char *err,
		   size_t errlen);

/* Kick at CLOCK_MONOTONIC time (deadline_ns) (0 disarms). Replaces any
 * earlier deadline; one in the past kicks at once. */
void bt_timer_arm(struct bt_timer *t, uint64_t deadline_ns);

/* Delete the timer and restore the signal's previous action. Safe on a
 * never-started timer. */
void bt_timer_stop(struct bt_timer *t);

/* CLOCK_MONOTONIC now, in ns. */
uint64_t bt_timer_now_ns(void);

#endif /* VMB_BT_TIMER_H */
