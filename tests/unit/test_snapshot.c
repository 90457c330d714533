/*
 * test_snapshot.c - engine snapshots (machine/snapshot.h, engine.h).
 *
 * A guest stopped at an exact instruction count, saved, and restored into
 * a fresh engine must finish exactly as the same guest run without the
 * stop: same exit status, same architectural state, same RAM. The blob
 * crosses engines (every engine with restore takes a blob from every
 * engine with snapshot). The booted guest image, stopped in mid-workload,
 * must give the golden checksum after a restore. Bad blobs are refused
 * with the reason and leave the engine as it was.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "engine.h"
#include "machine/snapshot.h"
#include "support/elf_build.h"
#include "support/tiny_guest.h"

/*
 * A deterministic guest without interrupts: 40000 rounds of a hash over a
 * 16 KiB buffer it writes as it goes (loads, stores, a call and a push
 * each round), then exit with the hash's low 7 bits.
 */
extern const uint8_t g_hash_begin[], g_hash_end[];
__asm__(".pushsection .rodata\n.p2align 12\ng_hash_begin:\n"
	"lea buf(%rip), %rsi\n xor %r12d, %r12d\n mov $40000, %r13d\n"
	"1: mov %r13, %rax\n imul $7, %rax\n and $2047, %eax\n"
	"mov (%rsi,%rax,8), %rbx\n xor %r13, %rbx\n add %r12, %rbx\n"
	"mov %rbx, (%rsi,%rax,8)\n call mix\n dec %r13d\n jnz 1b\n"
	"mov %r12d, %eax\n and $0x7f, %eax\n mov $0xf4, %dx\n out %eax, %dx\n"
	"2: jmp 2b\n"
	"mix: push %rbx\n imul $31, %r12\n pop %rbx\n add %rbx, %r12\n"
	"rol $5, %r12\n ret\n"
	".p2align 4\nbuf: .fill 16384, 1, 0\n"
	"g_hash_end:\n.popsection\n");

static const struct tiny_guest g_hash = { g_hash_begin, 0 };

#define HASH_STOP 150000	/* instructions before the snapshot */

static struct tiny_guest hash_guest(void)
{
	struct tiny_guest g = g_hash;

	g.len = (size_t)(g_hash_end - g_hash_begin);
	return g;
}

/* Engine (name) on the hash guest; NULL (skip message printed) when the
 * engine is not usable here. */
static struct engine *hash_engine(const char *name, const char *options)
{
	struct tiny_guest g = hash_guest();
	struct engine *e;
	char why[256];
	int rc = tiny_engine_create(name, options, &g, 20.0, &e, why,
				    sizeof(why));

	assert_int_not_equal(rc, -1);
	if (rc == 0) {
		print_message("engine %s skipped: %s\n", name, why);
		return NULL;
	}
	return e;
}

static void run_to_exit(struct engine *e, struct x86_state *st)
{
	struct run_exit x;

	assert_int_equal(engine_run(e, &x), 0);
	assert_int_equal(x.reason, RUN_EXIT_GUEST);
	assert_int_equal(e->ops->state_get(e, st), 0);
}

/* The reference: the hash guest run without a stop on interp. */
static void reference(struct x86_state *st, uint32_t *status, uint8_t *ram,
		      size_t ramlen)
{
	struct engine *e = hash_engine("interp", NULL);

	assert_non_null(e);
	run_to_exit(e, st);
	*status = e->m->exit_status;
	memcpy(ram, e->m->mem.host, ramlen);
	engine_destroy(e);
}

/* Snapshot the hash guest on (from) after HASH_STOP instructions. */
static void *stopped_blob(const char *from, const char *options,
			  size_t *len)
{
	struct engine *e = hash_engine(from, options);
	struct run_exit x;
	char err[256];
	void *blob;

	if (!e)
		return NULL;
	assert_non_null(e->ops->snapshot);
	e->cfg.insn_limit = HASH_STOP;
	assert_int_equal(engine_run(e, &x), 0);
	assert_int_equal(x.reason, RUN_EXIT_INSN_LIMIT);
	assert_int_equal(engine_snapshot(e, &blob, len, err, sizeof(err)), 0);
	engine_destroy(e);
	return blob;
}

/* Engines with snapshot/restore, and their options: bt under both shadow
 * policies (trace keeps shadows across address spaces: all must go). */
static const struct {
	const char *name, *options;
} snap_engines[] = {
	{ "interp", NULL }, { "bt", "shadow=vtlb" }, { "bt", "shadow=trace" },
};

#define NSNAP (sizeof(snap_engines) / sizeof(snap_engines[0]))

/* Every (from, to) pair of engines that have snapshot/restore. */
static void test_snapshot_resume_exact(void **state)
{
	const size_t ramlen = MACHINE_RAM_MIN;
	uint8_t *ram = malloc(ramlen);
	struct x86_state want, got;
	uint32_t status;
	unsigned pairs = 0;

	(void)state;
	assert_non_null(ram);
	reference(&want, &status, ram, ramlen);
	for (unsigned f = 0; f < NSNAP; f++) {
		size_t len;
		void *blob = stopped_blob(snap_engines[f].name,
					  snap_engines[f].options, &len);

		if (!blob)
			continue;
		for (unsigned t = 0; t < NSNAP; t++) {
			struct engine *e = hash_engine(snap_engines[t].name,
						       snap_engines[t].options);
			char err[256];

			if (!e)
				continue;
			assert_non_null(e->ops->restore);
			assert_int_equal(engine_restore(e, blob, len, err,
							sizeof(err)), 0);
			run_to_exit(e, &got);
			assert_int_equal(e->m->exit_status, status);
			/* Everything but the host-time dependent TSC offset. */
			got.tsc_offset = want.tsc_offset;
			assert_memory_equal(&got, &want, sizeof(got));
			assert_memory_equal(e->m->mem.host, ram, ramlen);
			engine_destroy(e);
			pairs++;
		}
		free(blob);
	}
	assert_true(pairs >= 1);
	free(ram);
}

/* The blob is what the guest had at the stop, not at the end: restoring
 * it twice into the same engine runs the rest twice, identically. */
static void test_snapshot_restore_twice(void **state)
{
	struct engine *e = hash_engine("interp", NULL);
	struct x86_state a, b;
	size_t len;
	void *blob = stopped_blob("interp", NULL, &len);
	char err[256];

	(void)state;
	assert_non_null(e);
	assert_int_equal(engine_restore(e, blob, len, err, sizeof(err)), 0);
	run_to_exit(e, &a);
	assert_int_equal(engine_restore(e, blob, len, err, sizeof(err)), 0);
	assert_false(e->m->exit_requested);
	run_to_exit(e, &b);
	b.tsc_offset = a.tsc_offset;
	assert_memory_equal(&a, &b, sizeof(a));
	free(blob);
	engine_destroy(e);
}

static void expect_refused(struct engine *e, const void *blob, size_t len,
			   const char *why)
{
	char err[256] = "";
	uint8_t page[64];

	memcpy(page, e->m->mem.host + (2u << 20), sizeof(page));
	assert_int_equal(engine_restore(e, blob, len, err, sizeof(err)), -1);
	if (!strstr(err, why))
		fail_msg("expected '%s' in: %s", why, err);
	assert_memory_equal(page, e->m->mem.host + (2u << 20), sizeof(page));
}

/* Engine (name) booting (kernel) with (ram) bytes and (cmdline). */
static struct engine *image_engine(const char *name, const char *options,
				   const char *kernel, uint64_t ram,
				   const char *cmdline)
{
	const struct engine_ops *ops = engine_find(name);
	struct vm_config cfg;
	struct engine *e;
	char why[256];

	assert_non_null(ops);
	if (engine_probe(ops, why, sizeof(why))) {
		print_message("engine %s skipped: %s\n", name, why);
		return NULL;
	}
	memset(&cfg, 0, sizeof(cfg));
	cfg.machine.ram_bytes = ram;
	cfg.machine.kernel_path = kernel;
	cfg.machine.cmdline = cmdline;
	cfg.options = options;
	cfg.time_limit_s = 60;
	if (engine_create(ops, &cfg, &e, why, sizeof(why)))
		fail_msg("%s: %s", name, why);
	return e;
}

static void test_snapshot_bad_blobs(void **state)
{
	struct tiny_guest g = hash_guest();
	struct engine *e = hash_engine("interp", NULL), *big;
	char path[64];
	size_t len;
	uint8_t *blob = stopped_blob("interp", NULL, &len), *bad;

	(void)state;
	assert_non_null(e);
	bad = malloc(len + 8);
	assert_non_null(bad);

	expect_refused(e, "garbage", 7, "not a vmbench snapshot");
	memcpy(bad, blob, len);
	bad[8] ^= 1;		/* version */
	expect_refused(e, bad, len, "another vmbench build");
	expect_refused(e, blob, len - 1, "truncated");
	memcpy(bad, blob, len);
	expect_refused(e, bad, len + 8, "trailing");
	memcpy(bad, blob, len);
	bad[len / 2] ^= 0x40;	/* somewhere in RAM */
	expect_refused(e, bad, len, "corrupted");

	/* The same guest with twice the RAM. */
	assert_int_equal(test_elf_flat_kernel_file(g.code, g.len, path,
						   sizeof(path)), 0);
	big = image_engine("interp", NULL, path, 2 * MACHINE_RAM_MIN, NULL);
	unlink(path);
	expect_refused(big, blob, len, "MiB of RAM");
	engine_destroy(big);
	free(bad);
	free(blob);
	engine_destroy(e);
}

/* The booted guest image: $VMB_GUEST_IMAGE or the build's; skips the
 * test (with the reason) when it is not there. */
static const char *guest_image(void)
{
	const char *img = getenv("VMB_GUEST_IMAGE");

	if (!img)
		img = "build/guest/vmbench-guest.elf";
	if (access(img, R_OK)) {
		print_message("skipped: no guest image at %s\n", img);
		skip();
	}
	return img;
}

/* Workloads of the booted guest image (workloads/golden/checksums.txt). */
static const struct {
	const char *cmd, *bench, *checksum;
} image_runs[] = {
	{ "bench=sort iters=2 size=4096", "sort", "0x4a317e35007b720e" },
	{ "bench=fsm iters=2 size=16384", "fsm", "0x63664d3fb9cbb00f" },
	{ "bench=ctxswitch iters=100", "ctxswitch", "0x825d66d486bdacab" },
};

#define NIMAGE (sizeof(image_runs) / sizeof(image_runs[0]))

/* Run image_runs[w] on interp to half its instruction count: the blob. */
static void *image_blob(const char *img, unsigned w, size_t *len,
			uint64_t *left)
{
	struct engine_counters cnt;
	struct engine *e;
	struct run_exit x;
	char err[256];
	void *blob;

	e = image_engine("interp", NULL, img, 0, image_runs[w].cmd);
	assert_int_equal(engine_run(e, &x), 0);
	assert_int_equal(x.reason, RUN_EXIT_GUEST);
	engine_counters(e, &cnt);
	engine_destroy(e);

	e = image_engine("interp", NULL, img, 0, image_runs[w].cmd);
	e->cfg.insn_limit = cnt.instructions / 2;
	*left = cnt.instructions - e->cfg.insn_limit;
	assert_int_equal(engine_run(e, &x), 0);
	assert_int_equal(x.reason, RUN_EXIT_INSN_LIMIT);
	assert_int_equal(engine_snapshot(e, &blob, len, err, sizeof(err)), 0);
	/* Stopped in mid-workload: no checksum yet. */
	assert_null(strstr(e->m->console.buf ? e->m->console.buf : "",
			   "\"checksum\""));
	engine_destroy(e);
	return blob;
}

/*
 * The booted guest image, stopped halfway through each workload of
 * image_runs (processes, system calls, context switches, timer
 * interrupts: the APIC state matters), restored in turn into one engine
 * of each kind, twice round: the golden checksum every time. Each restore
 * comes in the middle of another workload, whose processes' translations
 * and shadows the engine holds (the restore must drop them all).
 */
static void test_snapshot_guest_image(void **state)
{
	const char *img = guest_image();
	void *blob[NIMAGE];
	size_t len[NIMAGE];
	uint64_t left[NIMAGE];
	char err[256], want[128];

	(void)state;
	for (unsigned w = 0; w < NIMAGE; w++)
		blob[w] = image_blob(img, w, &len[w], &left[w]);
	for (unsigned t = 0; t < NSNAP; t++) {
		struct engine *e = image_engine(snap_engines[t].name,
						snap_engines[t].options, img,
						0, image_runs[0].cmd);
		struct run_exit x;

		if (!e)
			continue;
		assert_non_null(e->ops->restore);
		for (unsigned k = 0; k < 2 * NIMAGE; k++) {
			unsigned w = k % NIMAGE, o = (w + 1) % NIMAGE;
			struct engine_counters c;

			/* Part of another workload first: its processes'
			 * translations and shadows are live at the restore. */
			assert_int_equal(engine_restore(e, blob[o], len[o], err,
							sizeof(err)), 0);
			engine_counters(e, &c);
			e->cfg.insn_limit = c.instructions + left[o] / 2;
			assert_int_equal(engine_run(e, &x), 0);
			assert_int_equal(x.reason, RUN_EXIT_INSN_LIMIT);
			e->cfg.insn_limit = 0;
			if (e->m->console.buf)
				e->m->console.len = 0;
			assert_int_equal(engine_restore(e, blob[w], len[w], err,
							sizeof(err)), 0);
			assert_int_equal(engine_run(e, &x), 0);
			assert_int_equal(x.reason, RUN_EXIT_GUEST);
			assert_int_equal(e->m->exit_status, 0);
			assert_non_null(e->m->console.buf);
			e->m->console.buf[e->m->console.len] = '\0';
			snprintf(want, sizeof(want), "\"ev\":\"checksum\","
				 "\"bench\":\"%s\",\"value\":\"%s\"",
				 image_runs[w].bench, image_runs[w].checksum);
			if (!strstr(e->m->console.buf, want))
				fail_msg("%s %s after restore %u: no golden "
					 "checksum in:\n%.2000s",
					 snap_engines[t].name,
					 snap_engines[t].options ?
					 snap_engines[t].options : "",
					 k, e->m->console.buf);
		}
		engine_destroy(e);
	}
	for (unsigned w = 0; w < NIMAGE; w++)
		free(blob[w]);
}

/* ---- kvm ------------------------------------------------------------------
 * KVM cannot stop at an instruction count, so its cases differ: a kvm
 * snapshot is taken wherever a short time limit stopped the guest, and the
 * checks are that the run finishes exactly as without the stop. kvm has no
 * state_get: its final state is read by a snapshot restored into interp.
 */

/* Stop (e) by a time limit of (s) seconds and snapshot it; NULL when the
 * guest finished first. A snapshot refused for an event in flight is
 * retried after a little more running. */
static void *kvm_stopped_blob(struct engine *e, double s, size_t *len)
{
	struct run_exit x;
	char err[256];
	void *blob = NULL;

	for (int i = 0; i < 5; i++) {
		e->cfg.time_limit_s = s;
		assert_int_equal(engine_run(e, &x), 0);
		if (x.reason == RUN_EXIT_GUEST)
			return NULL;
		assert_int_equal(x.reason, RUN_EXIT_TIME_LIMIT);
		if (engine_snapshot(e, &blob, len, err, sizeof(err)) == 0)
			return blob;
		if (!strstr(err, "in flight"))
			fail_msg("kvm snapshot: %s", err);
		print_message("retrying: %s\n", err);
	}
	fail_msg("kvm snapshot refused 5 times");
	return NULL;
}

/* The final state of a kvm engine that has exited: through a snapshot
 * restored into interp. */
static void kvm_final_state(struct engine *k, struct x86_state *st)
{
	struct engine *i = hash_engine("interp", NULL);
	char err[256];
	void *blob;
	size_t len;

	assert_non_null(i);
	if (engine_snapshot(k, &blob, &len, err, sizeof(err)))
		fail_msg("kvm snapshot after exit: %s", err);
	assert_int_equal(engine_restore(i, blob, len, err, sizeof(err)), 0);
	assert_int_equal(i->ops->state_get(i, st), 0);
	free(blob);
	engine_destroy(i);
}

static void state_expect(struct x86_state *got, const struct x86_state *want,
			 const char *what)
{
	got->tsc_offset = want->tsc_offset;
	if (memcmp(got, want, sizeof(*got)))
		fail_msg("%s: state differs (rip 0x%llx want 0x%llx)", what,
			 (unsigned long long)got->rip,
			 (unsigned long long)want->rip);
}

/*
 * The hash guest: an interp blob (exact stop) resumed on kvm, and a kvm
 * blob (time-limit stop) resumed on interp, each finish as the guest run
 * without a stop: exit status, RAM, architectural state.
 */
static void test_snapshot_kvm_hash(void **state)
{
	const size_t ramlen = MACHINE_RAM_MIN;
	uint8_t *ram = malloc(ramlen);
	struct x86_state want, got;
	struct engine *k, *i;
	uint32_t status;
	char err[256];
	void *blob;
	size_t len;

	(void)state;
	k = hash_engine("kvm", NULL);
	if (!k) {
		free(ram);
		skip();
	}
	assert_non_null(ram);
	reference(&want, &status, ram, ramlen);

	/* interp -> kvm */
	blob = stopped_blob("interp", NULL, &len);
	assert_non_null(blob);
	if (engine_restore(k, blob, len, err, sizeof(err)))
		fail_msg("kvm restore: %s", err);
	free(blob);
	{
		struct run_exit x;

		assert_int_equal(engine_run(k, &x), 0);
		assert_int_equal(x.reason, RUN_EXIT_GUEST);
	}
	assert_int_equal(k->m->exit_status, status);
	assert_memory_equal(k->m->mem.host, ram, ramlen);
	kvm_final_state(k, &got);
	state_expect(&got, &want, "interp -> kvm");
	engine_destroy(k);

	/* kvm -> interp. The kvm engine may write into guest RAM at create
	 * (boot_info flags on PVM): the reference RAM takes those bytes. */
	k = hash_engine("kvm", NULL);
	assert_non_null(k);
	i = hash_engine("interp", NULL);
	for (size_t b = 0; b < ramlen; b++)
		if (k->m->mem.host[b] != i->m->mem.host[b])
			ram[b] = k->m->mem.host[b];
	engine_destroy(i);
	blob = kvm_stopped_blob(k, 0.02, &len);
	engine_destroy(k);
	if (!blob) {
		/* hardware KVM: try a stop within the first 0.2 ms */
		k = hash_engine("kvm", NULL);
		blob = kvm_stopped_blob(k, 0.0002, &len);
		engine_destroy(k);
	}
	if (!blob) {
		print_message("skipped kvm -> interp: the hash guest finished "
			      "on kvm within 0.2 ms, no mid-run stop\n");
		free(ram);
		skip();
	}
	i = hash_engine("interp", NULL);
	assert_int_equal(engine_restore(i, blob, len, err, sizeof(err)), 0);
	free(blob);
	run_to_exit(i, &got);
	assert_int_equal(i->m->exit_status, status);
	assert_memory_equal(i->m->mem.host, ram, ramlen);
	state_expect(&got, &want, "kvm -> interp");
	engine_destroy(i);
	free(ram);
}

/* Without the in-kernel LAPIC kvm has no APIC state to save or load:
 * both refuse by name, and the restore leaves RAM as it was. */
static void test_snapshot_kvm_no_irqchip(void **state)
{
	struct engine *k = hash_engine("kvm", "irqchip=none");
	void *blob = NULL;
	char err[256];
	size_t len;

	(void)state;
	if (!k)
		skip();
	assert_int_equal(engine_snapshot(k, &blob, &len, err, sizeof(err)),
			 -1);
	assert_non_null(strstr(err, "in-kernel x2APIC"));
	assert_null(blob);
	blob = stopped_blob("interp", NULL, &len);
	assert_non_null(blob);
	expect_refused(k, blob, len, "in-kernel x2APIC");
	free(blob);
	engine_destroy(k);
}

/* The guest's console holds the golden checksum of image_runs[w]. */
static void checksum_expect(struct engine *e, unsigned w, const char *what)
{
	char want[128];

	assert_non_null(e->m->console.buf);
	e->m->console.buf[e->m->console.len] = '\0';
	snprintf(want, sizeof(want), "\"ev\":\"checksum\",\"bench\":\"%s\","
		 "\"value\":\"%s\"", image_runs[w].bench,
		 image_runs[w].checksum);
	if (!strstr(e->m->console.buf, want))
		fail_msg("%s: no golden checksum in:\n%.2000s", what,
			 e->m->console.buf);
}

/* Whether the guest image's blob has the APIC timer running (loaded into
 * a scratch machine of the same size). */
static bool blob_timer_armed(const char *img, const void *blob, size_t len)
{
	struct engine *i = image_engine("interp", NULL, img, 0, "");
	struct snapshot_cpu sc;
	char err[256];
	bool armed;

	if (snapshot_load(i->m, blob, len, 0, &sc, err, sizeof(err)))
		fail_msg("%s", err);
	armed = (sc.apic.svr & 0x100) && sc.apic.initial_count &&
		sc.apic.timer_deadline;
	engine_destroy(i);
	return armed;
}

/* Run the guest image on kvm (k) in short steps until a snapshot shows
 * the APIC timer running; that blob. */
static void *kvm_timer_blob(const char *img, const char *cmd, size_t *len)
{
	/* Steps of 20 ms; where the whole workload is faster than that
	 * (hardware KVM), again with a fresh guest in steps of 1 ms. */
	static const double step[] = { 0.02, 0.001 };

	for (unsigned i = 0; i < 2; i++) {
		struct engine *k = image_engine("kvm", NULL, img, 0, cmd);

		for (int n = 0; n < 200; n++) {
			void *blob = kvm_stopped_blob(k, step[i], len);

			if (!blob)
				break;
			if (blob_timer_armed(img, blob, *len)) {
				engine_destroy(k);
				return blob;
			}
			free(blob);
		}
		engine_destroy(k);
	}
	return NULL;
}

/*
 * The booted guest image (with pvm=1, so the guest completes what a PVM
 * host gets wrong whichever engine it continues on): stopped halfway on
 * interp and finished on kvm, and stopped by a time limit on kvm and
 * finished on interp: the golden checksum both ways.
 */
static void test_snapshot_kvm_image(void **state)
{
	const char *img = guest_image();
	const unsigned w = 0;
	char cmd[128], err[256];
	struct engine_counters cnt;
	struct engine *e, *k;
	struct run_exit x;
	void *blob;
	size_t len;

	(void)state;
	snprintf(cmd, sizeof(cmd), "%s pvm=1", image_runs[w].cmd);
	k = image_engine("kvm", NULL, img, 0, cmd);
	if (!k)
		skip();

	/* interp, halfway -> kvm */
	e = image_engine("interp", NULL, img, 0, cmd);
	assert_int_equal(engine_run(e, &x), 0);
	assert_int_equal(x.reason, RUN_EXIT_GUEST);
	engine_counters(e, &cnt);
	engine_destroy(e);
	e = image_engine("interp", NULL, img, 0, cmd);
	e->cfg.insn_limit = cnt.instructions / 2;
	assert_int_equal(engine_run(e, &x), 0);
	assert_int_equal(x.reason, RUN_EXIT_INSN_LIMIT);
	assert_int_equal(engine_snapshot(e, &blob, &len, err, sizeof(err)), 0);
	engine_destroy(e);
	assert_true(blob_timer_armed(img, blob, len));
	if (engine_restore(k, blob, len, err, sizeof(err)))
		fail_msg("kvm restore: %s", err);
	free(blob);
	assert_int_equal(engine_run(k, &x), 0);
	if (x.reason != RUN_EXIT_GUEST)
		fail_msg("kvm after restore: exit %d: %s", x.reason, x.message);
	assert_int_equal(k->m->exit_status, 0);
	checksum_expect(k, w, "interp -> kvm");
	engine_destroy(k);

	/* kvm, stopped by time with the APIC timer running -> interp, kvm */
	blob = kvm_timer_blob(img, cmd, &len);
	if (!blob) {
		print_message("skipped kvm -> interp, kvm: no stop of the "
			      "workload with the APIC timer running (it "
			      "finished within one step or ran 200 steps "
			      "without the timer)\n");
		skip();
	}
	for (unsigned t = 0; t < 2; t++) {
		e = image_engine(t ? "kvm" : "interp", NULL, img, 0, cmd);
		if (engine_restore(e, blob, len, err, sizeof(err)))
			fail_msg("restore: %s", err);
		assert_int_equal(engine_run(e, &x), 0);
		if (x.reason != RUN_EXIT_GUEST)
			fail_msg("after restore: exit %d: %s", x.reason,
				 x.message);
		assert_int_equal(e->m->exit_status, 0);
		checksum_expect(e, w, t ? "kvm -> kvm" : "kvm -> interp");
		engine_destroy(e);
	}
	free(blob);
}

/* An engine without snapshots says so by name. */
static void test_snapshot_unsupported(void **state)
{
	static const struct engine_ops none = { .name = "none" };
	struct engine e = { .ops = &none };
	char err[128];
	void *blob;
	size_t len;

	(void)state;
	assert_int_equal(engine_snapshot(&e, &blob, &len, err, sizeof(err)),
			 -1);
	assert_non_null(strstr(err, "none cannot take snapshots"));
	assert_null(blob);
	assert_int_equal(engine_restore(&e, "x", 1, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "none cannot restore"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_snapshot_resume_exact),
		cmocka_unit_test(test_snapshot_restore_twice),
		cmocka_unit_test(test_snapshot_bad_blobs),
		cmocka_unit_test(test_snapshot_guest_image),
		cmocka_unit_test(test_snapshot_kvm_hash),
		cmocka_unit_test(test_snapshot_kvm_image),
		cmocka_unit_test(test_snapshot_kvm_no_irqchip),
		cmocka_unit_test(test_snapshot_unsupported),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
