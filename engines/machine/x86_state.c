/*
 * x86_state.c - segment descriptor packing and the register dump.
 *
 * Descriptor layout (SDM vol. 3, 3.4.5): limit 15:0 | base 23:0 | type |
 * S | DPL | P | limit 19:16 | AVL | L | D/B | G | base 31:24. Long-mode
 * system descriptors add base 63:32 in the second quadword.
 */
#include "machine/x86_state.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void x86_segment_from_desc(struct x86_segment *seg, uint16_t selector,
			   uint64_t desc)
{
	uint32_t limit = (uint32_t)(desc & 0xffff) |
			 (uint32_t)((desc >> 32) & 0xf0000);

	memset(seg, 0, sizeof(*seg));
	seg->selector = selector;
	seg->base = ((desc >> 16) & 0xffffff) | ((desc >> 32) & 0xff000000);
	seg->type = (desc >> 40) & 0xf;
	seg->s = (desc >> 44) & 1;
	seg->dpl = (desc >> 45) & 3;
	seg->present = (desc >> 47) & 1;
	seg->avl = (desc >> 52) & 1;
	seg->l = (desc >> 53) & 1;
	seg->db = (desc >> 54) & 1;
	seg->g = (desc >> 55) & 1;
	seg->limit = seg->g ? (limit << 12) | 0xfff : limit;
	seg->unusable = !seg->present;
}

void x86_segment_from_desc16(struct x86_segment *seg, uint16_t selector,
			     uint64_t lo, uint64_t hi)
{
	x86_segment_from_desc(seg, selector, lo);
	seg->base |= (hi & 0xffffffffull) << 32;
}

uint64_t x86_segment_to_desc(const struct x86_segment *seg)
{
	uint64_t limit = seg->g ? seg->limit >> 12 : seg->limit & 0xfffff;
	uint64_t base = seg->base & 0xffffffffull;

	return (limit & 0xffff) | ((base & 0xffffff) << 16) |
	       ((uint64_t)(seg->type & 0xf) << 40) |
	       ((uint64_t)(seg->s & 1) << 44) |
	       ((uint64_t)(seg->dpl & 3) << 45) |
	       ((uint64_t)(seg->present & 1) << 47) |
	       ((limit & 0xf0000) << 32) | ((uint64_t)(seg->avl & 1) << 52) |
	       ((uint64_t)(seg->l & 1) << 53) |
	       ((uint64_t)(seg->db & 1) << 54) |
	       ((uint64_t)(seg->g & 1) << 55) |
	       ((base & 0xff000000ull) << 32);
}

/* snprintf that appends at *pos and keeps counting past the end. */
static void dump_add(char *buf, size_t buflen, size_t *pos, const char *fmt,
		     ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(*pos < buflen ? buf + *pos : NULL,
		      *pos < buflen ? buflen - *pos : 0, fmt, ap);
	va_end(ap);
	if (n > 0)
		*pos += (size_t)n;
}

static void dump_segment(char *buf, size_t buflen, size_t *pos,
			 const char *name, const struct x86_segment *s)
{
	dump_add(buf, buflen, pos,
		 "%-4s sel=%04x base=%016llx limit=%08x type=%x s=%u dpl=%u "
		 "p=%u l=%u db=%u g=%u%s\n",
		 name, s->selector, (unsigned long long)s->base, s->limit,
		 s->type, s->s, s->dpl, s->present, s->l, s->db, s->g,
		 s->unusable ? " unusable" : "");
}

int x86_state_format(const struct x86_state *s, char *buf, size_t buflen)
{
	static const char *const gpr_names[X86_NGPR] = {
		"rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
		"r8",  "r9",  "r10", "r11", "r12", "r13", "r14", "r15",
	};
	static const char *const seg_names[X86_NSREG] = {
		"es", "cs", "ss", "ds", "fs", "gs",
	};
	size_t pos = 0;

	if (buflen)
		buf[0] = '\0';
	dump_add(buf, buflen, &pos, "rip=%016llx rflags=%016llx cpl=%u\n",
		 (unsigned long long)s->rip, (unsigned long long)s->rflags,
		 x86_cpl(s));
	for (int i = 0; i < X86_NGPR; i++)
		dump_add(buf, buflen, &pos, "%-3s=%016llx%s", gpr_names[i],
			 (unsigned long long)s->gpr[i],
			 i % 4 == 3 ? "\n" : " ");
	for (int i = 0; i < X86_NSREG; i++)
		dump_segment(buf, buflen, &pos, seg_names[i], &s->seg[i]);
	dump_segment(buf, buflen, &pos, "tr", &s->tr);
	dump_segment(buf, buflen, &pos, "ldtr", &s->ldtr);
	dump_add(buf, buflen, &pos,
		 "gdtr=%016llx/%04x idtr=%016llx/%04x\n"
		 "cr0=%016llx cr2=%016llx cr3=%016llx\n"
		 "cr4=%016llx cr8=%016llx efer=%016llx\n",
		 (unsigned long long)s->gdtr.base, s->gdtr.limit,
		 (unsigned long long)s->idtr.base, s->idtr.limit,
		 (unsigned long long)s->cr0, (unsigned long long)s->cr2,
		 (unsigned long long)s->cr3, (unsigned long long)s->cr4,
		 (unsigned long long)s->cr8, (unsigned long long)s->efer);
	dump_add(buf, buflen, &pos,
		 "star=%016llx lstar=%016llx sfmask=%016llx kgsbase=%016llx\n"
		 "apic_base=%016llx pat=%016llx tsc_aux=%llx tsc_offset=%llx\n",
		 (unsigned long long)s->star, (unsigned long long)s->lstar,
		 (unsigned long long)s->sfmask,
		 (unsigned long long)s->kernel_gs_base,
		 (unsigned long long)s->apic_base, (unsigned long long)s->pat,
		 (unsigned long long)s->tsc_aux,
		 (unsigned long long)s->tsc_offset);
	return (int)pos;
}
