#!/bin/sh
# 62-kvm-interp-counters.sh - guest-visible counters that the architecture
# fixes must be the same on the kvm engine and on the interpreter: inside
# each measured phase, the #PF count of the pagefault workload (one fault
# per fresh page, on every host backend once PVM's syscall-assist faults
# are taken out) and the port-I/O count of the pio workload.
# Skips (77) without /dev/kvm or the guest image.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$top/build}
vmb=$build/vmbench
[ -r /dev/kvm ] || { echo "skip: /dev/kvm not available here"; exit 77; }
[ -r "$build/guest/vmbench-guest.elf" ] || { echo "skip: guest image not built"; exit 77; }
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
"$vmb" run --engines interp,kvm --workloads pagefault,pio --params iters=64 \
	--reps 1 --warmup 0 --quiet --out "$out" --db "$out/db" >"$out/log" 2>&1 || {
	cat "$out/log"; echo "FAIL: vmbench run"; exit 1; }

# value of sample (name) for (engine, workload) in the measured phase
get() {
	awk -F, -v e="$1" -v w="$2" -v n="$3" \
		'$3 == e && $4 == w && $6 == 0 && $11 == n && $13 == 1 { print $12; exit }' \
		"$out/samples.csv"
}
fail=0
check() { # workload sample
	a=$(get interp "$1" "$2") k=$(get kvm "$1" "$2")
	if [ -n "$a" ] && [ "$a" = "$k" ]; then
		echo "ok    $1 $2: interp $a = kvm $k"
	else
		echo "FAIL  $1 $2: interp '$a' kvm '$k'"
		fail=$((fail + 1))
	fi
}
check pagefault exc.PF
check pio trap.pio
[ "$fail" -eq 0 ]
