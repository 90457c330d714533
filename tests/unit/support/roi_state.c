/* roi_state.c - guest state at ROI markers and its comparison (roi_state.h). */
#include "roi_state.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <x86intrin.h>

#include "vmb_abi.h"

#define PAGE 4096ull
#define KSTACK_MAX (64u << 10)
#define STACK_MAX (8ull << 20)	/* the guest's user stack limit */
#define USER_TOP 0x80000000ull	/* guest layout: user space below 2 GiB */
#define PTE_P 1ull
#define PTE_W 2ull
#define PTE_U 4ull
#define PTE_PS 0x80ull
#define PTE_NX (1ull << 63)
#define PTE_ADDR 0x000ffffffffff000ull

/* Every architecturally defined RFLAGS bit (bit 1 is fixed at 1; the
 * reserved bits are left out). */
#define RFLAGS_DEFINED 0x3f7fd7ull

/* The 8 bytes at guest-physical (gpa), or false when outside RAM. */
static bool phys_u64(struct guest_mem *mem, uint64_t gpa, uint64_t *v)
{
	const void *p = guest_mem_ptr(mem, gpa, 8);

	if (!p)
		return false;
	memcpy(v, p, 8);
	return true;
}

/*
 * Read-only 4-level walk of (va) from (cr3): the leaf's physical page
 * (4 KiB granule), its effective rights and whether every level has U/S.
 * Sets no A/D bit (the recording must not change the guest).
 */
static bool walk(struct guest_mem *mem, uint64_t cr3, uint64_t va,
		 uint64_t *gpa, uint64_t *rights, bool *user)
{
	uint64_t table = cr3 & PTE_ADDR, e = 0;
	bool w = true, u = true, nx = false;

	for (int level = 3; level >= 0; level--) {
		unsigned idx = (va >> (12 + 9 * level)) & 511;

		if (!phys_u64(mem, table + idx * 8ull, &e) || !(e & PTE_P))
			return false;
		w &= !!(e & PTE_W);
		u &= !!(e & PTE_U);
		nx |= !!(e & PTE_NX);
		if (level && level < 3 && (e & PTE_PS)) {
			uint64_t span = 1ull << (12 + 9 * level);

			*gpa = (e & PTE_ADDR & ~(span - 1)) + (va & (span - 1));
			*gpa &= ~(PAGE - 1);
			break;
		}
		table = e & PTE_ADDR;
		*gpa = table;
	}
	*rights = (w ? ROI_PAGE_W : 0) | (nx ? ROI_PAGE_NX : 0);
	*user = u;
	return true;
}

/* Record the user page at (va) when it is mapped to RAM. */
static void page_add(struct roi_recorder *r, struct roi_state *s,
		     uint64_t va)
{
	struct guest_mem *mem = &r->e->m->mem;
	uint64_t gpa = 0, rights = 0;
	struct roi_page *p;
	const uint8_t *src;
	bool user = false;

	if (!walk(mem, s->regs.cr3, va, &gpa, &rights, &user) || !user)
		return;
	src = guest_mem_ptr(mem, gpa, PAGE);
	if (!src)
		return;	/* MMIO or outside RAM: not the workload's */
	if (!(s->npages & (s->npages + 1)) || !s->pages) {
		unsigned cap = s->npages ? 2 * (s->npages + 1) : 64;
		struct roi_page *np = realloc(s->pages, cap * sizeof(*np));

		if (!np) {
			snprintf(r->err, sizeof(r->err), "out of memory");
			return;
		}
		s->pages = np;
	}
	p = &s->pages[s->npages];
	p->bytes = malloc(PAGE);
	if (!p->bytes) {
		snprintf(r->err, sizeof(r->err), "out of memory");
		return;
	}
	memcpy(p->bytes, src, PAGE);
	p->va = va;
	p->rights = rights;
	p->lo = 0;
	p->hi = PAGE;
	/* the dead part of the user stack: below the user RSP */
	if (s->user_rsp && va + PAGE > s->user_rsp && va <= s->user_rsp)
		p->lo = (uint32_t)(s->user_rsp - va);
	else if (s->user_rsp && va < s->user_rsp &&
		 s->user_rsp - va < STACK_MAX && va >= USER_TOP - STACK_MAX)
		p->lo = p->hi = 0;	/* wholly below RSP: dead */
	p->hash = 0x9e3779b97f4a7c15ull;
	for (uint32_t k = p->lo; k < p->hi; k++)
		p->hash = (p->hash ^ p->bytes[k]) * 0x100000001b3ull;
	s->npages++;
}

/* Every user page under (table) of (level) (3 = PML4) from VA (base), in
 * VA order; absent entries skip their whole subtree, so the walk costs
 * the mapped pages, not 2 GiB / 4 KiB. */
static void user_pages_collect(struct roi_recorder *r, struct roi_state *s,
			       uint64_t table, int level, uint64_t base)
{
	struct guest_mem *mem = &r->e->m->mem;
	unsigned n = level == 3 ? 2 : 512; /* PML4: 2 GiB = entries 0, 1 */

	for (unsigned i = 0; i < n && !r->err[0]; i++) {
		uint64_t e, va = base + ((uint64_t)i << (12 + 9 * level));

		if (va >= USER_TOP)
			break;
		if (!phys_u64(mem, table + i * 8ull, &e) || !(e & PTE_P) ||
		    !(e & PTE_U))
			continue;
		if (level == 0 || (level < 3 && (e & PTE_PS))) {
			uint64_t span = 1ull << (12 + 9 * level);

			for (uint64_t off = 0; off < span; off += PAGE)
				page_add(r, s, va + off);
			continue;
		}
		user_pages_collect(r, s, e & PTE_ADDR, level - 1, va);
	}
}

static void perturb(const struct roi_recorder *r, struct roi_state *s)
{
	const struct roi_perturb *p = &r->perturb;

	if (p->kind == ROI_PERTURB_NONE || p->marker != r->n)
		return;
	if (p->kind == ROI_PERTURB_GPR && p->index < X86_NGPR)
		s->regs.gpr[p->index] ^= 1;
	else if (p->kind == ROI_PERTURB_RFLAGS)
		s->regs.rflags ^= X86_RFLAGS_CF;
	else if (p->kind == ROI_PERTURB_MEM && p->index < s->npages &&
		 s->pages[p->index].lo < s->pages[p->index].hi) {
		s->pages[p->index].bytes[s->pages[p->index].lo] ^= 1;
		s->pages[p->index].hash ^= 1;
	} else if (p->kind == ROI_PERTURB_KSTACK && p->index < s->kstack_len) {
		s->kstack[s->kstack_len - 1 - p->index] ^= 1;
	}
}

/* The live part of the kernel stack the marker runs on: [RSP, top). */
static void kstack_copy(struct roi_recorder *r, struct roi_state *s)
{
	struct guest_mem *mem = &r->e->m->mem;
	uint64_t top, rsp = s->regs.gpr[X86_RSP];
	const void *src;

	if (!r->kstack_top_slot ||
	    !phys_u64(mem, r->kstack_top_slot - VMB_KERNEL_VBASE, &top))
		return;
	if (!top)
		top = r->kstack_top_boot;
	if (rsp > top || top - rsp > KSTACK_MAX || rsp < VMB_KERNEL_VBASE)
		return;
	src = guest_mem_ptr(mem, rsp - VMB_KERNEL_VBASE, top - rsp);
	s->kstack = src ? malloc(top - rsp + 1) : NULL;
	if (!s->kstack)
		return;
	memcpy(s->kstack, src, top - rsp);
	s->kstack_len = (uint32_t)(top - rsp);
	if (r->kstack_frame_words &&
	    8ull * (r->kstack_cs_word + 1) <= top - rsp) {
		uint64_t cs;

		memcpy(&cs, s->kstack + s->kstack_len -
			    8 * (r->kstack_cs_word + 1), 8);
		s->kstack_from_user = (cs & 3) == 3;
	}
}

static void roi_record(void *opaque, uint32_t value)
{
	struct roi_recorder *r = opaque;
	struct guest_mem *mem = &r->e->m->mem;
	struct roi_state *s;
	uint64_t slot;

	if (r->prev)
		r->prev(r->prev_opaque, value);
	if (r->err[0])
		return;
	if (r->n == r->cap) {
		unsigned cap = r->cap ? 2 * r->cap : 16;
		struct roi_state *ns = realloc(r->st, cap * sizeof(*ns));

		if (!ns) {
			snprintf(r->err, sizeof(r->err), "out of memory");
			return;
		}
		r->st = ns;
		r->cap = cap;
	}
	s = memset(&r->st[r->n], 0, sizeof(*s));
	s->value = value;
	/* TSC readings still live here were taken since the marker before
	 * the previous one (the last region's t0/t1 at a BEGIN) */
	s->tsc_lo = r->n >= 2 ? r->st[r->n - 2].tsc_hi : r->tsc_start;
	s->tsc_hi = __rdtsc();
	if (r->e->ops->state_get(r->e, &s->regs)) {
		snprintf(r->err, sizeof(r->err), "%s: no state at marker %#x",
			 r->e->ops->name, value);
		return;
	}
	/* the slot is in the kernel's direct map: VA = KERNBASE + PA */
	if (r->user_rsp_slot &&
	    phys_u64(mem, r->user_rsp_slot - VMB_KERNEL_VBASE, &slot) &&
	    slot && slot < USER_TOP)
		s->user_rsp = slot;
	if (s->regs.cr0 & X86_CR0_PG)
		user_pages_collect(r, s, s->regs.cr3 & PTE_ADDR, 3, 0);
	kstack_copy(r, s);
	perturb(r, s);
	r->n++;
}

int roi_recorder_attach(struct roi_recorder *r, struct engine *e,
			uint64_t user_rsp_slot, char *err, size_t errlen)
{
	memset(r, 0, sizeof(*r));
	if (!e->ops->state_get) {
		snprintf(err, errlen, "engine %s gives no guest state at ROI "
			 "markers (engine_ops.state_get)", e->ops->name);
		return -1;
	}
	r->e = e;
	r->prev = e->m->roi_hook;
	r->prev_opaque = e->m->roi_opaque;
	r->user_rsp_slot = user_rsp_slot;
	r->tsc_start = __rdtsc();
	e->m->roi_hook = roi_record;
	e->m->roi_opaque = r;
	return 0;
}

void roi_recorder_free(struct roi_recorder *r)
{
	for (unsigned i = 0; i < r->n; i++) {
		for (unsigned k = 0; k < r->st[i].npages; k++)
			free(r->st[i].pages[k].bytes);
		free(r->st[i].pages);
		free(r->st[i].kstack);
	}
	free(r->st);
	r->st = NULL;
	r->n = r->cap = 0;
}

/* ---- comparison ---------------------------------------------------------- */

static const char *const gpr_name[X86_NGPR] = {
	"rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
	"r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15",
};

/* Compared GPRs: the ones the marker code sets and the callee-saved. */
static const bool gpr_compared[X86_NGPR] = {
	[X86_RAX] = true, [X86_RDX] = true, [X86_RBX] = true,
	[X86_RSP] = true, [X86_RBP] = true, [X86_R12] = true,
	[X86_R13] = true, [X86_R14] = true, [X86_R15] = true,
};

/*
 * Is (v) a TSC reading of this run: the whole 64-bit value, or its high or
 * low 32 bits alone (RDTSC returns EDX:EAX; code keeps the halves apart),
 * within the run's host TSC window? A window of 2^32 ticks or more would
 * make every 32-bit value match, so then only 64-bit readings count.
 */
static bool tsc_like(const struct roi_state *s, uint64_t v)
{
	uint64_t lo32 = (uint32_t)s->tsc_lo, span = s->tsc_hi - s->tsc_lo;

	if (v >= s->tsc_lo && v <= s->tsc_hi)
		return true;
	if (v >= s->tsc_lo >> 32 && v <= s->tsc_hi >> 32)
		return true;	/* the high half (EDX) */
	if (v >> 32 || span >> 32)
		return false;
	return ((v - lo32) & 0xffffffffull) <= span;
}

struct field {
	const char *name;
	size_t off;
	uint64_t mask;
};

#define FIELD(n, member, m) {n, offsetof(struct x86_state, member), m}
static const struct field fields[] = {
	FIELD("rip", rip, ~0ull),
	FIELD("rflags", rflags, RFLAGS_DEFINED),
	FIELD("cs", seg[X86_CS].selector, 0xffff),
	FIELD("ss", seg[X86_SS].selector, 0xffff),
	FIELD("cr0", cr0, ~0ull),
	FIELD("cr2", cr2, ~0ull),
	FIELD("cr3", cr3, ~0ull),
	FIELD("cr4", cr4, ~0ull),
	FIELD("efer", efer, ~0ull),
	FIELD("fs.base", seg[X86_FS].base, ~0ull),
	FIELD("gs.base", seg[X86_GS].base, ~0ull),
	FIELD("kernel_gs_base", kernel_gs_base, ~0ull),
};

static uint64_t field_get(const struct x86_state *s, const struct field *f)
{
	uint64_t v = 0;

	if (!strcmp(f->name, "cs") || !strcmp(f->name, "ss")) {
		uint16_t sel;

		memcpy(&sel, (const char *)s + f->off, 2);
		return sel;
	}
	memcpy(&v, (const char *)s + f->off, 8);
	return v & f->mask;
}

static int regs_compare(const struct roi_state *a, const char *na,
			const struct roi_state *b, const char *nb,
			unsigned flags, char *msg, size_t msglen)
{
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		uint64_t va = field_get(&a->regs, &fields[i]);
		uint64_t vb = field_get(&b->regs, &fields[i]);

		if ((flags & ROI_CMP_SCHED) && !strcmp(fields[i].name, "cr2"))
			continue;
		if (va != vb) {
			snprintf(msg, msglen, "register %s: %s %#llx, %s %#llx",
				 fields[i].name, na, (unsigned long long)va,
				 nb, (unsigned long long)vb);
			return 1;
		}
	}
	if (a->user_rsp != b->user_rsp) {
		snprintf(msg, msglen, "user rsp (saved by the kernel): %s "
			 "%#llx, %s %#llx", na,
			 (unsigned long long)a->user_rsp, nb,
			 (unsigned long long)b->user_rsp);
		return 1;
	}
	for (unsigned g = 0; g < X86_NGPR; g++) {
		uint64_t va = a->regs.gpr[g], vb = b->regs.gpr[g];

		if (!gpr_compared[g] || va == vb ||
		    (tsc_like(a, va) && tsc_like(b, vb)))
			continue;
		snprintf(msg, msglen, "register %s: %s %#llx, %s %#llx",
			 gpr_name[g], na, (unsigned long long)va, nb,
			 (unsigned long long)vb);
		return 1;
	}
	return 0;
}

/* The aligned 64-bit word of (p) at byte (k). */
static uint64_t page_word(const struct roi_page *p, uint32_t k)
{
	uint64_t v;

	memcpy(&v, p->bytes + (k & ~7u), 8);
	return v;
}

static int page_compare(const struct roi_state *a, const struct roi_page *p,
			const char *na, const struct roi_state *b,
			const struct roi_page *q, const char *nb, char *msg,
			size_t msglen)
{
	uint32_t lo = p->lo > q->lo ? p->lo : q->lo;

	if (p->rights != q->rights) {
		snprintf(msg, msglen,
			 "user page %#llx: rights %s %s%s, %s %s%s",
			 (unsigned long long)p->va, na,
			 p->rights & ROI_PAGE_W ? "W" : "R",
			 p->rights & ROI_PAGE_NX ? "NX" : "X", nb,
			 q->rights & ROI_PAGE_W ? "W" : "R",
			 q->rights & ROI_PAGE_NX ? "NX" : "X");
		return 1;
	}
	if (p->hash == q->hash && p->lo == q->lo)
		return 0;
	for (uint32_t k = lo; k < p->hi; k++) {
		if (p->bytes[k] == q->bytes[k])
			continue;
		/* a spilled TSC reading, on both sides: skip its word */
		if (tsc_like(a, page_word(p, k)) &&
		    tsc_like(b, page_word(q, k))) {
			k |= 7;
			continue;
		}
		{
			snprintf(msg, msglen, "user page %#llx: byte +%#x "
				 "(VA %#llx): %s %#04x, %s %#04x (words %#llx, "
				 "%#llx)", (unsigned long long)p->va, k,
				 (unsigned long long)(p->va + k), na,
				 p->bytes[k], nb, q->bytes[k],
				 (unsigned long long)page_word(p, k),
				 (unsigned long long)page_word(q, k));
			return 1;
		}
	}
	return 0;
}

static int mem_compare(const struct roi_state *a, const char *na,
		       const struct roi_state *b, const char *nb,
		       char *msg, size_t msglen)
{
	unsigned i = 0, k = 0;

	while (i < a->npages || k < b->npages) {
		const struct roi_page *p = i < a->npages ? &a->pages[i] : NULL;
		const struct roi_page *q = k < b->npages ? &b->pages[k] : NULL;

		if (!q || (p && p->va < q->va)) {
			snprintf(msg, msglen, "user page %#llx: mapped on %s "
				 "only", (unsigned long long)p->va, na);
			return 1;
		}
		if (!p || q->va < p->va) {
			snprintf(msg, msglen, "user page %#llx: mapped on %s "
				 "only", (unsigned long long)q->va, nb);
			return 1;
		}
		if (page_compare(a, p, na, b, q, nb, msg, msglen))
			return 1;
		i++;
		k++;
	}
	return 0;
}

static int kstack_compare(const struct roi_state *a, const char *na,
			  const struct roi_state *b, const char *nb,
			  uint64_t dead_top, unsigned frame_words, char *msg,
			  size_t msglen)
{
	if (!a->kstack || !b->kstack)
		return 0;
	if (a->kstack_len != b->kstack_len) {
		snprintf(msg, msglen, "kernel stack depth: %s %u, %s %u", na,
			 a->kstack_len, nb, b->kstack_len);
		return 1;
	}
	for (uint32_t k = 0; k + 8 <= a->kstack_len; k += 8) {
		unsigned below = (a->kstack_len - k) / 8 - 1;
		uint64_t x, y;

		memcpy(&x, a->kstack + k, 8);
		memcpy(&y, b->kstack + k, 8);
		if (x == y || (tsc_like(a, x) && tsc_like(b, y)))
			continue;
		/* from CPL3: the trap frame only, less its dead slots */
		if (a->kstack_from_user &&
		    (below >= frame_words || (dead_top >> below & 1)))
			continue;
		snprintf(msg, msglen,
			 "kernel stack RSP+%#x: %s %#llx, %s %#llx", k, na,
			 (unsigned long long)x, nb, (unsigned long long)y);
		return 1;
	}
	return 0;
}

int roi_state_compare(const struct roi_recorder *a, const char *na,
		      const struct roi_recorder *b, const char *nb,
		      unsigned flags, char *msg, size_t msglen)
{
	char what[384];
	unsigned n = a->n < b->n ? a->n : b->n;

	if (a->err[0] || b->err[0]) {
		snprintf(msg, msglen, "recording failed: %s",
			 a->err[0] ? a->err : b->err);
		return 1;
	}
	for (unsigned i = 0; i < n; i++) {
		const struct roi_state *s = &a->st[i], *t = &b->st[i];

		if (s->value != t->value)
			snprintf(what, sizeof(what), "marker value: %s %#x, "
				 "%s %#x", na, s->value, nb, t->value);
		else if (!regs_compare(s, na, t, nb, flags, what,
				       sizeof(what)) &&
			 !mem_compare(s, na, t, nb, what, sizeof(what)) &&
			 ((flags & ROI_CMP_SCHED) ||
			  !kstack_compare(s, na, t, nb, a->kstack_dead_top,
					  a->kstack_frame_words, what,
					  sizeof(what))))
			continue;
		snprintf(msg, msglen, "marker %u (%#x): %s", i, s->value, what);
		return 1;
	}
	if (a->n != b->n) {
		snprintf(msg, msglen, "%u markers on %s, %u on %s", a->n, na,
			 b->n, nb);
		return 1;
	}
	snprintf(msg, msglen, "%u markers agree", n);
	return 0;
}
