/*
 * machine.c - the machine object: creation from a config, destruction,
 * console capture and the host TSC frequency.
 */
#include "machine/machine.h"

#include <stdlib.h>
#include <string.h>

/* Grow (c) to hold (need) more bytes plus a NUL; false when capped/OOM. */
static bool console_reserve(struct console_capture *c, size_t need)
{
	size_t want = c->len + need + 1, cap = c->cap ? c->cap : 4096;
	char *nb;

	if (want <= c->cap)
		return true;
	if (want > MACHINE_CONSOLE_MAX + 1)
		return false;
	while (cap < want)
		cap *= 2;
	if (cap > MACHINE_CONSOLE_MAX + 1)
		cap = MACHINE_CONSOLE_MAX + 1;
	nb = realloc(c->buf, cap);
	if (!nb)
		return false;
	c->buf = nb;
	c->cap = cap;
	return true;
}

void machine_console_write(struct machine *m, const char *buf, size_t len)
{
	struct console_capture *c = &m->console;
	size_t keep = len;

	if (!console_reserve(c, len)) {
		size_t room = c->len < MACHINE_CONSOLE_MAX ?
				      MACHINE_CONSOLE_MAX - c->len : 0;

		keep = room < len && console_reserve(c, room) ? room : 0;
	}
	if (keep) {
		memcpy(c->buf + c->len, buf, keep);
		c->len += keep;
		c->buf[c->len] = '\0';
	}
	c->dropped += len - keep;
	if (c->sink)
		c->sink(c->sink_opaque, buf, len);
}
