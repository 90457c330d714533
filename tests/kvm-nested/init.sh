#!/bin/sh
# /init of the L1 Linux booted by tests/kvm-nested/run.sh under QEMU TCG
# (emulated AMD SVM): load kvm_amd with npt=1, run the listed workloads on
# the vmbench kvm engine, reload with npt=0, run them again, power off.
# Every result is one "NESTED ..." line on the serial console; the kvm
# unit tests and the raw exit bench run first ("NESTEDTEST ... rc=N").
export PATH=/bin:/sbin
# A workload that never finishes (a lost interrupt under TCG) ends as a
# time-limit exit instead of hanging the whole L1.
export VMB_TIME_LIMIT=60
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
echo "NESTED boot uptime=$(cut -d' ' -f1 /proc/uptime) cpu=$(grep -o -w -E 'svm|npt' /proc/cpuinfo | sort -u | tr '\n' ' ')"
insmod /lib/modules/irqbypass.ko
insmod /lib/modules/kvm.ko
insmod /lib/modules/ccp.ko 2>/dev/null
for npt in 1 0; do
	if ! insmod /lib/modules/kvm-amd.ko npt=$npt nested=0; then
		echo "NESTED npt=$npt insmod kvm-amd FAILED"
		continue
	fi
	for t in test_kvm_lib test_kvm_engine; do
		/tests/$t > /tmp/out 2>&1
		rc=$?
		sed "s/^/NESTEDOUT npt=$npt $t /" /tmp/out
		echo "NESTEDTEST npt=$npt $t rc=$rc"
	done
	/tests/60-kvm-exits raw 200 > /tmp/out 2>&1
	rc=$?
	sed "s/^/NESTEDOUT npt=$npt 60-kvm-exits /" /tmp/out
	echo "NESTEDTEST npt=$npt 60-kvm-exits rc=$rc"
	while read -r cmd; do
		[ -n "$cmd" ] || continue
		out=$(/bin/vmb-kvm-run /vmbench-guest.elf "$cmd" 2>&1)
		sum=$(echo "$out" | sed -n 's/.*"ev":"checksum".*"value":"\([^"]*\)".*/\1/p')
		be=$(echo "$out" | sed -n 's/^# backend backend=\([^ ]*\).*/\1/p')
		ex=$(echo "$out" | sed -n 's/^# exit \([^:]*\):.*/\1/p')
		pvm=$(echo "$out" | grep -c 'pvm-accommodations=on')
		echo "NESTED npt=$npt backend=${be:-?} pvm=$pvm cmd=[$cmd] sum=${sum:-none} exit=[$ex]"
	done < /workloads.txt
	rmmod kvm_amd
done
echo "NESTED end uptime=$(cut -d' ' -f1 /proc/uptime)"
poweroff -f
