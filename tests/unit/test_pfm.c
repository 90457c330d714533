/*
 * test_pfm.c - libpfm4 event encoding, host counters on a child, and the
 * "no PMU here" path (simulated with a fake sysfs root).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "hostinfo.h"
#include "pmu.h"

static void encode_genericEvents_perfTypes(void **state)
{
	(void)state;
	struct perf_event_attr a;
	char why[256];
	assert_int_equal(pmu_encode("PERF_COUNT_HW_CPU_CYCLES", &a, why,
				    sizeof(why)), 0);
	assert_int_equal(a.type, PERF_TYPE_HARDWARE);
	assert_int_equal(a.config, PERF_COUNT_HW_CPU_CYCLES);
	assert_int_equal(pmu_encode("PERF_COUNT_HW_INSTRUCTIONS", &a, why,
				    sizeof(why)), 0);
	assert_int_equal(a.config, PERF_COUNT_HW_INSTRUCTIONS);
	assert_int_equal(pmu_encode("PERF_COUNT_SW_PAGE_FAULTS", &a, why,
				    sizeof(why)), 0);
	assert_int_equal(a.type, PERF_TYPE_SOFTWARE);
	assert_int_equal(a.config, PERF_COUNT_SW_PAGE_FAULTS);
	assert_int_equal(pmu_encode("PERF_COUNT_HW_CACHE_DTLB:READ:MISS", &a,
				    why, sizeof(why)), 0);
	assert_int_equal(a.type, PERF_TYPE_HW_CACHE);
	assert_int_equal(a.config, PERF_COUNT_HW_CACHE_DTLB |
					   (PERF_COUNT_HW_CACHE_OP_READ << 8) |
					   (PERF_COUNT_HW_CACHE_RESULT_MISS << 16));
}

static void encode_unknownEvent_saysWhy(void **state)
{
	(void)state;
	struct perf_event_attr a;
	char why[256];
	assert_int_equal(pmu_encode("NO_SUCH_EVENT_XYZ", &a, why, sizeof(why)),
			 -1);
	assert_non_null(strstr(why, "NO_SUCH_EVENT_XYZ"));
}

static const struct pmu_counter *counter(const struct pmu_set *s,
					 const char *name)
{
	for (unsigned i = 0; i < s->n; i++)
		if (!strcmp(s->c[i].name, name))
			return &s->c[i];
	return NULL;
}

/* Count a child that touches 64 fresh pages. */
static void count_child(struct pmu_set *s, bool split)
{
	int go[2];
	assert_int_equal(pipe(go), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		char c;
		close(go[1]);
		if (read(go[0], &c, 1) != 1)
			_exit(1);
		char *p = malloc(64 << 12);
		for (int i = 0; i < 64; i++)
			p[i << 12] = (char)i;
		_exit(p[4096] == 1 ? 0 : 2);
	}
	close(go[0]);
	pmu_open(s, pid, split);
	assert_int_equal(write(go[1], "g", 1), 1);
	close(go[1]);
	int st;
	waitpid(pid, &st, 0);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	pmu_read_close(s);
}

static void softwareEvents_alwaysCounted(void **state)
{
	(void)state;
	struct pmu_set s;
	count_child(&s, false);
	const struct pmu_counter *pf = counter(&s, "host.page_faults");
	assert_non_null(pf);
	assert_true(pf->available);
	assert_true(pf->value >= 32);
	assert_null(counter(&s, "host.cycles_guest_mode"));
	const struct pmu_counter *cyc = counter(&s, "host.cycles");
	assert_non_null(cyc);
	/* Either counted, or unavailable with a reason: never a silent 0. */
	if (cyc->available)
		assert_true(cyc->value > 0);
	else
		assert_true(strlen(cyc->why) > 10);
}

/* Per-thread sampling: two samples bracket exactly this thread's work. */
static void threadSet_samplesBracketWork(void **state)
{
	(void)state;
	struct pmu_set s;
	pmu_open_thread(&s, false);
	const struct pmu_counter *pf = counter(&s, "host.page_faults");
	const struct pmu_counter *clk = counter(&s, "host.task_clock_ns");
	assert_non_null(pf);
	assert_non_null(clk);
	pmu_sample(&s);
	assert_true(pf->available);
	assert_true(clk->available);
	uint64_t pf0 = pf->value, clk0 = clk->value;

	char *p = mmap(NULL, 64 << 12, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(p != MAP_FAILED);
	for (int i = 0; i < 64; i++)
		p[i << 12] = (char)i;
	pmu_sample(&s);
	assert_true(pf->value - pf0 >= 64);
	assert_true(clk->value > clk0);
	uint64_t pf1 = pf->value;

	/* Pages touched by another process are not this thread's. */
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		for (int i = 0; i < 64; i++)
			p[i << 12] = (char)(i + 1);
		_exit(0);
	}
	int st;
	waitpid(pid, &st, 0);
	pmu_sample(&s);
	assert_true(pf->value - pf1 < 32);

	pmu_close(&s);
	for (unsigned i = 0; i < s.n; i++)
		assert_int_equal(s.c[i].fd, -1);
	/* Values survive the close; sampling a closed set changes nothing. */
	uint64_t last = pf->value;
	pmu_sample(&s);
	assert_int_equal(pf->value, last);
	munmap(p, 64 << 12);
}

static void fakeRootWithoutPmu_hardwareUnavailableWithReason(void **state)
{
	(void)state;
	char dir[] = "/tmp/vmb-test-pmu-XXXXXX";
	assert_non_null(mkdtemp(dir));
	setenv("VMB_HOST_ROOT", dir, 1);
	char why[256];
	assert_false(hostinfo_pmu_usable(why, sizeof(why)));
	assert_non_null(strstr(why, "no hardware PMU"));
	struct pmu_set s;
	count_child(&s, true);
	for (unsigned i = 0; i < s.n; i++) {
		bool hw = strstr(s.c[i].name, "cycles") ||
			  strstr(s.c[i].name, "instructions") ||
			  strstr(s.c[i].name, "tlb");
		if (hw) {
			assert_false(s.c[i].available);
			assert_non_null(strstr(s.c[i].why, "no hardware PMU"));
		} else {
			assert_true(s.c[i].available);
		}
	}
	assert_non_null(counter(&s, "host.cycles_guest_mode"));
	unsetenv("VMB_HOST_ROOT");
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(encode_genericEvents_perfTypes),
		cmocka_unit_test(encode_unknownEvent_saysWhy),
		cmocka_unit_test(softwareEvents_alwaysCounted),
		cmocka_unit_test(threadSet_samplesBracketWork),
		cmocka_unit_test(fakeRootWithoutPmu_hardwareUnavailableWithReason),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
