/*
 * Bad guests cannot escape: random bytes run as guest code through the
 * translator (both shadow policies). Whatever they do -- wild stores,
 * stack games, privileged instructions, division by zero, writes to their
 * own code, endless loops (a kicker thread stops those) -- the run must
 * only ever stop with a known stop kind, the host must not crash, a host
 * canary and a guest RAM page mapped nowhere must stay untouched, and
 * guest RAM is reached only through the pages the guest tables map.
 * Deterministic: fixed seeds; a failure names the seed and program.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bt/bt_exec.h"
#include "bt/bt_shadow.h"
#include "machine/guest_mem.h"
#include "machine/x86_state.h"
#include "support/guest_pt.h"

#define RAM (16ull << 20)
#define P 0x1ull
#define RW 0x2ull
#define US 0x4ull
#define CR3 0x100000ull
#define CODE_VA 0x400000ull
#define CODE_GPA 0x200000ull
#define DATA_VA 0x600000ull
#define DATA_GPA 0x210000ull
#define STACK_VA 0x7ff000ull
#define STACK_GPA 0x220000ull
#define SENTINEL_GPA 0x300000ull	/* mapped nowhere */
#define PROGRAMS 150
#define STOPS_PER_PROGRAM 24

static volatile uint64_t host_canary[64];

struct kicker {
	struct bt_vcpu *v;
	volatile int stop;
	pthread_t t;
};

static void *kicker_main(void *arg)
{
	struct kicker *k = arg;
	struct timespec ts = { 0, 2 * 1000 * 1000 };

	while (!k->stop) {
		nanosleep(&ts, NULL);
		bt_vcpu_kick(k->v);
	}
	return NULL;
}

static uint64_t rng_next(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return *s = x;
}

static uint64_t next_table;

static void map4k(struct guest_mem *m, uint64_t va, uint64_t gpa, uint64_t fl)
{
	assert_int_equal(guest_pt_map4k(m, &next_table, CR3, va, gpa, fl), 0);
}

static uint64_t random_reg(uint64_t *seed)
{
	uint64_t r = rng_next(seed);

	switch (r & 3) {
	case 0:
		return DATA_VA + (rng_next(seed) & 0xff8);
	case 1:
		return (uint64_t)(uintptr_t)host_canary; /* a host pointer */
	case 2:
		return r >> 2 & 0xff;
	default:
		return rng_next(seed);
	}
}

static bool stop_known(enum bt_stop_kind k)
{
	return k == BT_STOP_MONITOR || k == BT_STOP_EXCEPTION ||
	       k == BT_STOP_MMIO || k == BT_STOP_KICK || k == BT_STOP_ERROR ||
	       k == BT_STOP_LIMIT;
}

static void fuzz(enum bt_shadow_policy policy, uint64_t seed0)
{
	struct walk_ctx ctx = {
		.cr3 = CR3, .cr0 = X86_CR0_PG | X86_CR0_PE | X86_CR0_WP,
		.cr4 = X86_CR4_PAE, .efer = X86_EFER_LME | X86_EFER_LMA,
	};
	static struct bt_vcpu v;
	struct guest_mem mem;
	struct bt_shadow sh;
	struct kicker k = { .v = &v };
	char err[256];
	uint64_t seed = seed0;
	unsigned stops[16] = { 0 };

	assert_int_equal(guest_mem_create(&mem, RAM, false, err, sizeof(err)), 0);
	next_table = CR3 + 0x1000;
	map4k(&mem, CODE_VA, CODE_GPA, P | RW | US);
	map4k(&mem, DATA_VA, DATA_GPA, P | RW | US);
	map4k(&mem, STACK_VA, STACK_GPA, P | RW | US);
	memset(mem.host + SENTINEL_GPA, 0xa5, 4096);
	for (unsigned i = 0; i < 64; i++)
		host_canary[i] = 0x1234;
	assert_int_equal(bt_shadow_create(&sh, &mem, policy, &ctx, err,
					  sizeof(err)), 0);
	assert_int_equal(bt_vcpu_create(&v, &sh, 4 << 20, err, sizeof(err)), 0);
	assert_int_equal(pthread_create(&k.t, NULL, kicker_main, &k), 0);
	for (unsigned prog = 0; prog < PROGRAMS; prog++) {
		for (unsigned i = 0; i < 4096; i += 8) {
			uint64_t r = rng_next(&seed);

			memcpy(mem.host + CODE_GPA + i, &r, 8);
		}
		/* the code changed behind the translator's back */
		bt_vcpu_note_write(&v, CODE_GPA, 4096);
		v.cpl = 3;
		v.rip = CODE_VA + (rng_next(&seed) & 0xfff);
		for (int r = 0; r < 16; r++)
			v.ctx.gpr[r] = random_reg(&seed);
		v.ctx.gpr[X86_RSP] = STACK_VA + 0x800;
		v.ctx.rflags = rng_next(&seed) & BT_HOST_FLAGS;
		for (unsigned n = 0; n < STOPS_PER_PROGRAM; n++) {
			struct bt_stop s;

			bt_exec_run(&v, 64, &s);
			if (!stop_known(s.kind)) {
				fprintf(stderr, "seed %llu program %u: stop %d\n",
					(unsigned long long)seed0, prog, s.kind);
				fail();
			}
			stops[s.kind]++;
			if (s.kind == BT_STOP_ERROR)
				break;	/* RIP left the layout */
			if (s.kind != BT_STOP_KICK && s.kind != BT_STOP_LIMIT)
				v.rip = s.rip + 1; /* step over what stopped us */
			v.rip = CODE_VA + (v.rip & 0xfff);
		}
	}
	k.stop = 1;
	pthread_join(k.t, NULL);
	for (unsigned i = 0; i < 64; i++)
		assert_true(host_canary[i] == 0x1234);
	for (unsigned i = 0; i < 4096; i++)
		assert_int_equal(mem.host[SENTINEL_GPA + i], 0xa5);
	if (getenv("BT_FUZZ_VERBOSE"))
		fprintf(stderr, "monitor %u exception %u mmio %u kick %u error %u limit %u; translations %llu, code writes %llu, hidden faults %llu, blocks %llu\n", stops[BT_STOP_MONITOR], stops[BT_STOP_EXCEPTION], stops[BT_STOP_MMIO], stops[BT_STOP_KICK], stops[BT_STOP_ERROR], stops[BT_STOP_LIMIT], (unsigned long long)v.cnt.translations, (unsigned long long)v.cnt.code_writes, (unsigned long long)sh.cnt.hidden_faults, (unsigned long long)v.cnt.blocks_run);
	/* the programs really ran and faulted in many ways */
	assert_true(stops[BT_STOP_MONITOR] > 0 && stops[BT_STOP_EXCEPTION] > 0);
	assert_true(v.cnt.translations > PROGRAMS);
	bt_vcpu_destroy(&v);
	bt_shadow_destroy(&sh);
	guest_mem_destroy(&mem);
}

static void test_fuzz_vtlb(void **state)
{
	(void)state;
	fuzz(BT_SHADOW_VTLB, 0x9e3779b97f4a7c15ull);
}

static void test_fuzz_trace(void **state)
{
	(void)state;
	fuzz(BT_SHADOW_TRACE, 0x2545f4914f6cdd1dull);
}

static volatile int usr1_seen;
static volatile uintptr_t usr1_sp;

static void usr1_handler(int sig)
{
	int here;

	(void)sig;
	usr1_seen++;
	usr1_sp = (uintptr_t)&here;
}

struct raiser {
	pthread_t target;
	struct bt_vcpu *v;
};

static void *raise_then_kick(void *arg)
{
	struct raiser *r = arg;
	struct timespec ts = { 0, 5 * 1000 * 1000 };

	nanosleep(&ts, NULL);
	pthread_kill(r->target, SIGUSR1);
	nanosleep(&ts, NULL);
	bt_vcpu_kick(r->v);
	return NULL;
}

/* A signal handler installed without SA_ONSTACK, hit while the guest's
 * RSP points at host memory, must not write its frame there. */
static void test_signal_wild_rsp(void **state)
{
	struct walk_ctx ctx = {
		.cr3 = CR3, .cr0 = X86_CR0_PG | X86_CR0_PE | X86_CR0_WP,
		.cr4 = X86_CR4_PAE, .efer = X86_EFER_LME | X86_EFER_LMA,
	};
	static const uint8_t spin[] = { 0xeb, 0xfe }; /* jmp . */
	static struct bt_vcpu v;
	struct sigaction sa = { 0 }, old;
	struct guest_mem mem;
	struct bt_shadow sh;
	struct raiser r;
	struct bt_stop s;
	pthread_t t;
	char err[256];

	(void)state;
	sa.sa_handler = usr1_handler;	/* no SA_ONSTACK */
	sigaction(SIGUSR1, &sa, &old);
	assert_int_equal(guest_mem_create(&mem, RAM, false, err, sizeof(err)), 0);
	next_table = CR3 + 0x1000;
	map4k(&mem, CODE_VA, CODE_GPA, P | US);
	memcpy(mem.host + CODE_GPA, spin, sizeof(spin));
	for (unsigned i = 0; i < 64; i++)
		host_canary[i] = 0x1234;
	assert_int_equal(bt_shadow_create(&sh, &mem, BT_SHADOW_VTLB, &ctx, err,
					  sizeof(err)), 0);
	assert_int_equal(bt_vcpu_create(&v, &sh, 1 << 20, err, sizeof(err)), 0);
	v.cpl = 3;
	v.rip = CODE_VA;
	v.ctx.gpr[X86_RSP] = (uint64_t)(uintptr_t)&host_canary[48];
	r.target = pthread_self();
	r.v = &v;
	assert_int_equal(pthread_create(&t, NULL, raise_then_kick, &r), 0);
	bt_exec_run(&v, 0, &s);
	pthread_join(t, NULL);
	assert_int_equal(s.kind, BT_STOP_KICK);
	assert_int_equal(usr1_seen, 1);
	assert_true(usr1_sp - (uintptr_t)host_canary > sizeof(host_canary));
	for (unsigned i = 0; i < 64; i++)
		assert_true(host_canary[i] == 0x1234);
	bt_vcpu_destroy(&v);
	bt_shadow_destroy(&sh);
	guest_mem_destroy(&mem);
	sigaction(SIGUSR1, &old, NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fuzz_vtlb),
		cmocka_unit_test(test_fuzz_trace),
		cmocka_unit_test(test_signal_wild_rsp),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
