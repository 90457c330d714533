/*
 * bt_gmem.c - the monitor's guest-virtual memory accessors (bt_gmem.h).
 */
#include "bt/bt_gmem.h"

#include <string.h>

#include "machine/guest_mem.h"
#include "machine/page_walk.h"

/* The RAM page for guest page (gva) and (tag)'s access kind: from the
 * cache, or walked (A/D set, #PF) and cached. */
static enum bt_gmem_result translate(struct bt_vcpu *v, struct bt_gmem_mode m,
				     uint64_t gva, bool write, uint64_t tag,
				     uint8_t **host, uint64_t *gpa,
				     uint64_t *pf_addr, uint32_t *pf_error)
{
	struct bt_gmem_tlb *e = &v->gmem_tlb[((gva >> 12) ^
					      ((tag & 0xfff) >> 1)) &
					     (BT_GMEM_TLB - 1)];
	struct walk_ctx ctx;
	struct walk_result res;

	if (e->tag == tag && e->gen == v->sh->gen) {
		*host = e->host;
		*gpa = e->gpa;
		return BT_GMEM_OK;
	}
	ctx = v->sh->ctx;
	ctx.cpl = m.cpl;
	ctx.implicit_supervisor = m.implicit_supervisor;
	ctx.ac = (v->st.rflags & X86_RFLAGS_AC) != 0;
	if (page_walk(v->mem, &ctx, gva, write ? WALK_WRITE : WALK_READ,
		      &res, pf_error)) {
		*pf_addr = gva;
		return BT_GMEM_PF;
	}
	*gpa = res.gpa & ~0xfffull;
	*host = guest_mem_ptr(v->mem, *gpa, 4096);
	if (!*host) {
		*pf_addr = res.gpa;
		return BT_GMEM_MMIO;
	}
	e->tag = tag;
	e->gen = v->sh->gen;
	e->host = *host;
	e->gpa = *gpa;
	return BT_GMEM_OK;
}

/* memcpy, with the sizes the dispatcher's fast paths use inlined (a
 * REP MOVS is slow for them here). */
static inline void copy(uint8_t *d, const uint8_t *s, size_t n)
{
	switch (n) {
	case 8: memcpy(d, s, 8); break;
	case 16: memcpy(d, s, 16); break;
	case 40: memcpy(d, s, 40); break;
	case 48: memcpy(d, s, 48); break;
	default: memcpy(d, s, n); break;
	}
}

static enum bt_gmem_result access(struct bt_vcpu *v, struct bt_gmem_mode m,
				  uint64_t gva, uint8_t *buf, size_t len,
				  bool write, uint64_t *pf_addr,
				  uint32_t *pf_error)
{
	/* the access kind: what the walk's outcome depends on besides the
	 * page and the paging state (the shadow's generation) */
	uint64_t kind = 1 | (uint64_t)write << 1 | (uint64_t)(m.cpl == 3) << 2 |
			(uint64_t)m.implicit_supervisor << 3 |
			((v->st.rflags & X86_RFLAGS_AC) ? 1ull << 4 : 0);

	while (len) {
		size_t n = 4096 - (gva & 4095);
		uint64_t gpa;
		uint8_t *host;
		enum bt_gmem_result r;

		if (n > len)
			n = len;
		r = translate(v, m, gva, write, (gva & ~0xfffull) | kind,
			      &host, &gpa, pf_addr, pf_error);
		if (r != BT_GMEM_OK)
			return r;
		host += gva & 0xfff;
		if (write) {
			if (v->sh->policy == BT_SHADOW_TRACE &&
			    v->sh->pt_use[gpa >> 12])
				bt_shadow_pt_write(v->sh, gpa);
			copy(host, buf, n);
			bt_vcpu_note_write(v, gpa | (gva & 0xfff), n);
		} else {
			copy(buf, host, n);
		}
		gva += n;
		buf += n;
		len -= n;
	}
	return BT_GMEM_OK;
}

enum bt_gmem_result bt_gmem_read(struct bt_vcpu *v, struct bt_gmem_mode m,
				 uint64_t gva, void *buf, size_t len,
				 uint64_t *pf_addr, uint32_t *pf_error)
{
	return access(v, m, gva, buf, len, false, pf_addr, pf_error);
}

enum bt_gmem_result bt_gmem_write(struct bt_vcpu *v, struct bt_gmem_mode m,
				  uint64_t gva, const void *buf, size_t len,
				  uint64_t *pf_addr, uint32_t *pf_error)
{
	return access(v, m, gva, (uint8_t *)(uintptr_t)buf, len, true,
		      pf_addr, pf_error);
}

enum bt_gmem_result bt_gmem_fetch(struct bt_vcpu *v, uint8_t *buf,
				  unsigned *n, uint64_t *pf_addr,
				  uint32_t *pf_error)
{
	struct walk_ctx ctx = v->sh->ctx;
	uint64_t gva = v->rip;

	ctx.cpl = v->cpl;
	*n = 0;
	while (*n < 15) {
		unsigned chunk = 4096 - (unsigned)(gva & 4095);
		struct walk_result res;
		const uint8_t *host;

		if (chunk > 15 - *n)
			chunk = 15 - *n;
		if (page_walk(v->mem, &ctx, gva, WALK_EXEC, &res, pf_error) ||
		    !(host = guest_mem_ptr(v->mem, res.gpa, chunk))) {
			*pf_addr = gva;
			if (*n == 0)
				return BT_GMEM_PF;
			return BT_GMEM_OK;
		}
		memcpy(buf + *n, host, chunk);
		*n += chunk;
		gva += chunk;
	}
	return BT_GMEM_OK;
}
