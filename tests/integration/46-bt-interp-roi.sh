#!/bin/sh
# 46-bt-interp-roi.sh - bt and interp agree on guest-visible state at every
# region-of-interest marker of the suite: every workload of
# workloads/golden/checksums.txt (its small parameters) and the guest's
# fault tests boot on interp and on bt under both shadow policies, and the
# state at each marker (registers, control registers, the user address
# space by VA, the live kernel stack; tests/unit/support/roi_state.h says
# what is excluded and why), the exit status and the console (cycle counts
# aside) must match. Then it proves the comparison can fail: perturbed bt
# recordings must be reported.
set -u
build="${1:-${VMB_BUILD:-build}}"
top=$(cd "$(dirname "$0")/../.." && pwd)
guest="$build/guest/vmbench-guest.elf"
golden="$top/workloads/golden/checksums.txt"
drv="$build/tests/46-bt-interp-roi"

[ -f "$guest" ] || { echo "skip: no guest image (make guest)"; exit 77; }
[ -f "$golden" ] || { echo "skip: $golden missing"; exit 77; }
"$build/vmbench" list 2>/dev/null | grep -q '^ *bt *usable' ||
	{ echo "skip: bt is not usable here"; exit 77; }
mkdir -p "$build/tests"
make -C "$top" -s "$build/rel/libvmb.a" >/dev/null || exit 1
gcc -std=gnu11 -Wall -Wextra -Werror -O2 -D_GNU_SOURCE -I"$top/engines" \
	-I"$top/workloads/include" -I"$top/tests/unit" -o "$drv" \
	"$top/tests/integration/46-bt-interp-roi.c" \
	"$top/tests/unit/support/roi_state.c" "$build/rel/libvmb.a" \
	-lZydis -lsqlite3 -ljansson -lpfm -lm -lpthread || exit 1

# Where the guest kernel keeps the user RSP during a system call and the
# top of the current kernel stack.
sym() { nm "$guest" | awk -v s="$1" '$3 == s { print "0x" $1 }'; }
urs=$(sym syscall_user_rsp) kst=$(sym cpu_kstack_top) bst=$(sym boot_stack_top)
[ -n "$urs" ] && [ -n "$kst" ] && [ -n "$bst" ] || {
	echo "FAIL: syscall_user_rsp, cpu_kstack_top or boot_stack_top" \
		"missing from $guest's symbols"; exit 1; }

# Workloads whose processes the timer preempts (ROI_CMP_SCHED).
sched=" ctxswitch forkexec mixed "
set --
while read -r name iters size seed want; do
	case "$name" in ''|'#'*) continue ;; esac
	p="bench=$name iters=$iters seed=$seed"
	[ "$size" = 0 ] || p="$p size=$size"
	case "$sched" in *" $name "*) p="sched:$p" ;; esac
	set -- "$@" "$p"
done <"$golden"
# the guest's own fault tests (suite "test"): fault reports with registers
for w in fault_ud fault_user efault_user oom_user; do
	set -- "$@" "bench=$w"
done

out=$("$drv" "$guest" "$urs" "$kst" "$bst" "$@")
rc=$?
echo "$out" | grep -v '^ok'
[ "$rc" -eq 0 ] || { echo "FAIL: bt and interp differ at a ROI marker"; exit 1; }
echo "bt vs interp: $(echo "$out" | grep -c '^ok') runs agree at every marker"

# The comparison must catch a difference: RBX, RFLAGS, a user page, the
# user's RBX in the system call's trap frame, a kernel-mode workload's
# stack, a console byte.
for t in gpr:3@1:crc rflags@0:crc mem:0@1:crc kstack:65@1:crc \
	kstack:8@1:callret console:crc; do
	pert=${t%:*} w=${t##*:}
	got=$(VMB_ROI_PERTURB=$pert "$drv" "$guest" "$urs" "$kst" "$bst" \
		"$(grep -v '^#' "$golden" | awk -v w="$w" '$1 == w {
			printf "bench=%s iters=%s seed=%s", $1, $2, $4
			if ($3 != 0) printf " size=%s", $3 }')")
	case "$got" in
	*DIFF*) echo "$got" | head -1 ;;
	*) echo "FAIL: perturbation $pert of $w was not reported:"
	   echo "$got"; exit 1 ;;
	esac
done
echo "perturbed recordings are reported"
