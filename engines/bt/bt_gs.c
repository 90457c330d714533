/*
 * bt_gs.c - host GS base through WRGSBASE or arch_prctl (see bt_gs.h).
 */
#include "bt/bt_gs.h"

#include <asm/prctl.h>
#include <sys/auxv.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef HWCAP2_FSGSBASE
#define HWCAP2_FSGSBASE (1ul << 1)
#endif

static enum bt_gs_method gs_method = BT_GS_AUTO;

bool bt_gs_wrgsbase_available(void)
{
	return (getauxval(AT_HWCAP2) & HWCAP2_FSGSBASE) != 0;
}

int bt_gs_method_set(enum bt_gs_method method)
{
	if (method == BT_GS_WRGSBASE && !bt_gs_wrgsbase_available())
		return -1;
	gs_method = method;
	return 0;
}

enum bt_gs_method bt_gs_method_get(void)
{
	if (gs_method == BT_GS_AUTO)
		gs_method = bt_gs_wrgsbase_available() ? BT_GS_WRGSBASE
						       : BT_GS_ARCH_PRCTL;
	return gs_method;
}

const char *bt_gs_method_name(enum bt_gs_method method)
{
	switch (method) {
	case BT_GS_WRGSBASE:
		return "wrgsbase";
	case BT_GS_ARCH_PRCTL:
		return "arch_prctl";
	default:
		return "auto";
	}
}

void bt_gs_set(uint64_t base)
{
	if (bt_gs_method_get() == BT_GS_WRGSBASE)
		__asm__ volatile("wrgsbase %0" : : "r"(base) : "memory");
	else
		syscall(SYS_arch_prctl, ARCH_SET_GS, base);
}

uint64_t bt_gs_get(void)
{
	uint64_t base = 0;

	if (bt_gs_method_get() == BT_GS_WRGSBASE)
		__asm__ volatile("rdgsbase %0" : "=r"(base));
	else
		syscall(SYS_arch_prctl, ARCH_GET_GS, &base);
	return base;
}
