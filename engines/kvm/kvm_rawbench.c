/*
 * kvm_rawbench.c - the raw exit loops of kvm_rawbench.h.
 *
 * Every guest counts down R8 and ends with HLT at CPL0 (KVM_EXIT_HLT: the
 * tiny VM has no irqchip) or, from CPL3, with a store to the MMIO page.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "kvm/kvm_rawbench.h"
#include "kvm/kvm_tiny.h"

#define RAW_GUEST(name, body)                                                 \
	extern const uint8_t name##_begin[], name##_end[];                   \
	__asm__(".pushsection .rodata\n" #name "_begin:\n" body               \
		"\n" #name "_end:\n.popsection\n")

RAW_GUEST(raw_pio, "mov $0x504, %dx\n"
		   "1: out %al, %dx\n"
		   "dec %r8\n"
		   "jnz 1b\n"
		   "hlt\n");
RAW_GUEST(raw_mmio, "mov $0xc0000000, %rdi\n"
		    "1: movl %eax, (%rdi)\n"
		    "dec %r8\n"
		    "jnz 1b\n"
		    "hlt\n");
RAW_GUEST(raw_cpuid, "1: xor %eax, %eax\n"
		     "xor %ecx, %ecx\n"
		     "cpuid\n"
		     "dec %r8\n"
		     "jnz 1b\n"
		     "hlt\n");
RAW_GUEST(raw_vmcall, "1: mov $0x564d4200, %eax\n"
		      "vmcall\n"
		      "dec %r8\n"
		      "jnz 1b\n"
		      "hlt\n");
RAW_GUEST(raw_loop0, "1: dec %r8\n"
		     "jnz 1b\n"
		     "hlt\n");
/* iretq to CPL3, loop, then an MMIO store (exits from CPL3 everywhere). */
RAW_GUEST(raw_loop3, "lea 2f(%rip), %rax\n"
		     "pushq $0x23\n"
		     "pushq $0x70000\n"
		     "pushq $0x2\n"
		     "pushq $0x1b\n"
		     "pushq %rax\n"
		     "iretq\n"
		     "2: dec %r8\n"
		     "jnz 2b\n"
		     "mov $0xc0000000, %rdi\n"
		     "movl %eax, (%rdi)\n"
		     "3: jmp 3b\n");

static const struct {
	const char *name;
	const uint8_t *begin, *end;
} kRaw[KVM_RAW_NR] = {
	[KVM_RAW_PIO] = { "pio", raw_pio_begin, raw_pio_end },
	[KVM_RAW_MMIO] = { "mmio", raw_mmio_begin, raw_mmio_end },
	[KVM_RAW_CPUID] = { "cpuid", raw_cpuid_begin, raw_cpuid_end },
	[KVM_RAW_VMCALL] = { "vmcall", raw_vmcall_begin, raw_vmcall_end },
	[KVM_RAW_LOOP_CPL0] = { "loop_cpl0", raw_loop0_begin, raw_loop0_end },
	[KVM_RAW_LOOP_CPL3] = { "loop_cpl3", raw_loop3_begin, raw_loop3_end },
	[KVM_RAW_LOOP_HOST] = { "loop_host", NULL, NULL },
};

const char *kvm_raw_kind_name(enum kvm_raw_kind kind)
{
	return (unsigned)kind < KVM_RAW_NR ? kRaw[kind].name : "?";
}

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* The host version of the loop: same two instructions. */
static __attribute__((noinline)) void host_loop(uint64_t n)
{
	__asm__ volatile("1: dec %0\n\tjnz 1b" : "+r"(n));
}

/* One rep: set R8, run until the guest's final exit. */
static int raw_rep(struct kvm_tiny *t, enum kvm_raw_kind kind, uint64_t iters,
		   double *ns, char *err, size_t errlen)
{
	struct kvm_run *run = t->vcpu.run;
	struct kvm_regs r;
	double t0;

	if (kvm_tiny_reset(t, err, errlen) < 0)
		return -1;
	if (kvm_vcpu_regs_get(&t->vcpu, &r) < 0)
		goto fail;
	r.r8 = iters;
	if (kvm_vcpu_regs_set(&t->vcpu, &r) < 0)
		goto fail;
	t0 = now_ns();
	for (;;) {
		if (kvm_vcpu_run(&t->vcpu) < 0)
			goto fail;
		if (run->exit_reason == KVM_EXIT_IO ||
		    (run->exit_reason == KVM_EXIT_MMIO &&
		     kind != KVM_RAW_LOOP_CPL3))
			continue;
		if (run->exit_reason == KVM_EXIT_HLT ||
		    run->exit_reason == KVM_EXIT_MMIO)
			break;
		snprintf(err, errlen, "raw %s: unexpected %s",
			 kvm_raw_kind_name(kind),
			 kvm_exit_reason_name(run->exit_reason));
		return -1;
	}
	*ns = (now_ns() - t0) / (double)iters;
	return 0;
fail:
	snprintf(err, errlen, "raw %s: %s", kvm_raw_kind_name(kind),
		 t->vcpu.err);
	return -1;
}

int kvm_rawbench_run(enum kvm_raw_kind kind, uint64_t iters, unsigned reps,
		     double *ns, char *err, size_t errlen)
{
	struct kvm_tiny t;
	double warm;
	int r = 0;

	if ((unsigned)kind >= KVM_RAW_NR || iters == 0) {
		snprintf(err, errlen, "raw bench: bad kind %d or iters 0",
			 (int)kind);
		return -1;
	}
	if (kind == KVM_RAW_LOOP_HOST) {
		host_loop(iters);
		for (unsigned i = 0; i < reps; i++) {
			double t0 = now_ns();

			host_loop(iters);
			ns[i] = (now_ns() - t0) / (double)iters;
		}
		return 0;
	}
	if (kvm_tiny_create(&t, kRaw[kind].begin,
			    (size_t)(kRaw[kind].end - kRaw[kind].begin), err,
			    errlen) < 0)
		return -1;
	r = raw_rep(&t, kind, iters / 10 ? iters / 10 : 1, &warm, err, errlen);
	for (unsigned i = 0; r == 0 && i < reps; i++)
		r = raw_rep(&t, kind, iters, &ns[i], err, errlen);
	kvm_tiny_destroy(&t);
	return r;
}
