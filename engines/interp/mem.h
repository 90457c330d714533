/*
 * mem.h - guest virtual memory access for the interpreter: the software
 * TLB fast path inline, the page walk, MMIO and code-write detection in
 * mem.c.
 *
 * Every function returns OP_OK, or OP_FAULT with the exception pending
 * (#PF with CR2 set, #GP for a non-canonical address, #AC for a misaligned
 * one with user == TLB_ACHECK), or OP_STOP when
 * a device access ended the run. A multi-byte access is all-or-nothing:
 * both pages of a page-crossing write are translated before any byte is
 * stored, as on hardware.
 */
#ifndef VMB_INTERP_MEM_H
#define VMB_INTERP_MEM_H

#include <string.h>

#include "interp/cpu.h"

int mem_read_slow(struct cpu *c, uint64_t va, unsigned size, uint64_t *v,
		  unsigned user);
int mem_write_slow(struct cpu *c, uint64_t va, unsigned size, uint64_t v,
		   unsigned user);

static inline unsigned mem_user(const struct cpu *c)
{
	return x86_cpl(&c->s) == 3;
}

static inline uint64_t mem_load(const uint8_t *p, unsigned size)
{
	switch (size) {
	case 1: return *p;
	case 2: { uint16_t v; memcpy(&v, p, 2); return v; }
	case 4: { uint32_t v; memcpy(&v, p, 4); return v; }
	default: { uint64_t v; memcpy(&v, p, 8); return v; }
	}
}

static inline void mem_store(uint8_t *p, unsigned size, uint64_t v)
{
	switch (size) {
	case 1: *p = (uint8_t)v; break;
	case 2: { uint16_t x = (uint16_t)v; memcpy(p, &x, 2); break; }
	case 4: { uint32_t x = (uint32_t)v; memcpy(p, &x, 4); break; }
	default: memcpy(p, &v, 8); break;
	}
}

/*
 * The TLB privilege index of a data access at the current privilege:
 * TLB_ACHECK at CPL3 with CR0.AM and RFLAGS.AC set (a misaligned access
 * raises #AC(0), SDM Vol. 3A 6.15 "Interrupt 17"), else mem_user(). CPL3
 * cannot change CR0 and changes AC only by POPF/IRET, which end blocks,
 * so a chain may keep what its start computed.
 */
static inline unsigned mem_duser(const struct cpu *c)
{
	unsigned u = mem_user(c);

	if (u && __builtin_expect((c->s.cr0 & X86_CR0_AM) &&
				  (c->s.rflags & X86_RFLAGS_AC), 0))
		return TLB_ACHECK;
	return u;
}

/* Read (size) bytes (1, 2, 4, 8) at (va) at privilege (user): 0, 1 or
 * TLB_ACHECK. */
static inline int mem_read_as(struct cpu *c, uint64_t va, unsigned size,
			      uint64_t *v, unsigned user)
{
	/* the last byte's page: an access crossing into the next page
	 * cannot match, since that page's entries sit in another set */
	const struct tlb_entry *e = tlb_match(tlb_slot(&c->tlb, TLB_R, user, va),
					      (va + size - 1) & ~0xfffull);

	if (__builtin_expect(e != NULL, 1)) {
		c->st.tlb_hit++;
		*v = mem_load(e->host + (va & 0xfff), size);
		return OP_OK;
	}
	return mem_read_slow(c, va, size, v, user);
}

static inline int mem_write_as(struct cpu *c, uint64_t va, unsigned size,
			       uint64_t v, unsigned user)
{
	const struct tlb_entry *e = tlb_match(tlb_slot(&c->tlb, TLB_W, user, va),
					      (va + size - 1) & ~0xfffull);

	if (__builtin_expect(e != NULL, 1)) {
		c->st.tlb_hit++;
		mem_store(e->host + (va & 0xfff), size, v);
		return OP_OK;
	}
	return mem_write_slow(c, va, size, v, user);
}

/* Data accesses at the current privilege, alignment-checked where on. */
static inline int mem_read(struct cpu *c, uint64_t va, unsigned size,
			   uint64_t *v)
{
	return mem_read_as(c, va, size, v, mem_duser(c));
}

static inline int mem_write(struct cpu *c, uint64_t va, unsigned size,
			    uint64_t v)
{
	return mem_write_as(c, va, size, v, mem_duser(c));
}

/*
 * Translate (va) for (kind) (TLB_R/W/X) at privilege (user) into *gpa,
 * filling the TLB; on failure the #PF is pending and OP_FAULT returned.
 * (host) receives the host address of the byte, or NULL for MMIO.
 */
int mem_translate(struct cpu *c, uint64_t va, unsigned kind, unsigned user,
		  uint64_t *gpa, uint8_t **host);

/* Copy (len) bytes at (va) for a read of kind (kind) into (dst). */
int mem_read_bytes(struct cpu *c, uint64_t va, void *dst, size_t len,
		   unsigned kind, unsigned user);

/* Drop cached translations after CR0/CR3/CR4/EFER changes. */
void mem_paging_changed(struct cpu *c, bool keep_global);

#endif /* VMB_INTERP_MEM_H */
