# proc/proc.mk - process workloads that need the kernel's own programs
# (they are macro workloads: suite "macro").

MACRO_USER += forkexec
