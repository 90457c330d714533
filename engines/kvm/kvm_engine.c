/*
 * kvm_engine.c - the kvm engine's life cycle: probe, create, describe,
 * destroy (see kvm_engine.h; the run loop is kvm_run.c).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kvm/kvm_engine.h"
#include "kvm/kvm_state.h"
#include "machine/cpuid.h"

/* Guest-physical pages VMX needs for its real-mode TSS when unrestricted
 * guest is off (QEMU's choice): above RAM and the null MMIO page. */
#define KVM_TSS_GPA 0xfffbd000ull
#define X86_APIC_BASE_X2APIC (1ull << 10)

static int kvm_probe(char *why, size_t whylen)
{
	return kvm_available(why, whylen) < 0 ? -1 : 0;
}

/* Copy the machine's CPUID table into KVM_SET_CPUID2. */
static int kvm_cpuid_load(struct kvm_engine *k, char *err, size_t errlen)
{
	size_t n;
	const struct cpuid_entry *t = cpuid_table(&n);
	struct kvm_cpuid_entry2 *e = calloc(n ? n : 1, sizeof(*e));
	int r;

	if (!e) {
		snprintf(err, errlen, "kvm: out of memory for CPUID");
		return -1;
	}
	for (size_t i = 0; i < n; i++)
		e[i] = (struct kvm_cpuid_entry2){
			.function = t[i].function, .index = t[i].index,
			/* (sic: the kernel header's spelling) */
			.flags = (t[i].flags & CPUID_F_SIGNIFICANT_INDEX) ?
					 KVM_CPUID_FLAG_SIGNIFCANT_INDEX : 0,
			.eax = t[i].eax, .ebx = t[i].ebx, .ecx = t[i].ecx,
			.edx = t[i].edx,
		};
	r = kvm_vcpu_cpuid_set(&k->vcpu, e, (unsigned)n);
	free(e);
	if (r < 0)
		snprintf(err, errlen, "kvm: %s", k->vcpu.err);
	return r < 0 ? -1 : 0;
}

/* host-pages=2m: move RAM to MFD_HUGETLB pages unless it already is. */
static int kvm_ram_hugepages(struct kvm_engine *k, char *err, size_t errlen)
{
	struct machine *m = k->m;
	struct guest_mem nm;
	char why[256];

	if (m->mem.hugepages)
		return 0;
	if (guest_mem_create(&nm, m->mem.size, true, why, sizeof(why)) < 0) {
		snprintf(err, errlen, "kvm: host-pages=2m: %s", why);
		return -1;
	}
	memcpy(nm.host, m->mem.host, m->mem.size);
	guest_mem_destroy(&m->mem);
	m->mem = nm;
	return 0;
}

static int kvm_options_parse(struct kvm_engine *k, const char *opts,
			     enum kvm_irqchip_mode *irq, bool *assist,
			     char *err, size_t errlen)
{
	char v[32] = "";

	snprintf(k->host_pages, sizeof(k->host_pages), "4k");
	*irq = KVM_IRQCHIP_KERNEL;
	*assist = true;
	if (!opts)
		return 0;
	if (engine_option(opts, "host-pages", v, sizeof(v)) != 0) {
		if (strcmp(v, "4k") && strcmp(v, "2m")) {
			snprintf(err, errlen, "kvm: host-pages=%s: expected "
				 "4k or 2m", v);
			return -1;
		}
		snprintf(k->host_pages, sizeof(k->host_pages), "%s", v);
	}
	if (engine_option(opts, "irqchip", v, sizeof(v)) != 0) {
		if (!strcmp(v, "kernel"))
			*irq = KVM_IRQCHIP_KERNEL;
		else if (!strcmp(v, "split"))
			*irq = KVM_IRQCHIP_SPLIT;
		else if (!strcmp(v, "none"))
			*irq = KVM_IRQCHIP_NONE;
		else {
			snprintf(err, errlen, "kvm: irqchip=%s: expected "
				 "kernel, split or none", v);
			return -1;
		}
	}
	if (engine_option(opts, "pvm-assist", v, sizeof(v)) != 0)
		*assist = strcmp(v, "off") != 0;
	return 0;
}

/* The in-kernel LAPIC, asked for (want); falls back kernel -> split. */
static int kvm_irqchip_setup(struct kvm_engine *k, enum kvm_irqchip_mode want,
			     char *err, size_t errlen)
{
	k->irqchip = KVM_IRQCHIP_NONE;
	if (want == KVM_IRQCHIP_KERNEL &&
	    kvm_vm_sys_cap_check(&k->vm, KVM_CAP_IRQCHIP) > 0 &&
	    kvm_vm_irqchip_create(&k->vm) == 0) {
		k->irqchip = KVM_IRQCHIP_KERNEL;
		return 0;
	}
	if (want != KVM_IRQCHIP_NONE &&
	    kvm_vm_cap_check(&k->vm, KVM_CAP_SPLIT_IRQCHIP) > 0 &&
	    kvm_vm_irqchip_split_enable(&k->vm, 0) == 0) {
		k->irqchip = KVM_IRQCHIP_SPLIT;
		return 0;
	}
	if (want != KVM_IRQCHIP_NONE) {
		snprintf(err, errlen, "kvm: no in-kernel irqchip (%s): the "
			 "guest timer needs one", k->vm.err);
		return -1;
	}
	return 0;
}

static int kvm_stats_setup(struct kvm_engine *k)
{
	char err[256];
	int fd;

	k->vcpu_insn_emulation = -1;
	fd = kvm_vm_stats_fd_get(&k->vm);
	if (fd >= 0)
		k->vm_stats_ok = kvm_stats_open(&k->vm_stats, fd, err,
						sizeof(err)) == 0;
	fd = kvm_vcpu_stats_fd_get(&k->vcpu);
	if (fd >= 0)
		k->vcpu_stats_ok = kvm_stats_open(&k->vcpu_stats, fd, err,
						  sizeof(err)) == 0;
	if (k->vcpu_stats_ok)
		k->vcpu_insn_emulation = kvm_stats_find(&k->vcpu_stats,
							"insn_emulation");
	return 0;
}

/* VM, irqchip, memslot, vCPU, CPUID, initial state: straight-line. */
static int kvm_vm_build(struct kvm_engine *k, enum kvm_irqchip_mode irq,
			char *err, size_t errlen)
{
	struct machine *m = k->m;
	struct x86_state boot = m->boot_state;

	if (kvm_vm_create(&k->vm) < 0)
		goto vm_fail;
	if (kvm_vm_cap_check(&k->vm, KVM_CAP_EXIT_ON_EMULATION_FAILURE) > 0 &&
	    kvm_vm_cap_enable(&k->vm, KVM_CAP_EXIT_ON_EMULATION_FAILURE,
			      1) == 0)
		k->emul_fail_exit = true;
	if ((k->backend.kind == KVM_BACKEND_VMX_EPT ||
	     k->backend.kind == KVM_BACKEND_VMX_SHADOW) &&
	    kvm_vm_tss_addr_set(&k->vm, KVM_TSS_GPA) < 0)
		goto vm_fail;
	if (kvm_irqchip_setup(k, irq, err, errlen) < 0)
		return -1;
	if (kvm_vm_memslot_set(&k->vm, 0, 0, m->mem.size, m->mem.host, 0) < 0)
		goto vm_fail;
	if (kvm_vcpu_create(&k->vm, 0, &k->vcpu) < 0)
		goto vcpu_fail;
	if (kvm_cpuid_load(k, err, errlen) < 0)
		return -1;
	if (k->irqchip == KVM_IRQCHIP_NONE)
		boot.apic_base &= ~X86_APIC_BASE_X2APIC;
	k->x2apic = (boot.apic_base & X86_APIC_BASE_X2APIC) != 0;
	if (kvm_state_load(&k->vcpu, &boot) < 0)
		goto vcpu_fail;
	return kvm_stats_setup(k);
vm_fail:
	snprintf(err, errlen, "kvm: %s", k->vm.err);
	return -1;
vcpu_fail:
	snprintf(err, errlen, "kvm: %s", k->vcpu.err);
	return -1;
}

static void kvm_destroy(struct engine *e)
{
	struct kvm_engine *k = e->priv;

	if (!k)
		return;
	if (k->timer_ok)
		timer_delete(k->timer);
	kvm_stats_close(&k->vcpu_stats);
	kvm_stats_close(&k->vm_stats);
	kvm_vcpu_destroy(&k->vcpu);
	kvm_vm_destroy(&k->vm);
	free(k);
	e->priv = NULL;
}

static int kvm_create(struct engine *e, const struct vm_config *cfg,
		      char *err, size_t errlen)
{
	struct kvm_engine *k = calloc(1, sizeof(*k));
	enum kvm_irqchip_mode irq;
	bool assist;

	if (!k) {
		snprintf(err, errlen, "kvm: out of memory");
		return -1;
	}
	k->m = e->m;
	k->vm.fd = k->vm.kvm_fd = k->vcpu.fd = -1;
	k->vm_stats.fd = k->vcpu_stats.fd = -1;
	e->priv = k;
	kvm_backend_detect(&k->backend);
	if (kvm_options_parse(k, cfg->options, &irq, &assist, err, errlen) < 0)
		goto fail;
	if (!strcmp(k->host_pages, "2m") && kvm_ram_hugepages(k, err, errlen))
		goto fail;
	if (kvm_vm_build(k, irq, err, errlen) < 0)
		goto fail;
	if (k->backend.kind == KVM_BACKEND_PVM)
		pvm_setup(&k->pvm, k->m, assist);
	if (kvm_kick_signal_install() < 0) {
		snprintf(err, errlen, "kvm: cannot install the kick signal "
			 "handler: %s", strerror(errno));
		goto fail;
	}
	return 0;
fail:
	kvm_destroy(e);
	return -1;
}

static void kvm_describe(struct engine *e, char *buf, size_t buflen)
{
	struct kvm_engine *k = e->priv;
	static const char *const irq[] = { "none", "kernel", "split" };

	snprintf(buf, buflen, "backend=%s (%s) irqchip=%s x2apic=%s "
		 "host-pages=%s emulation-failure-exit=%s pvm-accommodations=%s%s",
		 kvm_backend_name(k->backend.kind), k->backend.detail,
		 irq[k->irqchip], k->x2apic ? "on" : "off", k->host_pages,
		 k->emul_fail_exit ? "on" : "off", k->pvm.active ? "on" : "off",
		 k->pvm.assist ? " guest-assist=requested" : "");
}

const struct engine_ops kvm_engine_ops = {
	.name = "kvm",
	.technique = "hardware-assisted virtualization through /dev/kvm "
		     "(VMX/SVM, or the PVM software backend)",
	.probe = kvm_probe,
	.create = kvm_create,
	.run = kvm_engine_run,
	.counters = kvm_engine_counters,
	.describe = kvm_describe,
	.destroy = kvm_destroy,
	.snapshot = kvm_engine_snapshot,
	.restore = kvm_engine_restore,
};
