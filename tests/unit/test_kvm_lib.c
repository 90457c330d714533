/*
 * test_kvm_lib.c - libkvm against the real /dev/kvm: a tiny long-mode guest
 * doing PIO, MMIO and HLT, the error paths (bad memslot, unsupported
 * capability, triple fault, emulation failure), registers and MSRs, the
 * stats fd and the immediate_exit kick. Every test skips, saying why, where
 * /dev/kvm is missing.
 *
 * The guests are assembled into this binary's .rodata and copied to
 * KVM_TINY_CODE (kvm_tiny.h), so guest and host code sit side by side.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "kvm/kvm_tiny.h"
#include "kvm/libkvm/libkvm.h"

#define GUEST(name, body)                                                     \
	extern const uint8_t name##_begin[], name##_end[];                   \
	__asm__(".pushsection .rodata\n" #name "_begin:\n" body               \
		"\n" #name "_end:\n.popsection\n")

/* out 0x10 <- 0x42; 32-bit MMIO store of 0x1234abcd; hlt. */
GUEST(guest_io, "mov $0x42, %al\n"
		"out %al, $0x10\n"
		"mov $0xc0000008, %rdi\n"
		"movl $0x1234abcd, (%rdi)\n"
		"hlt\n");
/* ud2 with no IDT gate present: #UD -> #NP -> #DF -> shutdown. */
GUEST(guest_triple, "ud2\n");
/* Jump into the MMIO hole: KVM cannot fetch instructions from it. */
GUEST(guest_fetch_mmio, "mov $0xc0000000, %rax\n"
			"jmp *%rax\n");
/* Spin forever (for the kick test). */
GUEST(guest_spin, "1: jmp 1b\n");

#define GUEST_BYTES(name) name##_begin, (size_t)(name##_end - name##_begin)

/* The checked form of a libkvm call, for tests only: fail with its err. */
#define KVM_OK(call, obj)                                                     \
	do {                                                                  \
		if ((call) < 0)                                               \
			fail_msg("%s: %s", #call, (obj)->err);                \
	} while (0)

static int tiny_setup(void **state, const void *code, size_t len)
{
	static struct kvm_tiny t;
	char why[256], err[256];

	*state = NULL;
	if (kvm_available(why, sizeof(why)) < 0)
		return 0;
	if (kvm_tiny_create(&t, code, len, err, sizeof(err)) < 0) {
		print_error("kvm_tiny_create: %s\n", err);
		return -1;
	}
	*state = &t;
	return 0;
}

static int teardown(void **state)
{
	if (*state)
		kvm_tiny_destroy(*state);
	return 0;
}

static struct kvm_tiny *tiny_or_skip(void **state)
{
	char why[256];

	if (!*state) {
		kvm_available(why, sizeof(why));
		print_message("[  SKIPPED ] /dev/kvm unusable: %s\n", why);
		skip();
	}
	return *state;
}

static int setup_io(void **s) { return tiny_setup(s, GUEST_BYTES(guest_io)); }
static int setup_triple(void **s)
{
	return tiny_setup(s, GUEST_BYTES(guest_triple));
}
static int setup_fetch(void **s)
{
	return tiny_setup(s, GUEST_BYTES(guest_fetch_mmio));
}
static int setup_spin(void **s)
{
	return tiny_setup(s, GUEST_BYTES(guest_spin));
}

static void run_pio_mmio_hlt_exitsInOrder(void **state)
{
	struct kvm_tiny *t = tiny_or_skip(state);
	struct kvm_run *run = t->vcpu.run;
	uint32_t v;

	KVM_OK(kvm_vcpu_run(&t->vcpu), &t->vcpu);
	assert_string_equal(kvm_exit_reason_name(run->exit_reason),
			    "KVM_EXIT_IO");
	assert_int_equal(run->io.port, 0x10);
	assert_int_equal(run->io.direction, KVM_EXIT_IO_OUT);
	assert_int_equal(run->io.size, 1);
	assert_int_equal(((uint8_t *)run)[run->io.data_offset], 0x42);

	KVM_OK(kvm_vcpu_run(&t->vcpu), &t->vcpu);
	assert_string_equal(kvm_exit_reason_name(run->exit_reason),
			    "KVM_EXIT_MMIO");
	assert_int_equal(run->mmio.phys_addr, KVM_TINY_MMIO + 8);
	assert_true(run->mmio.is_write);
	assert_int_equal(run->mmio.len, 4);
	memcpy(&v, run->mmio.data, 4);
	assert_int_equal(v, 0x1234abcd);

	KVM_OK(kvm_vcpu_run(&t->vcpu), &t->vcpu);
	assert_string_equal(kvm_exit_reason_name(run->exit_reason),
			    "KVM_EXIT_HLT");
}

static void regs_roundtrip_keepsValues(void **state)
{
	struct kvm_tiny *t = tiny_or_skip(state);
	struct kvm_regs r;
	uint64_t star;

	KVM_OK(kvm_vcpu_regs_get(&t->vcpu, &r), &t->vcpu);
	assert_int_equal(r.rip, KVM_TINY_CODE);
	r.rbx = 0x1122334455667788ull;
	KVM_OK(kvm_vcpu_regs_set(&t->vcpu, &r), &t->vcpu);
	memset(&r, 0, sizeof(r));
	KVM_OK(kvm_vcpu_regs_get(&t->vcpu, &r), &t->vcpu);
	assert_int_equal(r.rbx, 0x1122334455667788ull);

	KVM_OK(kvm_vcpu_msr_set(&t->vcpu, 0xc0000081, 0x0023001000000000ull),
	       &t->vcpu);
	KVM_OK(kvm_vcpu_msr_get(&t->vcpu, 0xc0000081, &star), &t->vcpu);
	assert_int_equal(star, 0x0023001000000000ull);
}

static void msr_unknown_isRefusedByIndex(void **state)
{
	struct kvm_tiny *t = tiny_or_skip(state);
	uint64_t v;

	assert_true(kvm_vcpu_msr_get(&t->vcpu, 0x4b564dff, &v) < 0);
	assert_non_null(strstr(t->vcpu.err, "KVM_GET_MSRS"));
	assert_non_null(strstr(t->vcpu.err, "0x4b564dff"));
}

static void memslot_unaligned_failsNamingIoctl(void **state)
{
	struct kvm_tiny *t = tiny_or_skip(state);
	int r = kvm_vm_memslot_set(&t->vm, 1, 0x10000001, 0x1000,
				   t->ram + 0x100000, 0);

	assert_true(r < 0);
	assert_non_null(strstr(t->vm.err, "KVM_SET_USER_MEMORY_REGION"));
	assert_non_null(strstr(t->vm.err, "Invalid argument"));
}

static void memslot_overlapping_fails(void **state)
{
	struct kvm_tiny *t = tiny_or_skip(state);

	assert_true(kvm_vm_memslot_set(&t->vm, 1, 0x100000, 0x1000,
				       t->ram + 0x100000, 0) < 0);
	assert_non_null(strstr(t->vm.err, "slot 1"));
}

static void cap_unknown_isZeroAndEnableFails(void **state)
{
	struct kvm_tiny *t = tiny_or_skip(state);

	assert_int_equal(kvm_vm_cap_check(&t->vm, 0x7ffff), 0);
	assert_true(kvm_vm_cap_enable(&t->vm, 0x7ffff, 1) < 0);
	assert_non_null(strstr(t->vm.err, "KVM_ENABLE_CAP"));
	assert_true(kvm_vm_sys_cap_check(&t->vm, KVM_CAP_USER_MEMORY) > 0);
}

static void run_triple_fault_isShutdown(void **state)
{
	struct kvm_tiny *t = tiny_or_skip(state);

	KVM_OK(kvm_vcpu_run(&t->vcpu), &t->vcpu);
	assert_string_equal(kvm_exit_reason_name(t->vcpu.run->exit_reason),
			    "KVM_EXIT_SHUTDOWN");
}

static void run_fetch_from_mmio_isEmulationFailure(void **state)
{
	struct kvm_tiny *t = tiny_or_skip(state);
	struct kvm_run *run = t->vcpu.run;

	if (kvm_vm_cap_check(&t->vm, KVM_CAP_EXIT_ON_EMULATION_FAILURE) > 0)
		KVM_OK(kvm_vm_cap_enable(&t->vm,
					 KVM_CAP_EXIT_ON_EMULATION_FAILURE, 1),
		       &t->vm);
	KVM_OK(kvm_vcpu_run(&t->vcpu), &t->vcpu);
	assert_string_equal(kvm_exit_reason_name(run->exit_reason),
			    "KVM_EXIT_INTERNAL_ERROR");
	assert_int_equal(run->internal.suberror,
			 KVM_INTERNAL_ERROR_EMULATION);
}

static void run_immediate_exit_returnsEintr(void **state)
{
	struct kvm_tiny *t = tiny_or_skip(state);

	t->vcpu.run->immediate_exit = 1;
	assert_int_equal(kvm_vcpu_run(&t->vcpu), -EINTR);
	t->vcpu.run->immediate_exit = 0;
}

static void stats_vcpu_countsExits(void **state)
{
	struct kvm_tiny *t = tiny_or_skip(state);
	struct kvm_stats st;
	char err[256];
	int fd = kvm_vcpu_stats_fd_get(&t->vcpu);
	int i;
	uint64_t before;

	if (fd < 0 && fd == -ENOTTY)
		skip();
	assert_true(fd >= 0);
	assert_int_equal(kvm_stats_open(&st, fd, err, sizeof(err)), 0);
	assert_non_null(strstr(st.id, "vcpu"));
	i = kvm_stats_find(&st, "exits");
	assert_true(i >= 0);
	assert_false(kvm_stats_is_hist(&st, (unsigned)i));
	before = kvm_stats_value(&st, (unsigned)i);
	KVM_OK(kvm_vcpu_run(&t->vcpu), &t->vcpu);	/* PIO exit */
	assert_int_equal(kvm_stats_read(&st), 0);
	assert_true(kvm_stats_value(&st, (unsigned)i) > before);
	/* Present everywhere; PVM counts an emulated OUT as insn_emulation
	 * rather than io_exits, so its value is not checked here. */
	assert_true(kvm_stats_find(&st, "io_exits") >= 0);
	kvm_stats_close(&st);
}

static void exit_reason_name_unknownIsNumbered(void **state)
{
	(void)state;
	assert_string_equal(kvm_exit_reason_name(KVM_EXIT_IO), "KVM_EXIT_IO");
	assert_string_equal(kvm_exit_reason_name(9999), "KVM_EXIT_9999");
}

#define T(f, s) cmocka_unit_test_setup_teardown(f, s, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(run_pio_mmio_hlt_exitsInOrder, setup_io),
		T(regs_roundtrip_keepsValues, setup_io),
		T(msr_unknown_isRefusedByIndex, setup_io),
		T(memslot_unaligned_failsNamingIoctl, setup_io),
		T(memslot_overlapping_fails, setup_io),
		T(cap_unknown_isZeroAndEnableFails, setup_io),
		T(run_triple_fault_isShutdown, setup_triple),
		T(run_fetch_from_mmio_isEmulationFailure, setup_fetch),
		T(run_immediate_exit_returnsEintr, setup_spin),
		T(stats_vcpu_countsExits, setup_io),
		cmocka_unit_test(exit_reason_name_unknownIsNumbered),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
