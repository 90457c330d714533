/* mem.c - TLB misses, page walks, MMIO and page-crossing accesses. */
#include "interp/mem.h"

#include "machine/page_walk.h"

static bool va_canonical(uint64_t va)
{
	return (uint64_t)((int64_t)(va << 16) >> 16) == va;
}

void tlb_flush(struct tlb *t, bool keep_global)
{
	t->epoch++;
	if (!keep_global) {	/* global large pages may survive otherwise */
		t->nlarge = 0;
		t->large_overflow = false;
	}
	for (unsigned k = 0; k < TLB_NKIND; k++)
		for (unsigned u = 0; u < 2; u++)
			for (unsigned n = 0; n < TLB_SLOTS; n++) {
				struct tlb_entry *e = &t->e[k][u][n];
				if (!(keep_global && e->global))
					e->tag = TLB_INVALID;
			}
}

void tlb_flush_kind(struct tlb *t, unsigned kind)
{
	t->epoch++;
	for (unsigned u = 0; u < 2; u++)
		for (unsigned n = 0; n < TLB_SLOTS; n++)
			t->e[kind][u][n].tag = TLB_INVALID;
}

void tlb_note_large(struct tlb *t, uint64_t va, uint64_t size)
{
	uint64_t mask = ~(size - 1);

	for (unsigned k = 0; k < t->nlarge; k++)
		if (t->large_base[k] == (va & mask) && t->large_mask[k] == mask)
			return;
	if (t->nlarge == TLB_LARGE_MAX) {
		t->large_overflow = true;
		return;
	}
	t->large_base[t->nlarge] = va & mask;
	t->large_mask[t->nlarge++] = mask;
}

/* Does (va) lie in a large page that may have TLB entries? */
static bool tlb_in_large(const struct tlb *t, uint64_t va)
{
	if (t->large_overflow)
		return true;
	for (unsigned k = 0; k < t->nlarge; k++)
		if ((va & t->large_mask[k]) == t->large_base[k])
			return true;
	return false;
}

void tlb_flush_page(struct tlb *t, uint64_t va)
{
	t->epoch++;
	if (!tlb_in_large(t, va)) {	/* a 4 KiB page: only its sets */
		for (unsigned k = 0; k < TLB_NKIND; k++)
			for (unsigned u = 0; u < 2; u++) {
				struct tlb_entry *e = tlb_slot(t, k, u, va);
				for (unsigned w = 0; w < TLB_WAYS; w++)
					if (e[w].tag == (va & ~0xfffull))
						e[w].tag = TLB_INVALID;
			}
		return;
	}
	for (unsigned k = 0; k < TLB_NKIND; k++)
		for (unsigned u = 0; u < 2; u++)
			for (unsigned n = 0; n < TLB_SLOTS; n++) {
				struct tlb_entry *e = &t->e[k][u][n];
				if (((e->tag ^ va) >> e->page_shift) == 0)
					e->tag = TLB_INVALID;
			}
}

void mem_paging_changed(struct cpu *c, bool keep_global)
{
	tlb_flush(&c->tlb, keep_global);
}

static int walk(struct cpu *c, uint64_t va, unsigned kind, unsigned user,
		uint64_t *gpa, bool *global, uint64_t *psize)
{
	static const enum walk_access acc[] = { WALK_READ, WALK_WRITE,
						WALK_EXEC };
	struct walk_ctx w = {
		.cr3 = c->s.cr3, .cr0 = c->s.cr0, .cr4 = c->s.cr4,
		.efer = c->s.efer, .cpl = user ? 3 : 0,
		.ac = (c->s.rflags & X86_RFLAGS_AC) != 0,
	};
	struct walk_result res = { 0 };
	uint32_t pferr = 0;

	if (page_walk(&c->m->mem, &w, va, acc[kind], &res, &pferr) != 0) {
		c->st.walk_refs += res.mem_refs;
		c->s.cr2 = va;
		return cpu_fault_err(c, X86_VEC_PF, pferr);
	}
	c->st.walk_refs += res.mem_refs;
	*gpa = res.gpa;
	*global = res.global;
	*psize = res.page_size;
	return OP_OK;
}

int mem_translate(struct cpu *c, uint64_t va, unsigned kind, unsigned user,
		  uint64_t *gpa, uint8_t **host)
{
	struct tlb_entry *e;
	bool global = false;
	uint64_t psize = 4096;
	uint8_t *page;
	int rc;

	if (!va_canonical(va)) {
		cpu_fault_err(c, X86_VEC_GP, 0);
		c->exc.nc = true;
		c->exc.va = va;
		return OP_FAULT;
	}
	c->st.tlb_miss++;
	if (c->s.cr0 & X86_CR0_PG) {
		rc = walk(c, va, kind, user, gpa, &global, &psize);
		if (rc)
			return rc;
	} else {
		*gpa = va;
	}
	page = guest_mem_ptr(&c->m->mem, *gpa & ~0xfffull, 4096);
	*host = page ? page + (*gpa & 0xfff) : NULL;
	if (!page || (kind == TLB_W && (c->ic.code_page[*gpa >> 12] ||
					 c->write_hook)))
		return OP_OK;
	e = tlb_slot(&c->tlb, kind, user, va);
	if (e->tag != TLB_INVALID && e->tag != (va & ~0xfffull))
		e[1] = e[0];	/* way 0 -> way 1: the newest stays in way 0 */
	else if (e[1].tag == (va & ~0xfffull))
		e[1].tag = TLB_INVALID;	/* never one page in both ways */
	e->tag = va & ~0xfffull;
	e->host = page;
	e->gpa = *gpa & ~0xfffull;
	e->global = global;
	e->page_shift = (uint8_t)__builtin_ctzll(psize);
	if (psize > 4096)
		tlb_note_large(&c->tlb, va, psize);
	return OP_OK;
}

static void mmio(struct cpu *c, uint64_t gpa, uint8_t *data, unsigned len,
		 bool write)
{
	c->traps.count[TRAP_MMIO]++;
	io_bus_access(c->m, IO_SPACE_MMIO, gpa, data, len, write);
	if (c->m->exit_requested)
		c->blk_end = 0;
}

/* Split [va, va+size) at the page end: part lengths n[0], n[1]. */
static int translate_parts(struct cpu *c, uint64_t va, unsigned size,
			   unsigned kind, unsigned user, uint64_t gpa[2],
			   uint8_t *host[2], unsigned n[2])
{
	int rc;

	n[0] = 4096 - (va & 0xfff);
	if (n[0] > size)
		n[0] = size;
	n[1] = size - n[0];
	rc = mem_translate(c, va, kind, user, &gpa[0], &host[0]);
	if (rc || !n[1])
		return rc;
	return mem_translate(c, va + n[0], kind, user, &gpa[1], &host[1]);
}

/*
 * An access of (size) bytes at (va) with alignment checking on: #AC(0)
 * when misaligned, after the translation's own faults (#GP/#SS, #PF come
 * first: SDM Vol. 3A Table 6-2 lists them before #AC); OP_OK when aligned.
 */
static int align_check(struct cpu *c, uint64_t va, unsigned size,
		       unsigned kind)
{
	uint64_t gpa[2];
	uint8_t *host[2];
	unsigned n[2];
	int rc;

	if (!(va & (size - 1)))
		return OP_OK;
	if ((rc = translate_parts(c, va, size, kind, 1, gpa, host, n)))
		return rc;
	return cpu_fault_err(c, X86_VEC_AC, 0);
}

int mem_read_slow(struct cpu *c, uint64_t va, unsigned size, uint64_t *v,
		  unsigned user)
{
	uint8_t buf[8] = { 0 }, *host[2];
	uint64_t gpa[2];
	unsigned n[2], off = 0;
	int rc;

	if (user == TLB_ACHECK) {	/* aligned: on through the CPL3 TLB */
		rc = align_check(c, va, size, TLB_R);
		return rc ? rc : mem_read_as(c, va, size, v, 1);
	}
	if ((rc = translate_parts(c, va, size, TLB_R, user, gpa, host, n)))
		return rc;
	for (unsigned p = 0; p < 2 && n[p]; off += n[p], p++) {
		if (host[p])
			memcpy(buf + off, host[p], n[p]);
		else
			mmio(c, gpa[p], buf + off, n[p], false);
	}
	*v = mem_load(buf, size);
	return OP_OK;
}

int mem_write_slow(struct cpu *c, uint64_t va, unsigned size, uint64_t v,
		   unsigned user)
{
	uint8_t buf[8], *host[2];
	uint64_t gpa[2];
	unsigned n[2], off = 0;
	int rc;

	if (user == TLB_ACHECK) {
		rc = align_check(c, va, size, TLB_W);
		return rc ? rc : mem_write_as(c, va, size, v, 1);
	}
	if ((rc = translate_parts(c, va, size, TLB_W, user, gpa, host, n)))
		return rc;
	mem_store(buf, size, v);
	for (unsigned p = 0; p < 2 && n[p]; off += n[p], p++) {
		if (!host[p]) {
			mmio(c, gpa[p], buf + off, n[p], true);
			continue;
		}
		memcpy(host[p], buf + off, n[p]);
		if (c->write_hook)
			c->write_hook(c, gpa[p], n[p]);
		if (c->ic.code_page[gpa[p] >> 12])
			icache_code_write(c, gpa[p], n[p]);
	}
	return OP_OK;
}

int mem_read_bytes(struct cpu *c, uint64_t va, void *dst, size_t len,
		   unsigned kind, unsigned user)
{
	uint8_t *d = dst, *host;
	uint64_t gpa;

	while (len) {
		size_t n = 4096 - (va & 0xfff);
		int rc;

		if (n > len)
			n = len;
		rc = mem_translate(c, va, kind, user, &gpa, &host);
		if (rc)
			return rc;
		if (host)
			memcpy(d, host, n);
		else
			for (size_t k = 0; k < n; k++)
				mmio(c, gpa + k, d + k, 1, false);
		d += n;
		va += n;
		len -= n;
	}
	return OP_OK;
}
