/*
 * bt_cache.h - the translation cache: host code for guest blocks, and the
 * table that finds a block again.
 *
 * A block is the translation of straight-line guest code starting at one
 * guest RIP, ending at a branch, at an instruction the monitor must
 * handle, or at the end of the guest page. It is keyed by guest-physical
 * address, guest RIP and privilege level: the same physical code mapped at
 * another address gets another block, because return addresses and
 * RIP-relative operands in the translation are absolute guest addresses.
 *
 * Code and metadata are bump-allocated from two fixed arenas; when either
 * fills up, the whole cache is flushed (every block and exit record goes
 * away at once, so no pointers into it may be kept across a flush).
 */
#ifndef VMB_BT_CACHE_H
#define VMB_BT_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct bt_block;

/* A memory operand's address: gpr[base] + gpr[index] * scale + disp
 * (base/index BT_FAST_NOREG when absent; RIP-relative folded into
 * disp). */
#define BT_FAST_NOREG 0xff
struct bt_fast_mem {
	uint8_t base, index, scale;
	int64_t disp;
};

enum bt_exit_kind {
	BT_EXIT_BRANCH,		/* continue at rec->target */
	BT_EXIT_INDIRECT,	/* continue at ctx->target */
	BT_EXIT_MONITOR,	/* instruction at rec->target needs the monitor */
	BT_EXIT_FAULT,		/* the fault handler took over (not emitted) */
	BT_EXIT_RET_FILL,	/* a RET site's first return: ctx->target, and
				 * rec->site to fill (see struct bt_ret_site) */
};

/* One exit of a block; emitted stubs point at it. */
struct bt_exit_rec {
	enum bt_exit_kind kind;
	uint32_t ninsn;		/* guest instructions retired before it */
	uint64_t target;	/* guest RIP (BRANCH, MONITOR) */
	struct bt_block *block;
	uint8_t *stub;		/* its exit stub: patched to chain */
	bool chained;		/* stub now jumps straight to a block */
	uint8_t orig[5];	/* stub bytes a cross-page chain replaced */
	struct bt_ret_site *site; /* BT_EXIT_RET_FILL */
	uint8_t cause;		/* BT_EXIT_MONITOR: enum bt_mon_cause */
	uint8_t fast, fast_len;	/* and enum bt_fast_kind, length */
	struct bt_fast_mem mem;	/* and its operand (bt_fast.h) */
};

/*
 * The inline return cache of one RET site. The RET loads its target into
 * RCX (guest RCX parked in slot) and adds d1 = -(cached target) with LEA,
 * so JRCXZ (no flags touched) takes the hit path: RCX back, then a direct
 * JMP (rel32 at host) to the cached block. Otherwise d2 = +(cached
 * target) restores the target and the miss path goes through (miss): the
 * site's fill stub until the dispatcher fills the cache with the first
 * target, the indirect-branch lookup afterwards. An empty cache has
 * d1 = d2 = 0 and its hit jump at hitmiss (only a target of 0 "hits",
 * and hitmiss sends that to the miss path). miss is read by the code
 * (RIP-relative, never written by it); the rest are patch locations.
 */
struct bt_ret_site {
	uint64_t miss;		/* fill stub, later the lookup routine */
	uint64_t fill;		/* the fill stub, for resets */
	uint8_t *d1, *d2;	/* disp32 fields: -target, +target */
	uint8_t *host;		/* rel32 field of the hit jump */
	uint8_t *hitmiss;	/* the empty cache's hit target */
};

/* Host code offset -> guest instruction, for precise faults. */
struct bt_insn_map {
	uint32_t host_off;	/* first host byte of this guest instruction */
	int32_t guest_off;	/* its offset from block->rip (a block may
				 * follow a jump backwards in its page) */
	uint32_t flags;		/* BT_MAP_* */
};

/* Guest RAX is in ctx->gpr[RAX], not in the host RAX, from this
 * instruction's first host byte on (indirect branches load RAX). */
#define BT_MAP_RAX_IN_CTX 0x1
/* guest RCX is in the host XMM15 at the instruction's access (a layout
 * check did not restore it: the instruction overwrites it) */
#define BT_MAP_RCX_IN_XMM15 0x2

/*
 * Every block starts with one instruction that both counts and can be
 * stopped: paddq kick+16n(%rip),%xmm14 (9 bytes), n the block's guest
 * instruction count. The kick page holds the 128-bit constants {k, 0} at
 * offset 16k (BT_CACHE_COUNTS of them), so the load adds n to the count
 * in XMM14's low lane (bt_ctx.h) -- no GPR, no flags; guest code never
 * uses XMM registers, none are on the copy list. Making the page
 * PROT_NONE stops the guest at the next block entry, chained or not,
 * before the block counted anything: the precise point where interrupts
 * are delivered. A load and a register add cost next to nothing in a
 * tight loop (a store there, the first design, doubled its time; a
 * counter in memory would chain every block on a store-to-load
 * forwarding).
 */
#define BT_BLOCK_PROLOGUE 9
#define BT_CACHE_COUNTS 256

struct bt_block {
	uint64_t rip, gpa;
	unsigned cpl;
	uint8_t *code;		/* entry: the kick check, then the body */
	uint32_t code_len;
	uint32_t ninsn;		/* guest instructions translated */
	uint32_t nmap;
	struct bt_insn_map *map;
	struct bt_block *hash_next;
	/* Code pages: gpa's page, and gpa2's when the first instruction runs
	 * into the next page (BT_NO_PAGE otherwise); page_next[i] links the
	 * blocks of page i of this block. */
	uint64_t gpa2;
	struct bt_block *page_next[2];
	bool invalid;		/* dropped by bt_cache_invalidate_page() */
	bool step;		/* one-instruction block outside the cache */
	bool monitor_only;	/* first instruction needs the monitor */
	uint64_t monitor_rip;	/* then: its RIP */
	uint8_t monitor_cause;	/* and its enum bt_mon_cause */
	uint8_t fast, fast_len;	/* and enum bt_fast_kind, length */
	struct bt_fast_mem mem;	/* and its operand (bt_fast.h) */
};

#define BT_NO_PAGE UINT64_MAX

struct bt_cache_stats {
	uint64_t blocks, flushes, lookups, hits, invalidated;
	/* counted self-loops translated with a pre-header, and the
	 * per-access checks those took out of the loop bodies (bt_loop.h) */
	uint64_t loops_hoisted, loop_checks_hoisted;
	/* CPL3 checks left out for an access near an earlier one */
	uint64_t checks_elided;
	size_t code_bytes, code_cap, meta_bytes, meta_cap;
};

/*
 * Data the translated code reaches RIP-relative lives in two pages right
 * before the code: the kick page (read by every block prologue) and a
 * page of variables it writes -- never on a code page, where a store to
 * a cache line holding instructions costs the host a pipeline flush.
 */
#define BT_CACHE_DATA 8192u
#define BT_CACHE_KICK 0		/* offset of the kick page (the counts) */
#define BT_CACHE_SLOT_RCX 4096	/* offset: RET sites park guest RCX here */
/* offset of the guest's CR0, CR2, CR3, CR4 (8 bytes each, in that order):
 * translated MOV from CR reads them (bt_exec.c keeps them current) */
#define BT_CACHE_CR 4160
#define BT_CACHE_CR_OFF(n) (BT_CACHE_CR + 8u * ((n) == 0 ? 0u : (n) - 1u))
/* offset of a 64-bit count of failed loop pre-header checks (the loop
 * then runs with every layout check; bt_translate.c) */
#define BT_CACHE_LOOP_FAILS 4224
/* offset of the constants {k, 0} (k <= BT_CACHE_UNCOUNTS_MAX) that a
 * side exit subtracts from the count (psubq): the kick page's would
 * fault while a kick is pending, and only a prologue may stop there */
#define BT_CACHE_UNCOUNT 5120
#define BT_CACHE_UNCOUNTS_MAX 64

struct bt_cache {
	uint8_t *data;		/* BT_CACHE_DATA bytes, then code */
	uint8_t *code;		/* RWX arena */
	size_t code_cap, code_used;
	uint8_t *meta;		/* blocks, maps, exit records */
	size_t meta_cap, meta_used;
	struct bt_block **hash;	/* BT_CACHE_HASH buckets */
	struct bt_block **page_head; /* per RAM page: its blocks */
	uint64_t npages;
	struct bt_block **order; /* blocks in code-address order */
	size_t norder, order_cap;
	struct bt_cache_stats st;
};

#define BT_CACHE_HASH 65536u

/* Create a cache with (code_bytes) of host code, for guest RAM of
 * (ram_bytes). Returns 0 or -1. */
int bt_cache_create(struct bt_cache *c, size_t code_bytes, uint64_t ram_bytes,
		    char *err, size_t errlen);
void bt_cache_destroy(struct bt_cache *c);

/* The block for (rip, gpa, cpl), or NULL. */
struct bt_block *bt_cache_lookup(struct bt_cache *c, uint64_t rip,
				 uint64_t gpa, unsigned cpl);

/* Add (b) (allocated from this cache, code emitted after every block
 * already added) to the tables. */
void bt_cache_insert(struct bt_cache *c, struct bt_block *b);

/* Add (b) (as for bt_cache_insert) only to what bt_cache_block_at()
 * searches: a part of another block's code (a loop body entered from its
 * pre-header), never looked up by guest address nor dropped by page. */
void bt_cache_insert_hidden(struct bt_cache *c, struct bt_block *b);

/* The block whose code holds host address (pc), or NULL. */
struct bt_block *bt_cache_block_at(const struct bt_cache *c, uintptr_t pc);

/* Metadata allocation (8-byte aligned, zeroed), NULL when full. */
void *bt_cache_meta_alloc(struct bt_cache *c, size_t len);

/* Free code space from the current position; the caller emits there and
 * then commits what it used. */
static inline uint8_t *bt_cache_code_ptr(struct bt_cache *c)
{
	return c->code + c->code_used;
}
static inline size_t bt_cache_code_room(const struct bt_cache *c)
{
	return c->code_cap - c->code_used;
}
void bt_cache_code_commit(struct bt_cache *c, size_t len);

/*
 * Drop every block with code on the RAM page at (gpa): they leave the
 * lookup table (their host code stays allocated until the next flush, so
 * a fault report in them still resolves). Chained jumps only connect
 * blocks of the same page, never into a block spanning two pages, so no
 * surviving block jumps into a dropped one. Returns how many were dropped.
 */
unsigned bt_cache_invalidate_page(struct bt_cache *c, uint64_t gpa);

/* Drop every block. */
void bt_cache_flush(struct bt_cache *c);

#endif /* VMB_BT_CACHE_H */
