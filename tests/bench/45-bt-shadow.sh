#!/bin/sh
# 45-bt-shadow.sh - bt costs next to their host references: GS base switch
# (WRGSBASE vs arch_prctl), hidden shadow fault (first touch, and refill
# after a flush with fault-around) vs host minor page fault (target: <= 2x), and one translated integer loop vs the same loop as host
# code (target: <= 1.5x). Median, min and max of 7 repetitions (ns).
# Usage: 45-bt-shadow.sh BUILD [pages] [loop_iters]
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$top/build}
drv=$build/bench/45-bt-shadow
make -C "$top" -s "$build/rel/libvmb.a" >/dev/null || exit 1
mkdir -p "$build/bench"
gcc -std=gnu11 -O2 -D_GNU_SOURCE -I"$top/engines" -I"$top/workloads/include" \
	-I"$top/tests/unit" -o "$drv" "$top/tests/bench/45-bt-shadow.c" \
	"$top/tests/unit/support/guest_pt.c" "$build/rel/libvmb.a" \
	-lZydis -lsqlite3 -ljansson -lpfm -lm -lpthread || exit 1
out=$(mktemp)
trap 'rm -f "$out"' EXIT
"$drv" "${2:-8192}" "${3:-100000000}" >"$out" || exit 1
printf '%-24s %12s %12s %12s\n' "measure" "median ns" "min ns" "max ns"
awk '$1 !~ /^#/ { printf "%-24s %12.2f %12.2f %12.2f\n", $1, $2, $3, $4 }' "$out"
grep '^#' "$out"
awk '{ m[$1] = $2; lo[$1] = $3 }
     END {
	if (m["host_minor_fault_iso"] > 0)
		printf "isolated first touch vs isolated host minor fault: read %.2fx (%.0f / %.0f ns), write %.2fx (%.0f / %.0f ns, host: a write fault) (target <= 2x)\n",
		       m["bt_fault_iso_read"] / m["host_minor_fault_iso"],
		       m["bt_fault_iso_read"], m["host_minor_fault_iso"],
		       m["bt_fault_iso_write"] / m["host_minor_write"],
		       m["bt_fault_iso_write"], m["host_minor_write"]
	if (m["host_minor_fault"] > 0)
		printf "sequential first touch per page vs host: A/D clear: read %.2fx, write %.2fx; kernel-installed (A, D set): read %.2fx (%.0f / %.0f ns), write %.2fx (%.0f / %.0f ns); refill read %.2fx (target <= 2x)\n",
		       m["bt_fault_first_read"] / m["host_minor_fault"],
		       m["bt_fault_first_write"] / m["host_minor_write"],
		       m["bt_fault_seq_read_ad"] / m["host_minor_fault"],
		       m["bt_fault_seq_read_ad"], m["host_minor_fault"],
		       m["bt_fault_seq_write_ad"] / m["host_minor_write"],
		       m["bt_fault_seq_write_ad"], m["host_minor_write"],
		       m["bt_fault_refill_read"] / m["host_minor_fault"]
	if (m["bt_fault_iso_read"] > 0)
		printf "isolated read fault %.0f ns = SIGSEGV %.0f + walk %.0f + mmap %.0f + populate %.0f (sum %.0f; a plain mmap + retry fault would be %.0f) + the rest of the handler %.0f (fault-around scan: without it %.0f ns)\n",
		       m["bt_fault_iso_read"], m["host_sigsegv"], m["bt_walk"],
		       m["host_mmap_fixed"],
		       m["host_mmap_populate"] - m["host_mmap_fixed"],
		       m["host_sigsegv"] + m["bt_walk"] + m["host_mmap_populate"],
		       m["host_sigsegv"] + m["bt_walk"] + m["host_mmap_touch"],
		       m["bt_fault_iso_read"] - m["host_sigsegv"] - m["bt_walk"] - m["host_mmap_populate"],
		       m["bt_fault_iso_read_g1"]
	if (m["host_mprotect_vma"] > 0 && m["host_minor_fault_iso"] > 0)
		printf "floor of an isolated fill from user space, vs the isolated host fault (%.0f ns): SIGSEGV + mmap over the reservation + populate %.0f ns (%.2fx; + madvise instead of MAP_POPULATE %.0f ns); SIGSEGV + mmap into a hole (no VMA split, unsafe: anything may be mapped there) %.0f ns (%.2fx), + populate %.0f ns (%.2fx); SIGSEGV + mprotect of a kept VMA (refill only) %.0f ns (%.2fx); SIGSEGV alone %.2fx; a system call %.0f ns\n",
		       m["host_minor_fault_iso"],
		       m["host_sigsegv"] + m["host_mmap_populate"],
		       (m["host_sigsegv"] + m["host_mmap_populate"]) / m["host_minor_fault_iso"],
		       m["host_sigsegv"] + m["host_mmap_madvise"],
		       m["host_sigsegv"] + m["host_mmap_hole"],
		       (m["host_sigsegv"] + m["host_mmap_hole"]) / m["host_minor_fault_iso"],
		       m["host_sigsegv"] + m["host_mmap_hole"] + m["host_mmap_populate"] - m["host_mmap_fixed"],
		       (m["host_sigsegv"] + m["host_mmap_hole"] + m["host_mmap_populate"] - m["host_mmap_fixed"]) / m["host_minor_fault_iso"],
		       m["host_sigsegv"] + m["host_mprotect_vma"],
		       (m["host_sigsegv"] + m["host_mprotect_vma"]) / m["host_minor_fault_iso"],
		       m["host_sigsegv"] / m["host_minor_fault_iso"], m["host_syscall"]
	if (m["bt_ptw_touch"] > 0)
		printf "trace, kernel PTE store into a traced table + first read of the page: prefetch-on-write %.0f / %.0f ns, without %.0f / %.0f ns (two alternations; the hidden fault it saves)\n",
		       m["bt_ptw_touch"], m["bt_ptw_touch_2"],
		       m["bt_ptw_touch_nopf"], m["bt_ptw_touch_nopf_2"]
	if (m["host_loop"] > 0)
		printf "translated loop vs host: %.2fx by median, %.2fx by min (target <= 1.5x)\n",
		       m["bt_loop"] / m["host_loop"], lo["bt_loop"] / lo["host_loop"]
	if (m["switch_trace"] > 0)
		printf "CR3 switch + 256-page touch: vtlb %.0f ns, trace %.0f ns (%.0fx)\n",
		       m["switch_vtlb"], m["switch_trace"], m["switch_vtlb"] / m["switch_trace"]
	if (m["host_call"] > 0)
		printf "translated call/ret vs host: %.2fx by median, %.2fx by min\n",
		       m["bt_call"] / m["host_call"], lo["bt_call"] / lo["host_call"]
	if (m["gs_arch_prctl"] > 0 && m["gs_wrgsbase"] > 0)
		printf "GS switch: wrgsbase %.1f ns, arch_prctl %.1f ns (%.0fx)\n",
		       m["gs_wrgsbase"], m["gs_arch_prctl"],
		       m["gs_arch_prctl"] / m["gs_wrgsbase"]
     }' "$out"
