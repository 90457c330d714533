/*
 * kvm_guest_mem.c - guest-virtual access for the VMM (kvm_guest_mem.h).
 */
#include <stdio.h>
#include <string.h>

#include "kvm/kvm_guest_mem.h"
#include "machine/page_walk.h"

int kvm_guest_vcopy(struct machine *m, const struct kvm_sregs *sr,
		    uint64_t gva, void *buf, size_t len, bool write,
		    uint64_t *bad_gva)
{
	struct walk_ctx ctx = {
		.cr3 = sr->cr3, .cr0 = sr->cr0, .cr4 = sr->cr4,
		.efer = sr->efer, .cpl = 0, .implicit_supervisor = true,
	};
	uint8_t *p = buf;

	while (len) {
		struct walk_result res;
		uint32_t pf;
		size_t chunk = 0x1000 - (gva & 0xfff);
		uint8_t *host;

		if (chunk > len)
			chunk = len;
		if (page_walk(&m->mem, &ctx, gva, write ? WALK_WRITE : WALK_READ,
			      &res, &pf) < 0 ||
		    !(host = guest_mem_ptr(&m->mem, res.gpa, chunk))) {
			if (bad_gva)
				*bad_gva = gva;
			return -1;
		}
		if (write)
			memcpy(host, p, chunk);
		else
			memcpy(p, host, chunk);
		p += chunk;
		gva += chunk;
		len -= chunk;
	}
	return 0;
}

void kvm_guest_insn_format(struct machine *m, const struct kvm_sregs *sr,
			   uint64_t rip, unsigned n, char *out, size_t outlen)
{
	uint8_t b[16];
	size_t off = 0;

	if (n > sizeof(b))
		n = sizeof(b);
	/* Fewer bytes when the instruction sits at the end of a mapping. */
	if (kvm_guest_vcopy(m, sr, rip, b, n, false, NULL) < 0) {
		unsigned in_page = (unsigned)(0x1000 - (rip & 0xfff));

		n = in_page < n ? in_page : 0;
		if (n && kvm_guest_vcopy(m, sr, rip, b, n, false, NULL) < 0)
			n = 0;
	}
	if (!n) {
		snprintf(out, outlen, "(unreadable at 0x%llx)",
			 (unsigned long long)rip);
		return;
	}
	out[0] = '\0';
	for (unsigned i = 0; i < n && off + 4 < outlen; i++)
		off += (size_t)snprintf(out + off, outlen - off, "%s%02x",
					i ? " " : "", b[i]);
}
