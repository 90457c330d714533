#!/bin/sh
# Run every tests/integration/*.sh in name order. A script exits 0 (pass),
# 77 (skipped: it printed why) or anything else (fail). The build directory
# is passed as $1 and in $VMB_BUILD.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
export VMB_BUILD="${VMB_BUILD:-$top/build}"
pass=0 skip=0 fail=0 failed=""
for t in "$top"/tests/integration/*.sh; do
	[ -e "$t" ] || continue
	name=$(basename "$t")
	echo "== $name"
	start=$(date +%s)
	sh "$t" "$VMB_BUILD"
	rc=$?
	took=$(( $(date +%s) - start ))
	case $rc in
	0) pass=$((pass + 1)); echo "PASS $name (${took}s)" ;;
	77) skip=$((skip + 1)); echo "SKIP $name (${took}s)" ;;
	*) fail=$((fail + 1)); failed="$failed $name"; echo "FAIL $name (rc=$rc, ${took}s)" ;;
	esac
done
echo "integration tests: $pass passed, $skip skipped, $fail failed${failed:+:$failed}"
[ "$fail" -eq 0 ]
