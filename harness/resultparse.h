/*
 * resultparse.h - read the guest's result lines (docs/result-protocol.md)
 * out of a captured console stream.
 *
 * The console mixes kernel messages with `@vmb {json}` lines; the parser
 * keeps every well-formed event, and for each prefixed line that is not a
 * valid event records an error naming the line number and the cause
 * (malformed JSON, missing field, wrong type), without losing the lines
 * around it. A stream that stops mid-line or before the `done` event is
 * marked truncated.
 */
#ifndef VMB_RESULTPARSE_H
#define VMB_RESULTPARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RP_NAME 48
#define RP_MAX_EXTRA 8

struct rp_result {
	unsigned line;
	char bench[RP_NAME];
	char metric[RP_NAME];
	uint32_t roi;
	uint64_t ops, cycles;
	unsigned nextra;	/* extra integer fields, e.g. ws_bytes */
	struct {
		char name[RP_NAME];
		int64_t value;
	} extra[RP_MAX_EXTRA];
};

/* One workload between its start and end events. */
struct rp_bench {
	char bench[RP_NAME];
	char suite[16];
	char mode[16];
	uint64_t iters, size;
	bool has_checksum;
	uint64_t checksum;
	bool ended;
	int status;		/* from `end` */
	char error[256];	/* from `error`, "" if none */
};

struct rp_fault {
	unsigned line;
	unsigned vector;
	char name[16];
	uint64_t rip, cr2, error;
	unsigned cpl;
};

struct rp_error {
	unsigned line;
	char msg[256];
};

struct rp_output {
	bool has_boot;
	uint64_t boot_tsc_khz, boot_ram_mb;
	char boot_entry[16];

	struct rp_bench *benches;
	unsigned nbenches;
	struct rp_result *results;
	unsigned nresults;
	struct rp_fault *faults;
	unsigned nfaults;
	struct rp_error *errors; /* malformed prefixed lines */
	unsigned nerrors;

	bool has_done;
	int done_status;
	unsigned done_benches;

	bool truncated;		/* no `done`, or the stream ends mid-line */
	char truncated_why[128];
};

/*
 * Parse (len) bytes of console text (buf) into (out), which must be
 * zeroed or freshly rp_free()d. Returns 0, or -1 only when memory runs
 * out; protocol problems are in out->errors / out->truncated.
 */
int rp_parse(const char *buf, size_t len, struct rp_output *out);

/* Release what rp_parse() allocated and zero (out). */
void rp_free(struct rp_output *out);

/* The bench called (name) in (out), or NULL. */
const struct rp_bench *rp_bench_find(const struct rp_output *out,
				     const char *name);

/* Value of extra field (name) of (r): true and *v, or false. */
bool rp_result_extra(const struct rp_result *r, const char *name, int64_t *v);

#endif /* VMB_RESULTPARSE_H */
