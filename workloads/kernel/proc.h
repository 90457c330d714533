/*
 * proc.h - processes and the round-robin scheduler (one CPU).
 *
 * Slot 0 is the kernel task: the boot thread that runs kmain and the
 * kernel-mode benches, with no user half. Every other slot is a ring-3
 * process with its own address space and a kernel stack whose top holds
 * its trap frame while it is in the kernel.
 *
 * The kernel is not preemptible (IF=0 in kernel mode), so no locks: a
 * process gives up the CPU only in proc_yield(), proc_wait() or
 * proc_exit(), and the timer preempts ring 3 by calling proc_yield().
 */
#ifndef KERNEL_PROC_H
#define KERNEL_PROC_H

#include <stdint.h>

#include "trap.h"
#include "vm.h"

#define NPROC 32
#define KSTACK_SIZE 16384

enum proc_state { PROC_FREE, PROC_RUNNABLE, PROC_RUNNING, PROC_WAITING, PROC_ZOMBIE };

struct proc {
	enum proc_state state;
	int pid;
	pte_t *pml4;		/* kernel_pml4 for the kernel task */
	uint64_t kstack_top;	/* trap frame just below, from ring 3 */
	uint64_t saved_rsp;	/* swtch() state while not running */
	struct proc *parent;
	int exit_status;	/* valid when ZOMBIE */
	uint64_t mmap_next;	/* next free address of the mmap area */
	char name[16];
};

/* Make the boot thread the kernel task (slot 0). */
void proc_init(uint64_t boot_stack_top);

/* The running process (the kernel task while it runs). */
struct proc *proc_current(void);

/* The trap frame a ring-3 process (p) entered the kernel with. */
struct trapframe *proc_tf(struct proc *p);

/*
 * Create a ring-3 process running program (prog) with (argv) (NULL
 * terminated), child of the caller. Returns its pid or -VMB_E*.
 */
int proc_spawn(const char *prog, const char *const *argv);

/* fork(): the child returns 0 from the system call. Returns child pid. */
int proc_fork(void);

/* Exit status of a process the kernel killed (it ran out of memory). */
#define PROC_STATUS_KILLED (-9)

/* End the current process with (status); wakes a waiting parent. */
_Noreturn void proc_exit(int status);

/*
 * Wait for child (pid) (or any child if -1) to exit; store its status in
 * (*status) if non-NULL (a kernel pointer). Returns the pid, or
 * -VMB_ECHILD when there is no such child.
 */
int proc_wait(int pid, int *status);

/* Run the next runnable process, round robin; return when rescheduled. */
void proc_yield(void);

#endif
