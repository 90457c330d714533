/*
 * gdt.c - the kernel GDT and the one TSS (one CPU).
 */
#include "gdt.h"
#include "vmb.h"

struct tss {
	uint32_t reserved0;
	uint64_t rsp[3];
	uint64_t reserved1;
	uint64_t ist[7];
	uint64_t reserved2;
	uint16_t reserved3, iomap_base;
} __attribute__((packed));

static struct tss tss;
static uint8_t df_stack[8192] __attribute__((aligned(16)));

/* Access byte 0x9A/0x92 (present, DPL 0, code/data), flags L=1 for code. */
static uint64_t gdt[8] = {
	[0] = 0,
	[1] = 0x00AF9A000000FFFFull,	/* 0x08 kernel code, 64-bit */
	[2] = 0x00CF92000000FFFFull,	/* 0x10 kernel data */
	[3] = 0x00CFFA000000FFFFull,	/* 0x18 user code, 32-bit (unused) */
	[4] = 0x00CFF2000000FFFFull,	/* 0x20 user data, DPL 3 */
	[5] = 0x00AFFA000000FFFFull,	/* 0x28 user code, 64-bit, DPL 3 */
	/* [6], [7]: 16-byte TSS descriptor, filled in by gdt_init() */
};

struct desc_ptr {
	uint16_t limit;
	uint64_t base;
} __attribute__((packed));

void gdt_init(void)
{
	uint64_t base = (uint64_t)&tss, limit = sizeof(tss) - 1;

	tss.iomap_base = sizeof(tss);	/* no I/O bitmap: ring 3 has no ports */
	tss.ist[IST_DOUBLE_FAULT - 1] = (uint64_t)(df_stack + sizeof(df_stack));
	gdt[6] = (limit & 0xFFFF) | ((base & 0xFFFFFF) << 16) |
		 (0x89ull << 40) /* present, 64-bit available TSS */ |
		 ((limit >> 16 & 0xF) << 48) | ((base >> 24 & 0xFF) << 56);
	gdt[7] = base >> 32;

	struct desc_ptr p = {sizeof(gdt) - 1, (uint64_t)gdt};
	__asm__ volatile("lgdt %0\n\t"
			 "movl %1, %%eax\n\t"
			 "movl %%eax, %%ds\n\t"
			 "movl %%eax, %%es\n\t"
			 "movl %%eax, %%ss\n\t"
			 "xorl %%eax, %%eax\n\t"
			 "movl %%eax, %%fs\n\t"
			 "movl %%eax, %%gs\n\t"
			 "pushq %2\n\t"
			 "leaq 1f(%%rip), %%rax\n\t"
			 "pushq %%rax\n\t"
			 "lretq\n"
			 "1:\n\t"
			 "ltr %w3"
			 :
			 : "m"(p), "i"(SEL_KDATA), "i"(SEL_KCODE), "r"(SEL_TSS)
			 : "rax", "memory");
}

void tss_rsp0_set(uint64_t rsp0)
{
	tss.rsp[0] = rsp0;
}
