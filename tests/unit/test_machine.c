/* Unit tests for engines/machine/machine.c: create from a config, errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "machine/machine.h"
#include "support/elf_build.h"
#include "vmb_abi.h"

static char *kernel_path;

static int kernel_setup(void **state)
{
	size_t len;
	uint8_t *img = test_elf_kernel(NULL, 0, &len);

	(void)state;
	if (!img)
		return -1;
	kernel_path = test_file_write(img, len);
	free(img);
	return kernel_path ? 0 : -1;
}

static int kernel_teardown(void **state)
{
	(void)state;
	unlink(kernel_path);
	free(kernel_path);
	return 0;
}

static void create_default_bootsReady(void **state)
{
	struct machine_config cfg = { .kernel_path = kernel_path,
				      .cmdline = "bench=cpuid",
				      .tsc_khz = 3000000 };
	struct machine *m;
	struct vmb_boot_info bi;
	char err[256] = "";

	(void)state;
	assert_int_equal(machine_create(&cfg, &m, err, sizeof(err)), 0);
	assert_int_equal(m->mem.size, MACHINE_RAM_DEFAULT);
	assert_int_equal(m->entry, VMB_KERNEL_VBASE + 0x100000);
	assert_int_equal(m->boot_state.rip, m->entry);
	assert_int_equal(m->tsc_khz, 3000000);
	assert_int_equal(m->mem.host[0x100000], 0xeb); /* jmp . */
	assert_int_equal(guest_mem_read(&m->mem, VMB_PHYS_BOOT_INFO, &bi,
					sizeof(bi)), 0);
	assert_string_equal(bi.cmdline, "bench=cpuid");
	assert_int_equal(bi.tsc_khz, 3000000);
	assert_non_null(io_bus_find(&m->bus, IO_SPACE_PIO, VMB_PORT_EXIT));
	assert_non_null(io_bus_find(&m->bus, IO_SPACE_MMIO, VMB_MMIO_NULL_BASE));
	machine_console_write(m, "hi", 2);
	assert_string_equal(m->console.buf, "hi");
	assert_false(m->exit_requested);
	machine_destroy(m);
	machine_destroy(NULL);
}

static void create_measuredTsc_nonZero(void **state)
{
	struct machine_config cfg = { .kernel_path = kernel_path,
				      .ram_bytes = 16ull << 20 };
	struct machine *m;
	char err[256];

	(void)state;
	assert_int_equal(machine_create(&cfg, &m, err, sizeof(err)), 0);
	assert_int_equal(m->tsc_khz, machine_host_tsc_khz());
	machine_destroy(m);
}

static void hostTsc_plausibleAndStable(void **state)
{
	uint64_t khz = machine_host_tsc_khz();

	(void)state;
	assert_true(khz >= 100000 && khz <= 10000000); /* 100 MHz .. 10 GHz */
	assert_int_equal(machine_host_tsc_khz(), khz);
	print_message("host TSC: %llu kHz\n", (unsigned long long)khz);
}

static void create_badConfigs_sayWhy(void **state)
{
	static const struct {
		uint64_t ram;
		const char *path;
		const char *want;
	} cases[] = {
		{ 15ull << 20, NULL, "between 16 MiB and 2048 MiB" },
		{ 4ull << 30, NULL, "multiple of 2 MiB" },
		{ (64ull << 20) + 4096, NULL, "RAM size" },
		{ 0, "", "no guest kernel" },
		{ 0, "/nonexistent/kernel.elf", "/nonexistent/kernel.elf: open" },
		{ 0, "TEXT", "not an ELF file" },
	};

	static const char text[] = "#!/bin/sh\necho not a kernel\n";
	char *text_path = test_file_write(text, sizeof(text) - 1);

	(void)state;
	assert_non_null(text_path);
	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct machine_config cfg = {
			.ram_bytes = cases[i].ram,
			.kernel_path = !cases[i].path ? kernel_path :
				       !strcmp(cases[i].path, "TEXT") ?
							text_path :
							cases[i].path,
		};
		struct machine *m = (struct machine *)&cfg;
		char err[256] = "";

		assert_int_equal(machine_create(&cfg, &m, err, sizeof(err)), -1);
		assert_null(m);
		if (!strstr(err, cases[i].want))
			fail_msg("case %u: '%s' lacks '%s'", i, err,
				 cases[i].want);
	}
	unlink(text_path);
	free(text_path);
}

static void create_hugepages_failsClearlyWithoutThem(void **state)
{
	struct machine_config cfg = { .kernel_path = kernel_path,
				      .ram_bytes = 16ull << 20,
				      .hugepages = true };
	struct machine *m;
	char err[256] = "";

	(void)state;
	if (machine_create(&cfg, &m, err, sizeof(err)) == 0) {
		assert_true(m->mem.hugepages);
		machine_destroy(m);
		return;
	}
	assert_non_null(strstr(err, "huge"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(create_default_bootsReady),
		cmocka_unit_test(create_measuredTsc_nonZero),
		cmocka_unit_test(hostTsc_plausibleAndStable),
		cmocka_unit_test(create_badConfigs_sayWhy),
		cmocka_unit_test(create_hugepages_failsClearlyWithoutThem),
	};
	return cmocka_run_group_tests(tests, kernel_setup, kernel_teardown);
}
