/* cpu.c - raising faults, stopping the run, unsupported instructions. */
#include "interp/cpu.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "interp/decode.h"
#include "machine/cpuid.h"
#include "interp/mem.h"
#include "interp/ops.h"

void cpu_features_load(struct cpu *c)
{
	uint32_t a, b, cx, d, b7;

	cpuid_lookup(1, 0, &a, &b, &cx, &d);
	c->feat.popcnt = (cx >> 23) & 1;
	c->feat.movbe = (cx >> 22) & 1;
	cpuid_lookup(7, 0, &a, &b7, &cx, &d);
	c->feat.fsgsbase = b7 & 1;
	c->feat.bmi1 = (b7 >> 3) & 1;
	c->feat.smep = (b7 >> 7) & 1;
	c->feat.smap = (b7 >> 20) & 1;
	cpuid_lookup(0x80000001, 0, &a, &b, &cx, &d);
	c->feat.lzcnt = (cx >> 5) & 1;
}

int cpu_fault(struct cpu *c, unsigned vector)
{
	c->exc = (struct pending_exc){ .vector = (uint8_t)vector };
	return OP_FAULT;
}

int cpu_fault_err(struct cpu *c, unsigned vector, uint32_t error)
{
	c->exc = (struct pending_exc){ .vector = (uint8_t)vector,
				       .has_error = true, .error = error };
	return OP_FAULT;
}

int cpu_stop(struct cpu *c, enum run_exit_reason reason, const char *fmt,
	     ...)
{
	va_list ap;

	c->exit->reason = reason;
	c->exit->rip = c->s.rip;
	va_start(ap, fmt);
	vsnprintf(c->exit->message, sizeof(c->exit->message), fmt, ap);
	va_end(ap);
	return OP_STOP;
}

int cpu_unsupported(struct cpu *c, const struct insn *i)
{
	uint8_t b[15] = { 0 };
	char hex[3 * 15 + 1] = "";
	unsigned n = i->len ? i->len : 15;
	struct pending_exc saved = c->exc;

	if (mem_read_bytes(c, c->s.rip, b, n, TLB_X, mem_user(c)) != OP_OK) {
		c->exc = saved;	/* best effort: bytes only for the message */
		n = 0;
	}
	for (unsigned k = 0; k < n; k++)
		snprintf(hex + (k ? 3 * k - 1 : 0), 4, k ? " %02x" : "%02x",
			 b[k]);
	return cpu_stop(c, RUN_EXIT_UNSUPPORTED_INSN,
			"unsupported instruction %s (%s) at RIP %#llx",
			decode_mnemonic_name(i->mnemonic), hex,
			(unsigned long long)c->s.rip);
}

int op_unsupported(struct cpu *c, const struct insn *i)
{
	return cpu_unsupported(c, i);
}

int op_invalid(struct cpu *c, const struct insn *i)
{
	(void)i;
	return cpu_fault(c, X86_VEC_UD);
}
