/*
 * kvm_run.c - the kvm engine's exit loop and its time limit.
 *
 * KVM_RUN returns on every exit KVM leaves to user space; the loop is a
 * switch on the exit reason (PIO and MMIO go to the machine's device bus,
 * the rest end the run with a described result). A POSIX timer sends
 * KVM_KICK_SIGNAL to this thread; its handler sets kvm_run->immediate_exit
 * so a kick that lands just before KVM_RUN is not lost, and KVM_RUN returns
 * -EINTR. Kicks come every KVM_KICK_MS (PVM: PVM_WATCHDOG_MS) and at the
 * wall-time limit; each one checks for HLT with IF=0 (never wakes), the
 * deadline and, on PVM, the VMCALL livelock.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "kvm/kvm_engine.h"
#include "kvm/kvm_guest_mem.h"
#include "kvm/kvm_state.h"

#define KVM_KICK_SIGNAL (SIGRTMIN + 4)
/* Kick period off PVM: a halted-for-good vCPU is noticed this fast. */
#define KVM_KICK_MS 250

/* The kvm_run of the vCPU this thread is running (for the handler). */
static __thread struct kvm_run *volatile tls_run;

static void kvm_kick_handler(int sig)
{
	struct kvm_run *run = tls_run;

	(void)sig;
	if (run)
		run->immediate_exit = 1;
}

int kvm_kick_signal_install(void)
{
	static int installed;
	struct sigaction sa;

	if (installed)
		return 0;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = kvm_kick_handler;
	sigemptyset(&sa.sa_mask);
	if (sigaction(KVM_KICK_SIGNAL, &sa, NULL) < 0)
		return -errno;
	installed = 1;
	return 0;
}

static double mono_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Arm a periodic kick every (period_s) at this thread; 0 or -1. */
static int kick_timer_arm(struct kvm_engine *k, double period_s)
{
	struct sigevent sev;
	struct itimerspec its;

	/* Made per run: the signal goes to the thread calling run(). */
	memset(&sev, 0, sizeof(sev));
	sev.sigev_notify = SIGEV_THREAD_ID;
	sev.sigev_signo = KVM_KICK_SIGNAL;
	sev._sigev_un._tid = (pid_t)syscall(SYS_gettid);
	if (timer_create(CLOCK_MONOTONIC, &sev, &k->timer) < 0)
		return -1;
	k->timer_ok = true;
	its.it_value.tv_sec = (time_t)period_s;
	its.it_value.tv_nsec = (long)((period_s - (double)(time_t)period_s) *
				      1e9);
	if (its.it_value.tv_sec == 0 && its.it_value.tv_nsec == 0)
		its.it_value.tv_nsec = 1;
	its.it_interval = its.it_value;
	return timer_settime(k->timer, 0, &its, NULL);
}

static void kick_timer_disarm(struct kvm_engine *k)
{
	struct itimerspec off;

	memset(&off, 0, sizeof(off));
	if (k->timer_ok) {
		timer_settime(k->timer, 0, &off, NULL);
		timer_delete(k->timer);
		k->timer_ok = false;
	}
}

/* Fill x->regs/rip (and CR2 as fault_addr) from the vCPU. */
static void exit_regs_fill(struct kvm_engine *k, struct run_exit *x)
{
	x->regs_valid = kvm_state_save(&k->vcpu, &x->regs) == 0;
	if (x->regs_valid) {
		x->rip = x->regs.rip;
		if (!x->fault_addr)
			x->fault_addr = x->regs.cr2;
	}
}

static void exit_insn_bytes(struct kvm_engine *k, uint64_t rip, char *out,
			    size_t outlen)
{
	struct kvm_sregs sr;

	if (kvm_vcpu_sregs_get(&k->vcpu, &sr) < 0)
		snprintf(out, outlen, "(sregs: %.40s)", k->vcpu.err);
	else
		kvm_guest_insn_format(k->m, &sr, rip, 15, out, outlen);
}

static void exit_io(struct kvm_engine *k)
{
	struct kvm_run *run = k->vcpu.run;
	uint8_t *data = (uint8_t *)run + run->io.data_offset;
	bool out = run->io.direction == KVM_EXIT_IO_OUT;

	k->user_traps.count[TRAP_PIO]++;
	for (uint32_t i = 0; i < run->io.count; i++)
		io_bus_access(k->m, IO_SPACE_PIO, run->io.port,
			      data + i * run->io.size, run->io.size, out);
}

static void exit_mmio(struct kvm_engine *k)
{
	struct kvm_run *run = k->vcpu.run;

	k->user_traps.count[TRAP_MMIO]++;
	io_bus_access(k->m, IO_SPACE_MMIO, run->mmio.phys_addr,
		      run->mmio.data, run->mmio.len, run->mmio.is_write);
}

/* KVM_EXIT_INTERNAL_ERROR that no accommodation took. */
static void exit_internal(struct kvm_engine *k, struct run_exit *x)
{
	struct kvm_run *run = k->vcpu.run;
	char bytes[64] = "";
	size_t off = 0;

	exit_regs_fill(k, x);
	if (run->internal.suberror == KVM_INTERNAL_ERROR_EMULATION &&
	    (run->emulation_failure.flags &
	     KVM_INTERNAL_ERROR_EMULATION_FLAG_INSTRUCTION_BYTES)) {
		for (unsigned i = 0; i < run->emulation_failure.insn_size &&
				     i < 15; i++)
			off += (size_t)snprintf(bytes + off, sizeof(bytes) - off,
						"%s%02x", i ? " " : "",
						run->emulation_failure.insn_bytes[i]);
	} else {
		exit_insn_bytes(k, x->rip, bytes, sizeof(bytes));
	}
	if (run->internal.suberror == KVM_INTERNAL_ERROR_EMULATION) {
		x->reason = RUN_EXIT_UNSUPPORTED_INSN;
		snprintf(x->message, sizeof(x->message), "KVM could not "
			 "emulate the instruction at rip 0x%llx (CPL%u, "
			 "backend %s): bytes %s (KVM_EXIT_INTERNAL_ERROR, "
			 "suberror 1)", (unsigned long long)x->rip,
			 x->regs.seg[X86_CS].dpl,
			 kvm_backend_name(k->backend.kind), bytes);
		return;
	}
	x->reason = RUN_EXIT_INTERNAL_ERROR;
	snprintf(x->message, sizeof(x->message), "KVM_EXIT_INTERNAL_ERROR "
		 "suberror %u at rip 0x%llx (backend %s), ndata %u, data[0] "
		 "0x%llx, bytes %s", run->internal.suberror,
		 (unsigned long long)x->rip, kvm_backend_name(k->backend.kind),
		 run->internal.ndata,
		 (unsigned long long)(run->internal.ndata ?
				      run->internal.data[0] : 0), bytes);
}

/*
 * Handle the exit in kvm_run. Returns 0 to re-enter, 1 when the run ends
 * with (x) filled, -1 on a host-side failure.
 */
static int exit_handle(struct kvm_engine *k, struct run_exit *x)
{
	struct kvm_run *run = k->vcpu.run;
	char bytes[64];
	int r;

	switch (run->exit_reason) {
	case KVM_EXIT_IO:
		exit_io(k);
		return 0;
	case KVM_EXIT_MMIO:
		exit_mmio(k);
		return 0;
	case KVM_EXIT_HLT:
		k->user_traps.count[TRAP_HLT]++;
		exit_regs_fill(k, x);
		x->reason = RUN_EXIT_HALTED;
		snprintf(x->message, sizeof(x->message), "HLT at rip 0x%llx "
			 "with no in-kernel irqchip to wake the vCPU",
			 (unsigned long long)x->rip);
		return 1;
	case KVM_EXIT_SHUTDOWN:
		exit_regs_fill(k, x);
		x->reason = RUN_EXIT_TRIPLE_FAULT;
		exit_insn_bytes(k, x->rip, bytes, sizeof(bytes));
		snprintf(x->message, sizeof(x->message), "triple fault "
			 "(KVM_EXIT_SHUTDOWN) at rip 0x%llx, cr2 0x%llx, "
			 "bytes %s", (unsigned long long)x->rip,
			 (unsigned long long)x->regs.cr2, bytes);
		return 1;
	case KVM_EXIT_INTERNAL_ERROR:
		r = pvm_internal_error_handle(&k->pvm, &k->vcpu, k->m, x);
		if (r == 1)
			return 0;
		if (r < 0) {
			exit_regs_fill(k, x);
			x->reason = RUN_EXIT_GUEST_FAULT;
			return 1;
		}
		exit_internal(k, x);
		return 1;
	case KVM_EXIT_FAIL_ENTRY:
		exit_regs_fill(k, x);
		x->reason = RUN_EXIT_INTERNAL_ERROR;
		snprintf(x->message, sizeof(x->message), "KVM_EXIT_FAIL_ENTRY: "
			 "hardware entry failure reason 0x%llx at rip 0x%llx",
			 (unsigned long long)
				 run->fail_entry.hardware_entry_failure_reason,
			 (unsigned long long)x->rip);
		return 1;
	default:
		k->user_traps.count[TRAP_OTHER]++;
		exit_regs_fill(k, x);
		x->reason = RUN_EXIT_INTERNAL_ERROR;
		snprintf(x->message, sizeof(x->message), "unhandled exit %s at "
			 "rip 0x%llx", kvm_exit_reason_name(run->exit_reason),
			 (unsigned long long)x->rip);
		return 1;
	}
}

/* True when the vCPU sleeps in HLT with interrupts off: it never wakes. */
static bool vcpu_halted_for_good(struct kvm_engine *k)
{
	struct kvm_mp_state mp;
	struct kvm_regs r;

	if (kvm_vcpu_mp_state_get(&k->vcpu, &mp) < 0 ||
	    kvm_vcpu_regs_get(&k->vcpu, &r) < 0)
		return false;
	return mp.mp_state == KVM_MP_STATE_HALTED &&
	       !(r.rflags & X86_RFLAGS_IF);
}

/* A kick arrived: HLT with IF=0, time limit, PVM livelock, or nothing to
 * do (0). */
static int kick_handle(struct kvm_engine *k, double deadline, double limit,
		       struct run_exit *x)
{
	int r;

	if (vcpu_halted_for_good(k)) {
		exit_regs_fill(k, x);
		x->reason = RUN_EXIT_HALTED;
		snprintf(x->message, sizeof(x->message), "HLT with IF=0 at "
			 "rip 0x%llx: the vCPU never wakes",
			 (unsigned long long)x->rip);
		return 1;
	}
	if (deadline > 0 && mono_now() >= deadline) {
		exit_regs_fill(k, x);
		x->reason = RUN_EXIT_TIME_LIMIT;
		snprintf(x->message, sizeof(x->message), "wall-time limit "
			 "%.3f s reached at rip 0x%llx", limit,
			 (unsigned long long)x->rip);
		return 1;
	}
	if (!k->pvm.active)
		return 0;
	r = pvm_watchdog_check(&k->pvm, &k->vcpu, k->m,
			       kvm_engine_emulations(k), x);
	if (r == 1)
		exit_regs_fill(k, x);
	return r;
}

int kvm_engine_run(struct engine *e, struct run_exit *x)
{
	struct kvm_engine *k = e->priv;
	double limit = e->cfg.time_limit_s, period = 0, deadline = 0, watch;
	int rc = 0, r;

	memset(x, 0, sizeof(*x));
	if (pvm_cmdline_check(&k->pvm, e->cfg.machine.cmdline, x))
		return 0;
	if (limit > 0) {
		deadline = mono_now() + limit;
		period = limit;
	}
	/* Kick at least every KVM_KICK_MS (PVM: PVM_WATCHDOG_MS) to notice
	 * a vCPU halted for good; the deadline is checked at each kick. */
	watch = (k->pvm.active ? PVM_WATCHDOG_MS : KVM_KICK_MS) / 1e3;
	if (period == 0 || period > watch)
		period = watch;
	tls_run = k->vcpu.run;
	if (period > 0 && kick_timer_arm(k, period) < 0) {
		snprintf(x->message, sizeof(x->message), "kvm: timer_create/"
			 "settime: %s", strerror(errno));
		tls_run = NULL;
		x->reason = RUN_EXIT_INTERNAL_ERROR;
		return -1;
	}
	for (;;) {
		if (k->m->exit_requested) {
			x->reason = RUN_EXIT_GUEST;
			x->status = k->m->exit_status;
			exit_regs_fill(k, x);
			break;
		}
		r = kvm_vcpu_run(&k->vcpu);
		if (r == -EINTR) {
			k->vcpu.run->immediate_exit = 0;
			rc = kick_handle(k, deadline, limit, x);
			if (rc < 0)
				x->reason = RUN_EXIT_INTERNAL_ERROR;
			if (rc)
				break;
			continue;
		}
		if (r < 0) {
			x->reason = RUN_EXIT_INTERNAL_ERROR;
			exit_regs_fill(k, x);
			snprintf(x->message, sizeof(x->message), "kvm: %s",
				 k->vcpu.err);
			rc = -1;
			break;
		}
		if (k->vcpu.run->exit_reason < KVM_ENGINE_EXIT_REASONS)
			k->user_exits[k->vcpu.run->exit_reason]++;
		rc = exit_handle(k, x);
		if (rc)
			break;
	}
	kick_timer_disarm(k);
	k->vcpu.run->immediate_exit = 0;
	tls_run = NULL;
	return rc < 0 ? -1 : 0;
}
