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

for pol in vtlb trace; do
	for t in "fault_ud:vector 6" "fault_user:vector 14"; do
		w=${t%%:*} want=${t#*:}
		grep -q "^$w " "$build/guest/workloads.txt" 2>/dev/null || continue
		rm -rf "$tmp/out" "$tmp/db"
		"$vmb" run --engine bt --engine-opt "bt:shadow=$pol" \
			--workload "$w" --reps 1 --warmup 0 --quiet \
			--out "$tmp/out" --db "$tmp/db" --time-limit 60 \
			>"$tmp/f.out" 2>&1
		grep -q "$want" "$tmp/f.out" "$tmp/out/report.txt" 2>/dev/null || {
			echo "FAIL: bt shadow=$pol $w should report $want"
			cat "$tmp/f.out"; exit 1; }
	done
done
echo "bt: fault tests report their exceptions under both policies"
