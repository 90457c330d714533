/*
 * target.c - engines and peers behind one name space.
 */
#include "target.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "hostinfo.h"
#include "paths.h"
#include "strutil.h"

struct peer_def {
	const char *name;
	enum target_kind kind;
	const char *technique;
};

static const struct peer_def peers[] = {
	{ "qemu-tcg", TARGET_QEMU_TCG,
	  "peer: QEMU TCG (dynamic binary translation, softmmu)" },
	{ "qemu-kvm", TARGET_QEMU_KVM, "peer: QEMU with KVM acceleration" },
	{ "native", TARGET_NATIVE,
	  "peer: compute kernels as a host process (no virtualization)" },
};

/* Engines DESIGN.md names; absent from engine_table = not implemented. */
static const char *const design_engines[] = { "interp", "bt", "kvm", NULL };

int target_resolve(const char *name, struct target *t, char *err,
		   size_t errlen)
{
	memset(t, 0, sizeof(*t));
	str_copy(t->name, sizeof(t->name), name);
	const struct engine_ops *ops = engine_find(name);
	if (ops) {
		t->kind = TARGET_ENGINE;
		t->ops = ops;
		t->technique = ops->technique;
		return 0;
	}
	for (size_t i = 0; i < sizeof(peers) / sizeof(peers[0]); i++)
		if (!strcmp(name, peers[i].name)) {
			t->kind = peers[i].kind;
			t->technique = peers[i].technique;
			return 0;
		}
	for (unsigned i = 0; design_engines[i]; i++)
		if (!strcmp(name, design_engines[i])) {
			snprintf(err, errlen,
				 "engine '%s' is not implemented in this build "
				 "(not registered in engine_table)", name);
			return -1;
		}
	snprintf(err, errlen,
		 "unknown engine '%s' (engines: interp, bt, kvm; peers: "
		 "qemu-tcg, qemu-kvm, native)", name);
	return -1;
}

static bool file_needed(const char *file, const char *what, char *why,
			size_t wl)
{
	char p[PATHS_MAX];
	paths_guest_file(p, sizeof(p), file);
	if (access(p, R_OK) == 0)
		return true;
	snprintf(why, wl, "%s %.300s not found (build it: make %s)", what, p,
		 strcmp(file, PATHS_NATIVE) ? "guest" : "native");
	return false;
}

void target_probe(struct target *t)
{
	char buf[TARGET_WHY];
	bool present;
	t->why[0] = '\0';
	t->pvm_host = false;
	switch (t->kind) {
	case TARGET_ENGINE:
		t->usable = engine_probe(t->ops, t->why, sizeof(t->why)) == 0;
		if (t->usable)
			t->usable = file_needed(PATHS_GUEST_IMAGE,
						"guest image", t->why,
						sizeof(t->why));
		return;
	case TARGET_QEMU_TCG:
	case TARGET_QEMU_KVM:
		if (!hostinfo_qemu_version(buf, sizeof(buf))) {
			str_copy(t->why, sizeof(t->why), buf);
			t->usable = false;
			return;
		}
		if (t->kind == TARGET_QEMU_KVM &&
		    !hostinfo_kvm_access(buf, sizeof(buf), &present)) {
			str_copy(t->why, sizeof(t->why), buf);
			t->usable = false;
			return;
		}
		if (t->kind == TARGET_QEMU_KVM) {
			char detail[256];
			hostinfo_kvm_backend(buf, sizeof(buf), detail,
					     sizeof(detail));
			t->pvm_host = !strcmp(buf, "PVM");
		}
		t->usable = file_needed(PATHS_GUEST_IMAGE, "guest image",
					t->why, sizeof(t->why));
		return;
	case TARGET_NATIVE:
		t->usable = file_needed(PATHS_NATIVE, "native kernels", t->why,
					sizeof(t->why));
		return;
	}
}

unsigned target_list_all(struct target *out, unsigned max)
{
	unsigned n = 0;
	char err[256];
	for (unsigned i = 0; engine_table[i] && n < max; i++)
		if (!target_resolve(engine_table[i]->name, &out[n], err,
				    sizeof(err)))
			target_probe(&out[n++]);
	for (size_t i = 0; i < sizeof(peers) / sizeof(peers[0]) && n < max;
	     i++)
		if (!target_resolve(peers[i].name, &out[n], err, sizeof(err)))
			target_probe(&out[n++]);
	return n;
}

bool target_has_engine_counters(const struct target *t)
{
	return t->kind == TARGET_ENGINE;
}
