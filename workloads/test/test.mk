# test/test.mk - workloads for the guest's own tests (suite "test"):
# never run by bench=all/micro/macro, only by name.

TEST_KERNEL += fault_ud
TEST_USER += fault_user
TEST_USER += oom_user
TEST_USER += efault_user
