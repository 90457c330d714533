#!/bin/sh
# 45-bt-user.sh - the guest's integer compute kernels (sort, crc, matmul,
# fsm at their default parameters) through bt at CPL3 (tests/bench/
# 45-bt-user.c: the user program with its system calls served in C) next
# to the same kernels as a host process (vmbench-native). Both print the
# TSC cycles the workload measured around its own region of interest;
# the table shows the median of 5 runs and the ratio (target <= 1.5x).
# Note: vmbench-native is compiled for the host (SSE allowed), the guest
# program with -mgeneral-regs-only, so the machine code is not identical.
# Usage: 45-bt-user.sh BUILD [reps]
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$top/build}
reps=${2:-5}
prog=$build/guest/user/bench.elf
native=$build/guest/vmbench-native
defaults=$top/workloads/golden/macro-defaults.txt
drv=$build/bench/45-bt-user
for f in "$prog" "$native"; do
	[ -x "$f" ] || [ -f "$f" ] || { echo "45-bt-user: skipped: $f not built (make)"; exit 0; }
done
make -C "$top" -s "$build/rel/libvmb.a" >/dev/null || exit 1
mkdir -p "$build/bench"
gcc -std=gnu11 -O2 -D_GNU_SOURCE -I"$top/engines" -I"$top/workloads/include" \
	-o "$drv" "$top/tests/bench/45-bt-user.c" "$build/rel/libvmb.a" \
	-lZydis -lsqlite3 -ljansson -lpfm -lm -lpthread || exit 1

cycles() { sed -n 's/.*"ev":"result".*"cycles":\([0-9]*\).*/\1/p' | head -1; }
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

printf '%-8s %16s %16s %8s  %s\n' bench "native cycles" "bt cycles" ratio checksum
rc=0
for b in sort crc matmul fsm; do
	set -- $(awk -v b="$b" '$1 == b { print; exit }' "$defaults")
	n=$(mktemp) t=$(mktemp)
	ok=yes
	for i in $(seq "$reps"); do
		"$native" bench="$1" iters="$2" size="$3" seed="$4" | cycles >>"$n"
		out=$("$drv" "$prog" bench="$1" iters="$2" size="$3" seed="$4")
		printf '%s\n' "$out" | cycles >>"$t"
		printf '%s\n' "$out" | grep -q "\"value\":\"$5\"" || ok=no
	done
	nm=$(median <"$n") tm=$(median <"$t")
	rm -f "$n" "$t"
	[ "$ok" = yes ] || rc=1
	awk -v b="$b" -v n="$nm" -v t="$tm" -v ok="$ok" 'BEGIN {
		printf "%-8s %16.0f %16.0f %7.2fx  %s\n", b, n, t, t / n,
		       ok == "yes" ? "golden" : "WRONG" }'
done
exit $rc
