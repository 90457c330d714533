/*
 * bt_fault.c - SIGSEGV/SIGBUS handler on an alternate stack (bt_fault.h).
 *
 * The handler must be async-signal-safe: it only reads the registry, calls
 * the callbacks (which do page walks and mmap) and, to pass a signal on,
 * calls the previous handler or restores the default action and returns
 * (the faulting instruction runs again and the default action happens).
 * errno is saved around everything because the interrupted code may be in
 * the middle of using it.
 */
#include "bt/bt_fault.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <Zydis/Zydis.h>

#define FAULT_MAX_WINDOWS 32
#define ALTSTACK_SIZE (256u << 10)

struct fault_slot {
	struct bt_window *w;
	bt_fault_fn fn;
	void *opaque;
};

static struct fault_slot slots[FAULT_MAX_WINDOWS];
static volatile sig_atomic_t nslots;
static bt_fault_fn escape_fn;
static void *escape_opaque;

static unsigned install_count;
static struct sigaction old_segv, old_bus, old_fpe, old_ill;
static stack_t old_stack;
static void *altstack;
static struct bt_fault_stats stats;

static void signal_pass_on(int signo, siginfo_t *si, void *ucv)
{
	struct sigaction *old = signo == SIGSEGV ? &old_segv
				: signo == SIGBUS ? &old_bus
				: signo == SIGFPE ? &old_fpe : &old_ill;

	stats.passed_on++;
	if ((old->sa_flags & SA_SIGINFO) && old->sa_sigaction) {
		old->sa_sigaction(signo, si, ucv);
		return;
	}
	if (old->sa_handler != SIG_DFL && old->sa_handler != SIG_IGN) {
		old->sa_handler(signo);
		return;
	}
	/* Default action: re-raised when the instruction runs again. */
	signal(signo, SIG_DFL);
}

static void fault_decode(struct bt_fault *f, int signo, siginfo_t *si,
			 ucontext_t *uc)
{
	uint64_t err = (uint64_t)uc->uc_mcontext.gregs[REG_ERR];

	memset(f, 0, sizeof(*f));
	f->addr = (uintptr_t)si->si_addr;
	f->signo = signo;
	f->uc = uc;
	f->write = (err & BT_FAULT_ERR_W) != 0;
	f->fetch = (err & BT_FAULT_ERR_I) != 0;
	f->present = (err & BT_FAULT_ERR_P) != 0;
}

static void fault_handler(int signo, siginfo_t *si, void *ucv)
{
	int saved_errno = errno;
	struct bt_fault f;
	enum bt_fault_action act = BT_FAULT_UNHANDLED;

	fault_decode(&f, signo, si, ucv);
	for (int i = 0; (signo == SIGSEGV || signo == SIGBUS) && i < nslots;
	     i++) {
		if (!slots[i].w ||
		    !bt_window_lookup(slots[i].w, f.addr, &f.off, &f.in_guard))
			continue;
		f.w = slots[i].w;
		act = slots[i].fn(slots[i].opaque, &f);
		break;
	}
	if (!f.w && escape_fn)
		act = escape_fn(escape_opaque, &f);
	switch (act) {
	case BT_FAULT_RESUME:
		stats.resumed++;
		break;
	case BT_FAULT_REDIRECTED:
		stats.redirected++;
		break;
	default:
		signal_pass_on(signo, si, ucv);
		break;
	}
	errno = saved_errno;
}

/*
 * While guest code runs, the host RSP holds the guest's RSP: a signal
 * delivered on the normal stack would have its frame written at whatever
 * address the guest put there. Give every handler installed so far
 * SA_ONSTACK (handlers set up later must ask for it themselves).
 */
static void handlers_onstack(void)
{
	for (int sig = 1; sig < NSIG; sig++) {
		struct sigaction sa;

		if (sig == SIGKILL || sig == SIGSTOP ||
		    sigaction(sig, NULL, &sa))
			continue;
		if (!(sa.sa_flags & SA_SIGINFO) &&
		    (sa.sa_handler == SIG_DFL || sa.sa_handler == SIG_IGN))
			continue;
		if (sa.sa_flags & SA_ONSTACK)
			continue;
		sa.sa_flags |= SA_ONSTACK;
		sigaction(sig, &sa, NULL);
	}
}

int bt_fault_install(char *err, size_t errlen)
{
	struct sigaction sa;
	stack_t ss;

	if (install_count++)
		return 0;
	altstack = mmap(NULL, ALTSTACK_SIZE, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (altstack == MAP_FAILED) {
		snprintf(err, errlen, "bt: signal stack: %s", strerror(errno));
		goto fail;
	}
	ss.ss_sp = altstack;
	ss.ss_size = ALTSTACK_SIZE;
	ss.ss_flags = 0;
	if (sigaltstack(&ss, &old_stack)) {
		snprintf(err, errlen, "bt: sigaltstack: %s", strerror(errno));
		goto fail_unmap;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = fault_handler;
	sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGSEGV, &sa, &old_segv) ||
	    sigaction(SIGBUS, &sa, &old_bus) ||
	    sigaction(SIGFPE, &sa, &old_fpe) ||
	    sigaction(SIGILL, &sa, &old_ill)) {
		snprintf(err, errlen, "bt: sigaction: %s", strerror(errno));
		sigaction(SIGSEGV, &old_segv, NULL);
		sigaction(SIGBUS, &old_bus, NULL);
		sigaltstack(&old_stack, NULL);
		goto fail_unmap;
	}
	handlers_onstack();
	return 0;
fail_unmap:
	munmap(altstack, ALTSTACK_SIZE);
fail:
	altstack = NULL;
	install_count = 0;
	return -1;
}

void bt_fault_uninstall(void)
{
	if (!install_count || --install_count)
		return;
	sigaction(SIGSEGV, &old_segv, NULL);
	sigaction(SIGBUS, &old_bus, NULL);
	sigaction(SIGFPE, &old_fpe, NULL);
	sigaction(SIGILL, &old_ill, NULL);
	/* The old stack may have been "none": restore it as it was. */
	if (old_stack.ss_flags & SS_DISABLE) {
		stack_t off = { .ss_flags = SS_DISABLE };
		sigaltstack(&off, NULL);
	} else {
		sigaltstack(&old_stack, NULL);
	}
	munmap(altstack, ALTSTACK_SIZE);
	altstack = NULL;
}

int bt_fault_window_add(struct bt_window *w, bt_fault_fn fn, void *opaque)
{
	for (int i = 0; i < nslots; i++) {
		if (!slots[i].w) {
			slots[i] = (struct fault_slot){ w, fn, opaque };
			return 0;
		}
	}
	if (nslots == FAULT_MAX_WINDOWS)
		return -1;
	slots[nslots] = (struct fault_slot){ w, fn, opaque };
	nslots = nslots + 1;
	return 0;
}

void bt_fault_window_remove(struct bt_window *w)
{
	for (int i = 0; i < nslots; i++)
		if (slots[i].w == w)
			slots[i].w = NULL;
	while (nslots > 0 && !slots[nslots - 1].w)
		nslots = nslots - 1;
}

void bt_fault_escape_set(bt_fault_fn fn, void *opaque)
{
	escape_fn = fn;
	escape_opaque = opaque;
}

void bt_fault_stats_get(struct bt_fault_stats *out)
{
	*out = stats;
}

/* ucontext register index of each 64-bit GPR, in Zydis order (RAX..R15). */
static const int store_greg[16] = {
	REG_RAX, REG_RCX, REG_RDX, REG_RBX, REG_RSP, REG_RBP, REG_RSI, REG_RDI,
	REG_R8, REG_R9, REG_R10, REG_R11, REG_R12, REG_R13, REG_R14, REG_R15,
};

/* Value of GPR (reg) of any width in (uc); false for other registers. */
static bool store_reg(const ucontext_t *uc, ZydisRegister reg, uint64_t *v)
{
	ZydisRegister big;
	unsigned shift = 0;

	if (reg == ZYDIS_REGISTER_AH || reg == ZYDIS_REGISTER_CH ||
	    reg == ZYDIS_REGISTER_DH || reg == ZYDIS_REGISTER_BH)
		shift = 8;
	big = ZydisRegisterGetLargestEnclosing(ZYDIS_MACHINE_MODE_LONG_64, reg);
	if (big < ZYDIS_REGISTER_RAX || big > ZYDIS_REGISTER_R15)
		return false;
	*v = (uint64_t)uc->uc_mcontext.gregs[store_greg[big - ZYDIS_REGISTER_RAX]]
	     >> shift;
	return true;
}

bool bt_fault_store_decode(const struct bt_fault *f,
			   struct bt_fault_store *out)
{
	const ucontext_t *uc = f->uc;
	ZydisDecoder dec;
	ZydisDecodedInstruction in;
	ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT];
	const ZydisDecodedOperand *m = &ops[0], *src = &ops[1];
	uint64_t ea = 0, v;

	if (ZYAN_FAILED(ZydisDecoderInit(&dec, ZYDIS_MACHINE_MODE_LONG_64,
					 ZYDIS_STACK_WIDTH_64)) ||
	    ZYAN_FAILED(ZydisDecoderDecodeFull(
		    &dec, (const void *)(uintptr_t)uc->uc_mcontext.gregs[REG_RIP],
		    15, &in, ops)))
		return false;
	if (in.mnemonic != ZYDIS_MNEMONIC_MOV ||
	    (in.attributes & ZYDIS_ATTRIB_HAS_LOCK) ||
	    in.operand_count_visible != 2 || in.address_width != 32 ||
	    m->type != ZYDIS_OPERAND_TYPE_MEMORY ||
	    m->mem.segment != ZYDIS_REGISTER_GS ||
	    (m->size != 8 && m->size != 16 && m->size != 32 && m->size != 64))
		return false;
	if (m->mem.base != ZYDIS_REGISTER_NONE) {
		if (!store_reg(uc, m->mem.base, &v))
			return false;
		ea += v;
	}
	if (m->mem.index != ZYDIS_REGISTER_NONE) {
		if (!store_reg(uc, m->mem.index, &v))
			return false;
		ea += v * (m->mem.scale ? m->mem.scale : 1);
	}
	if (m->mem.disp.has_displacement)
		ea += (uint64_t)m->mem.disp.value;
	if (src->type == ZYDIS_OPERAND_TYPE_REGISTER) {
		if (!store_reg(uc, src->reg.value, &v))
			return false;
	} else if (src->type == ZYDIS_OPERAND_TYPE_IMMEDIATE) {
		v = src->imm.value.u;
	} else {
		return false;
	}
	out->off = (uint32_t)ea;	/* 32-bit address: wraps like the CPU */
	out->size = m->size / 8;
	out->value = out->size == 8 ? v : v & ((1ull << (8 * out->size)) - 1);
	out->len = in.length;
	return true;
}
