/*
 * bt_mmio.c - the set of instructions that touched MMIO (bt_mmio.h): a
 * small open-addressed hash table with linear probing.
 */
#include "bt/bt_mmio.h"

#include <string.h>

static uint64_t key_of(uint64_t gpa, unsigned cpl)
{
	return (gpa << 2 | (cpl & 3)) + 1;	/* never 0 (the empty slot) */
}

static unsigned slot_of(uint64_t key)
{
	return (unsigned)((key * 0x9e3779b97f4a7c15ull) >> 56) &
	       (BT_MMIO_SLOTS - 1);
}

void bt_mmio_clear(struct bt_mmio_set *s)
{
	if (!s->n)
		return;
	memset(s->key, 0, sizeof(s->key));
	s->n = 0;
	s->clears++;
}

static void insert(struct bt_mmio_set *s, uint64_t key)
{
	unsigned i = slot_of(key);

	while (s->key[i] && s->key[i] != key)
		i = (i + 1) & (BT_MMIO_SLOTS - 1);
	if (!s->key[i]) {
		s->key[i] = key;
		s->n++;
	}
}

void bt_mmio_add(struct bt_mmio_set *s, uint64_t gpa, unsigned cpl)
{
	if (bt_mmio_has(s, gpa, cpl))
		return;
	if (s->n >= BT_MMIO_MAX)
		bt_mmio_clear(s);
	insert(s, key_of(gpa, cpl));
	s->adds++;
}

bool bt_mmio_has(const struct bt_mmio_set *s, uint64_t gpa, unsigned cpl)
{
	uint64_t key = key_of(gpa, cpl);

	if (!s || !s->n)
		return false;
	for (unsigned i = slot_of(key); s->key[i];
	     i = (i + 1) & (BT_MMIO_SLOTS - 1))
		if (s->key[i] == key)
			return true;
	return false;
}

void bt_mmio_page_drop(struct bt_mmio_set *s, uint64_t gpa)
{
	uint64_t keep[BT_MMIO_MAX];
	uint32_t nkeep = 0;
	bool hit = false;

	if (!s->n)
		return;
	/* rebuild without the page's keys (probe chains stay intact) */
	for (unsigned i = 0; i < BT_MMIO_SLOTS; i++) {
		if (!s->key[i])
			continue;
		if ((((s->key[i] - 1) >> 2) ^ gpa) & ~0xfffull)
			keep[nkeep++] = s->key[i];
		else
			hit = true;
	}
	if (!hit)
		return;
	memset(s->key, 0, sizeof(s->key));
	s->n = 0;
	for (uint32_t i = 0; i < nkeep; i++)
		insert(s, keep[i]);
}
