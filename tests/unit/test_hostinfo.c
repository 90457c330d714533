/*
 * test_hostinfo.c - host probes against a fake /proc, /sys and /dev
 * (VMB_HOST_ROOT): no /dev/kvm, an unusable /dev/kvm, each KVM backend,
 * and `vmbench info` on a host without KVM and PMU.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <cmocka.h>

#include "cli.h"
#include "hostinfo.h"

static char root[64];

static void file_put(const char *rel, const char *text)
{
	char p[256], cmd[320];
	snprintf(p, sizeof(p), "%s%s", root, rel);
	snprintf(cmd, sizeof(cmd), "mkdir -p \"$(dirname %s)\"", p);
	assert_int_equal(system(cmd), 0);
	FILE *f = fopen(p, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static int setup(void **state)
{
	(void)state;
	snprintf(root, sizeof(root), "/tmp/vmb-test-host-XXXXXX");
	if (!mkdtemp(root))
		return -1;
	setenv("VMB_HOST_ROOT", root, 1);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", root);
	unsetenv("VMB_HOST_ROOT");
	return system(cmd) ? -1 : 0;
}

static void noDevKvm_saysDoesNotExist(void **state)
{
	(void)state;
	char why[256];
	bool present = true;
	assert_false(hostinfo_kvm_access(why, sizeof(why), &present));
	assert_false(present);
	assert_non_null(strstr(why, "does not exist"));
}

static void devKvmNotADevice_saysIoctlFailed(void **state)
{
	(void)state;
	file_put("/dev/kvm", "");
	char why[256];
	bool present = false;
	assert_false(hostinfo_kvm_access(why, sizeof(why), &present));
	assert_true(present);
	assert_non_null(strstr(why, "KVM_GET_API_VERSION"));
}

static void backend(const char *expect)
{
	char name[64], detail[256];
	hostinfo_kvm_backend(name, sizeof(name), detail, sizeof(detail));
	assert_string_equal(name, expect);
	assert_true(detail[0] != '\0');
}

static void backends_fromModuleParameters(void **state)
{
	(void)state;
	backend("none");
	file_put("/sys/module/kvm_intel/parameters/ept", "Y\n");
	backend("VMX+EPT");
	file_put("/sys/module/kvm_intel/parameters/ept", "N\n");
	backend("VMX shadow paging");
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s/sys/module/kvm_intel", root);
	assert_int_equal(system(cmd), 0);
	file_put("/sys/module/kvm_amd/parameters/npt", "1\n");
	backend("SVM+NPT");
	file_put("/sys/module/kvm_amd/parameters/npt", "0\n");
	backend("SVM shadow paging");
	file_put("/sys/module/kvm_pvm/parameters/verbose", "0\n");
	backend("PVM");
}

static void probe_fakeHost_describesEverything(void **state)
{
	(void)state;
	file_put("/proc/cpuinfo", "processor\t: 0\nmodel name\t: Fake CPU 9000\n");
	struct host_info h;
	hostinfo_probe(&h);
	assert_string_equal(h.cpu_model, "Fake CPU 9000");
	assert_false(h.kvm_usable);
	assert_non_null(strstr(h.kvm_why, "does not exist"));
	assert_false(h.pmu_usable);
	assert_non_null(strstr(h.pmu_why, "no hardware PMU"));
	assert_true(h.tsc_khz > 0);
	assert_true(h.sqlite_version[0] && h.zydis_version[0] &&
		    h.pfm_version[0] && h.jansson_version[0]);
	char *argv[] = { "info", NULL };
	assert_int_equal(cmd_info(1, argv), CLI_OK);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(noDevKvm_saysDoesNotExist, setup,
						teardown),
		cmocka_unit_test_setup_teardown(devKvmNotADevice_saysIoctlFailed,
						setup, teardown),
		cmocka_unit_test_setup_teardown(backends_fromModuleParameters,
						setup, teardown),
		cmocka_unit_test_setup_teardown(probe_fakeHost_describesEverything,
						setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
