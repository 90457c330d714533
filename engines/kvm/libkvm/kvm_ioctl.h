/*
 * kvm_ioctl.h - libkvm's private ioctl wrapper (not for engine code).
 *
 * KVM_IOCTL(err, fd, cmd, arg) issues ioctl(fd, cmd, arg) after checking at
 * compile time that sizeof(*arg) is the size encoded in (cmd) (as the KVM
 * selftests' kvm_do_ioctl does), and on failure writes "CMD: strerror" into
 * the KVM_ERR_MAX buffer (err). KVM_IOCTL_VAL is for ioctls whose argument
 * is a plain integer (KVM_CREATE_VM, KVM_CREATE_VCPU, KVM_RUN...).
 * Both evaluate to the ioctl's result, or -errno on failure.
 */
#ifndef VMB_KVM_IOCTL_H
#define VMB_KVM_IOCTL_H

#include <sys/ioctl.h>

#define KVM_IOCTL_SIZE_CHECK(cmd, arg)                                        \
	((void)sizeof(struct {                                                \
		_Static_assert(!_IOC_SIZE(cmd) ||                             \
				       sizeof(*(arg)) == _IOC_SIZE(cmd),      \
			       "argument size does not match " #cmd);         \
		int dummy;                                                    \
	}))

#define KVM_IOCTL(err, fd, cmd, arg)                                          \
	(KVM_IOCTL_SIZE_CHECK(cmd, arg),                                      \
	 kvm_ioctl_named((err), (fd), (cmd), #cmd, (unsigned long)(arg)))

#define KVM_IOCTL_VAL(err, fd, cmd, val)                                      \
	kvm_ioctl_named((err), (fd), (cmd), #cmd, (unsigned long)(val))

/* ioctl(fd, cmd, arg); on failure "name: strerror(errno)" into (err). */
int kvm_ioctl_named(char *err, int fd, unsigned long cmd, const char *name,
		    unsigned long arg);

/* Format "name: strerror(-ret)" into (err) and return (ret). */
int kvm_err_set(char *err, int ret, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif /* VMB_KVM_IOCTL_H */
