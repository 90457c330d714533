#!/bin/sh
# tests/kvm-nested/run.sh BUILD - the standard SVM+NPT (and SVM shadow)
# path of the kvm engine, tested on any x86 host: QEMU TCG emulates AMD SVM
# with nested paging, a stock Debian kernel runs kvm_amd inside it, and the
# vmbench kvm engine runs the guest suite there, with npt=1 and npt=0.
#
# Downloads the Debian linux-image package once (~70 MB, apt-get download)
# into $VMB_NESTED_CACHE (default ~/.cache/vmbench/kvm-nested). Builds an
# initramfs (busybox-static, irqbypass/kvm/ccp/kvm-amd modules, the static
# vmbench kvm runner tests/integration/60-kvm-run.c, the guest image),
# boots it with qemu-system-x86_64 -accel tcg -cpu max under timeout, and
# reads the verdict from the serial log (QEMU exits 0 after poweroff).
# Checksums must equal QEMU TCG's for the same command line, with backend
# svm+npt / svm-shadow and no PVM accommodation active.
#
# Exit 0 pass, 77 skip (why printed), 1 fail. TCG speed: correctness only.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$top/build}
guest=${VMB_GUEST:-$build/guest/vmbench-guest.elf}
cache=${VMB_NESTED_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/vmbench/kvm-nested}
work=$build/kvm-nested
log=$work/serial.log
workloads=${VMB_NESTED_WORKLOADS:-"bench=pio iters=200
bench=mmio iters=200
bench=cpuid iters=200
bench=hypercall iters=50
bench=divzero iters=50
bench=invlpg iters=200
bench=timer iters=5
bench=callret iters=2000
bench=syscall iters=50
bench=int80 iters=50
bench=pagefault iters=20
bench=mprotect iters=10
bench=ctxswitch iters=10
bench=crc iters=1 size=16384
bench=matmul iters=1 size=16
bench=sort iters=1 size=1024
bench=fsm iters=1 size=1024
bench=tlb_reach iters=256 size=262144
bench=mixed iters=1 size=16384"}

for t in qemu-system-x86_64 busybox cpio apt-get dpkg-deb gzip; do
	command -v $t >/dev/null || { echo "skip: $t missing (scripts/deps.list)"; exit 77; }
done
[ -r "$guest" ] || { echo "skip: $guest not built"; exit 77; }
mkdir -p "$cache" "$work"

# 1. The Debian kernel and its kvm modules, fetched once.
if ! ls "$cache"/kpkg/boot/vmlinuz-* >/dev/null 2>&1; then
	pkg=$(apt-cache depends linux-image-amd64 2>/dev/null |
		sed -n 's/.*Depends: \(linux-image-[0-9].*-amd64\)$/\1/p' | head -n1)
	[ -n "$pkg" ] || { echo "skip: no linux-image package known to apt"; exit 77; }
	echo "kvm-nested: downloading $pkg (~70 MB, once) into $cache"
	(cd "$cache" && rm -f ./*.deb && apt-get download "$pkg" >/dev/null) ||
		{ echo "skip: apt-get download $pkg failed (offline?)"; exit 77; }
	rm -rf "$cache/kpkg"
	dpkg-deb -x "$cache"/linux-image-*.deb "$cache/kpkg" || exit 1
	rm -f "$cache"/*.deb
fi
kver=$(ls "$cache/kpkg/lib/modules" | head -n1)
mods=$cache/kpkg/lib/modules/$kver/kernel

# 2. The static kvm runner, against this tree's engine objects, with a
#    registry holding only kvm (the other engines need shared libraries).
make -C "$top" -s "$build/rel/libvmb.a" >/dev/null || exit 1
printf '%s\n' '#include "engine.h"' \
	'extern const struct engine_ops kvm_engine_ops;' \
	'const struct engine_ops *const engine_table[] = { &kvm_engine_ops, 0 };' \
	> "$work/registry_kvm.c"
o=$build/rel/engines
gcc -static -std=gnu11 -O2 -D_GNU_SOURCE -I"$top/engines" \
	-I"$top/workloads/include" -o "$work/vmb-kvm-run" \
	"$top/tests/integration/60-kvm-run.c" "$work/registry_kvm.c" \
	"$o/engine.o" "$o"/machine/*.o "$o"/kvm/*.o "$o"/kvm/libkvm/*.o -lm ||
	exit 1

# 3. The initramfs.
root=$work/initrd
rm -rf "$root"
mkdir -p "$root/bin" "$root/proc" "$root/sys" "$root/dev" "$root/lib/modules"
cp "$(command -v busybox)" "$root/bin/busybox"
for a in sh mount insmod rmmod cat echo poweroff grep sed sort tr cut; do
	ln -s busybox "$root/bin/$a"
done
for m in virt/lib/irqbypass.ko arch/x86/kvm/kvm.ko \
	drivers/crypto/ccp/ccp.ko arch/x86/kvm/kvm-amd.ko; do
	cp "$mods/$m" "$root/lib/modules/" || exit 1
done
cp "$work/vmb-kvm-run" "$root/bin/vmb-kvm-run"
cp "$guest" "$root/vmbench-guest.elf"
printf '%s\n' "$workloads" > "$root/workloads.txt"
cp "$top/tests/kvm-nested/init.sh" "$root/init"
chmod +x "$root/init"
(cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) > "$work/initrd.cpio.gz"

# 4. Boot under TCG with emulated SVM.
start=$(date +%s)
timeout "${VMB_NESTED_TIMEOUT:-900}" qemu-system-x86_64 -accel tcg -cpu max \
	-smp 1 -m 1G -nographic -no-reboot -net none \
	-kernel "$cache"/kpkg/boot/vmlinuz-* -initrd "$work/initrd.cpio.gz" \
	-append "console=ttyS0 quiet loglevel=3 panic=-1" > "$log" 2>&1
rc=$?
echo "kvm-nested: L1 ran $(( $(date +%s) - start )) s (qemu rc $rc), log $log"
grep -q '^NESTED end' "$log" || { echo "FAIL: L1 did not finish"; tail -20 "$log"; exit 1; }

# 5. Verdict: QEMU TCG's checksum for each command line is the oracle.
# QEMU's run is retried (up to 3 boots) when it yields no checksum: the
# guest intermittently dies at its first user-mode instruction under TCG
# (#GP with a garbage error code at 0x400000; reported to the kernel's
# owner), which says nothing about the engine under test.
qemu_sum() {
	for try in 1 2 3; do
		s=$(qemu_sum_once "$1")
		[ -n "$s" ] && break
	done
	echo "$s"
}
qemu_sum_once() {
	timeout 300 qemu-system-x86_64 -accel tcg -cpu max -m 256 \
		-display none -monitor none -serial none -no-reboot \
		-kernel "$guest" -append "$1" -debugcon stdio \
		-device isa-debug-exit,iobase=0xf4,iosize=4 2>/dev/null |
		sed -n 's/.*"ev":"checksum".*"value":"\([^"]*\)".*/\1/p'
}
fail=0 n=0
printf '%s\n' "$workloads" > "$work/workloads.txt"
while read -r cmd; do
	[ -n "$cmd" ] || continue
	want=$(qemu_sum "$cmd")
	for npt in 1 0; do
		be=svm+npt; [ $npt = 0 ] && be=svm-shadow
		line=$(grep -F "NESTED npt=$npt " "$log" | grep -F "cmd=[$cmd]" | tr -d '\r')
		n=$((n + 1))
		case "$line" in
		*"backend=$be pvm=0 "*"sum=$want exit=[guest_exit status 0 "*)
			[ -n "$want" ] && { echo "ok    npt=$npt $cmd: $want"; continue; } ;;
		esac
		echo "FAIL  npt=$npt $cmd: want $want ($be, no PVM), got: ${line:-no result line}"
		fail=$((fail + 1))
	done
done < "$work/workloads.txt"
echo "kvm-nested: $n runs, $fail failed"
[ "$fail" -eq 0 ]
