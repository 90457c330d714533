/*
 * guest_mem.h - guest RAM: one memfd mapped once into the host.
 *
 * RAM is guest-physical [0, size). It is a memfd so other mappings of the
 * same pages can be made (bt maps guest pages into its shadow windows,
 * KVM uses the host mapping as a memslot). All host access from shared
 * code goes through the bounds-checked accessors below; a failed check is
 * an error return, never a crash, because (gpa) comes from the guest.
 */
#ifndef VMB_GUEST_MEM_H
#define VMB_GUEST_MEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct guest_mem {
	int fd;			/* memfd holding RAM, -1 when not created */
	uint8_t *host;		/* MAP_SHARED view of the whole memfd */
	uint64_t size;		/* bytes, multiple of 2 MiB */
	bool hugepages;		/* backed by MFD_HUGETLB 2 MiB pages */
};

/*
 * Create (size) bytes of zeroed RAM. (size) must be a multiple of 2 MiB.
 * With (hugepages) the memfd uses MFD_HUGETLB; if the host has no free
 * huge pages this fails with an error that says so (no silent fallback).
 * Returns 0, or -1 with (err) set.
 */
int guest_mem_create(struct guest_mem *mem, uint64_t size, bool hugepages,
		     char *err, size_t errlen);

/* Unmap and close. Safe on a zeroed or already destroyed struct. */
void guest_mem_destroy(struct guest_mem *mem);

/* True when [gpa, gpa+len) lies inside RAM (overflow-safe). */
bool guest_mem_contains(const struct guest_mem *mem, uint64_t gpa,
			uint64_t len);

/*
 * Host pointer to [gpa, gpa+len), or NULL when any byte is outside RAM.
 * The pointer stays valid until guest_mem_destroy().
 */
void *guest_mem_ptr(const struct guest_mem *mem, uint64_t gpa, uint64_t len);

/* Copy between host buffers and RAM. Return 0, or -1 when out of bounds
 * (nothing is copied then). */
int guest_mem_read(const struct guest_mem *mem, uint64_t gpa, void *dst,
		   uint64_t len);
int guest_mem_write(struct guest_mem *mem, uint64_t gpa, const void *src,
		    uint64_t len);

#endif /* VMB_GUEST_MEM_H */
