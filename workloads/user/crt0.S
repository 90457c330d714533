/*
 * crt0.S - user program entry. The kernel enters _start with RDI = argc,
 * RSI = argv and a 16-byte aligned RSP; main's return value is the exit
 * status.
 */
	.section .text.entry, "ax"
	.globl _start
_start:
	xorl	%ebp, %ebp
	call	main
	movl	%eax, %edi
	call	vmb_sys_exit
1:	jmp	1b
