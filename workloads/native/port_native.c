/*
 * port_native.c - the SDK port layer of the native host build.
 *
 * The console is standard output, written unbuffered with write(2), so a
 * forked child never repeats its parent's pending output. There is no
 * region-of-interest port: the ids are still allocated (1, 2, ...) so the
 * result lines look like the guest's.
 */
#include <unistd.h>

#include "native.h"

static uint32_t roi_last;

void vmb_port_write(const char *buf, size_t len)
{
	while (len) {
		ssize_t n = write(STDOUT_FILENO, buf, len);

		if (n <= 0)
			return;
		buf += n;
		len -= (size_t)n;
	}
}

uint32_t vmb_port_roi_begin(void)
{
	return ++roi_last;
}

void vmb_port_roi_end(uint32_t id)
{
	(void)id;
}
