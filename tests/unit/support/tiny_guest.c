/* tiny_guest.c - the smallest guests for engine tests (tiny_guest.h). */
#include "tiny_guest.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "elf_build.h"
#include "machine/machine.h"

/* The guest's bytes in .rodata, and its struct tiny_guest {code, len} in
 * .data.rel.ro (a pointer: relocated at load time in a PIE). */
#define TINY(name, body)                                                      \
	__asm__(".pushsection .rodata\n.p2align 12\n" #name "_begin:\n" body   \
		"\n" #name "_end:\n.popsection\n"                             \
		".pushsection .data.rel.ro, \"aw\"\n.p2align 3\n"              \
		".globl " #name "\n" #name ": .quad " #name "_begin, "        \
		#name "_end - " #name "_begin\n.popsection\n")

TINY(tiny_ports, "mov $0xe9, %dx\n mov $'h', %al\n out %al, %dx\n"
		 "mov $'i', %al\n out %al, %dx\n"
		 "mov $0x500, %dx\n mov $0x101, %eax\n out %eax, %dx\n"
		 "mov $0xc0000000, %rdi\n movl %eax, (%rdi)\n"
		 "mov $0x500, %dx\n mov $0x102, %eax\n out %eax, %dx\n"
		 "mov $0xf4, %dx\n mov $7, %eax\n out %eax, %dx\n"
		 "1: jmp 1b\n");
TINY(tiny_triple, "ud2\n");
TINY(tiny_spin, "1: jmp 1b\n");
TINY(tiny_cli_hlt, "cli\n hlt\n 1: jmp 1b\n");
TINY(tiny_fetch_mmio, "mov $0xc0000000, %rax\n jmp *%rax\n");
TINY(tiny_int80, "lea idt(%rip), %rdi\n lea handler(%rip), %rax\n"
		 "mov %rax, %rbx\n and $0xffff, %ebx\n or $0x80000, %rbx\n"
		 "mov $0x8e00, %rcx\n shl $32, %rcx\n or %rcx, %rbx\n"
		 "mov %rax, %rcx\n shr $16, %rcx\n and $0xffff, %ecx\n"
		 "shl $48, %rcx\n or %rcx, %rbx\n mov %rbx, 0x800(%rdi)\n"
		 "mov %rax, %rcx\n shr $32, %rcx\n mov %rcx, 0x808(%rdi)\n"
		 "sub $16, %rsp\n movw $0xfff, (%rsp)\n mov %rdi, 2(%rsp)\n"
		 "lidt (%rsp)\n add $16, %rsp\n"
		 "mov $0x2a, %ebx\n int $0x80\n"
		 "mov %ebx, %eax\n mov $0xf4, %dx\n out %eax, %dx\n"
		 "1: jmp 1b\n"
		 "handler: inc %ebx\n iretq\n"
		 ".p2align 4\n idt: .fill 4096, 1, 0\n");
TINY(tiny_vmcall, "mov $0x564d4200, %eax\n vmcall\n"
		  "mov $0xf4, %dx\n out %eax, %dx\n 1: jmp 1b\n");

int tiny_engine_create(const char *name, const char *options,
		       const struct tiny_guest *g, double time_limit,
		       struct engine **e, char *why, size_t whylen)
{
	const struct engine_ops *ops = engine_find(name);
	struct vm_config cfg;
	char path[64];
	int rc;

	*e = NULL;
	if (!ops) {
		snprintf(why, whylen, "no engine '%s' in this build", name);
		return 0;
	}
	if (engine_probe(ops, why, whylen) < 0)
		return 0;
	if (test_elf_flat_kernel_file(g->code, g->len, path,
				      sizeof(path))) {
		snprintf(why, whylen, "cannot write the kernel file");
		return -1;
	}
	memset(&cfg, 0, sizeof(cfg));
	cfg.machine.ram_bytes = MACHINE_RAM_MIN;
	cfg.machine.kernel_path = path;
	cfg.time_limit_s = time_limit;
	cfg.options = options;
	rc = engine_create(ops, &cfg, e, why, whylen);
	unlink(path);
	return rc < 0 ? -1 : 1;
}
