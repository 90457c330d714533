/* asm_offsets.h - constants shared by C and assembly (keep with gdt.h). */
#ifndef KERNEL_ASM_OFFSETS_H
#define KERNEL_ASM_OFFSETS_H
#define SEL_UDATA_ASM 0x23
#define SEL_UCODE_ASM 0x2B
#endif
