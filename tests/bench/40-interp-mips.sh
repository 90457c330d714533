#!/bin/sh
# 40-interp-mips.sh - interp speed in guest MIPS on the integer compute
# workloads (median over repetitions) and its ratio to QEMU TCG on the
# same image and parameters, measured in the same vmbench run.
#
# interp MIPS = guest instructions retired in the region of interest (the
# engine counts them exactly) / ROI time. QEMU cannot count guest
# instructions, so its equivalent MIPS uses interp's instruction count for
# the same work (same image, same parameters: the same instructions up to
# timer interrupts) over QEMU's ROI time; the ratio is time per operation.
# The ROI figure is wall time, so a loaded host lowers it; the "per CPU
# second" figure divides all instructions of the run (boot included) by the
# process's task clock. VMB_BENCH_REPS (default 5) sets the repetitions.
set -u
build="${1:-${VMB_BUILD:-build}}"
vmb="$build/vmbench"
reps="${VMB_BENCH_REPS:-5}"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
[ -x "$vmb" ] && [ -f "$build/guest/vmbench-guest.elf" ] ||
	{ echo "skip: build vmbench and the guest first"; exit 0; }
engines=interp
command -v qemu-system-x86_64 >/dev/null && engines=interp,qemu-tcg

bench() {	# workload params
	"$vmb" run --engines "$engines" --workloads "$1" --params "$2" \
		--reps "$reps" --warmup 1 --quiet --out "$tmp/$1" \
		--db "$tmp/db" >/dev/null 2>&1
	awk -F, -v w="$1" -v q_engine="$(echo "$engines" | grep -c qemu)" '
	function median(a, n,   i, j, t) {
		for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++)
			if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
		return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
	}
	$6 == 0 && $7 == "ok" && $3 == "interp" && $11 == "run.insns" { rin[$5] = $12 }
	$6 == 0 && $7 == "ok" && $3 == "interp" && $11 == "host.task_clock_ns" && $13 == 1 { rtc[$5] = $12 }
	$6 == 0 && $7 == "ok" && $10 >= 1 {
		k = $3 SUBSEP $5
		if ($11 == "insns") ins[k] = $12
		if ($11 == "ops") ops[k] = $12
		if ($11 == "ns_per_op") ns[k] = $12
	}
	END {
		for (k in ns) {
			split(k, p, SUBSEP)
			if (p[1] == "interp" && ops[k] > 0) {
				ipo[++ni] = ins[k] / ops[k]
				mips[ni] = ins[k] / ops[k] / ns[k] * 1000
				ins_ns[ni] = ns[k]
			} else if (p[1] == "qemu-tcg") {
				q[++nq] = ns[k]
			}
		}
		if (!ni) { printf "%-10s interp: no successful run\n", w; exit 1 }
		for (r in rin) if (rtc[r] > 0) cm[++nc] = rin[r] / rtc[r] * 1000
		m = median(mips, ni); in_ns = median(ins_ns, ni)
		line = sprintf("%-10s interp %6.1f MIPS (%d runs, %.1f insns/op; per CPU second, whole run: %s)",
			       w, m, ni, median(ipo, ni),
			       nc ? sprintf("%.1f", median(cm, nc)) : "n/a")
		if (nq) {
			qn = median(q, nq)
			line = line sprintf("   qemu-tcg ~%7.1f MIPS   interp/qemu time %.2fx",
					    median(ipo, ni) / qn * 1000, in_ns / qn)
		} else line = line (q_engine ? "   qemu-tcg: no successful run" : "   qemu-tcg: not installed")
		print line
	}' "$tmp/$1/samples.csv"
}

echo "interp guest MIPS (median of $reps runs; host: $(nproc) CPUs, load $(cut -d' ' -f1 /proc/loadavg))"
rc=0
bench crc "iters=8,size=262144" || rc=1
bench fsm "iters=8,size=262144" || rc=1
bench sort "iters=2,size=65536" || rc=1
bench matmul "iters=2,size=96" || rc=1
exit $rc
