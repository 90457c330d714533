#!/bin/sh
# 21-guest-multiboot2.sh - boot the guest image through its Multiboot2
# header: GRUB (an ISO made by grub-mkrescue) loads it with `multiboot2`
# under QEMU TCG. QEMU's own -kernel speaks only Multiboot 1 and refuses
# ELF64 images, so GRUB is the loader here. Checks that the kernel reports
# entry "multiboot2", takes the command line from GRUB, and that a kernel
# workload, a user workload and fork/exec print their golden checksums.
# Skips (77) without grub-mkrescue and its helpers (grub-pc-bin, xorriso,
# mtools; scripts/deps.list).
# Usage: 21-guest-multiboot2.sh BUILD_DIR
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$top/build}
image=$build/guest/vmbench-guest.elf
golden=$top/workloads/golden/checksums.txt
qemu=$(command -v qemu-system-x86_64) || { echo "skip: qemu-system-x86_64 not installed"; exit 77; }
for tool in grub-mkrescue xorriso mformat; do
	command -v "$tool" >/dev/null || { echo "skip: $tool not installed (scripts/deps.list)"; exit 77; }
done
[ -d /usr/lib/grub/i386-pc ] || { echo "skip: grub-pc-bin not installed"; exit 77; }
[ -f "$image" ] || { echo "FAIL: no guest image at $image (make guest)"; exit 1; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0

for name in cpuid syscall forkexec; do
	set -- $(grep "^$name " "$golden")
	cmdline="bench=$name iters=$2 size=$3 seed=$4"
	want=$5
	root=$tmp/iso-$name
	mkdir -p "$root/boot/grub"
	cp "$image" "$root/boot/vmbench-guest.elf"
	cat > "$root/boot/grub/grub.cfg" <<CFG
set timeout=0
menuentry vmbench {
	multiboot2 /boot/vmbench-guest.elf $cmdline
	boot
}
CFG
	if ! grub-mkrescue -d /usr/lib/grub/i386-pc -o "$tmp/$name.iso" "$root" \
		> "$tmp/mkrescue.log" 2>&1; then
		echo "FAIL: grub-mkrescue:"; sed 's/^/  | /' "$tmp/mkrescue.log"
		exit 1
	fi
	log=$tmp/$name.log
	timeout 60 "$qemu" -accel tcg -cpu max -nodefaults -display none \
		-no-reboot -m 256 -cdrom "$tmp/$name.iso" -debugcon "file:$log" \
		-device isa-debug-exit,iobase=0xf4,iosize=4 >/dev/null 2>&1
	rc=$?
	boot=$(grep '^@vmb {"ev":"boot"' "$log")
	got=$(sed -n 's/.*"ev":"checksum".*"value":"\([^"]*\)".*/\1/p' "$log")
	if [ "$rc" != 1 ] || [ "$got" != "$want" ] ||
		! echo "$boot" | grep -q '"entry":"multiboot2"' ||
		! echo "$boot" | grep -qF "\"cmdline\":\"$cmdline\""; then
		echo "FAIL: $name via GRUB multiboot2: QEMU exit $rc, checksum $got (golden $want), log:"
		sed 's/^/  | /' "$log" | tail -n 15
		fails=$((fails + 1))
	else
		echo "ok   $name via GRUB multiboot2 -> $got"
	fi
done

[ "$fails" -eq 0 ] || { echo "$fails failure(s)"; exit 1; }
echo "guest through Multiboot2 (GRUB): all checks passed"
