/*
 * x86_state.h - the architectural state of one x86-64 vCPU.
 *
 * interp and bt keep the guest's state in this struct (or load it into host
 * registers from it); the kvm engine converts it to and from struct
 * kvm_regs / kvm_sregs / MSR lists (engines/kvm/kvm_state.c). The boot
 * builder fills one of these for every engine. Segment registers keep the
 * hidden descriptor cache in unpacked form so no engine has to decode
 * access-rights bytes.
 */
#ifndef VMB_X86_STATE_H
#define VMB_X86_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <emmintrin.h>

enum x86_gpr {
	X86_RAX, X86_RCX, X86_RDX, X86_RBX, X86_RSP, X86_RBP, X86_RSI, X86_RDI,
	X86_R8, X86_R9, X86_R10, X86_R11, X86_R12, X86_R13, X86_R14, X86_R15,
	X86_NGPR
};

/* Segment registers in the SDM's encoding order (MOV Sreg, ModRM.reg). */
enum x86_sreg {
	X86_ES, X86_CS, X86_SS, X86_DS, X86_FS, X86_GS, X86_NSREG
};

/* A segment register: selector plus the unpacked hidden part. */
struct x86_segment {
	uint16_t selector;
	uint64_t base;
	uint32_t limit;		/* byte granular (already scaled by G) */
	uint8_t type;		/* descriptor type field, 4 bits */
	uint8_t s;		/* 1 = code/data, 0 = system */
	uint8_t dpl;
	uint8_t present;
	uint8_t avl;
	uint8_t l;		/* 64-bit code segment */
	uint8_t db;
	uint8_t g;
	uint8_t unusable;	/* null selector loaded (VMX/KVM notion) */
};

struct x86_dtable {
	uint64_t base;
	uint16_t limit;
};

struct x86_state {
	uint64_t gpr[X86_NGPR];
	uint64_t rip;
	uint64_t rflags;

	struct x86_segment seg[X86_NSREG];
	struct x86_segment tr, ldtr;
	struct x86_dtable gdtr, idtr;

	uint64_t cr0, cr2, cr3, cr4, cr8;

	/* The MSRs the machine spec names (docs/machine.md). */
	uint64_t efer;
	uint64_t star, lstar, cstar, sfmask;
	uint64_t kernel_gs_base; /* FS/GS base live in seg[].base */
	uint64_t sysenter_cs, sysenter_esp, sysenter_eip;
	uint64_t tsc_aux;
	uint64_t pat;
	uint64_t apic_base;
	uint64_t tsc_offset;	/* guest TSC = host TSC + tsc_offset */
};

/* Control register, EFER and RFLAGS bits used across engines. */
#define X86_CR0_PE (1ull << 0)
#define X86_CR0_MP (1ull << 1)
#define X86_CR0_EM (1ull << 2)
#define X86_CR0_TS (1ull << 3)
#define X86_CR0_ET (1ull << 4)
#define X86_CR0_NE (1ull << 5)
#define X86_CR0_WP (1ull << 16)
#define X86_CR0_AM (1ull << 18)
#define X86_CR0_NW (1ull << 29)
#define X86_CR0_CD (1ull << 30)
#define X86_CR0_PG (1ull << 31)

#define X86_CR4_TSD (1ull << 2)
#define X86_CR4_PSE (1ull << 4)
#define X86_CR4_PAE (1ull << 5)
#define X86_CR4_PGE (1ull << 7)
#define X86_CR4_OSFXSR (1ull << 9)
#define X86_CR4_FSGSBASE (1ull << 16)
#define X86_CR4_SMEP (1ull << 20)
#define X86_CR4_SMAP (1ull << 21)

#define X86_EFER_SCE (1ull << 0)
#define X86_EFER_LME (1ull << 8)
#define X86_EFER_LMA (1ull << 10)
#define X86_EFER_NXE (1ull << 11)

#define X86_RFLAGS_CF (1ull << 0)
#define X86_RFLAGS_FIXED (1ull << 1)
#define X86_RFLAGS_PF (1ull << 2)
#define X86_RFLAGS_AF (1ull << 4)
#define X86_RFLAGS_ZF (1ull << 6)
#define X86_RFLAGS_SF (1ull << 7)
#define X86_RFLAGS_TF (1ull << 8)
#define X86_RFLAGS_IF (1ull << 9)
#define X86_RFLAGS_DF (1ull << 10)
#define X86_RFLAGS_OF (1ull << 11)
#define X86_RFLAGS_IOPL (3ull << 12)
#define X86_RFLAGS_NT (1ull << 14)
#define X86_RFLAGS_RF (1ull << 16)
#define X86_RFLAGS_AC (1ull << 18)
#define X86_RFLAGS_ID (1ull << 21)

/* MSR indices of the machine spec. */
#define X86_MSR_TSC 0x10
#define X86_MSR_APIC_BASE 0x1b
#define X86_MSR_SYSENTER_CS 0x174
#define X86_MSR_SYSENTER_ESP 0x175
#define X86_MSR_SYSENTER_EIP 0x176
#define X86_MSR_PAT 0x277
#define X86_MSR_X2APIC_FIRST 0x800
#define X86_MSR_X2APIC_LAST 0x8ff
#define X86_MSR_EFER 0xc0000080
#define X86_MSR_STAR 0xc0000081
#define X86_MSR_LSTAR 0xc0000082
#define X86_MSR_CSTAR 0xc0000083
#define X86_MSR_SFMASK 0xc0000084
#define X86_MSR_FS_BASE 0xc0000100
#define X86_MSR_GS_BASE 0xc0000101
#define X86_MSR_KERNEL_GS_BASE 0xc0000102
#define X86_MSR_TSC_AUX 0xc0000103

/* Exception vectors. */
enum x86_vector {
	X86_VEC_DE = 0, X86_VEC_DB = 1, X86_VEC_NMI = 2, X86_VEC_BP = 3,
	X86_VEC_OF = 4, X86_VEC_BR = 5, X86_VEC_UD = 6, X86_VEC_NM = 7,
	X86_VEC_DF = 8, X86_VEC_TS = 10, X86_VEC_NP = 11, X86_VEC_SS = 12,
	X86_VEC_GP = 13, X86_VEC_PF = 14, X86_VEC_MF = 16, X86_VEC_AC = 17,
	X86_VEC_MC = 18, X86_VEC_XM = 19,
};

/* #PF error-code bits. */
#define X86_PF_P (1u << 0)
#define X86_PF_W (1u << 1)
#define X86_PF_U (1u << 2)
#define X86_PF_RSVD (1u << 3)
#define X86_PF_I (1u << 4)

/* Current privilege level: CS.DPL in long mode (== CS.RPL). */
/*
 * Copy a whole state with 16-byte moves. GCC expands the structure
 * assignment into REP MOVSQ, whose start-up cost was the top entry of a
 * bt monitor call's profile (bt copies the state four times per call).
 */
static inline void x86_state_copy(struct x86_state *d,
				  const struct x86_state *s)
{
	_Static_assert(sizeof(*s) % 16 == 0, "x86_state size");
	for (size_t i = 0; i < sizeof(*s); i += 16)
		_mm_storeu_si128((__m128i *)((char *)d + i),
				 _mm_loadu_si128((const __m128i *)
						 ((const char *)s + i)));
}

static inline unsigned x86_cpl(const struct x86_state *s)
{
	return s->seg[X86_CS].dpl;
}

/*
 * Decode an 8-byte GDT/LDT code or data descriptor (desc) into (seg) for
 * (selector). System descriptors (TSS, LDT) use x86_segment_from_desc16().
 */
void x86_segment_from_desc(struct x86_segment *seg, uint16_t selector,
			   uint64_t desc);

/* Decode a 16-byte long-mode system descriptor (TSS/LDT). */
void x86_segment_from_desc16(struct x86_segment *seg, uint16_t selector,
			     uint64_t lo, uint64_t hi);

/* Encode the descriptor-cache part of (seg) back into an 8-byte descriptor. */
uint64_t x86_segment_to_desc(const struct x86_segment *seg);

/*
 * Print (s) as a register dump, one line per group, for error reports.
 * Returns the length of the whole dump, like snprintf (it is truncated,
 * NUL-terminated, when (buflen) is smaller).
 */
int x86_state_format(const struct x86_state *s, char *buf, size_t buflen);

#endif /* VMB_X86_STATE_H */
