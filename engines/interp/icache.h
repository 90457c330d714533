/*
 * icache.h - the decoded-instruction cache.
 *
 * Code is decoded once into blocks (straight-line runs of struct insn that
 * end at a control transfer, a system instruction, a page end or
 * ICACHE_BLOCK_MAX instructions) keyed by the guest-physical address of
 * their first byte, so a page mapped at two virtual addresses is decoded
 * once and a remap is noticed. Branch targets and RIP-relative operands are
 * kept relative, so a block is valid at any virtual address.
 *
 * A RAM page that holds decoded code has a non-zero mask in code_page[]
 * (one bit per 64-byte chunk holding decoded bytes). Writes to such a page
 * always take the TLB slow path (see tlb.h); one that touches a marked
 * chunk drops every block (icache_flush) and ends the running block after
 * the writing instruction, so self-modifying code sees its new bytes,
 * while data sharing a page with code costs no flush. Blocks live in one
 * arena that is reset by a flush.
 */
#ifndef VMB_INTERP_ICACHE_H
#define VMB_INTERP_ICACHE_H

#include <stddef.h>
#include <stdint.h>

#include <Zydis/Zydis.h>

#define ICACHE_BLOCK_MAX 64
#define ICACHE_BUCKETS (1u << 16)
#define ICACHE_ARENA (64u << 20)

struct insn;

struct block {
	uint64_t gpa;		/* first byte */
	uint64_t gpa_tail;	/* page of a last insn straddling a page, or 1 */
	uint64_t va_tail_off;	/* offset from block start to that page */
	struct block *next;	/* hash chain */
	/* Successor cache (block chaining): the block that last followed
	 * this one at guest RIP succ_key[k] (bit 0: user mode), valid while
	 * the TLB epoch is succ_epoch[k] (no flush since). */
	uint64_t succ_key[2], succ_epoch[2];
	struct block *succ[2];
	uint32_t n;
	struct insn *insn;	/* n decoded instructions */
};

struct icache {
	struct block **hash;	/* ICACHE_BUCKETS chains */
	uint8_t *arena;
	size_t used;
	uint64_t *code_page;	/* per RAM page: 64-byte chunks with code */
	uint64_t npages;
	uint64_t generation;	/* bumped by every flush */
	ZydisDecoder dec;
};

struct cpu;

/* Allocate the cache for (ram_bytes) of RAM. Returns 0 or -1. */
int icache_init(struct icache *ic, uint64_t ram_bytes);
void icache_free(struct icache *ic);

/* Drop every block and code mark. */
void icache_flush(struct cpu *c);

/*
 * Find the block starting at c->s.rip, decoding it if needed, into *out.
 * Returns OP_OK, OP_FAULT (fetch #PF pending) or OP_STOP (fetch outside
 * RAM).
 */
int icache_lookup(struct cpu *c, struct block **out);

/* A guest write of (len) bytes at (gpa) on a code page: flush and count
 * it when it touches decoded bytes. */
void icache_code_write(struct cpu *c, uint64_t gpa, unsigned len);

#endif /* VMB_INTERP_ICACHE_H */
