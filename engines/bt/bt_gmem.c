/*
 * bt_gmem.c - the monitor's guest-virtual memory accessors (bt_gmem.h).
 */
#include "bt/bt_gmem.h"

#include <string.h>

#include "machine/guest_mem.h"
#include "machine/page_walk.h"

static enum bt_gmem_result access(struct bt_vcpu *v, struct bt_gmem_mode m,
				  uint64_t gva, uint8_t *buf, size_t len,
				  bool write, uint64_t *pf_addr,
				  uint32_t *pf_error)
{
	struct walk_ctx ctx = v->sh->ctx;

	ctx.cpl = m.cpl;
	ctx.implicit_supervisor = m.implicit_supervisor;
	ctx.ac = (v->st.rflags & (1ull << 18)) != 0;
	while (len) {
		size_t n = 4096 - (gva & 4095);
		struct walk_result res;
		uint8_t *host;

		if (n > len)
			n = len;
		if (page_walk(v->mem, &ctx, gva, write ? WALK_WRITE : WALK_READ,
			      &res, pf_error)) {
			*pf_addr = gva;
			return BT_GMEM_PF;
		}
		host = guest_mem_ptr(v->mem, res.gpa, n);
		if (!host) {
			*pf_addr = res.gpa;
			return BT_GMEM_MMIO;
		}
		if (write) {
			uint64_t page = res.gpa & ~4095ull;

			if (v->sh->policy == BT_SHADOW_TRACE &&
			    v->sh->pt_use[page >> 12])
				bt_shadow_pt_write(v->sh, page);
			memcpy(host, buf, n);
			bt_vcpu_note_write(v, res.gpa, n);
		} else {
			memcpy(buf, host, n);
		}
		gva += n;
		buf += n;
		len -= n;
	}
	return BT_GMEM_OK;
}

enum bt_gmem_result bt_gmem_read(struct bt_vcpu *v, struct bt_gmem_mode m,
				 uint64_t gva, void *buf, size_t len,
				 uint64_t *pf_addr, uint32_t *pf_error)
{
	return access(v, m, gva, buf, len, false, pf_addr, pf_error);
}

enum bt_gmem_result bt_gmem_write(struct bt_vcpu *v, struct bt_gmem_mode m,
				  uint64_t gva, const void *buf, size_t len,
				  uint64_t *pf_addr, uint32_t *pf_error)
{
	return access(v, m, gva, (uint8_t *)(uintptr_t)buf, len, true,
		      pf_addr, pf_error);
}

enum bt_gmem_result bt_gmem_fetch(struct bt_vcpu *v, uint8_t *buf,
				  unsigned *n, uint64_t *pf_addr,
				  uint32_t *pf_error)
{
	struct walk_ctx ctx = v->sh->ctx;
	uint64_t gva = v->rip;

	ctx.cpl = v->cpl;
	*n = 0;
	while (*n < 15) {
		unsigned chunk = 4096 - (unsigned)(gva & 4095);
		struct walk_result res;
		const uint8_t *host;

		if (chunk > 15 - *n)
			chunk = 15 - *n;
		if (page_walk(v->mem, &ctx, gva, WALK_EXEC, &res, pf_error) ||
		    !(host = guest_mem_ptr(v->mem, res.gpa, chunk))) {
			*pf_addr = gva;
			if (*n == 0)
				return BT_GMEM_PF;
			return BT_GMEM_OK;
		}
		memcpy(buf + *n, host, chunk);
		*n += chunk;
		gva += chunk;
	}
	return BT_GMEM_OK;
}
