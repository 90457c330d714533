# workloads/macro/macro.mk - the macro workloads, one line each.
#
# Included by workloads/Makefile (which generates the bench table from these
# names) and by macro/native.mk (the host build). A workload NAME is the
# file macro/NAME.c defining `const struct vmb_bench bench_NAME`;
# docs/adding-a-workload.md explains the recipe.
#
# MACRO_USER: workloads that run at CPL3, each in its own process.

MACRO_USER += sort
MACRO_USER += crc
MACRO_USER += matmul
MACRO_USER += fsm
MACRO_USER += tlb_reach
MACRO_USER += mixed
