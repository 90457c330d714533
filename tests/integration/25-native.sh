#!/bin/sh
# 25-native.sh - the native host build of the macro workloads
# (build/guest/vmbench-native): every workload runs with small parameters,
# prints a well-formed boot ... done sequence with entry "native" and the
# same checksum twice; bad command lines exit 1 with a usage message.
# (20-guest-qemu.sh checks that its checksums equal the guest's.)
# Usage: 25-native.sh BUILD_DIR
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$top/build}
native=$build/guest/vmbench-native
[ -x "$native" ] || { echo "FAIL: no $native (make native)"; exit 1; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

# Small parameters per workload (size units differ: see each file).
params() {
	case $1 in
	matmul) echo "iters=2 size=24" ;;
	tlb_reach) echo "iters=500 size=256k" ;;
	mixed) echo "iters=2 size=32k" ;;
	*) echo "iters=3 size=8k" ;;
	esac
}

names=$("$native" list | awk '$4 == "native" { print $1 }')
[ -n "$names" ] || fail "vmbench-native list printed no workloads"
for name in $names; do
	p=$(params "$name")
	"$native" bench="$name" $p > "$tmp/a" 2>&1; rc=$?
	"$native" "bench=$name $p" > "$tmp/b" 2>&1	# one-string form
	evs=$(sed -n 's/^@vmb {"ev":"\([a-z]*\)".*/\1/p' "$tmp/a" | uniq | tr '\n' ' ')
	sum_a=$(grep '"ev":"checksum"' "$tmp/a")
	sum_b=$(grep '"ev":"checksum"' "$tmp/b")
	if [ "$rc" != 0 ]; then
		fail "$name $p: exit $rc"; sed 's/^/  | /' "$tmp/a"
	elif [ "$evs" != "boot start result checksum end done " ]; then
		fail "$name $p: events '$evs'"; sed 's/^/  | /' "$tmp/a"
	elif ! grep -q '^@vmb {"ev":"boot","proto":1,"entry":"native",' "$tmp/a"; then
		fail "$name: boot line"
	elif grep '^@vmb ' "$tmp/a" | grep -qv '^@vmb {"ev":".*}$'; then
		fail "$name: malformed @vmb line"
	elif [ -z "$sum_a" ] || [ "$sum_a" != "$sum_b" ]; then
		fail "$name: checksum not repeatable: '$sum_a' vs '$sum_b'"
	else
		echo "ok   $name $p: ${sum_a##*value\":}"
	fi
done

for bad in "" "bench=no_such" "bench=sort iters=12q" "bench=sort color=red" "iters=5"; do
	"$native" $bad > "$tmp/out" 2> "$tmp/err"; rc=$?
	if [ "$rc" != 1 ] || ! grep -q '^usage:' "$tmp/err"; then
		fail "'$bad': exit $rc, want 1 with usage"
	else
		echo "ok   '$bad' rejected"
	fi
done

# A failing workload: error line, status 2, done still printed.
"$native" bench=matmul size=70000 > "$tmp/out" 2>&1; rc=$?
if [ "$rc" != 2 ] || ! grep -q '"ev":"error","bench":"matmul"' "$tmp/out" ||
   ! grep -q '"ev":"done","status":2' "$tmp/out"; then
	fail "bench=matmul size=70000: exit $rc"; sed 's/^/  | /' "$tmp/out"
else
	echo "ok   bench=matmul size=70000 fails with an error line"
fi

[ "$fails" = 0 ] && echo "native build: all checks passed"
[ "$fails" = 0 ]
