/*
 * Unit tests for engines/bt/bt_fault.c: host faults in a window reach the
 * window's callback with the right offset and error bits; a callback can
 * fill and resume, or rewrite the context (here: skip the instruction,
 * decoded with Zydis, and put a marker in RAX); addresses computed far
 * outside a window with a 32-bit address size still land in it; faults
 * outside every window go to the escape hook, or else to the handler that
 * was installed before (so host bugs still crash as usual).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <Zydis/Zydis.h>

#include "bt/bt_fault.h"
#include "bt/bt_gs.h"
#include "bt/bt_window.h"
#include "machine/guest_mem.h"

#define RAM (4ull << 20)
#define SKIPPED 0x5eed5eed5eed5eedull

struct fixture {
	struct guest_mem mem;
	struct bt_window w;
	uint64_t old_gs;
	/* what the callback saw and how it should answer */
	enum { CB_FILL, CB_SKIP } mode;
	unsigned calls;
	struct bt_fault last;
};

/* Skip the instruction at the interrupted RIP and set RAX = SKIPPED. */
static void context_skip(ucontext_t *uc)
{
	ZydisDecoder dec;
	ZydisDecodedInstruction insn;
	greg_t *g = uc->uc_mcontext.gregs;

	ZydisDecoderInit(&dec, ZYDIS_MACHINE_MODE_LONG_64, ZYDIS_STACK_WIDTH_64);
	if (ZYAN_FAILED(ZydisDecoderDecodeInstruction(
		    &dec, NULL, (void *)g[REG_RIP], 15, &insn)))
		abort();
	g[REG_RIP] += insn.length;
	g[REG_RAX] = (greg_t)SKIPPED;
}

static enum bt_fault_action window_cb(void *opaque, struct bt_fault *fa)
{
	struct fixture *f = opaque;

	f->calls++;
	f->last = *fa;
	if (f->mode == CB_SKIP || fa->in_guard) {
		context_skip(fa->uc);
		return BT_FAULT_REDIRECTED;
	}
	/* identity-ish fill: window page N -> RAM page N mod RAM */
	if (bt_window_map(fa->w, (uint32_t)fa->off & ~0xfffu,
			  (fa->off & ~0xfffull) % RAM, fa->write, 0))
		return BT_FAULT_UNHANDLED;
	return BT_FAULT_RESUME;
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	char err[256];

	if (!f || guest_mem_create(&f->mem, RAM, false, err, sizeof(err)) ||
	    bt_window_create(&f->w, f->mem.fd, f->mem.size, "test", err,
			     sizeof(err)))
		return -1;
	*state = f;
	return 0;
}

/*
 * cmocka installs its own SIGSEGV handler around each test body (after the
 * setup fixture), so the handler under test is installed by the body.
 */
static void arm(struct fixture *f)
{
	char err[256];

	assert_int_equal(bt_fault_install(err, sizeof(err)), 0);
	assert_int_equal(bt_fault_window_add(&f->w, window_cb, f), 0);
	f->old_gs = bt_gs_get();
	bt_gs_set((uint64_t)(uintptr_t)f->w.base);
}

static void disarm(struct fixture *f)
{
	bt_gs_set(f->old_gs);
	bt_fault_window_remove(&f->w);
	bt_fault_uninstall();
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	bt_window_destroy(&f->w);
	guest_mem_destroy(&f->mem);
	free(f);
	return 0;
}

/* 8-byte load / store at %gs:(32-bit address (a)); RAX is the data register
 * so a skipped load reads back SKIPPED. */
static uint64_t gs_load(uint64_t a)
{
	uint64_t v;

	__asm__ volatile("movq %%gs:(%k1), %0" : "=a"(v) : "r"(a) : "memory");
	return v;
}

static uint64_t gs_store(uint64_t a, uint64_t v)
{
	__asm__ volatile("movq %%rax, %%gs:(%k1)"
			 : "+a"(v) : "r"(a) : "memory");
	return v;
}

static void test_fill_and_resume(void **state)
{
	struct fixture *f = *state;
	struct bt_fault_stats before, after;

	arm(f);

	bt_fault_stats_get(&before);
	*(uint64_t *)(f->mem.host + 0x3010) = 0x55aa;
	assert_true(gs_load(0x3010) == 0x55aa);
	assert_int_equal(f->calls, 1);
	assert_true(f->last.w == &f->w && f->last.off == 0x3010);
	assert_false(f->last.write || f->last.present || f->last.in_guard);
	assert_true(gs_load(0x3018) == 0); /* mapped now: no second fault */
	assert_int_equal(f->calls, 1);
	/* a store to the read-only page: present + write */
	gs_store(0x3020, 77);
	assert_int_equal(f->calls, 2);
	assert_true(f->last.write && f->last.present);
	assert_true(*(uint64_t *)(f->mem.host + 0x3020) == 77);
	bt_fault_stats_get(&after);
	assert_true(after.resumed - before.resumed == 2);
	disarm(f);
}

static void test_redirect(void **state)
{
	struct fixture *f = *state;

	arm(f);

	f->mode = CB_SKIP;
	assert_true(gs_load(0x80000000u) == SKIPPED);
	assert_true(f->last.off == 0x80000000u);
	assert_true(gs_store(0x1234, 5) == SKIPPED);
	assert_true(f->last.write && f->last.off == 0x1234);
	assert_int_equal(f->mem.host[0x1234], 0); /* nothing written */
	disarm(f);
}

/* Wild 64-bit addresses are cut to 32 bits: they stay in the window. */
static void test_wild_address_stays_in_window(void **state)
{
	struct fixture *f = *state;
	const uint64_t wild[] = {
		0xdeadbeefcafebab8ull, 0xffff800000000000ull,
		0x00007fffffffe000ull, (uint64_t)(uintptr_t)f, /* a host pointer */
	};

	arm(f);

	f->mode = CB_SKIP;
	for (unsigned i = 0; i < sizeof(wild) / sizeof(wild[0]); i++) {
		f->calls = 0;
		assert_true(gs_store(wild[i], 1) == SKIPPED);
		assert_int_equal(f->calls, 1);
		assert_true(f->last.off == (uint32_t)wild[i]);
	}
	disarm(f);
}

/* An access straddling the window's end faults in the guard. */
static void test_guard_straddle(void **state)
{
	struct fixture *f = *state;

	arm(f);

	assert_int_equal(bt_window_map(&f->w, 0xfffff000u, 0x1000, true, 0), 0);
	assert_true(gs_load(0xfffffffcu) == SKIPPED);
	assert_true(f->last.in_guard);
	assert_true(f->last.off == BT_WINDOW_SIZE);
	disarm(f);
}

static enum bt_fault_action escape_cb(void *opaque, struct bt_fault *fa)
{
	unsigned *n = opaque;

	(*n)++;
	context_skip(fa->uc);
	return BT_FAULT_REDIRECTED;
}

static void test_escape_hook(void **state)
{
	uint8_t *p = mmap(NULL, 4096, PROT_NONE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	unsigned n = 0;
	uint64_t v;

	arm(*state);
	assert_true(p != MAP_FAILED);
	bt_fault_escape_set(escape_cb, &n);
	__asm__ volatile("movq (%1), %0" : "=a"(v) : "r"(p) : "memory");
	bt_fault_escape_set(NULL, NULL);
	assert_int_equal(n, 1);
	assert_true(v == SKIPPED);
	munmap(p, 4096);
	disarm(*state);
}

static sigjmp_buf prev_jmp;
static volatile int prev_calls;

static void prev_handler(int sig, siginfo_t *si, void *uc)
{
	(void)sig, (void)si, (void)uc;
	prev_calls++;
	siglongjmp(prev_jmp, 1);
}

/* A fault no window explains reaches the previously installed handler. */
static void test_pass_on(void **state)
{
	struct sigaction sa = { 0 }, saved;
	uint8_t *p = mmap(NULL, 4096, PROT_NONE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct bt_fault_stats before, after;
	char err[128];

	(void)state;
	assert_true(p != MAP_FAILED);
	sa.sa_sigaction = prev_handler;
	sa.sa_flags = SA_SIGINFO | SA_NODEFER;
	assert_int_equal(sigaction(SIGSEGV, &sa, &saved), 0);
	assert_int_equal(bt_fault_install(err, sizeof(err)), 0);
	bt_fault_stats_get(&before);
	prev_calls = 0;
	if (!sigsetjmp(prev_jmp, 1))
		*(volatile uint8_t *)p = 1;
	bt_fault_stats_get(&after);
	bt_fault_uninstall();
	assert_int_equal(prev_calls, 1);
	assert_true(after.passed_on - before.passed_on == 1);
	sigaction(SIGSEGV, &saved, NULL);
	munmap(p, 4096);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_fill_and_resume, setup, teardown),
		cmocka_unit_test_setup_teardown(test_redirect, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wild_address_stays_in_window,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_guard_straddle, setup, teardown),
		cmocka_unit_test_setup_teardown(test_escape_hook, setup, teardown),
		cmocka_unit_test(test_pass_on),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
