/*
 * kvm_counters.c - the kvm engine's counters: exits that reached user
 * space, by reason, plus every scalar binary statistic of the VM and the
 * vCPU under its kernel name, and the statistics that mean a trap-taxonomy
 * entry mapped onto it (docs/kvm.md has the table and its caveats).
 *
 * Read at every ROI marker: the marker is a PIO exit, the vCPU is stopped
 * in user space, so the snapshot is exact (no in-flight exit).
 */
#include <stdio.h>
#include <string.h>
#include <x86intrin.h>

#include "kvm/kvm_engine.h"

/* KVM statistic -> taxonomy entry. Only statistics that count exactly
 * that event are mapped; see docs/kvm.md for which backends count them. */
static const struct {
	const char *stat;
	enum trap_kind kind;
} kStatTraps[] = {
	{ "halt_exits", TRAP_HLT },
	{ "hypercalls", TRAP_HYPERCALL },
	{ "irq_injections", TRAP_INTERRUPT_INJECTION },
	{ "invlpg", TRAP_INVLPG },
	{ "pf_fixed", TRAP_HIDDEN_PAGE_FAULT },
	{ "mmu_pte_write", TRAP_PT_WRITE },
};

/* "exit_io" style names for the user-space exit counts. */
static const char *user_exit_stat_name(unsigned reason, char *buf, size_t n)
{
	const char *kname = kvm_exit_reason_name(reason);
	size_t i = 0;

	if (!strncmp(kname, "KVM_EXIT_", 9))
		kname += 9;
	i = (size_t)snprintf(buf, n, "user_exit_");
	for (; *kname && i + 1 < n; kname++)
		buf[i++] = (char)(*kname | 0x20);
	buf[i] = '\0';
	return buf;
}

/* (out) = (prefix)(name), cut to ENGINE_STAT_NAME_MAX - 1 characters. */
static void stat_name_make(char *out, const char *prefix, const char *name)
{
	size_t n = 0;

	for (; *prefix && n + 1 < ENGINE_STAT_NAME_MAX; prefix++)
		out[n++] = *prefix;
	for (; *name && n + 1 < ENGINE_STAT_NAME_MAX; name++)
		out[n++] = *name;
	out[n] = '\0';
}

/* Add every scalar of (st) to (c); histograms are skipped (documented). */
static void stats_add(struct engine_counters *c, struct kvm_stats *st,
		      const char *prefix_if_dup, bool check_dup)
{
	char name[ENGINE_STAT_NAME_MAX];

	if (kvm_stats_read(st) < 0)
		return;
	for (unsigned i = 0; i < st->n; i++) {
		if (kvm_stats_is_hist(st, i))
			continue;
		stat_name_make(name, "", st->desc[i].name);
		if (check_dup && engine_stat_find(c, name))
			stat_name_make(name, prefix_if_dup, st->desc[i].name);
		engine_stat_add(c, name, kvm_stats_value(st, i));
	}
}

static void traps_from_stats(struct engine_counters *c)
{
	for (size_t i = 0; i < sizeof(kStatTraps) / sizeof(kStatTraps[0]);
	     i++) {
		const struct engine_stat *s = engine_stat_find(c,
							       kStatTraps[i].stat);

		if (s)
			c->traps.count[kStatTraps[i].kind] += s->value;
	}
}

/*
 * Guest #PFs: KVM counts the ones it injects (pf_guest) only when it
 * intercepts them (shadow paging, PVM). Under EPT/NPT the guest takes its
 * own faults unseen, so nothing is claimed there.
 */
static void traps_guest_pf(struct kvm_engine *k, struct engine_counters *c)
{
	const struct engine_stat *s = engine_stat_find(c, "pf_guest");

	if (!s || kvm_backend_is_tdp(k->backend.kind) ||
	    k->backend.kind == KVM_BACKEND_UNKNOWN)
		return;
	c->traps.count[TRAP_GUEST_EXCEPTION] += s->value;
	c->traps.exception_by_vector[X86_VEC_PF] += s->value;
}

/*
 * On PVM every SYSCALL from user mode reaches the guest as a #PF that the
 * guest turns back into a system call (pvm.h): KVM counts it in pf_guest,
 * the architecture would not. Take those out so #PF counts match interp.
 */
static void traps_pvm_assist_remove(struct engine_counters *c)
{
	const struct engine_stat *s = engine_stat_find(c, "pvm_assist_syscall");
	uint64_t n = s ? s->value : 0;
	uint64_t *pf = &c->traps.exception_by_vector[X86_VEC_PF];

	if (n > *pf)
		n = *pf;
	*pf -= n;
	c->traps.count[TRAP_GUEST_EXCEPTION] -= n;
}

void kvm_engine_counters(struct engine *e, struct engine_counters *c)
{
	struct kvm_engine *k = e->priv;
	char name[ENGINE_STAT_NAME_MAX];
	uint64_t total = 0;

	memset(c, 0, sizeof(*c));
	c->tsc = __rdtsc();
	c->instructions_valid = false;
	c->traps = k->user_traps;
	for (unsigned r = 0; r < KVM_ENGINE_EXIT_REASONS; r++) {
		total += k->user_exits[r];
		if (k->user_exits[r])
			engine_stat_add(c, user_exit_stat_name(r, name,
								sizeof(name)),
					k->user_exits[r]);
	}
	engine_stat_add(c, "user_exits", total);
	if (k->vcpu_stats_ok)
		stats_add(c, &k->vcpu_stats, "vcpu_", false);
	if (k->vm_stats_ok)
		stats_add(c, &k->vm_stats, "vm_", true);
	traps_from_stats(c);
	traps_guest_pf(k, c);
	if (k->pvm.active)
		pvm_counters_add(&k->pvm, k->m, c);
	traps_pvm_assist_remove(c);
}

uint64_t kvm_engine_emulations(struct kvm_engine *k)
{
	if (k->vcpu_insn_emulation < 0 || kvm_stats_read(&k->vcpu_stats) < 0)
		return 0;
	return kvm_stats_value(&k->vcpu_stats,
			       (unsigned)k->vcpu_insn_emulation);
}
