/* seg.c - descriptor tables and segment loads (see seg.h). */
#include "interp/seg.h"

#include <string.h>

#include "interp/mem.h"

int seg_desc_read(struct cpu *c, uint16_t sel, uint64_t *desc)
{
	if ((sel & 4) || (uint32_t)(sel | 7) > c->s.gdtr.limit)
		return cpu_fault_err(c, X86_VEC_GP, sel & 0xfffc);
	return mem_read_as(c, c->s.gdtr.base + (sel & ~7u), 8, desc, 0);
}

void seg_null(struct x86_segment *s, uint16_t sel)
{
	memset(s, 0, sizeof(*s));
	s->selector = sel;
	s->unusable = 1;
}

int seg_load_data(struct cpu *c, unsigned sreg, uint16_t sel)
{
	struct x86_segment s;
	unsigned cpl = x86_cpl(&c->s);
	uint64_t desc;
	int rc;

	if ((sel & 0xfffc) == 0) {
		if (sreg == X86_SS && (cpl == 3 || (sel & 3) != cpl))
			return cpu_fault_err(c, X86_VEC_GP, 0);
		seg_null(&c->s.seg[sreg], sel);
		return OP_OK;
	}
	if ((rc = seg_desc_read(c, sel, &desc)))
		return rc;
	x86_segment_from_desc(&s, sel, desc);
	if (!s.s || (sreg == X86_SS ? (s.type & 0xa) != 2
				    : (s.type & 0xa) == 8))
		return cpu_fault_err(c, X86_VEC_GP, sel & 0xfffc);
	if (!s.present)
		return cpu_fault_err(c, sreg == X86_SS ? X86_VEC_SS
						       : X86_VEC_NP,
				     sel & 0xfffc);
	c->s.seg[sreg] = s;
	return OP_OK;
}

int seg_code_read(struct cpu *c, uint16_t sel, struct x86_segment *seg)
{
	uint64_t desc;
	int rc;

	if ((sel & 0xfffc) == 0)
		return cpu_fault_err(c, X86_VEC_GP, 0);
	if ((rc = seg_desc_read(c, sel, &desc)))
		return rc;
	x86_segment_from_desc(seg, sel, desc);
	if (!seg->s || !(seg->type & 8) || !seg->l || seg->db)
		return cpu_fault_err(c, X86_VEC_GP, sel & 0xfffc);
	if (!seg->present)
		return cpu_fault_err(c, X86_VEC_NP, sel & 0xfffc);
	return OP_OK;
}

void seg_flat_code(struct x86_segment *s, uint16_t sel, unsigned dpl)
{
	memset(s, 0, sizeof(*s));
	s->selector = sel;
	s->limit = 0xffffffff;
	s->type = 0xb;
	s->s = 1;
	s->dpl = (uint8_t)dpl;
	s->present = 1;
	s->l = 1;
	s->g = 1;
}

void seg_flat_data(struct x86_segment *s, uint16_t sel, unsigned dpl)
{
	memset(s, 0, sizeof(*s));
	s->selector = sel;
	s->limit = 0xffffffff;
	s->type = 3;
	s->s = 1;
	s->dpl = (uint8_t)dpl;
	s->present = 1;
	s->db = 1;
	s->g = 1;
}

int seg_tss_read(struct cpu *c, unsigned off, unsigned size, uint64_t *v)
{
	if (c->s.tr.unusable || !c->s.tr.present ||
	    off + size - 1 > c->s.tr.limit)
		return cpu_fault_err(c, X86_VEC_TS, c->s.tr.selector & 0xfffc);
	return mem_read_as(c, c->s.tr.base + off, size, v, 0);
}
