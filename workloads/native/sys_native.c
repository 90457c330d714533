/*
 * sys_native.c - the guest's system calls, implemented on the host.
 *
 * Same contract as workloads/lib/vmb_sys.h: results >= 0 on success and
 * -VMB_E* on failure (host errno values match: both are Linux's). exec has
 * no host equivalent (the guest execs programs embedded in its image) and
 * fails with -VMB_ENOSYS. A child's exit status is passed through as the
 * guest kernel does: wait() stores the value given to exit().
 */
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "native.h"
#include "../lib/vmb_sys.h"

static struct vmb_params params_now;

void native_params_set(const struct vmb_params *p)
{
	params_now = *p;
}

long vmb_sys_null(void)
{
	return syscall(SYS_getppid) < 0 ? -errno : 0;
}

long vmb_sys_null_int80(void)
{
	return -VMB_ENOSYS;
}

long vmb_sys_write(const void *buf, size_t len)
{
	ssize_t n = write(STDOUT_FILENO, buf, len);

	return n < 0 ? -errno : n;
}

_Noreturn void vmb_sys_exit(int status)
{
	_exit(status);
}

long vmb_sys_fork(void)
{
	pid_t pid = fork();

	return pid < 0 ? -errno : pid;
}

long vmb_sys_exec(const char *name, const char *const *argv)
{
	(void)name;
	(void)argv;
	return -VMB_ENOSYS;
}

long vmb_sys_wait(long pid, int *status)
{
	int st;
	pid_t w = waitpid((pid_t)pid, &st, 0);

	if (w < 0)
		return -errno;
	if (status)
		*status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	return w;
}

long vmb_sys_getpid(void)
{
	return getpid();
}

long vmb_sys_yield(void)
{
	sched_yield();
	return 0;
}

void *vmb_sys_mmap(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

long vmb_sys_munmap(void *addr, size_t len)
{
	return munmap(addr, len) < 0 ? -errno : 0;
}

long vmb_sys_mprotect(void *addr, size_t len, int prot)
{
	int host = 0;

	host |= (prot & VMB_PROT_READ) ? PROT_READ : 0;
	host |= (prot & VMB_PROT_WRITE) ? PROT_WRITE : 0;
	host |= (prot & VMB_PROT_EXEC) ? PROT_EXEC : 0;
	return mprotect(addr, len, host) < 0 ? -errno : 0;
}

long vmb_sys_roi(uint32_t value)
{
	if (VMB_ROI_EVENT(value) == VMB_ROI_BEGIN)
		return vmb_port_roi_begin();
	vmb_port_roi_end(VMB_ROI_ID(value));
	return 0;
}

long vmb_sys_params(struct vmb_params *p)
{
	*p = params_now;
	return 0;
}

/* Milliseconds since an arbitrary start: the guest counts timer ticks. */
long vmb_sys_time(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
