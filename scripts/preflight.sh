#!/usr/bin/env bash
# First step of `make test`: checks, in a second, that every tool the suites need is here. As root it
# installs what is missing (scripts/install-deps.sh); otherwise it stops with one message naming what
# is missing and the one command that installs it.
set -uo pipefail
cd "$(dirname "$0")/.."
missing=()
for tool in cargo python3 node npm promtool prometheus prometheus-node-exporter; do
  command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
done
[ -x /usr/sbin/mkfs.btrfs ] || missing+=(mkfs.btrfs)
[ -x /usr/bin/dbus-daemon ] || missing+=(dbus-daemon)
python3 -c 'import venv, ensurepip' >/dev/null 2>&1 || missing+=(python3-venv)
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -eq 0 ]; then
  echo "preflight: installing what is missing (${missing[*]}) with scripts/install-deps.sh"
  scripts/install-deps.sh
  exit $?
fi
echo "preflight: missing ${missing[*]}; install with: sudo scripts/install-deps.sh" >&2
exit 1
