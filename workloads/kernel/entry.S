/*
 * entry.S - the two ways into the kernel; both end in kmain(bootinfo, pvh).
 *
 * _start (ELF entry, vmbench boot protocol): 64-bit long mode, paging on
 * with the loader's tables, IF=0, RDI = physical address of vmb_boot_info.
 *
 * pvh_start32 (PVH ELF note, QEMU -kernel): 32-bit flat protected mode,
 * paging off, EBX = physical address of the PVH start_info. The stub
 * builds boot page tables (identity and KERNBASE maps of the first 1 GiB,
 * 2 MiB pages), enables PAE + long mode + NX + paging, loads a 64-bit GDT,
 * and jumps to the same 64-bit code with RDI = 0, RSI = start_info.
 *
 * mb2_start32 (Multiboot2 header below, GRUB): the PVH path with RSI = 0;
 * boot.c finds the Multiboot2 information in boot_mb2_info_pa.
 *
 * The 32-bit code runs at physical addresses, hence every symbol it uses
 * is written as (sym - KERNBASE).
 */
#define KERNBASE 0xFFFFFFFF80000000
#define PHYS(x) ((x) - KERNBASE)

	.section .text.entry, "ax"
	.code64
	.globl _start
_start:
	cli
	movabs	$boot_stack_top, %rsp
	xorl	%esi, %esi		/* no PVH start_info */
	xorl	%ebp, %ebp
	call	kmain
1:	hlt
	jmp	1b

	.code32
	/*
	 * Multiboot2 entry (GRUB's `multiboot2`): the same machine state as
	 * PVH, but EAX = the Multiboot2 magic and EBX = the boot information.
	 * Keep that address for boot.c and join the PVH path with no
	 * start_info.
	 */
	.globl mb2_start32
mb2_start32:
	cli
	cmpl	$0x36D76289, %eax
	jne	1f
	movl	%ebx, PHYS(boot_mb2_info_pa)
	xorl	%ebx, %ebx
	jmp	boot32
1:	hlt
	jmp	1b

	.globl pvh_start32
pvh_start32:
	cli
boot32:
	cld
	/*
	 * Mask both 8259 PICs before anything else. The firmware leaves the
	 * PIT ticking through them, with the local APIC's LINT0 in ExtINT
	 * (virtual-wire) mode. A tick latched now would stay pending in the
	 * CPU while IF=0 and be taken at the first IF=1 instruction (the
	 * first user instruction), when LINT0 is masked and the PIC has no
	 * vector to give: QEMU then raises #GP with a bogus error code.
	 * Masking the PIC while LINT0 still listens withdraws the request.
	 */
	movb	$0xFF, %al
	outb	%al, $0x21			/* master IMR */
	outb	%al, $0xA1			/* slave IMR */
	movl	%ebx, %esi		/* keep start_info */
	movl	$PHYS(boot_stack_top), %esp

	/* Zero the four boot page-table pages. */
	movl	$PHYS(boot_pml4), %edi
	xorl	%eax, %eax
	movl	$(4 * 4096 / 4), %ecx
	rep stosl

	/* PD: 512 x 2 MiB pages, present|writable|huge. */
	movl	$PHYS(boot_pd), %edi
	movl	$0x83, %eax
	movl	$512, %ecx
1:	movl	%eax, (%edi)
	addl	$0x200000, %eax
	addl	$8, %edi
	loop	1b

	movl	$PHYS(boot_pd) + 3, %eax
	movl	%eax, PHYS(boot_pdpt_lo)		/* [0] -> 0..1 GiB */
	movl	%eax, PHYS(boot_pdpt_hi) + 510 * 8	/* KERNBASE -> 0 */
	movl	$PHYS(boot_pdpt_lo) + 3, %eax
	movl	%eax, PHYS(boot_pml4)
	movl	$PHYS(boot_pdpt_hi) + 3, %eax
	movl	%eax, PHYS(boot_pml4) + 511 * 8

	movl	%cr4, %eax
	orl	$(1 << 5), %eax			/* PAE */
	movl	%eax, %cr4
	movl	$PHYS(boot_pml4), %eax
	movl	%eax, %cr3
	movl	$0xC0000080, %ecx		/* EFER: LME | NXE */
	rdmsr
	orl	$((1 << 8) | (1 << 11)), %eax
	wrmsr
	movl	%cr0, %eax
	orl	$((1 << 31) | (1 << 16) | 1), %eax	/* PG | WP | PE */
	movl	%eax, %cr0

	lgdt	PHYS(boot_gdt_ptr)
	ljmp	$0x08, $PHYS(pvh_start64)

	.code64
pvh_start64:
	movl	$0x10, %eax
	movl	%eax, %ds
	movl	%eax, %es
	movl	%eax, %ss
	movl	%eax, %fs
	movl	%eax, %gs
	movl	%esi, %esi			/* zero-extend start_info */
	movabs	$pvh_high, %rax
	jmp	*%rax
pvh_high:
	movabs	$boot_stack_top, %rsp
	xorl	%edi, %edi			/* no vmbench boot_info */
	xorl	%ebp, %ebp
	call	kmain
1:	hlt
	jmp	1b

	.section .rodata
	.p2align 3
boot_gdt:
	.quad	0
	.quad	0x00AF9A000000FFFF		/* 0x08: 64-bit code */
	.quad	0x00CF92000000FFFF		/* 0x10: data */
boot_gdt_ptr:
	.word	3 * 8 - 1
	.long	PHYS(boot_gdt)

	/* PVH entry note: XEN_ELFNOTE_PHYS32_ENTRY (18), name "Xen". */
	.section .note.Xen, "a"
	.p2align 2
	.long	4
	.long	4
	.long	18
	.asciz	"Xen"
	.long	PHYS(pvh_start32)

	.section .bss
	.p2align 12
boot_pml4:	.skip 4096
boot_pdpt_lo:	.skip 4096
boot_pdpt_hi:	.skip 4096
boot_pd:	.skip 4096
	.globl boot_stack_top
boot_stack:	.skip 16384
boot_stack_top:

/*
 * Multiboot2 header: GRUB looks for it in the first 32 KiB of the file
 * (kernel.ld puts this section first). The entry-address tag makes GRUB
 * start the 32-bit mb2_start32 rather than the 64-bit ELF entry.
 */
#define MB2_MAGIC 0xE85250D6
	.section .multiboot2, "a"
	.p2align 3
mb2_header:
	.long	MB2_MAGIC
	.long	0				/* i386 protected mode */
	.long	mb2_header_end - mb2_header
	.long	0x100000000 - (MB2_MAGIC + (mb2_header_end - mb2_header))
	.p2align 3
	.short	3, 0				/* entry address tag */
	.long	12
	.long	PHYS(mb2_start32)
	.p2align 3
	.short	0, 0				/* end tag */
	.long	8
mb2_header_end:
