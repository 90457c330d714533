#!/bin/sh
# Run every tests/bench/*.sh in name order (performance benchmarks: slow,
# print medians with spread and ratios against peers measured in the same run).
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
export VMB_BUILD="${VMB_BUILD:-$top/build}"
rc=0
for b in "$top"/tests/bench/*.sh; do
	[ -e "$b" ] || continue
	echo "== $(basename "$b")"
	sh "$b" "$VMB_BUILD" || rc=1
done
exit $rc
