/*
 * strutil.h - bounded string copy for fixed-size fields: always
 * NUL-terminates, cuts what does not fit (field contents are labels and
 * messages, where a cut is acceptable and a format warning is noise).
 */
#ifndef VMB_STRUTIL_H
#define VMB_STRUTIL_H

#include <stddef.h>

static inline void str_copy(char *dst, size_t len, const char *src)
{
	if (!len)
		return;
	size_t n = 0;
	while (n + 1 < len && src[n]) {
		dst[n] = src[n];
		n++;
	}
	dst[n] = '\0';
}

#endif /* VMB_STRUTIL_H */
