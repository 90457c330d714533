#!/bin/sh
# Run each cmocka unit-test program given on the command line; report every
# failure and exit non-zero if any failed. Skips are counted, not failures.
set -u
fail=0
for t in "$@"; do
	echo "== $t"
	if ! "$t"; then
		echo "FAILED: $t"
		fail=$((fail + 1))
	fi
done
echo "unit tests: $# programs, $fail failed"
[ "$fail" -eq 0 ]
