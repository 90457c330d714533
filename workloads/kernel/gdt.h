/*
 * gdt.h - segments and the TSS. Long mode ignores segment bases and
 * limits; the GDT exists for privilege levels (selector RPL/DPL) and the
 * TSS for the stack the CPU switches to on an interrupt from ring 3.
 *
 * Selector order is fixed by SYSCALL/SYSRET (STAR MSR): kernel code, kernel
 * data, then (STAR[63:48] = 0x18) a 32-bit user code placeholder, user
 * data at +8, 64-bit user code at +16.
 */
#ifndef KERNEL_GDT_H
#define KERNEL_GDT_H

#include <stdint.h>

#define SEL_KCODE 0x08
#define SEL_KDATA 0x10
#define SEL_UCODE32 0x18
#define SEL_UDATA (0x20 | 3)
#define SEL_UCODE (0x28 | 3)
#define SEL_TSS 0x30

#define IST_DOUBLE_FAULT 1

/* Load the kernel GDT, reload segment registers and the task register. */
void gdt_init(void);

/* Stack the CPU switches to on an interrupt or exception from ring 3. */
void tss_rsp0_set(uint64_t rsp0);

#endif
