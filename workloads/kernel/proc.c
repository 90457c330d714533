/*
 * proc.c - the process table, fork/exit/wait and the scheduler.
 *
 * Invariants: exactly one process is RUNNING (`current`); a WAITING
 * process sleeps in proc_wait() until a child exits; a ZOMBIE has freed
 * its address space but keeps its slot (and kernel stack) until its
 * parent collects the status. Orphans are handed to the kernel task.
 */
#include "console.h"
#include "exec.h"
#include "gdt.h"
#include "memlayout.h"
#include "proc.h"
#include "vmb.h"
#include "vmb_syscall.h"

static struct proc procs[NPROC];
static struct proc *current;
static int next_pid = 1;
static uint8_t kstacks[NPROC][KSTACK_SIZE] __attribute__((aligned(16)));

uint64_t cpu_kstack_top;	/* syscall_entry's stack: current->kstack_top */

void swtch(uint64_t *save_rsp, uint64_t new_rsp);
extern char trapret[];

void proc_init(uint64_t boot_stack_top)
{
	current = &procs[0];
	current->state = PROC_RUNNING;
	current->pid = 0;
	current->pml4 = kvm_pml4();
	current->kstack_top = boot_stack_top;
	vmb_strlcpy(current->name, "kernel", sizeof(current->name));
}

struct proc *proc_current(void)
{
	return current;
}

struct trapframe *proc_tf(struct proc *p)
{
	return (struct trapframe *)(p->kstack_top - sizeof(struct trapframe));
}

/*
 * A free slot set up so that the first switch to it returns through
 * trapret, i.e. into ring 3 with its trap frame. NULL if the table is full.
 */
static struct proc *proc_alloc(void)
{
	for (int i = 1; i < NPROC; i++) {
		struct proc *p = &procs[i];
		if (p->state != PROC_FREE)
			continue;
		vmb_memset(p, 0, sizeof(*p));
		p->pid = next_pid++;
		p->kstack_top = (uint64_t)&kstacks[i][KSTACK_SIZE];
		p->mmap_next = USER_MMAP_BASE;
		uint64_t *sp = (uint64_t *)proc_tf(p);
		*--sp = (uint64_t)trapret;	/* swtch() returns here */
		for (int r = 0; r < 6; r++)	/* rbp rbx r12-r15 */
			*--sp = 0;
		p->saved_rsp = (uint64_t)sp;
		p->parent = current;
		return p;
	}
	return NULL;
}

int proc_spawn(const char *prog, const char *const *argv)
{
	struct proc *p = proc_alloc();

	if (!p)
		return -VMB_ENOMEM;
	int err = exec_image(p, prog, argv);
	if (err) {
		p->state = PROC_FREE;
		return err;
	}
	p->state = PROC_RUNNABLE;
	return p->pid;
}

int proc_fork(void)
{
	struct proc *p = proc_alloc();

	if (!p)
		return -VMB_ENOMEM;
	p->pml4 = uvm_fork(current->pml4);
	if (!p->pml4)
		return -VMB_ENOMEM;	/* slot stays FREE */
	*proc_tf(p) = *proc_tf(current);
	proc_tf(p)->rax = 0;
	p->mmap_next = current->mmap_next;
	vmb_memcpy(p->name, current->name, sizeof(p->name));
	p->state = PROC_RUNNABLE;
	return p->pid;
}

static void switch_to(struct proc *next)
{
	struct proc *prev = current;

	if (prev->state == PROC_RUNNING)
		prev->state = PROC_RUNNABLE;
	next->state = PROC_RUNNING;
	current = next;
	tss_rsp0_set(next->kstack_top);
	cpu_kstack_top = next->kstack_top;
	vm_switch(next->pml4);
	swtch(&prev->saved_rsp, next->saved_rsp);
}

void proc_yield(void)
{
	int self = (int)(current - procs);

	for (int k = 1; k < NPROC; k++) {
		struct proc *p = &procs[(self + k) % NPROC];
		if (p->state == PROC_RUNNABLE) {
			switch_to(p);
			return;
		}
	}
	if (current->state != PROC_RUNNING)
		panic("scheduler: no runnable process, waiting pid", current->pid);
}

_Noreturn void proc_exit(int status)
{
	struct proc *self = current;

	if (self == &procs[0])
		panic("proc_exit: kernel task", 0);
	for (int i = 1; i < NPROC; i++)
		if (procs[i].state != PROC_FREE && procs[i].parent == self)
			procs[i].parent = &procs[0];
	vm_switch(kvm_pml4());
	uvm_free(self->pml4);
	self->pml4 = kvm_pml4();
	self->exit_status = status;
	self->state = PROC_ZOMBIE;
	for (int i = 0; i < NPROC; i++)	/* parent, or kernel task for orphans */
		if (procs[i].state == PROC_WAITING &&
		    (&procs[i] == self->parent || i == 0))
			procs[i].state = PROC_RUNNABLE;
	proc_yield();
	panic("proc_exit: zombie rescheduled", self->pid);
}

int proc_wait(int pid, int *status)
{
	for (;;) {
		int have = 0;
		for (int i = 1; i < NPROC; i++) {
			struct proc *p = &procs[i];
			if (p->state == PROC_FREE || p->parent != current ||
			    (pid != -1 && p->pid != pid))
				continue;
			have = 1;
			if (p->state == PROC_ZOMBIE) {
				if (status)
					*status = p->exit_status;
				p->state = PROC_FREE;
				return p->pid;
			}
		}
		if (!have)
			return -VMB_ECHILD;
		current->state = PROC_WAITING;
		proc_yield();
	}
}
