/*
 * bt_gmem.h - guest-virtual memory access for the monitor.
 *
 * The monitor (the code carrying out privileged instructions, string
 * instructions, exception delivery) reads and writes guest memory through
 * the guest page tables, not through the windows. These accessors do it
 * as the CPU would -- a walk per page that sets A (and D on a write), the
 * #PF the guest must see when it fails -- and keep bt coherent after a
 * write: translations of a written code page are dropped
 * (bt_vcpu_note_write) and, under trace, a written page table stops being
 * traced and its shadows are dropped (bt_shadow_pt_write). Without that,
 * a monitor write would be invisible to the translator and the shadows.
 *
 * Translations are cached per page and access kind (read/write, user,
 * AC) while the shadow's generation holds, like a TLB (bt_vcpu.gmem_tlb:
 * CR3 writes, INVLPG, CR0/CR4/EFER changes, traced PT writes and flushes
 * end them): a write entry is made by a write walk, so D is set. A PTE
 * the guest changes without any of those (possible under vtlb) is not
 * seen until then, as on hardware and by the interpreter's own TLB.
 */
#ifndef VMB_BT_GMEM_H
#define VMB_BT_GMEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bt/bt_exec.h"

enum bt_gmem_result {
	BT_GMEM_OK,
	BT_GMEM_PF,		/* guest #PF: (*pf_addr, *pf_error) */
	BT_GMEM_MMIO,		/* the page is not RAM: (*pf_addr) is its gpa */
};

/* How an access is checked (walk_ctx.cpl / implicit_supervisor). */
struct bt_gmem_mode {
	unsigned cpl;		/* 3 = user access */
	bool implicit_supervisor; /* descriptor tables, IDT, TSS */
};

/*
 * Copy (len) bytes at guest VA (gva) to (buf) / from (buf), page by page.
 * On BT_GMEM_PF nothing is written for the faulting page and later ones
 * (earlier pages of a write may have been written, as on hardware).
 */
enum bt_gmem_result bt_gmem_read(struct bt_vcpu *v, struct bt_gmem_mode m,
				 uint64_t gva, void *buf, size_t len,
				 uint64_t *pf_addr, uint32_t *pf_error);
enum bt_gmem_result bt_gmem_write(struct bt_vcpu *v, struct bt_gmem_mode m,
				  uint64_t gva, const void *buf, size_t len,
				  uint64_t *pf_addr, uint32_t *pf_error);

/*
 * Fetch up to 15 instruction bytes at the vCPU's RIP for its CPL (an
 * execute access) into (buf), for the monitor to decode. BT_GMEM_PF when
 * the first byte cannot be fetched. Otherwise BT_GMEM_OK with (*n) bytes;
 * when the instruction may run into a page that cannot be fetched, (*n)
 * is less than 15 and (*pf_addr, *pf_error) hold that page's #PF, to be
 * raised if the decoder needs those bytes.
 */
enum bt_gmem_result bt_gmem_fetch(struct bt_vcpu *v, uint8_t *buf,
				  unsigned *n, uint64_t *pf_addr,
				  uint32_t *pf_error);

#endif /* VMB_BT_GMEM_H */
