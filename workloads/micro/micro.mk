# micro/micro.mk - the micro workloads: one line per workload, the file
# micro/NAME.c defines `const struct vmb_bench bench_NAME`.
# MICRO_KERNEL ones run at CPL0 in the kernel, MICRO_USER ones in a process.

MICRO_KERNEL += pio
MICRO_KERNEL += mmio
MICRO_KERNEL += cpuid
MICRO_KERNEL += hypercall
MICRO_KERNEL += divzero
MICRO_KERNEL += invlpg
MICRO_KERNEL += timer
MICRO_KERNEL += callret

MICRO_USER += syscall
MICRO_USER += int80
MICRO_USER += pagefault
MICRO_USER += mprotect
MICRO_USER += ctxswitch
