#!/bin/sh
# Install the Debian packages listed in scripts/deps.list that are missing.
# Idempotent: when everything is installed it does nothing (no apt-get update).
set -eu
here=$(dirname "$0")
missing=""
for p in $(grep -v '^[[:space:]]*#' "$here/deps.list" | grep -v '^[[:space:]]*$'); do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
		missing="$missing $p"
	fi
done
[ -z "$missing" ] && exit 0
echo "setup-deps: installing:$missing"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing
