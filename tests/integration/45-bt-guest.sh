#!/bin/sh
# 45-bt-guest.sh - every workload of the guest image on the bt engine (the
# booted kernel, privileged code through the monitor), under both shadow
# policies, at the test parameters of workloads/golden/checksums.txt: every
# checksum must be the golden one. The test suite's fault workloads must
# end with the exception they test.
set -u
build="${1:-${VMB_BUILD:-build}}"
top=$(cd "$(dirname "$0")/../.." && pwd)
vmb="$build/vmbench"
golden="$top/workloads/golden/checksums.txt"
tmp=$(mktemp -d)
[ -n "${VMB_KEEP:-}" ] || trap 'rm -rf "$tmp"' EXIT

[ -x "$vmb" ] || { echo "skip: $vmb not built"; exit 77; }
[ -f "$build/guest/vmbench-guest.elf" ] ||
	{ echo "skip: no guest image (make guest)"; exit 77; }
[ -f "$golden" ] || { echo "skip: $golden missing"; exit 77; }
"$vmb" list 2>/dev/null | grep -q '^ *bt *usable' ||
	{ echo "skip: bt is not usable here: $("$vmb" list 2>&1 | grep bt)"; exit 77; }

run() {	# policy workload params -> output in $tmp/run.out
	"$vmb" run --engine bt --engine-opt "bt:shadow=$1" --workload "$2" \
		--params "$3" --reps 1 --warmup 0 --echo --quiet \
		--out "$tmp/out" --db "$tmp/db" --time-limit 60 \
		>"$tmp/run.out" 2>&1
}

fail=0 n=0
grep -v '^[[:space:]]*#' "$golden" | grep -v '^[[:space:]]*$' >"$tmp/golden"
for pol in vtlb trace; do
	while read -r name iters size seed want; do
		p="iters=$iters,seed=$seed"
		[ "$size" = 0 ] || p="$p,size=$size"
		rm -rf "$tmp/out" "$tmp/db"
		run "$pol" "$name" "$p"
		got=$(sed -n 's/.*"ev":"checksum".*"value":"\([^"]*\)".*/\1/p' \
			"$tmp/run.out")
		n=$((n + 1))
		if [ "$got" != "$want" ]; then
			echo "FAIL: bt shadow=$pol $name $p: checksum" \
				"'${got:-none}', golden $want"
			grep -v '"ev":"\(result\|start\|boot\)"' "$tmp/run.out" |
				tail -5
			fail=1
		fi
	done <"$tmp/golden"
done
[ "$fail" -eq 0 ] || exit 1
echo "bt: $n runs (vtlb and trace) match $golden"

# The guest's fault tests are not listed by the harness: boot them with
# a small driver (45-bt-run.c) and look for the kernel's fault report.
drv="$build/tests/45-bt-run"
mkdir -p "$build/tests"
make -C "$top" -s "$build/rel/libvmb.a" >/dev/null || exit 1
gcc -std=gnu11 -O2 -D_GNU_SOURCE -I"$top/engines" -I"$top/workloads/include" \
	-o "$drv" "$top/tests/integration/45-bt-run.c" "$build/rel/libvmb.a" \
	-lZydis -lsqlite3 -ljansson -lpfm -lm -lpthread || exit 1
nf=0
for pol in vtlb trace; do
	for t in 'fault_ud:"vector":6' 'fault_user:"vector":14'; do
		w=${t%%:*} want=${t#*:}
		"$drv" "$build/guest/vmbench-guest.elf" "bench=$w" \
			"shadow=$pol" >"$tmp/f.out" 2>&1
		grep -q "\"ev\":\"fault\",$want" "$tmp/f.out" || {
			echo "FAIL: bt shadow=$pol $w should report $want"
			tail -5 "$tmp/f.out"; exit 1; }
		nf=$((nf + 1))
	done
done
echo "bt: $nf fault-test runs report their exceptions"
