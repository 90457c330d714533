/*
 * exec.h - load an embedded user program into a process.
 *
 * User programs are ELF64 executables linked at USER_BASE and embedded in
 * the kernel image (programs.S); there is no file system.
 */
#ifndef KERNEL_EXEC_H
#define KERNEL_EXEC_H

struct proc;

#define EXEC_MAXARGS 16
#define EXEC_ARGBYTES 512

/*
 * Replace (p)'s address space with a fresh one running program (prog)
 * with (argv) (kernel strings, NULL terminated): segments copied in, a
 * demand-zero stack with argc/argv on top, and a trap frame entering
 * _start(argc, argv) in ring 3. On failure (p) is unchanged. Returns 0 or
 * -VMB_ENOENT (no such program), -VMB_EINVAL (bad ELF, too many
 * arguments), -VMB_ENOMEM.
 */
int exec_image(struct proc *p, const char *prog, const char *const *argv);

#endif
