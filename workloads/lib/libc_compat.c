/*
 * libc_compat.c - memcpy, memmove, memset and memcmp for the guest.
 *
 * gcc may emit calls to these four even with -ffreestanding (struct copies,
 * zero-initialised arrays), so the guest kernel and user programs link this
 * file. The native host build and the unit tests must not: their libc has
 * them.
 */
#include "vmb.h"

void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);

void *memcpy(void *dst, const void *src, size_t n)
{
	return vmb_memcpy(dst, src, n);
}

void *memmove(void *dst, const void *src, size_t n)
{
	return vmb_memmove(dst, src, n);
}

void *memset(void *dst, int c, size_t n)
{
	return vmb_memset(dst, c, n);
}

int memcmp(const void *a, const void *b, size_t n)
{
	return vmb_memcmp(a, b, n);
}
