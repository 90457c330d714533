/*
 * uaccess.c - check, then copy: after uaccess_check() succeeds the range
 * is present with the right permission, and nothing can change the
 * address space before the copy (one CPU, IF=0 in the kernel), so the
 * plain memory copy that follows cannot fault.
 */
#include "memlayout.h"
#include "uaccess.h"
#include "vm.h"
#include "vmb.h"
#include "vmb_syscall.h"

int uaccess_check(uint64_t u, uint64_t len, int write)
{
	switch (uvm_access(u, len, write)) {
	case 0:
		return 0;
	case VM_FAULT_OOM:
		return -VMB_ENOMEM;
	default:
		return -VMB_EFAULT;
	}
}

int copyin(void *dst, uint64_t usrc, uint64_t len)
{
	int err = uaccess_check(usrc, len, 0);

	if (!err)
		vmb_memcpy(dst, (const void *)usrc, len);
	return err;
}

int copyout(uint64_t udst, const void *src, uint64_t len)
{
	int err = uaccess_check(udst, len, 1);

	if (!err)
		vmb_memcpy((void *)udst, src, len);
	return err;
}

int copyin_str(char *dst, uint64_t usrc, uint64_t n)
{
	for (uint64_t i = 0; i < n; i++) {
		/* Check each page once, as the string reaches it. */
		if (i == 0 || !((usrc + i) & (PGSIZE - 1))) {
			int err = uaccess_check(usrc + i, 1, 0);
			if (err)
				return err;
		}
		dst[i] = *(const char *)(usrc + i);
		if (!dst[i])
			return 0;
	}
	return -VMB_EINVAL;
}
