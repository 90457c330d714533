/* snapshot.c - save and load the VM state blob (snapshot.h). */
#include "machine/snapshot.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SNAP_PAGE 4096ull
static const char snap_magic[8] = "VMBSNAP";

#define SNAP_F_HALTED 0x1u
#define SNAP_F_STI_SHADOW 0x2u

struct snap_header {
	char magic[8];
	uint32_t version;
	uint32_t header_size;
	uint32_t state_size;	/* sizeof(struct x86_state) of the build */
	uint32_t apic_size;	/* sizeof(struct x2apic) */
	uint64_t ram_bytes;
	uint64_t tsc_khz;
	uint64_t pages;		/* RAM pages stored (bits set in the bitmap) */
	uint32_t flags;		/* SNAP_F_* */
	uint32_t pad;
	/* APIC timer relative to the save: TSC ticks since its start, ticks
	 * left to its deadline (meaningful when the deadline is not 0). */
	uint64_t timer_since_start;
	uint64_t timer_left;
};

static uint64_t fnv1a(const void *p, size_t n)
{
	const uint8_t *b = p;
	uint64_t h = 0xcbf29ce484222325ull;

	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 0x100000001b3ull;
	return h;
}

static bool page_is_zero(const uint8_t *p)
{
	const uint64_t *w = (const uint64_t *)p;

	for (size_t i = 0; i < SNAP_PAGE / 8; i++)
		if (w[i])
			return false;
	return true;
}

/*
 * Mark in (bitmap) the pages of RAM that hold data, and count them. The
 * memfd's holes (never-written RAM) are skipped with SEEK_DATA, so a
 * mostly empty 2 GiB guest is not faulted in just to be found zero.
 */
static uint64_t ram_scan(const struct guest_mem *mem, uint8_t *bitmap)
{
	uint64_t npages = mem->size / SNAP_PAGE, count = 0;
	off_t pos = 0;

	while ((uint64_t)pos < mem->size) {
		off_t data = lseek(mem->fd, pos, SEEK_DATA), hole;

		if (data < 0 && errno == ENXIO)
			break;
		if (data < 0) {	/* no SEEK_DATA: look at every page */
			data = pos;
			hole = (off_t)mem->size;
		} else {
			hole = lseek(mem->fd, data, SEEK_HOLE);
			if (hole < 0 || (uint64_t)hole > mem->size)
				hole = (off_t)mem->size;
		}
		for (uint64_t pg = (uint64_t)data / SNAP_PAGE;
		     pg < npages && pg * SNAP_PAGE < (uint64_t)hole; pg++)
			if (!page_is_zero(mem->host + pg * SNAP_PAGE)) {
				bitmap[pg / 8] |= (uint8_t)(1u << (pg % 8));
				count++;
			}
		pos = hole;
	}
	return count;
}

int snapshot_save(const struct machine *m, const struct snapshot_cpu *cpu,
		  uint64_t now, void **blob, size_t *len, char *err,
		  size_t errlen)
{
	uint64_t npages = m->mem.size / SNAP_PAGE;
	size_t bmlen = (size_t)((npages + 7) / 8);
	uint8_t *bitmap = calloc(1, bmlen), *out, *p;
	struct snap_header h = {
		.version = SNAPSHOT_VERSION,
		.header_size = sizeof(h),
		.state_size = sizeof(cpu->s),
		.apic_size = sizeof(cpu->apic),
		.ram_bytes = m->mem.size,
		.tsc_khz = m->tsc_khz,
		.flags = (cpu->halted ? SNAP_F_HALTED : 0) |
			 (cpu->sti_shadow ? SNAP_F_STI_SHADOW : 0),
	};
	size_t total;
	uint64_t hash;

	if (!bitmap) {
		snprintf(err, errlen, "snapshot: out of memory for the page "
			 "bitmap");
		return -1;
	}
	memcpy(h.magic, snap_magic, sizeof(h.magic));
	h.pages = ram_scan(&m->mem, bitmap);
	if (cpu->apic.timer_deadline) {
		h.timer_since_start = now - cpu->apic.timer_start;
		h.timer_left = cpu->apic.timer_deadline > now ?
			       cpu->apic.timer_deadline - now : 0;
	}
	total = sizeof(h) + sizeof(cpu->s) + sizeof(cpu->apic) + bmlen +
		(size_t)(h.pages * SNAP_PAGE) + sizeof(hash);
	out = malloc(total);
	if (!out) {
		free(bitmap);
		snprintf(err, errlen, "snapshot: out of memory for a %zu-byte "
			 "blob", total);
		return -1;
	}
	p = out;
	memcpy(p, &h, sizeof(h));
	p += sizeof(h);
	memcpy(p, &cpu->s, sizeof(cpu->s));
	p += sizeof(cpu->s);
	memcpy(p, &cpu->apic, sizeof(cpu->apic));
	p += sizeof(cpu->apic);
	memcpy(p, bitmap, bmlen);
	p += bmlen;
	for (uint64_t pg = 0; pg < npages; pg++)
		if (bitmap[pg / 8] & (1u << (pg % 8))) {
			memcpy(p, m->mem.host + pg * SNAP_PAGE, SNAP_PAGE);
			p += SNAP_PAGE;
		}
	hash = fnv1a(out, (size_t)(p - out));
	memcpy(p, &hash, sizeof(hash));
	free(bitmap);
	*blob = out;
	*len = total;
	return 0;
}

static uint64_t bitmap_count(const uint8_t *bm, size_t bmlen)
{
	uint64_t n = 0;

	for (size_t i = 0; i < bmlen; i++)
		n += (uint64_t)__builtin_popcount(bm[i]);
	return n;
}

/* Everything snapshot_load checks before it touches the machine. */
static int snap_check(const struct machine *m, const uint8_t *b, size_t len,
		      struct snap_header *h, char *err, size_t errlen)
{
	uint64_t npages = m->mem.size / SNAP_PAGE, hash;
	size_t bmlen = (size_t)((npages + 7) / 8), fixed;

	if (len < sizeof(*h) || memcmp(b, snap_magic, sizeof(snap_magic))) {
		snprintf(err, errlen, "not a vmbench snapshot (no VMBSNAP "
			 "header)");
		return -1;
	}
	memcpy(h, b, sizeof(*h));
	if (h->version != SNAPSHOT_VERSION || h->header_size != sizeof(*h) ||
	    h->state_size != sizeof(struct x86_state) ||
	    h->apic_size != sizeof(struct x2apic)) {
		snprintf(err, errlen, "snapshot from another vmbench build "
			 "(version %u, state %u/%zu bytes, APIC %u/%zu bytes)",
			 h->version, h->state_size, sizeof(struct x86_state),
			 h->apic_size, sizeof(struct x2apic));
		return -1;
	}
	if (h->ram_bytes != m->mem.size) {
		snprintf(err, errlen, "snapshot has %llu MiB of RAM, the "
			 "machine %llu MiB",
			 (unsigned long long)(h->ram_bytes >> 20),
			 (unsigned long long)(m->mem.size >> 20));
		return -1;
	}
	if (h->tsc_khz != m->tsc_khz) {
		snprintf(err, errlen, "snapshot's guest was told a TSC of %llu "
			 "kHz, this machine's is %llu kHz",
			 (unsigned long long)h->tsc_khz,
			 (unsigned long long)m->tsc_khz);
		return -1;
	}
	fixed = sizeof(*h) + sizeof(struct x86_state) +
		sizeof(struct x2apic) + bmlen;
	if (h->pages > npages || len != fixed + h->pages * SNAP_PAGE +
					 sizeof(hash)) {
		snprintf(err, errlen, "snapshot is truncated or has trailing "
			 "bytes (%zu bytes for %llu pages)", len,
			 (unsigned long long)h->pages);
		return -1;
	}
	memcpy(&hash, b + len - sizeof(hash), sizeof(hash));
	if (hash != fnv1a(b, len - sizeof(hash)) ||
	    bitmap_count(b + fixed - bmlen, bmlen) != h->pages) {
		snprintf(err, errlen, "snapshot is corrupted (hash mismatch)");
		return -1;
	}
	return 0;
}

/* Zero all of RAM: punch the memfd (frees the pages; every mapping of
 * them, bt's windows included, sees zeros) or, failing that, memset. */
static void ram_clear(struct guest_mem *mem)
{
	if (fallocate(mem->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0,
		      (off_t)mem->size))
		memset(mem->host, 0, mem->size);
}

int snapshot_load(struct machine *m, const void *blob, size_t len,
		  uint64_t now, struct snapshot_cpu *cpu, char *err,
		  size_t errlen)
{
	const uint8_t *b = blob, *p;
	uint64_t npages = m->mem.size / SNAP_PAGE;
	size_t bmlen = (size_t)((npages + 7) / 8);
	struct snap_header h;
	const uint8_t *bitmap;

	if (snap_check(m, b, len, &h, err, errlen))
		return -1;
	p = b + sizeof(h);
	memcpy(&cpu->s, p, sizeof(cpu->s));
	p += sizeof(cpu->s);
	memcpy(&cpu->apic, p, sizeof(cpu->apic));
	p += sizeof(cpu->apic);
	bitmap = p;
	p += bmlen;
	cpu->halted = h.flags & SNAP_F_HALTED;
	cpu->sti_shadow = h.flags & SNAP_F_STI_SHADOW;
	if (cpu->apic.timer_deadline) {
		cpu->apic.timer_start = now - h.timer_since_start;
		cpu->apic.timer_deadline = now + h.timer_left;
		if (!cpu->apic.timer_deadline)	/* 0 means disarmed */
			cpu->apic.timer_deadline = 1;
	}
	ram_clear(&m->mem);
	for (uint64_t pg = 0; pg < npages; pg++)
		if (bitmap[pg / 8] & (1u << (pg % 8))) {
			memcpy(m->mem.host + pg * SNAP_PAGE, p, SNAP_PAGE);
			p += SNAP_PAGE;
		}
	m->exit_requested = false;
	m->exit_status = 0;
	return 0;
}
