# workloads/lib/lib.mk - which SDK sources go where (included by
# workloads/Makefile; paths relative to workloads/).
#
# LIB_COMMON_SRCS: linked into the kernel and into every user program.
#   libc_compat.c provides memcpy/memmove/memset/memcmp, which gcc may call
#   even in freestanding code.
# LIB_USER_SRCS: user programs only: the port layer over system calls
#   and the out-of-line copies of the inline system-call wrappers.
# The native host build (macro/native.mk) takes the common sources minus
# libc_compat.c, plus workloads/native/.

LIB_COMMON_SRCS := lib/fmt.c lib/hash.c lib/parse.c lib/report.c \
	lib/string.c lib/libc_compat.c
LIB_USER_SRCS := lib/port_user.c lib/sys_user.c
