/*
 * string.c - the memory and string functions of the SDK's libc subset.
 *
 * Byte loops on purpose: the same instruction mix on every engine, and no
 * dependence on SSE. The attribute keeps gcc from turning the copy loops
 * back into calls to memcpy/memset, which in the guest would recurse.
 */
#include "vmb.h"

#define VMB_NO_LIBCALL \
	__attribute__((optimize("no-tree-loop-distribute-patterns")))

/* A word type allowed to alias anything, for the 8-byte copy loops. */
typedef uint64_t __attribute__((may_alias)) word_t;

VMB_NO_LIBCALL void *vmb_memcpy(void *dst, const void *src, size_t n)
{
	unsigned char *d = dst;
	const unsigned char *s = src;

	/* Word copies when both pointers are 8-aligned: the common case. */
	if ((((uintptr_t)d | (uintptr_t)s) & 7) == 0) {
		for (; n >= 8; n -= 8, d += 8, s += 8)
			*(word_t *)(void *)d = *(const word_t *)(const void *)s;
	}
	while (n--)
		*d++ = *s++;
	return dst;
}

VMB_NO_LIBCALL void *vmb_memmove(void *dst, const void *src, size_t n)
{
	unsigned char *d = dst;
	const unsigned char *s = src;

	if (d == s || n == 0)
		return dst;
	if (d < s || d >= s + n)
		return vmb_memcpy(dst, src, n);
	/* Overlap with dst above src: copy backwards. */
	while (n--)
		d[n] = s[n];
	return dst;
}

VMB_NO_LIBCALL void *vmb_memset(void *dst, int c, size_t n)
{
	unsigned char *d = dst;
	uint64_t w = (unsigned char)c * 0x0101010101010101ull;

	while (n && ((uintptr_t)d & 7)) {
		*d++ = (unsigned char)c;
		n--;
	}
	for (; n >= 8; n -= 8, d += 8)
		*(word_t *)(void *)d = w;
	while (n--)
		*d++ = (unsigned char)c;
	return dst;
}

int vmb_memcmp(const void *a, const void *b, size_t n)
{
	const unsigned char *x = a, *y = b;

	for (size_t i = 0; i < n; i++) {
		if (x[i] != y[i])
			return x[i] < y[i] ? -1 : 1;
	}
	return 0;
}

size_t vmb_strlen(const char *s)
{
	size_t n = 0;

	while (s[n])
		n++;
	return n;
}

int vmb_strcmp(const char *a, const char *b)
{
	const unsigned char *x = (const void *)a, *y = (const void *)b;

	while (*x && *x == *y) {
		x++;
		y++;
	}
	return (*x > *y) - (*x < *y);
}

int vmb_strncmp(const char *a, const char *b, size_t n)
{
	const unsigned char *x = (const void *)a, *y = (const void *)b;

	for (; n; n--, x++, y++) {
		if (*x != *y)
			return *x < *y ? -1 : 1;
		if (!*x)
			break;
	}
	return 0;
}

size_t vmb_strlcpy(char *dst, const char *src, size_t size)
{
	size_t len = vmb_strlen(src);

	if (size) {
		size_t n = len < size - 1 ? len : size - 1;

		vmb_memcpy(dst, src, n);
		dst[n] = '\0';
	}
	return len;
}
