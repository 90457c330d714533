/* icache.c - decoded blocks keyed by guest-physical address (icache.h). */
#include "interp/icache.h"

#include <stdlib.h>
#include <string.h>

#include "interp/cpu.h"
#include "interp/decode.h"
#include "interp/mem.h"
#include "interp/thread.h"

int icache_init(struct icache *ic, uint64_t ram_bytes)
{
	memset(ic, 0, sizeof(*ic));
	ic->npages = ram_bytes >> 12;
	ic->hash = calloc(ICACHE_BUCKETS, sizeof(*ic->hash));
	ic->arena = malloc(ICACHE_ARENA);
	ic->code_page = calloc(ic->npages, sizeof(*ic->code_page));
	decode_init(&ic->dec);
	if (!ic->hash || !ic->arena || !ic->code_page) {
		icache_free(ic);
		return -1;
	}
	return 0;
}

void icache_free(struct icache *ic)
{
	free(ic->hash);
	free(ic->arena);
	free(ic->code_page);
	ic->hash = NULL;
	ic->arena = NULL;
	ic->code_page = NULL;
}

void icache_flush(struct cpu *c)
{
	struct icache *ic = &c->ic;

	memset(ic->hash, 0, ICACHE_BUCKETS * sizeof(*ic->hash));
	memset(ic->code_page, 0, ic->npages * sizeof(*ic->code_page));
	ic->used = 0;
	ic->generation++;
	c->st.icache_flushes++;
	c->blk_end = 0;
}

static uint64_t chunk_mask(uint64_t gpa, unsigned len)
{
	unsigned first = (gpa & 0xfff) >> 6, last = ((gpa & 0xfff) + len - 1) >> 6;
	uint64_t hi = last >= 63 ? ~0ull : (2ull << last) - 1;

	return hi & ~((1ull << first) - 1);
}

void icache_code_write(struct cpu *c, uint64_t gpa, unsigned len)
{
	if (!(c->ic.code_page[gpa >> 12] & chunk_mask(gpa, len)))
		return;
	c->traps.count[TRAP_CODE_INVALIDATE]++;
	icache_flush(c);
}

/* Mark [gpa, gpa+len) (within one page) as decoded code. */
static void mark_code(struct cpu *c, uint64_t gpa, unsigned len)
{
	uint64_t *m = &c->ic.code_page[gpa >> 12];

	if (!*m)	/* writes to this page must now take the slow path */
		tlb_flush_kind(&c->tlb, TLB_W);
	*m |= chunk_mask(gpa, len);
}

static unsigned bucket(uint64_t gpa)
{
	return (unsigned)((gpa * 0x9e3779b97f4a7c15ull) >> 48) &
	       (ICACHE_BUCKETS - 1);
}

static struct block *block_alloc(struct cpu *c)
{
	size_t need = sizeof(struct block) +
		      (ICACHE_BLOCK_MAX + 1) * sizeof(struct insn);
	struct block *b;

	if (c->ic.used + need > ICACHE_ARENA)
		icache_flush(c);
	b = (struct block *)(c->ic.arena + c->ic.used);
	memset(b, 0, sizeof(*b));
	b->succ_key[0] = b->succ_key[1] = ~0ull;	/* empty */
	b->insn = (struct insn *)(b + 1);
	b->gpa_tail = 1;
	return b;
}

/* Decode an instruction that straddles into the next page. */
static int decode_straddling(struct cpu *c, uint64_t va, struct insn *in,
			     uint64_t *tail_gpa)
{
	unsigned first = 4096 - (unsigned)(va & 0xfff);
	uint8_t buf[15], *host;
	int rc;

	if ((rc = mem_read_bytes(c, va, buf, 15, TLB_X, mem_user(c))))
		return rc;
	if ((rc = mem_translate(c, va + first, TLB_X, mem_user(c), tail_gpa,
				&host)))
		return rc;
	if (!host)
		return cpu_stop(c, RUN_EXIT_GUEST_FAULT,
				"instruction fetch outside RAM at %#llx",
				(unsigned long long)(va + first));
	decode_insn(&c->ic.dec, buf, 15, in);
	*tail_gpa &= ~0xfffull;
	mark_code(c, *tail_gpa, in->len > first ? in->len - first : 1);
	return OP_OK;
}

/* May the block go on at the target of JMP rel (in) at page offset
 * (off)? Only inside the same page (same translation, same code marks)
 * and with room for the target's instructions. Sets *to. */
static bool jump_through(const struct block *b, const struct insn *in,
			 unsigned off, unsigned *to)
{
	int64_t t = (int64_t)off + in->len + (int64_t)in->imm;

	if (!decode_is_jmp_rel(in) || b->n + 1 >= ICACHE_BLOCK_MAX ||
	    t < 0 || t >= 4096)
		return false;
	*to = (unsigned)t;
	return true;
}

/*
 * Decode the block at (va) (guest-physical gpa, host page). It ends at a
 * block-ending instruction, the page end or ICACHE_BLOCK_MAX; a JMP rel
 * to the same page does not end it: decoding goes on at the target and
 * the JMP's threaded entry just goes on to it (thread_jmp_inner; insn.off
 * is then the offset of each instruction from the block's RIP, which may
 * be negative).
 */
static int block_build(struct cpu *c, uint64_t va, uint64_t gpa,
		       const uint8_t *page, struct block **out)
{
	struct block *b = block_alloc(c);
	unsigned off = (unsigned)(va & 0xfff), start = off, to;
	uint16_t pos[ICACHE_BLOCK_MAX];	/* page offset of each insn */

	b->gpa = gpa;
	while (b->n < ICACHE_BLOCK_MAX && off < 4096) {
		struct insn *in = &b->insn[b->n];
		unsigned avail = 4096 - off;

		if (decode_insn(&c->ic.dec, page + off, avail > 15 ? 15 : avail,
				in) == DECODE_NEED_MORE) {
			uint64_t tail;
			int rc;
			if (b->n > 0)
				break;	/* fetch the straddler in its own block */
			if ((rc = decode_straddling(c, va, in, &tail)))
				return rc;
			b->gpa_tail = tail;
			b->va_tail_off = avail;
			b->n = 1;
			off = 4096;
			break;
		}
		pos[b->n++] = (uint16_t)off;
		mark_code(c, (gpa & ~0xfffull) | off,
			  off + in->len > 4096 ? 4096 - off : in->len);
		if ((in->flags & IF_END) && jump_through(b, in, off, &to)) {
			in->flags &= (uint8_t)~IF_END;
			off = to;
			continue;
		}
		off += in->len;
		if (in->flags & IF_END)
			break;
	}
	if (b->gpa_tail != 1)	/* the straddler: its first page's part */
		mark_code(c, gpa, 4096 - start);
	else if (!(b->insn[b->n - 1].flags & IF_END) &&
		 decode_is_jmp_rel(&b->insn[b->n - 1]))
		b->insn[b->n - 1].flags |= IF_END;	/* nothing follows */
	for (unsigned k = 0; k < b->n; k++) {
		struct insn *in = &b->insn[k];

		if (b->gpa_tail == 1)
			decode_place(in, (int)pos[k] - (int)start, k);
		else
			decode_place(in, 0, k);
		if (!(in->flags & IF_END) && decode_is_jmp_rel(in))
			in->fn = thread_jmp_inner;
	}
	for (unsigned k = 0; k + 1 < b->n; k++)
		decode_dead_flags(&b->insn[k], &b->insn[k + 1]);
	if (b->n >= 2 && b->gpa_tail == 1)
		decode_fuse(&b->insn[b->n - 2], &b->insn[b->n - 1]);
	memset(&b->insn[b->n], 0, sizeof(struct insn));	/* the sentinel */
	b->insn[b->n].off = (int16_t)(b->insn[b->n - 1].off +
				      b->insn[b->n - 1].len);
	b->insn[b->n].idx = (uint8_t)b->n;
	b->insn[b->n].imm = (uint64_t)(uintptr_t)b;	/* thread_link() */
	b->insn[b->n].fn = thread_sentinel(&b->insn[b->n - 1]);
	b->insn[b->n].exec = b->insn[b->n].fn;
	c->ic.used += sizeof(*b) + (b->n + 1) * sizeof(struct insn);
	c->st.blocks_decoded++;
	c->st.insns_decoded += b->n;
	b->next = c->ic.hash[bucket(gpa)];
	c->ic.hash[bucket(gpa)] = b;
	*out = b;
	return OP_OK;
}

static bool tail_ok(struct cpu *c, const struct block *b)
{
	uint64_t gpa;
	uint8_t *host;

	if (b->gpa_tail == 1)
		return true;
	return mem_translate(c, c->s.rip + b->va_tail_off, TLB_X, mem_user(c),
			     &gpa, &host) == OP_OK &&
	       (gpa & ~0xfffull) == b->gpa_tail;
}

int icache_lookup(struct cpu *c, struct block **out)
{
	uint64_t va = c->s.rip, gpa;
	unsigned user = mem_user(c);
	struct tlb_entry *e = tlb_slot(&c->tlb, TLB_X, user, va);
	uint8_t *host;
	struct block *b;
	int rc;

	if (e->tag == (va & ~0xfffull)) {
		gpa = e->gpa | (va & 0xfff);
		host = e->host + (va & 0xfff);
	} else {
		if ((rc = mem_translate(c, va, TLB_X, user, &gpa, &host)))
			return rc;
		if (!host)
			return cpu_stop(c, RUN_EXIT_GUEST_FAULT,
					"instruction fetch outside RAM: RIP "
					"%#llx is guest-physical %#llx",
					(unsigned long long)va,
					(unsigned long long)gpa);
	}
	for (b = c->ic.hash[bucket(gpa)]; b; b = b->next)
		if (b->gpa == gpa && tail_ok(c, b)) {
			*out = b;
			return OP_OK;
		}
	return block_build(c, va, gpa, host - (va & 0xfff), out);
}
