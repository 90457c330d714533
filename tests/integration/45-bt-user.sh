#!/bin/sh
# 45-bt-user.sh - the guest's user-mode workloads through the bt
# translator and shadow paging, under both shadow policies, must print
# their golden checksums (workloads/golden/checksums.txt).
#
# The bt monitor does not exist yet, so the guest kernel cannot boot under
# bt; tests/bench/45-bt-user.c stands in for it: it loads the "bench" user
# program, serves its system calls and demand-zero faults in C, and runs
# everything else through bt at CPL3. Workloads that need fork (mixed,
# ctxswitch, forkexec) or real protections (mprotect) are left out.
# Usage: 45-bt-user.sh BUILD_DIR
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$top/build}
prog=$build/guest/user/bench.elf
golden=$top/workloads/golden/checksums.txt
drv=$build/bench/45-bt-user
[ -f "$prog" ] || { echo "FAIL: no user program at $prog (make guest)"; exit 1; }
make -C "$top" -s "$build/rel/libvmb.a" >/dev/null || exit 1
mkdir -p "$build/bench"
gcc -std=gnu11 -O2 -D_GNU_SOURCE -I"$top/engines" -I"$top/workloads/include" \
	-o "$drv" "$top/tests/bench/45-bt-user.c" "$build/rel/libvmb.a" \
	-lZydis -lsqlite3 -ljansson -lpfm -lm -lpthread || exit 1

fails=0 runs=0
for pol in vtlb trace; do
	for b in sort crc matmul fsm tlb_reach syscall int80 pagefault; do
		line=$(awk -v b="$b" '$1 == b { print; exit }' "$golden")
		[ -n "$line" ] || { echo "FAIL: $b has no golden line"; fails=$((fails + 1)); continue; }
		set -- $line
		out=$(timeout 120 "$drv" "$prog" bench="$1" iters="$2" size="$3" \
			seed="$4" shadow="$pol" 2>&1)
		got=$(printf '%s\n' "$out" | sed -n 's/.*"ev":"checksum".*"value":"\(0x[0-9a-f]*\)".*/\1/p')
		runs=$((runs + 1))
		if [ "$got" != "$5" ]; then
			echo "FAIL: $b ($pol): checksum '$got', golden $5"
			printf '%s\n' "$out" | tail -3
			fails=$((fails + 1))
		fi
	done
done
echo "45-bt-user: $runs runs, $fails failed"
[ "$fails" -eq 0 ]
