/*
 * decode.h - Zydis instruction -> struct insn (the interpreter's compact,
 * position-independent decoded form) and the mnemonic -> handler table.
 *
 * Decoding never fails for a complete instruction: an invalid encoding
 * becomes an insn whose handler raises #UD, and a valid one without a
 * handler becomes one that stops the run as unsupported, so both happen
 * only if and when the instruction is actually reached.
 */
#ifndef VMB_INTERP_DECODE_H
#define VMB_INTERP_DECODE_H

#include <stddef.h>
#include <stdint.h>

#include <Zydis/Zydis.h>

#include "interp/cpu.h"

#define DECODE_NEED_MORE 1

/* Initialise (d) for 64-bit mode. */
void decode_init(ZydisDecoder *d);

/*
 * Decode the instruction at (buf), of which (len) bytes are available,
 * into (out). Returns 0, or DECODE_NEED_MORE when the instruction may
 * continue past (len) (the caller fetches the next page and retries).
 */
int decode_insn(const ZydisDecoder *d, const uint8_t *buf, size_t len,
		struct insn *out);

/* The handler of (mnemonic), or NULL when the interpreter has none. */
op_fn decode_handler(unsigned mnemonic);

/* True when (mnemonic) must end its block (control transfer or a change
 * of mode/translation/interrupt state). */
bool decode_ends_block(unsigned mnemonic);

/* Replace the generic handler (in->exec) by one specialized for its
 * operand kinds and size where one exists (fast.c). */
void decode_specialize(struct insn *in);

/* When (b) is a Jcc ending the block right after (a), a CMP/TEST or an
 * ADD/SUB/AND/OR/XOR of a fused form (fast.h), give (a) the threaded entry
 * that runs both (fuse.c). */
void decode_fuse(struct insn *a, const struct insn *b);

/* When (b), right after (a) in a block, writes all six arithmetic flags
 * without reading them and cannot fault or end the chain, give (a) the
 * threaded entry that skips its flag record: nothing can observe it
 * (fast.c). Single steps and limited runs still run insn.exec. */
void decode_dead_flags(struct insn *a, const struct insn *b);

/* Record that (in) starts (off) bytes after its block's first byte and
 * is its (idx)-th instruction (thread.h), before decode_fuse(). */
void decode_place(struct insn *in, int off, unsigned idx);

/* Is (in) a JMP rel (its plain handler fast.c's jmp_rel)? */
bool decode_is_jmp_rel(const struct insn *in);

/* The Jcc handler specialized for condition (cc). */
op_fn decode_jcc_handler(unsigned cc);

/* Is (fn) one of the decode_jcc_handler() handlers? */
bool decode_is_jcc(op_fn fn);

/* Mnemonic text for messages. */
const char *decode_mnemonic_name(unsigned mnemonic);

#endif /* VMB_INTERP_DECODE_H */
