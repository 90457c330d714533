/*
 * table.c - Zydis mnemonic -> handler, and which mnemonics end a block.
 * Mnemonics without an entry decode to op_unsupported (see decode.h).
 */
#include "interp/decode.h"
#include "interp/ops.h"

#define M(x) [ZYDIS_MNEMONIC_##x]

static const op_fn kHandlers[ZYDIS_MNEMONIC_MAX_VALUE + 1] = {
	/* alu.c */
	M(ADD) = op_add, M(OR) = op_or, M(ADC) = op_adc, M(SBB) = op_sbb,
	M(AND) = op_and, M(SUB) = op_sub, M(XOR) = op_xor, M(CMP) = op_cmp,
	M(TEST) = op_test, M(INC) = op_inc, M(DEC) = op_dec, M(NEG) = op_neg,
	M(NOT) = op_not,
	/* mov.c */
	M(MOV) = op_mov, M(MOVZX) = op_movzx, M(MOVSX) = op_movsx,
	M(MOVSXD) = op_movsx, M(LEA) = op_lea, M(XCHG) = op_xchg,
	M(CMPXCHG) = op_cmpxchg, M(XADD) = op_xadd, M(CBW) = op_cbw,
	M(CWDE) = op_cwde, M(CDQE) = op_cdqe, M(CWD) = op_cwd,
	M(CDQ) = op_cdq, M(CQO) = op_cqo, M(BSWAP) = op_bswap,
	M(MOVBE) = op_movbe, M(NOP) = op_nop, M(ENDBR64) = op_nop,
	M(ENDBR32) = op_nop, M(PAUSE) = op_nop, M(LFENCE) = op_nop,
	M(MFENCE) = op_nop, M(SFENCE) = op_nop, M(PREFETCHT0) = op_nop,
	M(PREFETCHT1) = op_nop, M(PREFETCHT2) = op_nop,
	M(PREFETCHNTA) = op_nop, M(PREFETCHW) = op_nop, M(CLFLUSH) = op_nop,
	M(CMOVO) = op_cmovcc, M(CMOVNO) = op_cmovcc, M(CMOVB) = op_cmovcc,
	M(CMOVNB) = op_cmovcc, M(CMOVZ) = op_cmovcc, M(CMOVNZ) = op_cmovcc,
	M(CMOVBE) = op_cmovcc, M(CMOVNBE) = op_cmovcc, M(CMOVS) = op_cmovcc,
	M(CMOVNS) = op_cmovcc, M(CMOVP) = op_cmovcc, M(CMOVNP) = op_cmovcc,
	M(CMOVL) = op_cmovcc, M(CMOVNL) = op_cmovcc, M(CMOVLE) = op_cmovcc,
	M(CMOVNLE) = op_cmovcc,
	M(SETO) = op_setcc, M(SETNO) = op_setcc, M(SETB) = op_setcc,
	M(SETNB) = op_setcc, M(SETZ) = op_setcc, M(SETNZ) = op_setcc,
	M(SETBE) = op_setcc, M(SETNBE) = op_setcc, M(SETS) = op_setcc,
	M(SETNS) = op_setcc, M(SETP) = op_setcc, M(SETNP) = op_setcc,
	M(SETL) = op_setcc, M(SETNL) = op_setcc, M(SETLE) = op_setcc,
	M(SETNLE) = op_setcc,
	/* shift.c */
	M(SHL) = op_shl, M(SHR) = op_shr, M(SAR) = op_sar, M(ROL) = op_rol,
	M(ROR) = op_ror, M(RCL) = op_rcl, M(RCR) = op_rcr, M(SHLD) = op_shld,
	M(SHRD) = op_shrd,
	/* muldiv.c */
	M(MUL) = op_mul, M(IMUL) = op_imul, M(DIV) = op_div, M(IDIV) = op_idiv,
	/* bit.c */
	M(BT) = op_bt, M(BTS) = op_bts, M(BTR) = op_btr, M(BTC) = op_btc,
	M(BSF) = op_bsf, M(BSR) = op_bsr, M(TZCNT) = op_tzcnt,
	M(LZCNT) = op_lzcnt, M(POPCNT) = op_popcnt,
	/* string.c */
	M(MOVSB) = op_movs, M(MOVSW) = op_movs, M(MOVSD) = op_movs,
	M(MOVSQ) = op_movs, M(STOSB) = op_stos, M(STOSW) = op_stos,
	M(STOSD) = op_stos, M(STOSQ) = op_stos, M(LODSB) = op_lods,
	M(LODSW) = op_lods, M(LODSD) = op_lods, M(LODSQ) = op_lods,
	M(CMPSB) = op_cmps, M(CMPSW) = op_cmps, M(CMPSD) = op_cmps,
	M(CMPSQ) = op_cmps, M(SCASB) = op_scas, M(SCASW) = op_scas,
	M(SCASD) = op_scas, M(SCASQ) = op_scas,
	/* control.c */
	M(PUSH) = op_push, M(POP) = op_pop, M(CALL) = op_call, M(RET) = op_ret,
	M(JMP) = op_jmp, M(LEAVE) = op_leave, M(ENTER) = op_enter,
	M(PUSHFQ) = op_pushfq, M(PUSHF) = op_pushfq, M(POPFQ) = op_popfq,
	M(POPF) = op_popfq, M(JRCXZ) = op_jrcxz, M(JECXZ) = op_jrcxz,
	M(LOOP) = op_loop, M(LOOPE) = op_loope, M(LOOPNE) = op_loopne,
	M(JO) = op_jcc, M(JNO) = op_jcc, M(JB) = op_jcc, M(JNB) = op_jcc,
	M(JZ) = op_jcc, M(JNZ) = op_jcc, M(JBE) = op_jcc, M(JNBE) = op_jcc,
	M(JS) = op_jcc, M(JNS) = op_jcc, M(JP) = op_jcc, M(JNP) = op_jcc,
	M(JL) = op_jcc, M(JNL) = op_jcc, M(JLE) = op_jcc, M(JNLE) = op_jcc,
	/* flagops.c */
	M(CLC) = op_clc, M(STC) = op_stc, M(CMC) = op_cmc, M(CLD) = op_cld,
	M(STD) = op_std, M(LAHF) = op_lahf, M(SAHF) = op_sahf,
	/* system.c */
	M(LGDT) = op_lgdt, M(LIDT) = op_lidt, M(LTR) = op_ltr,
	M(SGDT) = op_sgdt, M(SIDT) = op_sidt, M(CLI) = op_cli, M(STI) = op_sti,
	M(HLT) = op_hlt, M(INVLPG) = op_invlpg, M(SWAPGS) = op_swapgs,
	M(RDFSBASE) = op_rdfsbase, M(RDGSBASE) = op_rdgsbase,
	M(WRFSBASE) = op_wrfsbase, M(WRGSBASE) = op_wrgsbase,
	M(CLTS) = op_clts, M(WBINVD) = op_wbinvd, M(INVD) = op_wbinvd,
	/* sysio.c */
	M(IN) = op_in, M(OUT) = op_out, M(INSB) = op_ins, M(INSW) = op_ins,
	M(INSD) = op_ins, M(OUTSB) = op_outs, M(OUTSW) = op_outs,
	M(OUTSD) = op_outs, M(RDMSR) = op_rdmsr,
	M(WRMSR) = op_wrmsr, M(CPUID) = op_cpuid, M(RDTSC) = op_rdtsc,
	M(RDTSCP) = op_rdtscp, M(VMCALL) = op_vmcall,
	/* intr.c */
	M(INT) = op_int, M(INT3) = op_int3, M(IRETQ) = op_iretq,
	M(IRETD) = op_iretq, M(IRET) = op_iretq, M(SYSCALL) = op_syscall,
	M(SYSRET) = op_sysret,
	/* #UD by definition */
	M(UD0) = op_invalid, M(UD1) = op_invalid, M(UD2) = op_invalid,
	M(CMPXCHG8B) = op_cmpxchg8b, M(XLAT) = op_xlat, M(MOVNTI) = op_mov,
	M(SMSW) = op_smsw, M(LMSW) = op_lmsw, M(SLDT) = op_sldt,
	M(STR) = op_str, M(CLAC) = op_clac, M(STAC) = op_stac,
	/* features the machine's CPUID does not advertise: #UD, as on a
	 * CPU without them (CR4.OSXSAVE cannot be set: XGETBV/XSETBV) */
	M(CMPXCHG16B) = op_invalid, M(RDRAND) = op_invalid,
	M(RDSEED) = op_invalid, M(XGETBV) = op_invalid,
	M(XSETBV) = op_invalid, M(MONITOR) = op_invalid,
	M(MWAIT) = op_invalid, M(INVPCID) = op_invalid, M(RDPID) = op_invalid,
	M(CLWB) = op_invalid, M(CLFLUSHOPT) = op_invalid,
};

op_fn decode_handler(unsigned mnemonic)
{
	return mnemonic <= ZYDIS_MNEMONIC_MAX_VALUE ? kHandlers[mnemonic]
						    : NULL;
}

bool decode_ends_block(unsigned mnemonic)
{
	op_fn f = decode_handler(mnemonic);

	return f == op_call || f == op_ret || f == op_jmp || f == op_jcc ||
	       f == op_jrcxz || f == op_loop || f == op_loope ||
	       f == op_loopne || f == op_popfq || f == op_lgdt ||
	       f == op_lidt || f == op_ltr || f == op_cli || f == op_sti ||
	       f == op_hlt || f == op_invlpg || f == op_swapgs ||
	       f == op_in || f == op_out || f == op_ins || f == op_outs ||
	       f == op_wrmsr || f == op_int ||
	       f == op_int3 || f == op_iretq || f == op_syscall ||
	       f == op_sysret || f == op_retf || f == op_invalid || f == op_wrfsbase ||
	       f == op_wrgsbase || f == op_clts || f == op_lmsw ||
	       f == op_clac || f == op_stac;
}
