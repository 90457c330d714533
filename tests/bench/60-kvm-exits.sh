#!/bin/sh
# 60-kvm-exits.sh - per-exit costs on this host's KVM, named by backend.
#
# 1. The raw loops (kvm_rawbench): a tiny guest looping on OUT, an MMIO
#    store and CPUID at CPL0 with the VMM re-entering at once (the world-
#    switch lower bound), the bare dec/jnz loop at CPL0 and CPL3, and the
#    same loop as a host process (compute slowdown vs native).
# 2. When the guest image exists: the guest suite's pio, mmio and cpuid
#    workloads on the kvm engine, as ns per operation and as a ratio to the
#    raw loop (goal for PIO: <= 1.1x).
# Median, min and max of 7 repetitions each. Usage: 60-kvm-exits.sh BUILD
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$top/build}
drv=$build/bench/60-kvm-exits
if [ ! -r /dev/kvm ]; then
	echo "60-kvm-exits: skipped: /dev/kvm not available here"
	exit 0
fi
make -C "$top" -s "$build/rel/libvmb.a" >/dev/null || exit 1
mkdir -p "$build/bench"
gcc -std=gnu11 -O2 -D_GNU_SOURCE -I"$top/engines" -I"$top/workloads/include" \
	-o "$drv" "$top/tests/bench/60-kvm-exits.c" "$build/rel/libvmb.a" \
	-lZydis -lsqlite3 -ljansson -lpfm -lm -lpthread || exit 1

out=$(mktemp)
trap 'rm -f "$out"' EXIT
"$drv" raw "${VMB_KVM_RAW_ITERS:-20000}" >"$out" || exit 1
backend=$(awk '$1 == "backend" { print $2 }' "$out")
echo "kvm backend: $backend (every figure below was measured on it)"
echo "host load: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) CPUs (exit costs grow with load)"
printf '%-12s %12s %12s %12s\n' "raw loop" "median ns" "min ns" "max ns"
awk '$1 == "note" { $1 = ""; print "  note:" $0; next }
     $1 != "backend" { printf "%-12s %12.2f %12.2f %12.2f\n", $1, $2, $3, $4 }' "$out"
awk '$1 == "loop_cpl3" { u = $2 } $1 == "loop_host" { h = $2 }
     $1 == "loop_cpl0" { k = $2 }
     END { if (h > 0) printf "compute slowdown vs native (dec/jnz): CPL3 %.2fx, CPL0 %.1fx\n", u / h, k / h }' "$out"

guest=$build/guest/vmbench-guest.elf
if [ ! -r "$guest" ]; then
	echo "guest suite: not measured ($guest not built)"
	exit 0
fi
rc=0
benches=${VMB_KVM_SUITE_BENCHES:-pio mmio cpuid hypercall}
[ "$backend" = pvm ] && benches=$(echo "$benches" | sed 's/hypercall//') &&
	echo "guest suite: hypercall not measured (unsupported on pvm)"
for b in $benches; do
	if ! "$drv" suite "$guest" "$b" "${VMB_KVM_SUITE_ITERS:-20000}" >>"$out"; then
		echo "guest suite $b: failed (see above)"
		rc=1
	fi
done
printf '%-12s %12s %12s %12s %10s\n' "guest op" "median ns" "min ns" "max ns" "vs raw"
awk '$1 == "note" || $1 == "backend" { next }
     $1 !~ /^suite_/ { raw[$1] = $2; next }
     { b = substr($1, 7); rb = (b == "hypercall") ? "vmcall" : b
       r = (rb in raw) ? sprintf("%9.2fx", $2 / raw[rb]) : "        -"
       printf "%-12s %12.2f %12.2f %12.2f %s\n", b, $2, $3, $4, r }' "$out"
exit $rc
