/*
 * fsm.c - macro workload `fsm`: a table-driven tokenizer (a DFA) over
 * generated C-like text.
 *
 * The text (size bytes) is generated before the timed phase; each
 * iteration tokenizes all of it. Every token's type and length go into a
 * hash, so the checksum is a digest of the token stream. ops = bytes
 * scanned.
 *
 * The DFA: each input byte maps to a character class; trans[state][class]
 * gives the next state plus two flags: EMIT (the token in progress ended
 * before this byte) and MARK (a token starts at this byte).
 */
#include "macro.h"

#define FSM_SALT 0x66736dull /* "fsm" */

enum fsm_class {
	C_ALPHA, C_DIGIT, C_SPACE, C_NL, C_QUOTE, C_BSLASH, C_SLASH, C_STAR,
	C_PUNCT, C_NCLASS
};

enum fsm_state {
	S_START,	/* between tokens */
	S_IDENT, S_NUMBER,
	S_STRING, S_STR_ESC, S_STR_END,
	S_SLASH,	/* '/' seen: punctuation or a comment opener */
	S_LINE_COMMENT,
	S_BLOCK, S_BLOCK_STAR, S_BLOCK_END,
	S_PUNCT, S_NEWLINE,
	S_NSTATE
};

enum fsm_token { T_NONE, T_IDENT, T_NUMBER, T_STRING, T_COMMENT, T_PUNCT, T_NEWLINE };

#define F_EMIT 0x10
#define F_MARK 0x20
#define F_STATE 0x0f

/* The token a state stands for, emitted when the DFA leaves it with EMIT. */
static const uint8_t state_token[S_NSTATE] = {
	[S_IDENT] = T_IDENT, [S_NUMBER] = T_NUMBER,
	[S_STRING] = T_STRING, [S_STR_ESC] = T_STRING, [S_STR_END] = T_STRING,
	[S_SLASH] = T_PUNCT, [S_LINE_COMMENT] = T_COMMENT,
	[S_BLOCK] = T_COMMENT, [S_BLOCK_STAR] = T_COMMENT,
	[S_BLOCK_END] = T_COMMENT, [S_PUNCT] = T_PUNCT, [S_NEWLINE] = T_NEWLINE,
};

/* Where a new token goes on each class. */
static const uint8_t start_next[C_NCLASS] = {
	[C_ALPHA] = S_IDENT, [C_DIGIT] = S_NUMBER, [C_SPACE] = S_START,
	[C_NL] = S_NEWLINE, [C_QUOTE] = S_STRING, [C_BSLASH] = S_PUNCT,
	[C_SLASH] = S_SLASH, [C_STAR] = S_PUNCT, [C_PUNCT] = S_PUNCT,
};

struct fsm_dfa {
	uint8_t cls[256];
	uint8_t trans[S_NSTATE][C_NCLASS];
};

static uint8_t byte_class(unsigned c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_')
		return C_ALPHA;
	if (c >= '0' && c <= '9')
		return C_DIGIT;
	switch (c) {
	case ' ': case '\t': case '\r': return C_SPACE;
	case '\n': return C_NL;
	case '"': return C_QUOTE;
	case '\\': return C_BSLASH;
	case '/': return C_SLASH;
	case '*': return C_STAR;
	default: return C_PUNCT;
	}
}

/* Send state (s) to state (other) on every class; callers then override. */
static void dfa_inside(struct fsm_dfa *d, int s, int other)
{
	for (int c = 0; c < C_NCLASS; c++)
		d->trans[s][c] = (uint8_t)other;
}

static void dfa_build(struct fsm_dfa *d)
{
	for (unsigned b = 0; b < 256; b++)
		d->cls[b] = byte_class(b);
	/* Default: a token state ends on any byte and a new token starts. */
	for (int s = 0; s < S_NSTATE; s++) {
		for (int c = 0; c < C_NCLASS; c++) {
			int next = start_next[c];
			int flags = next == S_START ? 0 : F_MARK;

			if (s != S_START)
				flags |= F_EMIT;
			d->trans[s][c] = (uint8_t)(next | flags);
		}
	}
	d->trans[S_IDENT][C_ALPHA] = S_IDENT;
	d->trans[S_IDENT][C_DIGIT] = S_IDENT;
	d->trans[S_NUMBER][C_DIGIT] = S_NUMBER;
	d->trans[S_NUMBER][C_ALPHA] = S_NUMBER;	/* 0x1f, 10u */
	d->trans[S_SLASH][C_SLASH] = S_LINE_COMMENT;
	d->trans[S_SLASH][C_STAR] = S_BLOCK;
	dfa_inside(d, S_STRING, S_STRING);
	d->trans[S_STRING][C_QUOTE] = S_STR_END;
	d->trans[S_STRING][C_BSLASH] = S_STR_ESC;
	dfa_inside(d, S_STR_ESC, S_STRING);
	dfa_inside(d, S_LINE_COMMENT, S_LINE_COMMENT);
	d->trans[S_LINE_COMMENT][C_NL] = S_NEWLINE | F_EMIT | F_MARK;
	dfa_inside(d, S_BLOCK, S_BLOCK);
	d->trans[S_BLOCK][C_STAR] = S_BLOCK_STAR;
	dfa_inside(d, S_BLOCK_STAR, S_BLOCK);
	d->trans[S_BLOCK_STAR][C_STAR] = S_BLOCK_STAR;
	d->trans[S_BLOCK_STAR][C_SLASH] = S_BLOCK_END;
}

static uint64_t token_fold(uint64_t h, unsigned type, size_t len)
{
	return vmb_hash64_u64(h, ((uint64_t)type << 32) | len);
}

uint64_t fsm_run(uint64_t h, const char *text, size_t n, uint64_t *tokens)
{
	struct fsm_dfa d;
	const unsigned char *t = (const unsigned char *)text;
	unsigned s = S_START;
	size_t start = 0;
	uint64_t count = 0;

	dfa_build(&d);
	for (size_t i = 0; i < n; i++) {
		unsigned e = d.trans[s][d.cls[t[i]]];

		if (e & F_EMIT) {
			h = token_fold(h, state_token[s], i - start);
			count++;
		}
		if (e & F_MARK)
			start = i;
		s = e & F_STATE;
	}
	if (state_token[s] != T_NONE) {
		h = token_fold(h, state_token[s], n - start);
		count++;
	}
	*tokens += count;
	return h;
}

/* ---- text generator ------------------------------------------------------ */

struct gen {
	char *p;
	size_t left;
	struct vmb_rng *r;
};

static void gen_put(struct gen *g, char c)
{
	if (g->left) {
		*g->p++ = c;
		g->left--;
	}
}

static void gen_word(struct gen *g, const char *first, const char *rest,
		     unsigned maxlen)
{
	unsigned len = 1 + (unsigned)vmb_rng_below(g->r, maxlen);
	size_t nf = vmb_strlen(first), nr = vmb_strlen(rest);

	gen_put(g, first[vmb_rng_below(g->r, nf)]);
	while (--len)
		gen_put(g, rest[vmb_rng_below(g->r, nr)]);
}

static void gen_piece(struct gen *g)
{
	static const char alpha[] = "abcdefghijklmnopqrstuvwxyz_ABCXYZ";
	static const char alnum[] = "abcdefghijklmnopqrstuvwxyz_0123456789";
	static const char punct[] = "(){}[];,.+-=<>!&|*/%^~?:#";
	unsigned k = (unsigned)vmb_rng_below(g->r, 100);

	if (k < 40) {
		gen_word(g, alpha, alnum, 12);
	} else if (k < 52) {
		gen_word(g, "123456789", "0123456789xabcdefu", 8);
	} else if (k < 75) {
		gen_put(g, punct[vmb_rng_below(g->r, sizeof(punct) - 1)]);
	} else if (k < 80) {
		gen_put(g, '"');
		gen_word(g, alnum, " abc\\\"%d\\n", 20);
		gen_put(g, '"');
	} else if (k < 83) {
		gen_put(g, '/');
		gen_put(g, '/');
		gen_word(g, " ", "abc def*/ ", 30);
		gen_put(g, '\n');
	} else if (k < 85) {
		gen_put(g, '/');
		gen_put(g, '*');
		gen_word(g, " ", "abc de\n*/ ", 40);
		gen_put(g, '*');
		gen_put(g, '/');
	} else if (k < 93) {
		gen_put(g, ' ');
	} else {
		gen_put(g, '\n');
		gen_put(g, '\t');
	}
}

void fsm_text_gen(char *text, size_t n, struct vmb_rng *r)
{
	struct gen g = {.p = text, .left = n, .r = r};

	while (g.left)
		gen_piece(&g);
}

static int fsm_bench(const struct vmb_params *p)
{
	size_t n = (size_t)p->size;
	uint64_t h = VMB_HASH64_INIT, tokens = 0, t0, t1;
	struct vmb_rng r;
	uint32_t roi;
	char *text;

	if (n == 0) {
		vmb_report_error("fsm", "size (bytes) must be > 0");
		return 1;
	}
	text = macro_alloc("fsm", n);
	if (!text)
		return 1;
	vmb_rng_seed(&r, macro_seed(p, FSM_SALT));
	fsm_text_gen(text, n, &r);

	roi = vmb_port_roi_begin();
	t0 = vmb_rdtsc();
	for (uint64_t it = 0; it < p->iters; it++)
		h = fsm_run(h, text, n, &tokens);
	t1 = vmb_rdtsc();
	vmb_port_roi_end(roi);

	vmb_report_result("fsm", roi, "byte", p->iters * n, t1 - t0);
	vmb_report_checksum("fsm", vmb_hash64_u64(h, tokens));
	vmb_sys_munmap(text, n);
	return 0;
}

const struct vmb_bench bench_fsm = {
	.name = "fsm",
	.suite = "macro",
	.mode = VMB_MODE_USER,
	.default_iters = 192,
	.default_size = 1u << 20,
	.run = fsm_bench,
};
