/*
 * test_kvm_stats.c - KVM binary-statistics parsing from recorded stats
 * files (fixtures/kvm_stats_*_pvm.inc, taken from a real KVM_GET_STATS_FD
 * on a kvm_pvm host), so it runs on machines without /dev/kvm; plus
 * corrupted variants of them.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cmocka.h>

#include "kvm/libkvm/libkvm.h"

#include "fixtures/kvm_stats_vcpu_pvm.inc"
#include "fixtures/kvm_stats_vm_pvm.inc"

/* A memfd holding (len) bytes of (buf): the parser only needs pread. */
static int memfd_from(const void *buf, size_t len)
{
	int fd = memfd_create("kvm-stats-fixture", MFD_CLOEXEC);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, buf, len), (ssize_t)len);
	return fd;
}

static void vcpu_fixture_parsesNamesAndValues(void **state)
{
	struct kvm_stats st;
	char err[256];
	int fd = memfd_from(kvm_stats_vcpu_pvm, sizeof(kvm_stats_vcpu_pvm));
	int i;

	(void)state;
	assert_int_equal(kvm_stats_open(&st, fd, err, sizeof(err)), 0);
	assert_string_equal(st.id, "kvm-8362/vcpu-0");
	assert_int_equal(st.n, 45);
	i = kvm_stats_find(&st, "exits");
	assert_true(i >= 0);
	assert_int_equal(kvm_stats_value(&st, (unsigned)i), 2);
	i = kvm_stats_find(&st, "halt_exits");
	assert_int_equal(kvm_stats_value(&st, (unsigned)i), 1);
	i = kvm_stats_find(&st, "insn_emulation");
	assert_int_equal(kvm_stats_value(&st, (unsigned)i), 3);
	i = kvm_stats_find(&st, "halt_wait_hist");
	assert_true(kvm_stats_is_hist(&st, (unsigned)i));
	assert_int_equal(st.desc[i].size, 32);
	assert_false(kvm_stats_is_hist(&st, (unsigned)kvm_stats_find(&st,
								     "tlb_flush")));
	assert_int_equal(kvm_stats_find(&st, "no_such_stat"), -1);
	kvm_stats_close(&st);
}

static void vm_fixture_parsesPeakAndInstant(void **state)
{
	struct kvm_stats st;
	char err[256];
	int fd = memfd_from(kvm_stats_vm_pvm, sizeof(kvm_stats_vm_pvm));
	int i;

	(void)state;
	assert_int_equal(kvm_stats_open(&st, fd, err, sizeof(err)), 0);
	assert_string_equal(st.id, "kvm-8362");
	assert_int_equal(st.n, 15);
	i = kvm_stats_find(&st, "mmu_cache_miss");
	assert_int_equal(kvm_stats_value(&st, (unsigned)i), 1);
	i = kvm_stats_find(&st, "max_mmu_rmap_size");
	assert_int_equal(st.desc[i].flags & KVM_STATS_TYPE_MASK,
			 KVM_STATS_TYPE_PEAK);
	kvm_stats_close(&st);
}

static void values_reread_followFileChanges(void **state)
{
	struct kvm_stats st;
	char err[256];
	int fd = memfd_from(kvm_stats_vcpu_pvm, sizeof(kvm_stats_vcpu_pvm));
	uint64_t v = 12345;
	int i;

	(void)state;
	assert_int_equal(kvm_stats_open(&st, fd, err, sizeof(err)), 0);
	i = kvm_stats_find(&st, "exits");
	assert_int_equal(pwrite(fd, &v, 8, (off_t)(st.data_offset +
						  st.desc[i].offset)), 8);
	assert_int_equal(kvm_stats_read(&st), 0);
	assert_int_equal(kvm_stats_value(&st, (unsigned)i), 12345);
	kvm_stats_close(&st);
}

static void truncated_file_isRejectedWithReason(void **state)
{
	struct kvm_stats st;
	char err[256];
	int fd = memfd_from(kvm_stats_vcpu_pvm, 200);

	(void)state;
	assert_true(kvm_stats_open(&st, fd, err, sizeof(err)) < 0);
	assert_non_null(strstr(err, "descriptors"));
	close(fd);
	fd = memfd_from(kvm_stats_vcpu_pvm, 10);
	assert_true(kvm_stats_open(&st, fd, err, sizeof(err)) < 0);
	assert_non_null(strstr(err, "header"));
	close(fd);
}

static void misaligned_offset_isRejected(void **state)
{
	unsigned char buf[sizeof(kvm_stats_vm_pvm)];
	struct kvm_stats_header h;
	struct kvm_stats st;
	char err[256];
	uint32_t bad = 3;
	int fd;

	(void)state;
	memcpy(buf, kvm_stats_vm_pvm, sizeof(buf));
	memcpy(&h, buf, sizeof(h));
	/* First descriptor's offset field. */
	memcpy(buf + h.desc_offset + offsetof(struct kvm_stats_desc, offset),
	       &bad, 4);
	fd = memfd_from(buf, sizeof(buf));
	assert_true(kvm_stats_open(&st, fd, err, sizeof(err)) < 0);
	assert_non_null(strstr(err, "remote_tlb_flush"));
	close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(vcpu_fixture_parsesNamesAndValues),
		cmocka_unit_test(vm_fixture_parsesPeakAndInstant),
		cmocka_unit_test(values_reread_followFileChanges),
		cmocka_unit_test(truncated_file_isRejectedWithReason),
		cmocka_unit_test(misaligned_offset_isRejected),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
