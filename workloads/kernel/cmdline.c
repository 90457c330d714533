/*
 * cmdline.c - split the command line into key=value words.
 *
 * (The SDK has vmb_parse_u64 too; the kernel keeps its own strict parser
 * with overflow checks.) Unknown keys and malformed numbers are errors (exit VMB_EXIT_BAD_CMDLINE)
 * so that a typo never silently runs a default.
 */
#include "cmdline.h"
#include "vmb.h"

static char bad[96];

/* Decimal or 0x hex, optional k/m/g suffix (powers of 1024). 0 or -1. */
static int number_parse(const char *s, uint64_t *out)
{
	uint64_t v = 0, base = 10;
	int digits = 0;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	}
	for (;; s++, digits++) {
		uint64_t d;
		if (*s >= '0' && *s <= '9')
			d = (uint64_t)(*s - '0');
		else if (base == 16 && *s >= 'a' && *s <= 'f')
			d = (uint64_t)(*s - 'a' + 10);
		else if (base == 16 && *s >= 'A' && *s <= 'F')
			d = (uint64_t)(*s - 'A' + 10);
		else
			break;
		if (v > (UINT64_MAX - d) / base)
			return -1;
		v = v * base + d;
	}
	unsigned shift = *s == 'k' ? 10 : *s == 'm' ? 20 : *s == 'g' ? 30 : 0;
	if (shift)
		s++;
	if (!digits || *s || (v << shift) >> shift != v)
		return -1;
	*out = v << shift;
	return 0;
}

static const char *word_apply(const char *w, struct vmb_params *p, int *pvm)
{
	const char *eq = w;
	uint64_t *num = NULL, pvm_val = 0;

	while (*eq && *eq != '=')
		eq++;
	size_t klen = (size_t)(eq - w);
	if (*eq == '=' && klen == 5 && !vmb_strncmp(w, "bench", 5)) {
		if (vmb_strlcpy(p->bench, eq + 1, sizeof(p->bench)) >=
		    sizeof(p->bench))
			goto fail;
		return NULL;
	}
	if (*eq == '=' && klen == 5 && !vmb_strncmp(w, "iters", 5))
		num = &p->iters;
	else if (*eq == '=' && klen == 4 && !vmb_strncmp(w, "size", 4))
		num = &p->size;
	else if (*eq == '=' && klen == 4 && !vmb_strncmp(w, "seed", 4))
		num = &p->seed;
	else if (*eq == '=' && klen == 3 && !vmb_strncmp(w, "pvm", 3))
		num = &pvm_val;
	if (num && number_parse(eq + 1, num) == 0) {
		if (num == &pvm_val)
			*pvm = pvm_val != 0;
		return NULL;
	}
fail:
	vmb_snprintf(bad, sizeof(bad), "bad command-line word '%s'", w);
	return bad;
}

const char *cmdline_parse(const char *cmdline, struct vmb_params *p,
			  int *pvm)
{
	char word[64];

	vmb_memset(p, 0, sizeof(*p));
	vmb_strlcpy(p->bench, "all", sizeof(p->bench));
	while (*cmdline) {
		while (*cmdline == ' ')
			cmdline++;
		size_t n = 0;
		while (cmdline[n] && cmdline[n] != ' ')
			n++;
		if (!n)
			break;
		if (n >= sizeof(word)) {
			vmb_snprintf(bad, sizeof(bad), "command-line word too long");
			return bad;
		}
		vmb_memcpy(word, cmdline, n);
		word[n] = 0;
		cmdline += n;
		const char *err = word_apply(word, p, pvm);
		if (err)
			return err;
	}
	return NULL;
}
