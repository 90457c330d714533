/*
 * seg.h - descriptor-table access for the interpreter: reading GDT
 * entries and the TSS, loading segment registers the long-mode way.
 * All reads are implicit supervisor accesses. Functions return OP_OK or
 * OP_FAULT with the exception (#GP/#NP/#SS/#PF) pending.
 */
#ifndef VMB_INTERP_SEG_H
#define VMB_INTERP_SEG_H

#include "interp/cpu.h"

/* Read the 8-byte GDT entry of (sel) into *desc; #GP(sel) past the limit
 * or for an LDT selector (no LDT support). */
int seg_desc_read(struct cpu *c, uint16_t sel, uint64_t *desc);

/* Load data segment register (sreg) (DS/ES/FS/GS/SS) with (sel). */
int seg_load_data(struct cpu *c, unsigned sreg, uint16_t sel);

/* Load the code segment cache for (sel) into (seg) (no commit); checks
 * a present 64-bit code segment. */
int seg_code_read(struct cpu *c, uint16_t sel, struct x86_segment *seg);

/* Flat 64-bit segment caches as SYSCALL/SYSRET load them. */
void seg_flat_code(struct x86_segment *s, uint16_t sel, unsigned dpl);
void seg_flat_data(struct x86_segment *s, uint16_t sel, unsigned dpl);

/* Null selector (sel) in an SS/DS-like register (64-bit mode). */
void seg_null(struct x86_segment *s, uint16_t sel);

/* Read (size) bytes at TSS offset (off) into *v. */
int seg_tss_read(struct cpu *c, unsigned off, unsigned size, uint64_t *v);

#endif /* VMB_INTERP_SEG_H */
