/*
 * guest_mem.c - guest RAM as one memfd, mapped once MAP_SHARED.
 *
 * A fresh memfd reads as zeroes, so RAM needs no explicit clearing. With
 * huge pages the kernel reserves the whole file at mmap() time, so a host
 * without enough free 2 MiB pages fails here, with a message, rather than
 * with a SIGBUS in the middle of a run.
 */
#include "machine/guest_mem.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#ifndef MFD_HUGETLB
#define MFD_HUGETLB 0x0004u
#endif
#ifndef MFD_HUGE_2MB
#define MFD_HUGE_2MB (21u << 26)
#endif

#define GUEST_MEM_ALIGN (2ull << 20)
#define HUGEPAGES_FREE_PATH "/sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages"

/* Free 2 MiB huge pages on the host, or -1 when the count is unreadable. */
static long hugepages_free(void)
{
	FILE *f = fopen(HUGEPAGES_FREE_PATH, "r");
	long n = -1;

	if (!f)
		return -1;
	if (fscanf(f, "%ld", &n) != 1)
		n = -1;
	fclose(f);
	return n;
}

static int hugepages_check(uint64_t size, char *err, size_t errlen)
{
	long free_pages = hugepages_free();
	uint64_t need = size / GUEST_MEM_ALIGN;

	if (free_pages < 0) {
		snprintf(err, errlen,
			 "guest RAM: huge pages requested but %s is unreadable "
			 "(no 2 MiB hugetlb support on this host)",
			 HUGEPAGES_FREE_PATH);
		return -1;
	}
	if ((uint64_t)free_pages < need) {
		snprintf(err, errlen,
			 "guest RAM: huge pages requested: need %llu free 2 MiB "
			 "pages, host has %ld (raise vm.nr_hugepages)",
			 (unsigned long long)need, free_pages);
		return -1;
	}
	return 0;
}

int guest_mem_create(struct guest_mem *mem, uint64_t size, bool hugepages,
		     char *err, size_t errlen)
{
	unsigned flags = MFD_CLOEXEC;
	void *host;

	memset(mem, 0, sizeof(*mem));
	mem->fd = -1;
	if (size == 0 || size % GUEST_MEM_ALIGN) {
		snprintf(err, errlen,
			 "guest RAM: size %llu bytes is not a non-zero multiple "
			 "of 2 MiB", (unsigned long long)size);
		return -1;
	}
	if (hugepages) {
		if (hugepages_check(size, err, errlen))
			return -1;
		flags |= MFD_HUGETLB | MFD_HUGE_2MB;
	}
	mem->fd = memfd_create("vmbench-ram", flags);
	if (mem->fd < 0) {
		snprintf(err, errlen, "guest RAM: memfd_create(%s): %s",
			 hugepages ? "MFD_HUGETLB" : "", strerror(errno));
		return -1;
	}
	if (ftruncate(mem->fd, (off_t)size)) {
		snprintf(err, errlen, "guest RAM: ftruncate(%llu): %s",
			 (unsigned long long)size, strerror(errno));
		goto fail;
	}
	host = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, mem->fd, 0);
	if (host == MAP_FAILED) {
		snprintf(err, errlen, "guest RAM: mmap of %llu MiB%s: %s",
			 (unsigned long long)(size >> 20),
			 hugepages ? " (huge pages: not enough free?)" : "",
			 strerror(errno));
		goto fail;
	}
	mem->host = host;
	mem->size = size;
	mem->hugepages = hugepages;
	return 0;
fail:
	close(mem->fd);
	mem->fd = -1;
	return -1;
}

void guest_mem_destroy(struct guest_mem *mem)
{
	if (mem->host)
		munmap(mem->host, mem->size);
	if (mem->fd > 0 || (mem->fd == 0 && mem->host))
		close(mem->fd);
	mem->host = NULL;
	mem->size = 0;
	mem->fd = -1;
}

bool guest_mem_contains(const struct guest_mem *mem, uint64_t gpa,
			uint64_t len)
{
	return gpa <= mem->size && len <= mem->size - gpa;
}

void *guest_mem_ptr(const struct guest_mem *mem, uint64_t gpa, uint64_t len)
{
	if (!mem->host || !guest_mem_contains(mem, gpa, len))
		return NULL;
	return mem->host + gpa;
}

int guest_mem_read(const struct guest_mem *mem, uint64_t gpa, void *dst,
		   uint64_t len)
{
	const void *src = guest_mem_ptr(mem, gpa, len);

	if (!src)
		return -1;
	memcpy(dst, src, len);
	return 0;
}

int guest_mem_write(struct guest_mem *mem, uint64_t gpa, const void *src,
		    uint64_t len)
{
	void *dst = guest_mem_ptr(mem, gpa, len);

	if (!dst)
		return -1;
	memcpy(dst, src, len);
	return 0;
}
