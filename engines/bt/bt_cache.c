/*
 * bt_cache.c - code arena, metadata arena and block hash (bt_cache.h).
 */
#include "bt/bt_cache.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define META_PER_CODE 2	/* metadata bytes reserved per code byte */

int bt_cache_create(struct bt_cache *c, size_t code_bytes, uint64_t ram_bytes,
		    char *err, size_t errlen)
{
	memset(c, 0, sizeof(*c));
	/* one mapping: a data page, then the code (RIP-relative reach) */
	c->data = mmap(NULL, BT_CACHE_DATA + code_bytes,
		       PROT_READ | PROT_WRITE | PROT_EXEC,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	c->code = c->data + BT_CACHE_DATA;
	if (c->data == MAP_FAILED) {
		c->code = c->data = NULL;
		snprintf(err, errlen, "bt: code cache (%zu bytes): %s",
			 code_bytes, strerror(errno));
		return -1;
	}
	for (uint64_t k = 0; k < BT_CACHE_COUNTS; k++)
		memcpy(c->data + BT_CACHE_KICK + 16 * k, &k, 8);
	for (uint64_t k = 0; k <= BT_CACHE_UNCOUNTS_MAX; k++)
		memcpy(c->data + BT_CACHE_UNCOUNT + 16 * k, &k, 8);
	c->code_cap = code_bytes;
	c->meta_cap = code_bytes * META_PER_CODE;
	c->meta = mmap(NULL, c->meta_cap, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	c->hash = calloc(BT_CACHE_HASH, sizeof(*c->hash));
	c->order_cap = code_bytes / 16;
	c->order = calloc(c->order_cap, sizeof(*c->order));
	c->npages = ram_bytes >> 12;
	c->page_head = calloc(c->npages ? c->npages : 1, sizeof(*c->page_head));
	if (c->meta == MAP_FAILED || !c->hash || !c->order || !c->page_head) {
		if (c->meta == MAP_FAILED)
			c->meta = NULL;
		snprintf(err, errlen, "bt: cache metadata: out of memory");
		bt_cache_destroy(c);
		return -1;
	}
	return 0;
}

void bt_cache_destroy(struct bt_cache *c)
{
	if (c->code)
		munmap(c->data, BT_CACHE_DATA + c->code_cap);
	if (c->meta)
		munmap(c->meta, c->meta_cap);
	free(c->hash);
	free(c->order);
	free(c->page_head);
	memset(c, 0, sizeof(*c));
}

static unsigned hash_key(uint64_t rip, uint64_t gpa, unsigned cpl)
{
	uint64_t h = (rip ^ (gpa << 7) ^ cpl) * 0x9e3779b97f4a7c15ull;

	return (unsigned)(h >> 48) & (BT_CACHE_HASH - 1);
}

struct bt_block *bt_cache_lookup(struct bt_cache *c, uint64_t rip,
				 uint64_t gpa, unsigned cpl)
{
	c->st.lookups++;
	for (struct bt_block *b = c->hash[hash_key(rip, gpa, cpl)]; b;
	     b = b->hash_next) {
		if (b->rip == rip && b->gpa == gpa && b->cpl == cpl) {
			c->st.hits++;
			return b;
		}
	}
	return NULL;
}

void bt_cache_insert(struct bt_cache *c, struct bt_block *b)
{
	unsigned h = hash_key(b->rip, b->gpa, b->cpl);

	b->hash_next = c->hash[h];
	c->hash[h] = b;
	c->st.blocks++;
	for (int i = 0; i < 2; i++) {
		uint64_t g = i ? b->gpa2 : b->gpa;

		if (g == BT_NO_PAGE || (g >> 12) >= c->npages)
			continue;
		b->page_next[i] = c->page_head[g >> 12];
		c->page_head[g >> 12] = b;
	}
	if (c->norder < c->order_cap)
		c->order[c->norder++] = b;
}

void bt_cache_insert_hidden(struct bt_cache *c, struct bt_block *b)
{
	if (c->norder < c->order_cap)
		c->order[c->norder++] = b;
}

struct bt_block *bt_cache_block_at(const struct bt_cache *c, uintptr_t pc)
{
	size_t lo = 0, hi = c->norder;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		struct bt_block *b = c->order[mid];
		uintptr_t start = (uintptr_t)b->code;

		if (pc < start)
			hi = mid;
		else if (pc - start >= b->code_len)
			lo = mid + 1;
		else
			return b;
	}
	return NULL;
}

void *bt_cache_meta_alloc(struct bt_cache *c, size_t len)
{
	size_t at = (c->meta_used + 7) & ~(size_t)7;
	void *p;

	if (at > c->meta_cap || c->meta_cap - at < len)
		return NULL;
	p = c->meta + at;
	c->meta_used = at + len;
	memset(p, 0, len);
	return p;
}

void bt_cache_code_commit(struct bt_cache *c, size_t len)
{
	c->code_used += (len + 15) & ~(size_t)15;
	if (c->code_used > c->code_cap)
		c->code_used = c->code_cap;
}

static void hash_remove(struct bt_cache *c, struct bt_block *b)
{
	struct bt_block **pp = &c->hash[hash_key(b->rip, b->gpa, b->cpl)];

	for (; *pp; pp = &(*pp)->hash_next) {
		if (*pp == b) {
			*pp = b->hash_next;
			return;
		}
	}
}

/* Unlink (b) from the list of page (g) (b's page slot (i)). */
static void page_remove(struct bt_cache *c, struct bt_block *b, uint64_t g)
{
	struct bt_block **pp = &c->page_head[g >> 12];

	while (*pp) {
		struct bt_block *x = *pp;
		int slot = (x->gpa2 != BT_NO_PAGE &&
			    (x->gpa2 >> 12) == (g >> 12) &&
			    (x->gpa >> 12) != (g >> 12)) ? 1 : 0;

		if (x == b) {
			*pp = x->page_next[slot];
			return;
		}
		pp = &x->page_next[slot];
	}
}

unsigned bt_cache_invalidate_page(struct bt_cache *c, uint64_t gpa)
{
	uint64_t frame = gpa >> 12;
	unsigned n = 0;

	if (frame >= c->npages)
		return 0;
	while (c->page_head[frame]) {
		struct bt_block *b = c->page_head[frame];

		hash_remove(c, b);
		page_remove(c, b, b->gpa);
		if (b->gpa2 != BT_NO_PAGE)
			page_remove(c, b, b->gpa2);
		b->invalid = true;
		n++;
	}
	c->st.invalidated += n;
	return n;
}

void bt_cache_flush(struct bt_cache *c)
{
	memset(c->hash, 0, BT_CACHE_HASH * sizeof(*c->hash));
	memset(c->page_head, 0, c->npages * sizeof(*c->page_head));
	c->code_used = 0;
	c->meta_used = 0;
	c->norder = 0;
	c->st.flushes++;
}
