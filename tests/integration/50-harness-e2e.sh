#!/bin/sh
# End to end: vmbench run of two workloads on qemu-tcg (plus interp, kvm
# and native when usable), then report, export, compare and plot; the PNG
# files must exist and be real images. Parts whose prerequisites are
# missing are skipped with the reason; if nothing can run, exit 77.
set -u
build=${1:-${VMB_BUILD:-build}}
vmb="$build/vmbench"
[ -x "$vmb" ] || { echo "no $vmb: build it first (make)"; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

"$vmb" list > "$tmp/list.txt" || fail "vmbench list exited $?"
usable() { grep -q "^  $1 *usable" "$tmp/list.txt"; }
engines=""
for e in qemu-tcg interp kvm native; do
	if usable $e; then
		engines="$engines${engines:+,}$e"
	else
		echo "skipping $e: $(grep -A1 "^  $e " "$tmp/list.txt" |
			sed -n 's/.*not available here: //p')"
	fi
done
if ! usable qemu-tcg && ! usable interp; then
	echo "SKIP: neither qemu-tcg nor interp is usable here"
	exit 77
fi

db="$tmp/vmbench.db"
# cpuid (kernel micro) everywhere; crc (compute kernel) also natively.
run() {
	"$vmb" run --engines "$engines" --workloads cpuid,crc --reps 3 \
		--warmup 0 --wparams cpuid:iters=5000 \
		--wparams crc:iters=2,size=65536 --time-limit 60 --db "$db" \
		--out "$tmp/$1" > "$tmp/$1.log" 2>&1
	rc=$?
	cat "$tmp/$1.log"
	# 1 = some cell failed (kept as a row); 2 = usage or host error.
	[ $rc -le 1 ] || fail "vmbench run exited $rc"
}
run base
run new

# Every engine must have measured something (the per-cell lines).
for e in $(echo "$engines" | tr , ' '); do
	grep -q "^$e  *[a-z_0-9]*  *r[0-9]  *ok" "$tmp/new.log" ||
		fail "no successful cell for $e"
done
for f in report.txt samples.csv cells.csv run.json run_id; do
	[ -s "$tmp/new/$f" ] || fail "run did not write $f"
done

"$vmb" report latest --db "$db" > "$tmp/report.txt" || fail "report exited $?"
grep -q "cycles per operation" "$tmp/report.txt" || fail "report has no table"
grep -q "cpuid/op" "$tmp/report.txt" || fail "report lacks cpuid/op"

"$vmb" export latest --csv --db "$db" --out "$tmp/x.csv" || fail "export"
grep -q "cycles_per_op" "$tmp/x.csv" || fail "export lacks samples"
"$vmb" export latest --json --db "$db" > "$tmp/x.json" || fail "export json"

# Host counters per region (sampled on the vCPU thread at the markers) for
# in-process engines: present, non-zero, and within the whole run's figure.
awk -F, '$3 == "interp" && $11 == "host.task_clock_ns" && $12 != "" {
		if ($10 == 0) run[$2] = $12; else roi[$2] += $12 }
	END { n = 0
		for (c in roi) { n++; if (roi[c] <= 0 || roi[c] > run[c]) exit 1 }
		exit n ? 0 : 1 }' "$tmp/new/samples.csv" ||
	fail "interp cells lack sane per-region host.task_clock_ns"

# A run compared with itself cannot regress; base vs new only runs.
"$vmb" compare latest latest --db "$db" || fail "compare run with itself"
"$vmb" compare latest~1 latest --db "$db"
rc=$?
[ $rc -le 1 ] || fail "compare exited $rc"
"$vmb" compare 99999 latest --db "$db" > /dev/null 2>&1
[ $? -eq 2 ] || fail "compare with a missing run must exit 2"

"$vmb" history cpuid --db "$db" > "$tmp/hist.txt" || fail "history"
[ "$(grep -c '^[0-9]' "$tmp/hist.txt")" -ge 2 ] || fail "history rows"

"$vmb" plot latest --db "$db" --out "$tmp/plots" --history cpuid/op ||
	fail "plot exited $?"
for p in cost history; do
	f="$tmp/plots/$p.png"
	[ -f "$f" ] || fail "no $p.png"
	size=$(wc -c < "$f")
	[ "$size" -gt 4000 ] || fail "$p.png is only $size bytes"
	head -c 8 "$f" | od -An -c | grep -q "P   N   G" || fail "$p.png not PNG"
	[ -s "$tmp/plots/$p.gp" ] && [ -s "$tmp/plots/$p.dat" ] ||
		fail "$p.gp/.dat not kept beside the image"
done
if echo "$engines" | grep -qE "interp|kvm"; then
	[ -f "$tmp/plots/trapmix.png" ] || fail "no trapmix.png with an engine"
fi
if echo "$engines" | grep -q native; then
	[ -f "$tmp/plots/slowdown.png" ] || fail "no slowdown.png with native"
fi
echo "ok: engines $engines"
