/*
 * syscall.h - system calls (numbers and ABI in vmb_syscall.h).
 */
#ifndef KERNEL_SYSCALL_H
#define KERNEL_SYSCALL_H

#include "trap.h"
#include "vmb_bench.h"

/* Enable the syscall instruction (EFER.SCE, STAR, LSTAR, SFMASK). */
void syscall_init(void);

/* Run the system call in (tf): number in rax, result stored in rax. */
void syscall_dispatch(struct trapframe *tf);

/* The parameters VMB_SYS_PARAMS hands to user benches (set by kmain). */
extern struct vmb_params syscall_params;

#endif
