/*
 * kvm_names.c - printable names of KVM constants, for error messages.
 */
#include <stdio.h>

#include "kvm/libkvm/libkvm.h"

#define EXIT_NAME(x) [x] = #x
static const char *const kExitNames[] = {
	EXIT_NAME(KVM_EXIT_UNKNOWN),	   EXIT_NAME(KVM_EXIT_EXCEPTION),
	EXIT_NAME(KVM_EXIT_IO),		   EXIT_NAME(KVM_EXIT_HYPERCALL),
	EXIT_NAME(KVM_EXIT_DEBUG),	   EXIT_NAME(KVM_EXIT_HLT),
	EXIT_NAME(KVM_EXIT_MMIO),	   EXIT_NAME(KVM_EXIT_IRQ_WINDOW_OPEN),
	EXIT_NAME(KVM_EXIT_SHUTDOWN),	   EXIT_NAME(KVM_EXIT_FAIL_ENTRY),
	EXIT_NAME(KVM_EXIT_INTR),	   EXIT_NAME(KVM_EXIT_SET_TPR),
	EXIT_NAME(KVM_EXIT_TPR_ACCESS),	   EXIT_NAME(KVM_EXIT_NMI),
	EXIT_NAME(KVM_EXIT_INTERNAL_ERROR), EXIT_NAME(KVM_EXIT_SYSTEM_EVENT),
	EXIT_NAME(KVM_EXIT_IOAPIC_EOI),	   EXIT_NAME(KVM_EXIT_X86_RDMSR),
	EXIT_NAME(KVM_EXIT_X86_WRMSR),	   EXIT_NAME(KVM_EXIT_DIRTY_RING_FULL),
	EXIT_NAME(KVM_EXIT_X86_BUS_LOCK),  EXIT_NAME(KVM_EXIT_NOTIFY),
};

const char *kvm_exit_reason_name(uint32_t reason)
{
	static __thread char buf[24];

	if (reason < sizeof(kExitNames) / sizeof(kExitNames[0]) &&
	    kExitNames[reason])
		return kExitNames[reason];
	snprintf(buf, sizeof(buf), "KVM_EXIT_%u", reason);
	return buf;
}
