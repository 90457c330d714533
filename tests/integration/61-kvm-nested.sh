#!/bin/sh
# 61-kvm-nested.sh - the kvm engine on nested SVM (npt=1 and npt=0) inside
# QEMU TCG: see tests/kvm-nested/run.sh. About 100 s here; the first run
# downloads the Debian kernel package (~70 MB, cached). A frozen L1 is
# retried (up to 3 boots of at most 300 s; see run.sh). Set
# VMB_SKIP_NESTED=1 to skip it.
top=$(cd "$(dirname "$0")/../.." && pwd)
if [ -n "${VMB_SKIP_NESTED:-}" ]; then
	echo "skip: VMB_SKIP_NESTED is set"
	exit 77
fi
exec sh "$top/tests/kvm-nested/run.sh" "$@"
