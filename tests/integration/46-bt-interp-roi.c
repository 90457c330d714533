/*
 * 46-bt-interp-roi.c - bt and interp agree on guest-visible state at every
 * region-of-interest marker: the driver of 46-bt-interp-roi.sh, built by
 * that script against libvmb.a and tests/unit/support/roi_state.c.
 *
 *   46-bt-interp-roi GUEST USER_RSP_SLOT KSTACK_TOP_SLOT BOOT_STACK_TOP \
 *                    CMDLINE...
 *
 * Each CMDLINE ("bench=crc iters=2 size=16384") boots once on interp (the
 * reference) and once on bt per shadow policy; the recordings of
 * support/roi_state.h are compared marker by marker. USER_RSP_SLOT,
 * KSTACK_TOP_SLOT and BOOT_STACK_TOP are the kernel VAs of the guest's
 * `syscall_user_rsp`, `cpu_kstack_top` and `boot_stack_top` (0 =
 * unknown). A CMDLINE prefixed
 * "sched:" is a workload whose processes the timer preempts
 * (ROI_CMP_SCHED).
 *
 * Each run must also end at the guest's exit port with interp's status,
 * and print the same console, line by line, with the "cycles" of result
 * lines (TSC ticks) blanked: checksums, fault reports with their register
 * dumps, everything else the guest prints.
 *
 * VMB_ROI_PERTURB=gpr:N|rflags|mem:N|kstack:N[@M] alters bt's recording
 * at marker M (default 0), =console a byte of bt's console, so the script
 * can show that a difference is reported.
 *
 * stdout: one line per (workload, policy): "ok ..." or "DIFF ..." with the
 * first difference. Exit 0 when everything agrees, 1 on a difference or a
 * run that did not end at the guest's exit port, 2 on a host error.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "support/roi_state.h"

#define RAM_BYTES (64ull << 20)

static uint64_t kstack_slot, kstack_boot;
static bool perturb_console;	/* VMB_ROI_PERTURB=console */

/*
 * The guest's struct trapframe (workloads/kernel/trap.h) at the top of
 * the kernel stack, counted in words down from the top: ss 0, rsp 1,
 * rflags 2, cs 3, rip 4, error 5, vector 6, rax 7, rbx 8, rcx 9, rdx 10,
 * rsi 11, rdi 12, rbp 13, r8 14, r9 15, r10 16, r11 17, r12-r15 18-21.
 * The ROI system call takes one argument (RDI; RAX is the number; SYSCALL
 * put the user RIP and RFLAGS in RCX and R11), so the user's RDX, RSI and
 * R8-R10 saved there are dead leftovers, like the caller-saved registers.
 */
#define TF_WORDS 22
#define TF_CS 3
#define TF_DEAD ((1ull << 10) | (1ull << 11) | (1ull << 14) | (1ull << 15) | \
		 (1ull << 16))

static int perturb_parse(const char *s, struct roi_perturb *p)
{
	const char *at;

	memset(p, 0, sizeof(*p));
	if (!s || !*s)
		return 0;
	if (!strncmp(s, "gpr:", 4)) {
		p->kind = ROI_PERTURB_GPR;
		p->index = (unsigned)strtoul(s + 4, NULL, 0);
	} else if (!strncmp(s, "mem:", 4)) {
		p->kind = ROI_PERTURB_MEM;
		p->index = (unsigned)strtoul(s + 4, NULL, 0);
	} else if (!strncmp(s, "kstack:", 7)) {
		p->kind = ROI_PERTURB_KSTACK;
		p->index = (unsigned)strtoul(s + 7, NULL, 0);
	} else if (!strncmp(s, "rflags", 6)) {
		p->kind = ROI_PERTURB_RFLAGS;
	} else {
		return -1;
	}
	at = strchr(s, '@');
	p->marker = at ? (unsigned)strtoul(at + 1, NULL, 0) : 0;
	return 0;
}

/* Boot (cmdline) on (engine, options) recording into (r). 0 = reached the
 * guest's exit port (status in *status), 1 = another end, 2 = host error. */
static int record(const char *guest, const char *cmdline, const char *engine,
		  const char *options, uint64_t slot,
		  const struct roi_perturb *p, struct engine **ep,
		  struct roi_recorder *r, uint32_t *status)
{
	const struct engine_ops *ops = engine_find(engine);
	struct vm_config cfg;
	struct run_exit x;
	char err[512];

	memset(&cfg, 0, sizeof(cfg));
	cfg.machine.kernel_path = guest;
	cfg.machine.cmdline = cmdline;
	cfg.machine.ram_bytes = RAM_BYTES;
	cfg.options = options;
	cfg.time_limit_s = 60;
	*ep = NULL;
	if (!ops || engine_create(ops, &cfg, ep, err, sizeof(err)) ||
	    roi_recorder_attach(r, *ep, slot, err, sizeof(err))) {
		printf("ERROR %s %s: %s\n", engine, cmdline,
		       ops ? err : "no such engine");
		return 2;
	}
	if (p)
		r->perturb = *p;
	r->kstack_top_slot = kstack_slot;
	r->kstack_top_boot = kstack_boot;
	r->kstack_dead_top = TF_DEAD;
	r->kstack_cs_word = TF_CS;
	r->kstack_frame_words = TF_WORDS;
	if (engine_run(*ep, &x) || x.reason != RUN_EXIT_GUEST) {
		printf("FAIL %s %s: run ended with %s status %u at RIP %#llx: "
		       "%s\n", engine, cmdline, run_exit_reason_name(x.reason),
		       x.status, (unsigned long long)x.rip, x.message);
		return 1;
	}
	*status = x.status;
	return 0;
}

/* The next console line of (buf, len) from *pos into (line) with the
 * value of "cycles" (TSC ticks, the one timing-dependent field of the
 * result protocol) replaced by "*". False at the end. */
static bool line_next(const char *buf, size_t len, size_t *pos, char *line,
		      size_t linelen)
{
	size_t n = 0;
	const char *c;

	if (*pos >= len)
		return false;
	while (*pos < len && buf[*pos] != '\n' && n + 1 < linelen)
		line[n++] = buf[(*pos)++];
	while (*pos < len && buf[(*pos)++] != '\n')
		;
	line[n] = '\0';
	c = strstr(line, "\"cycles\":");
	if (c) {
		char *v = line + (c - line) + 9, *end = v;

		while (*end >= '0' && *end <= '9')
			end++;
		memmove(v + 1, end, strlen(end) + 1);
		*v = '*';
	}
	return true;
}

/* The consoles of (a) and (b) agree line by line (cycles aside)? Else 1
 * and (msg) quotes the first differing line of each. */
static int console_compare(const struct machine *a, const struct machine *b,
			   char *msg, size_t msglen)
{
	static char la[4096], lb[4096];
	size_t pa = 0, pb = 0;
	unsigned n = 0;
	bool ga, gb;

	for (;;) {
		ga = line_next(a->console.buf, a->console.len, &pa, la,
			       sizeof(la));
		gb = line_next(b->console.buf, b->console.len, &pb, lb,
			       sizeof(lb));
		n++;
		if (!ga && !gb)
			return 0;
		if (ga != gb || strcmp(la, lb)) {
			snprintf(msg, msglen, "console line %u: interp '%.200s', "
				 "bt '%.200s'", n, ga ? la : "(end)",
				 gb ? lb : "(end)");
			return 1;
		}
	}
}

static int check(const char *guest, uint64_t slot, const char *cmdline,
		 const struct roi_perturb *p)
{
	unsigned flags = 0;
	static const char *const policies[] = {"shadow=vtlb", "shadow=trace"};
	struct roi_recorder ref, bt;
	struct engine *ei, *eb;
	uint32_t st_ref = 0, st = 0;
	char msg[512];
	int rc, worst = 0;

	if (!strncmp(cmdline, "sched:", 6)) {
		flags = ROI_CMP_SCHED;
		cmdline += 6;
	}
	rc = record(guest, cmdline, "interp", NULL, slot, NULL, &ei, &ref,
		    &st_ref);
	if (rc) {
		engine_destroy(ei);
		return rc;
	}
	for (unsigned k = 0; k < 2; k++) {
		rc = record(guest, cmdline, "bt", policies[k], slot, p, &eb,
			    &bt, &st);
		if (!rc && perturb_console && eb->m->console.len > 2)
			eb->m->console.buf[eb->m->console.len / 2] ^= 1;
		if (!rc && st != st_ref)
			snprintf(msg, sizeof(msg), "exit status: interp %u, bt "
				 "%u", st_ref, st);
		if (!rc && (st != st_ref ||
			    roi_state_compare(&ref, "interp", &bt, "bt", flags,
					      msg, sizeof(msg)) ||
			    console_compare(ei->m, eb->m, msg, sizeof(msg)))) {
			printf("DIFF %s bt %s: %s\n", cmdline, policies[k],
			       msg);
			rc = 1;
		} else if (!rc) {
			printf("ok %s bt %s: %s, exit status %u and console "
			       "agree\n", cmdline, policies[k], msg, st);
		}
		roi_recorder_free(&bt);
		engine_destroy(eb);
		worst = rc > worst ? rc : worst;
	}
	roi_recorder_free(&ref);
	engine_destroy(ei);
	return worst;
}

int main(int argc, char **argv)
{
	struct roi_perturb p;
	const char *ps = getenv("VMB_ROI_PERTURB");
	int worst = 0;

	if (argc < 6) {
		fprintf(stderr, "usage: %s GUEST USER_RSP_SLOT KSTACK_TOP_SLOT "
			"BOOT_STACK_TOP CMDLINE...\n", argv[0]);
		return 2;
	}
	perturb_console = ps && !strcmp(ps, "console");
	if (!perturb_console && perturb_parse(ps, &p)) {
		fprintf(stderr, "VMB_ROI_PERTURB=%s: want gpr:N, rflags, "
			"mem:N or kstack:N, then @MARKER\n", ps);
		return 2;
	}
	kstack_slot = strtoull(argv[3], NULL, 0);
	kstack_boot = strtoull(argv[4], NULL, 0);
	for (int i = 5; i < argc; i++) {
		int rc = check(argv[1], strtoull(argv[2], NULL, 0), argv[i],
			       p.kind ? &p : NULL);

		worst = rc > worst ? rc : worst;
	}
	return worst;
}
