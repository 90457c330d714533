/*
 * test_kvm_engine.c - what only the kvm engine does, on the real /dev/kvm
 * through engine.h, with the tiny guests of support/tiny_guest.h: its
 * counters (KVM's binary stats), its description and options (host page
 * size, irqchip), VMCALL (unsupported on PVM, -1000 elsewhere), INT 0x80
 * at CPL0 (the VMM delivers it on PVM) and a fetch from MMIO (an
 * emulation failure naming the bytes). What every engine must do alike is
 * in test_engine_conformance.c. Skipped, saying why, without /dev/kvm.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "engine.h"
#include "support/tiny_guest.h"
#include "kvm/kvm_backend.h"
#include "vmb_abi.h"

/* The kvm engine on (g) (options "host-pages=..." etc. may be NULL), or
 * skip saying why without a usable /dev/kvm. */
static struct engine *kvm_or_skip(const struct tiny_guest *g,
				  double time_limit)
{
	struct engine *e;
	char why[512] = "";
	int rc = tiny_engine_create("kvm", NULL, g, time_limit, &e, why,
				    sizeof(why));

	if (rc == 0) {
		print_message("[  SKIPPED ] kvm engine unusable: %s\n", why);
		skip();
	}
	if (rc < 0)
		fail_msg("kvm: %s", why);
	return e;
}

static enum kvm_backend_kind backend(void)
{
	struct kvm_backend b;

	kvm_backend_detect(&b);
	return b.kind;
}

static void ports_countersAreKvms(void **state)
{
	struct engine *e = kvm_or_skip(&tiny_ports, 10);
	struct engine_counters c;
	const struct engine_stat *s;
	struct run_exit x;

	(void)state;
	assert_int_equal(engine_run(e, &x), 0);
	assert_int_equal(x.reason, RUN_EXIT_GUEST);
	engine_counters(e, &c);
	assert_false(c.instructions_valid);
	s = engine_stat_find(&c, "user_exit_io");
	assert_non_null(s);
	assert_int_equal(s->value, 5);
	assert_non_null(engine_stat_find(&c, "exits"));
	assert_non_null(engine_stat_find(&c, "pf_fixed"));
	assert_null(engine_stat_find(&c, "halt_wait_hist"));
	engine_destroy(e);
}

/* host-pages=2m: works when the host has free 2 MiB pages, else a clear
 * error naming vm.nr_hugepages (never a silent fallback to 4 KiB). */
static void hostpages_2m_runsOrSaysWhy(void **state)
{
	struct engine *e = kvm_or_skip(&tiny_ports, 10);
	struct run_exit x;
	char err[512], buf[512];

	(void)state;
	engine_destroy(e);	/* kvm is usable: now with 2 MiB host pages */
	if (tiny_engine_create("kvm", "host-pages=2m", &tiny_ports, 10, &e, err,
			       sizeof(err)) < 0) {
		assert_non_null(strstr(err, "host-pages=2m"));
		assert_non_null(strstr(err, "nr_hugepages"));
		return;
	}
	e->ops->describe(e, buf, sizeof(buf));
	assert_non_null(strstr(buf, "host-pages=2m"));
	assert_true(e->m->mem.hugepages);
	assert_int_equal(engine_run(e, &x), 0);
	assert_int_equal(x.reason, RUN_EXIT_GUEST);
	assert_int_equal(x.status, 7);
	engine_destroy(e);
}

static void options_bad_areRejected(void **state)
{
	struct engine *e = kvm_or_skip(&tiny_ports, 10);
	char err[512];

	(void)state;
	engine_destroy(e);
	assert_true(tiny_engine_create("kvm", "host-pages=1g", &tiny_ports, 10,
				       &e, err, sizeof(err)) < 0);
	assert_non_null(strstr(err, "host-pages=1g"));
	assert_true(tiny_engine_create("kvm", "irqchip=pic", &tiny_ports, 10,
				       &e, err, sizeof(err)) < 0);
	assert_non_null(strstr(err, "irqchip=pic"));
}

static void describe_namesBackend(void **state)
{
	struct engine *e = kvm_or_skip(&tiny_ports, 10);
	char buf[512];
	struct kvm_backend b;

	(void)state;
	kvm_backend_detect(&b);
	e->ops->describe(e, buf, sizeof(buf));
	assert_non_null(strstr(buf, kvm_backend_name(b.kind)));
	assert_non_null(strstr(buf, "host-pages=4k"));
	assert_non_null(strstr(buf, b.kind == KVM_BACKEND_PVM ?
					    "pvm-accommodations=on" :
					    "pvm-accommodations=off"));
	engine_destroy(e);
}

static void vmcall_isUnsupportedOnPvmElseEnosys(void **state)
{
	struct engine *e = kvm_or_skip(&tiny_vmcall, 10);
	struct engine_counters c;
	struct run_exit x;

	(void)state;
	assert_int_equal(engine_run(e, &x), 0);
	if (backend() == KVM_BACKEND_PVM) {
		assert_int_equal(x.reason, RUN_EXIT_UNSUPPORTED_ON_BACKEND);
		assert_non_null(strstr(x.message,
				       "unsupported on this backend"));
		engine_counters(e, &c);
		assert_int_equal(engine_stat_find(&c, "pvm_vmcall_refused")
					 ->value, 1);
	} else {
		assert_int_equal(x.reason, RUN_EXIT_GUEST);
		assert_int_equal(x.status, (uint32_t)VMB_HC_ENOSYS);
	}
	engine_destroy(e);
}

static void fetch_from_mmio_isUnsupportedInsnWithBytes(void **state)
{
	struct engine *e = kvm_or_skip(&tiny_fetch_mmio, 10);
	struct run_exit x;

	(void)state;
	assert_int_equal(engine_run(e, &x), 0);
	assert_int_equal(x.reason, RUN_EXIT_UNSUPPORTED_INSN);
	assert_non_null(strstr(x.message, "bytes"));
	assert_non_null(strstr(x.message, "0xc0000000"));
	engine_destroy(e);
}

/* On PVM the VMM delivers INT at CPL0 itself (pvm_int_emulated). */
static void int80_atCpl0_isEmulatedOnPvm(void **state)
{
	struct engine *e = kvm_or_skip(&tiny_int80, 10);
	struct engine_counters c;
	struct run_exit x;

	(void)state;
	assert_int_equal(engine_run(e, &x), 0);
	assert_int_equal(x.reason, RUN_EXIT_GUEST);
	engine_counters(e, &c);
	if (backend() == KVM_BACKEND_PVM)
		assert_int_equal(engine_stat_find(&c, "pvm_int_emulated")
					 ->value, 1);
	else
		assert_null(engine_stat_find(&c, "pvm_int_emulated"));
	engine_destroy(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(ports_countersAreKvms),
		cmocka_unit_test(describe_namesBackend),
		cmocka_unit_test(hostpages_2m_runsOrSaysWhy),
		cmocka_unit_test(options_bad_areRejected),
		cmocka_unit_test(vmcall_isUnsupportedOnPvmElseEnosys),
		cmocka_unit_test(fetch_from_mmio_isUnsupportedInsnWithBytes),
		cmocka_unit_test(int80_atCpl0_isEmulatedOnPvm),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
