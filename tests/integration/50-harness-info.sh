#!/bin/sh
# vmbench info and list on this host, and on a simulated host without
# /dev/kvm and without a PMU (VMB_HOST_ROOT points the probes at an empty
# directory): each missing capability must be named with its reason.
# An unregistered engine must be refused by name.
set -u
build=${1:-${VMB_BUILD:-build}}
vmb="$build/vmbench"
[ -x "$vmb" ] || { echo "no $vmb: build it first (make)"; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

"$vmb" info > "$tmp/info.txt" || fail "vmbench info exited $?"
cat "$tmp/info.txt"
for key in cpu tsc kernel /dev/kvm "kvm backend" pmu zydis libpfm4 sqlite \
	jansson qemu; do
	grep -q "^  $key " "$tmp/info.txt" || fail "info lacks '$key'"
done

mkdir -p "$tmp/root"
VMB_HOST_ROOT="$tmp/root" "$vmb" info > "$tmp/fake.txt" ||
	fail "vmbench info on a host without KVM/PMU exited $?"
grep -q "/dev/kvm       not available here: .*does not exist" "$tmp/fake.txt" ||
	fail "no reason for the missing /dev/kvm"
grep -q "pmu            not available here: no hardware PMU" "$tmp/fake.txt" ||
	fail "no reason for the missing PMU"
grep -q "kvm backend    none" "$tmp/fake.txt" || fail "backend not 'none'"
echo "simulated host without KVM and PMU:"
grep -E "kvm|pmu" "$tmp/fake.txt"

"$vmb" list > "$tmp/list.txt" || fail "vmbench list exited $?"
grep -q "qemu-tcg" "$tmp/list.txt" || fail "list lacks the qemu-tcg peer"

for e in interp bt; do
	if grep -q "^  $e " "$tmp/list.txt"; then
		continue
	fi
	"$vmb" run --engine $e --workload cpuid --db "$tmp/x.db" \
		--out "$tmp/out" > "$tmp/run.txt" 2>&1
	rc=$?
	[ $rc -eq 2 ] || fail "run on unregistered $e exited $rc, want 2"
	grep -q "engine '$e' is not implemented" "$tmp/run.txt" ||
		fail "no 'not implemented' message for $e"
done
echo "ok"
