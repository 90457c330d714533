/*
 * traps.c - names of the trap taxonomy (the X-macro in traps.h) and of the
 * exception vectors.
 */
#include "machine/traps.h"

#include <pthread.h>
#include <stdio.h>

static const char *const trap_names[TRAP_NR] = {
#define TRAP_NAME(k, name, doc) [k] = name,
	TRAP_KINDS(TRAP_NAME)
#undef TRAP_NAME
};

static const char *const trap_docs[TRAP_NR] = {
#define TRAP_DOC(k, name, doc) [k] = doc,
	TRAP_KINDS(TRAP_DOC)
#undef TRAP_DOC
};

/* SDM vol. 3 table 6-1; reserved vectors have no mnemonic. */
static const char *const vector_names[TRAP_VECTORS] = {
	/*00*/ "DE", "DB", "NMI", "BP", "OF", "BR", "UD", "NM",
	/*08*/ "DF", "CSO", "TS", "NP", "SS", "GP", "PF", NULL,
	/*16*/ "MF", "AC", "MC", "XM", "VE", "CP", NULL, NULL,
	/*24*/ NULL, NULL, NULL, NULL, "HV", "VC", "SX", NULL,
};

const char *trap_kind_name(enum trap_kind kind)
{
	return (unsigned)kind < TRAP_NR ? trap_names[kind] : "?";
}

const char *trap_kind_doc(enum trap_kind kind)
{
	return (unsigned)kind < TRAP_NR ? trap_docs[kind] : "?";
}

static char vector_numbered[256][8];
static pthread_once_t vector_numbered_once = PTHREAD_ONCE_INIT;

static void vector_numbered_init(void)
{
	for (unsigned i = 0; i < 256; i++)
		snprintf(vector_numbered[i], sizeof(vector_numbered[i]),
			 "vec%u", i);
}

const char *trap_vector_name(unsigned vector)
{
	if (vector < TRAP_VECTORS && vector_names[vector])
		return vector_names[vector];
	if (vector > 255)
		return "vec?";
	pthread_once(&vector_numbered_once, vector_numbered_init);
	return vector_numbered[vector];
}

void trap_counters_diff(const struct trap_counters *a,
			const struct trap_counters *b,
			struct trap_counters *out)
{
	for (unsigned i = 0; i < TRAP_NR; i++)
		out->count[i] = b->count[i] - a->count[i];
	for (unsigned i = 0; i < TRAP_VECTORS; i++)
		out->exception_by_vector[i] =
			b->exception_by_vector[i] - a->exception_by_vector[i];
}
