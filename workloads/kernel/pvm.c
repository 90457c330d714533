/*
 * pvm.c - complete the transitions a KVM/PVM host gets wrong (see pvm.h).
 *
 * A stuck SYSCALL: the #PF frame is the user's state after SYSCALL (RCX =
 * return RIP, R11 = RFLAGS before SFMASK), so the call is run on this frame
 * and the return is through IRETQ to RCX with RFLAGS = R11, which is what
 * SYSRETQ would have produced. A #UD on `int 0x80` (CD 80) is the gate the
 * CPU did not take: skip the two bytes and run the call.
 */
#include "boot.h"
#include "memlayout.h"
#include "pvm.h"
#include "syscall.h"
#include "vmb.h"

#define PF_FETCH (1u << 4)
#define SYSRET_RFLAGS_MASK 0x3C7FD7ull /* what SYSRETQ keeps of R11 */

extern char syscall_entry[];

static int enabled;
static uint64_t n_syscall, n_int80;

void pvm_assist_enable(void)
{
	enabled = 1;
}

int pvm_assist_enabled(void)
{
	return enabled;
}

int pvm_trap_fixup(struct trapframe *tf)
{
	if (!enabled || !(tf->cs & 3))
		return 0;
	if (tf->vector == T_PF && (tf->error & PF_FETCH) &&
	    tf->rip == (uint64_t)syscall_entry) {
		n_syscall++;
		if (boot_info_host())
			boot_info_host()->pvm_assist_syscall = n_syscall;
		tf->rip = tf->rcx;
		tf->rflags = (tf->r11 & SYSRET_RFLAGS_MASK) | 0x202; /* IF */
		syscall_dispatch(tf);
		return 1;
	}
	if (tf->vector == T_UD && tf->rip < USER_TOP - 2 &&
	    *(const uint8_t *)tf->rip == 0xCD &&
	    *(const uint8_t *)(tf->rip + 1) == T_SYSCALL) {
		n_int80++;
		if (boot_info_host())
			boot_info_host()->pvm_assist_int80 = n_int80;
		tf->rip += 2;
		syscall_dispatch(tf);
		return 1;
	}
	return 0;
}

void pvm_stats_print(void)
{
	if (enabled)
		vmb_printf("pvm assist: %lu syscalls completed from #PF, "
			   "%lu int 0x80 from #UD\n", n_syscall, n_int80);
}
