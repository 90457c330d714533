/*
 * string.c - MOVS/STOS/LODS/CMPS/SCAS with REP/REPE/REPNE, and INS/OUTS
 * (with REP) through the I/O bus, each element a PIO trap.
 *
 * RCX, RSI and RDI are updated after every element (or bulk run), so a
 * fault in the middle leaves the architectural state at the faulting
 * element and re-executing the instruction resumes it (as on hardware).
 * After REP_CHUNK elements (or REP_BULK_RUNS bulk runs) a REP instruction
 * yields: RIP stays on it and the block ends, so the run loop can check
 * limits and deliver interrupts, as hardware does between iterations; a
 * guest REP with an enormous count cannot hang the host. It retires once,
 * when it completes.
 * Segment overrides on the source are ignored (64-bit flat model; a FS/GS
 * override on a string source is not used by the guest).
 */
#include "interp/flags.h"
#include "interp/operand.h"
#include "interp/ops.h"

#define REP_CHUNK 65536u
#define REP_BULK_RUNS 256u

/* Interrupt the REP here: re-execute it next, retire nothing now. */
static int rep_yield(struct cpu *c)
{
	c->next_rip = c->s.rip;
	c->icount--;		/* the run loop counts this OP_OK */
	c->blk_end = 0;
	return OP_OK;
}

static uint64_t areg(const struct cpu *c, const struct insn *i, unsigned r)
{
	return i->asz == 4 ? (uint32_t)c->s.gpr[r] : c->s.gpr[r];
}

static void astep(struct cpu *c, const struct insn *i, unsigned r)
{
	uint64_t d = (c->s.rflags & X86_RFLAGS_DF) ? -(uint64_t)i->osz
						   : i->osz;
	reg_set(c, r, i->asz, c->s.gpr[r] + d);
}

/* One element of each string op; returns OP_* */
static int str_movs(struct cpu *c, const struct insn *i)
{
	uint64_t v;
	int rc = mem_read(c, areg(c, i, X86_RSI), i->osz, &v);

	if (rc || (rc = mem_write(c, areg(c, i, X86_RDI), i->osz, v)))
		return rc;
	astep(c, i, X86_RSI);
	astep(c, i, X86_RDI);
	return OP_OK;
}

static int str_stos(struct cpu *c, const struct insn *i)
{
	int rc = mem_write(c, areg(c, i, X86_RDI), i->osz,
			   c->s.gpr[X86_RAX]);
	if (rc)
		return rc;
	astep(c, i, X86_RDI);
	return OP_OK;
}

static int str_lods(struct cpu *c, const struct insn *i)
{
	uint64_t v;
	int rc = mem_read(c, areg(c, i, X86_RSI), i->osz, &v);

	if (rc)
		return rc;
	reg_set(c, X86_RAX, i->osz, v);
	astep(c, i, X86_RSI);
	return OP_OK;
}

static int str_cmps(struct cpu *c, const struct insn *i)
{
	uint64_t a, b;
	int rc = mem_read(c, areg(c, i, X86_RSI), i->osz, &a);

	if (rc || (rc = mem_read(c, areg(c, i, X86_RDI), i->osz, &b)))
		return rc;
	flags_set(c, LF_SUB, i->osz, a, b, (a - b) & size_mask(i->osz));
	astep(c, i, X86_RSI);
	astep(c, i, X86_RDI);
	return OP_OK;
}

static int str_scas(struct cpu *c, const struct insn *i)
{
	uint64_t a = reg_get(c, X86_RAX, i->osz), b;
	int rc = mem_read(c, areg(c, i, X86_RDI), i->osz, &b);

	if (rc)
		return rc;
	flags_set(c, LF_SUB, i->osz, a, b, (a - b) & size_mask(i->osz));
	astep(c, i, X86_RDI);
	return OP_OK;
}

/* Host address of (n) bytes at (va) for (kind), or NULL when they are not
 * plain RAM of one page (MMIO, decoded code): the element path then runs. */
static uint8_t *bulk_map(struct cpu *c, uint64_t va, unsigned kind,
			 int *rc)
{
	unsigned user = mem_duser(c);
	struct tlb_entry *e = tlb_slot(&c->tlb, kind, user, va);
	uint64_t gpa;
	uint8_t *host;

	if (e->tag == (va & ~0xfffull)) {
		c->st.tlb_hit++;
		return e->host + (va & 0xfff);
	}
	if (user == TLB_ACHECK)
		return NULL;	/* element by element, each one checked */
	if ((*rc = mem_translate(c, va, kind, user, &gpa, &host)) || !host)
		return NULL;
	return c->ic.code_page[gpa >> 12] || c->write_hook ? NULL : host;
}

/*
 * REP MOVS/STOS, DF=0, 64-bit addressing: copy or fill whole runs that
 * stay inside one source and one destination page with memcpy/stores,
 * updating RCX/RSI/RDI per run (so a fault between runs is precise).
 * Stops early (the caller continues element by element) at a page
 * straddle, MMIO, decoded code or a forward overlap (which must replicate
 * like the element loop).
 */
static int str_bulk(struct cpu *c, const struct insn *i, bool movs,
		    bool *yield)
{
	unsigned sz = i->osz, runs = 0;
	int rc = OP_OK;

	while (c->s.gpr[X86_RCX] && i->asz == 8 &&
	       !(c->s.rflags & X86_RFLAGS_DF)) {
		if (++runs > REP_BULK_RUNS) {
			*yield = true;
			break;
		}
		uint64_t di = c->s.gpr[X86_RDI], si = c->s.gpr[X86_RSI];
		uint64_t n = c->s.gpr[X86_RCX], room = (4096 - (di & 0xfff)) / sz;
		uint8_t *d, *s = NULL;

		if (movs && (4096 - (si & 0xfff)) / sz < room)
			room = (4096 - (si & 0xfff)) / sz;
		if (room == 0)
			break;
		if (n > room)
			n = room;
		if (movs && !(s = bulk_map(c, si, TLB_R, &rc)))
			break;
		if (!(d = bulk_map(c, di, TLB_W, &rc)))
			break;
		if (movs) {
			if (d > s && d < s + n * sz)
				break;
			memmove(d, s, n * sz);
			c->s.gpr[X86_RSI] = si + n * sz;
		} else {
			uint64_t v = c->s.gpr[X86_RAX];
			if (sz == 1)
				memset(d, (int)(v & 0xff), n);
			else
				for (uint64_t k = 0; k < n; k++)
					mem_store(d + k * sz, sz, v);
		}
		c->s.gpr[X86_RDI] = di + n * sz;
		c->s.gpr[X86_RCX] -= n;
	}
	return rc;
}

static int str_run(struct cpu *c, const struct insn *i,
		   int (*one)(struct cpu *, const struct insn *), bool cond)
{
	unsigned budget = REP_CHUNK;
	bool yield = false;
	int rc;

	if (!(i->flags & (IF_REP | IF_REPNE)))
		return one(c, i);
	if ((one == str_movs || one == str_stos) &&
	    (rc = str_bulk(c, i, one == str_movs, &yield)))
		return rc;
	if (yield)
		return rep_yield(c);
	while (areg(c, i, X86_RCX) != 0) {
		if (budget-- == 0)
			return rep_yield(c);
		if ((rc = one(c, i)))
			return rc;
		reg_set(c, X86_RCX, i->asz, c->s.gpr[X86_RCX] - 1);
		if (cond) {
			bool zf = flags_cond(c, 4);
			if ((i->flags & IF_REPNE) ? zf : !zf)
				break;
		}
	}
	return OP_OK;
}

int op_movs(struct cpu *c, const struct insn *i) { return str_run(c, i, str_movs, false); }
int op_stos(struct cpu *c, const struct insn *i) { return str_run(c, i, str_stos, false); }
int op_lods(struct cpu *c, const struct insn *i) { return str_run(c, i, str_lods, false); }
int op_cmps(struct cpu *c, const struct insn *i) { return str_run(c, i, str_cmps, true); }
int op_scas(struct cpu *c, const struct insn *i) { return str_run(c, i, str_scas, true); }

/* INS: the destination is checked before the port is read, so a #PF or
 * #GP restarts the element without a second device read. */
static int str_ins(struct cpu *c, const struct insn *i)
{
	uint64_t va = areg(c, i, X86_RDI), gpa, v = 0;
	unsigned port = (unsigned)(c->s.gpr[X86_RDX] & 0xffff);
	uint8_t data[4] = { 0 }, *host;
	int rc;

	if ((rc = mem_translate(c, va, TLB_W, mem_user(c), &gpa, &host)) ||
	    (rc = mem_translate(c, va + i->osz - 1, TLB_W, mem_user(c), &gpa,
				&host)) ||
	    (rc = sysio_port(c, port, data, i->osz, false)))
		return rc;
	memcpy(&v, data, i->osz);
	if ((rc = mem_write(c, va, i->osz, v)))
		return rc;
	astep(c, i, X86_RDI);
	return OP_OK;
}

static int str_outs(struct cpu *c, const struct insn *i)
{
	unsigned port = (unsigned)(c->s.gpr[X86_RDX] & 0xffff);
	uint8_t data[4];
	uint64_t v;
	int rc = mem_read(c, areg(c, i, X86_RSI), i->osz, &v);

	if (rc)
		return rc;
	memcpy(data, &v, 4);
	if ((rc = sysio_port(c, port, data, i->osz, true)))
		return rc;
	astep(c, i, X86_RSI);
	return OP_OK;
}

/* REP INS/OUTS: as str_run, and a device that ends the run (the exit
 * port) ends the loop with RIP on the instruction. */
static int io_run(struct cpu *c, const struct insn *i,
		  int (*one)(struct cpu *, const struct insn *))
{
	unsigned budget = REP_CHUNK;
	int rc;

	if (!(i->flags & (IF_REP | IF_REPNE)))
		return one(c, i);
	while (areg(c, i, X86_RCX) != 0) {
		if (budget-- == 0 || c->m->exit_requested)
			return rep_yield(c);
		if ((rc = one(c, i)))
			return rc;
		reg_set(c, X86_RCX, i->asz, c->s.gpr[X86_RCX] - 1);
	}
	return OP_OK;
}

int op_ins(struct cpu *c, const struct insn *i) { return io_run(c, i, str_ins); }
int op_outs(struct cpu *c, const struct insn *i) { return io_run(c, i, str_outs); }
