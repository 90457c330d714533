#!/bin/sh
# 60-kvm-suite.sh - the guest suite on the kvm engine, one boot per
# workload, at the test parameters of workloads/golden/checksums.txt; every
# checksum must be the golden one (the value QEMU and every engine give).
#
# On the PVM backend:
#  - hypercall must be refused as "unsupported on this backend" (VMCALL
#    livelocks there, docs/kvm-pvm.md);
#  - user-mode workloads need the guest's VMB_BOOT_F_PVM_ASSIST support: if
#    the guest dies with the PVM SYSCALL signature (#PF, error 0x15, at
#    LSTAR) they are reported as waiting for it, not as passed.
# Skips (77) without /dev/kvm or the guest image.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$top/build}
guest=${VMB_GUEST:-$build/guest/vmbench-guest.elf}
golden=${VMB_GOLDEN:-$top/workloads/golden/checksums.txt}
drv=$build/tests/60-kvm-run
[ -r /dev/kvm ] || { echo "skip: /dev/kvm not available here"; exit 77; }
[ -r "$guest" ] || { echo "skip: $guest not built"; exit 77; }
[ -r "$golden" ] || { echo "skip: $golden missing"; exit 77; }
mkdir -p "$build/tests"
make -C "$top" -s "$build/rel/libvmb.a" >/dev/null || exit 1
gcc -std=gnu11 -O2 -D_GNU_SOURCE -I"$top/engines" -I"$top/workloads/include" \
	-o "$drv" "$top/tests/integration/60-kvm-run.c" "$build/rel/libvmb.a" \
	-lZydis -lsqlite3 -ljansson -lpfm -lm -lpthread || exit 1

fail=0 pending=0 n=0
grep -v '^[[:space:]]*#' "$golden" | grep -v '^[[:space:]]*$' > "$build/tests/60-kvm-golden.txt"
while read -r bench iters size seed want; do
	cmd="bench=$bench iters=$iters seed=$seed"
	[ "$size" = 0 ] || cmd="$cmd size=$size"
	n=$((n + 1))
	out=$("$drv" "$guest" "$cmd" 2>&1)
	backend=$(echo "$out" | sed -n 's/^# backend backend=\([^ ]*\).*/\1/p')
	exitl=$(echo "$out" | grep '^# exit')
	got=$(echo "$out" | sed -n 's/.*"ev":"checksum".*"value":"\([^"]*\)".*/\1/p')
	if [ "$backend:$bench" = pvm:hypercall ]; then
		if echo "$exitl" | grep -q 'unsupported_on_backend.*unsupported on this backend'; then
			echo "ok    $cmd: refused on pvm"
		else
			echo "FAIL  $cmd: expected unsupported on pvm, got: $exitl"
			fail=$((fail + 1))
		fi
	elif [ "$got" = "$want" ] &&
		echo "$exitl" | grep -q '^# exit guest_exit status 0 '; then
		echo "ok    $cmd: $got ($backend)"
	elif [ "$backend" = pvm ] &&
		echo "$out" | grep -qE '"ev":"fault","vector":14,"name":"#PF","error":(21|"0x15")'; then
		echo "wait  $cmd: the guest does not complete SYSCALL on PVM (needs VMB_BOOT_F_PVM_ASSIST support, docs/kvm-pvm.md)"
		pending=$((pending + 1))
	else
		echo "FAIL  $cmd: got '$got' want '$want' ($exitl)"
		echo "$out" | grep -E '"ev":"(fault|error)"' | head -3
		fail=$((fail + 1))
	fi
done < "$build/tests/60-kvm-golden.txt"
echo "60-kvm-suite: $n workloads, $fail failed, $pending waiting for the guest's PVM assist"
[ "$fail" -eq 0 ] && [ "$pending" -eq 0 ] && exit 0
[ "$fail" -eq 0 ] && { echo "skip: some workloads need the guest's PVM assist"; exit 77; }
exit 1
