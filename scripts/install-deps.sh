#!/usr/bin/env bash
# Installs the system packages the tests need on a fresh Debian machine: Prometheus (with promtool),
# the real node_exporter for the compatibility tests, dbus-daemon, btrfs-progs, binutils, systemd and Go. Idempotent; skips what is present.
set -euo pipefail
need=()
command -v promtool >/dev/null 2>&1 || need+=(prometheus)
command -v prometheus >/dev/null 2>&1 || need+=(prometheus)
command -v prometheus-node-exporter >/dev/null 2>&1 || need+=(prometheus-node-exporter)
# A private bus for the systemd collector's test (core/tests/host_systemd.rs).
[ -x /usr/bin/dbus-daemon ] || need+=(dbus-daemon)
# mkfs.btrfs for the btrfs collector's test on a loop-mounted image (core/tests/host_btrfs.rs).
[ -x /usr/sbin/mkfs.btrfs ] || need+=(btrfs-progs)
# The dist suite (scripts/test-dist.sh): objdump reads the binaries' glibc symbol versions, systemd-analyze
# verifies the .deb's unit. Its build tools (cargo-zigbuild, cargo-deb, zig, auditwheel) come from
# scripts/install-dist-tools.sh, which scripts/dist.sh runs.
command -v objdump >/dev/null 2>&1 || need+=(binutils)
command -v systemd-analyze >/dev/null 2>&1 || need+=(systemd)
# The README blocks that serve :9100 run in network namespaces (scripts/readme_isolated.py: `ip`,
# `unshare`), and the example walkthrough's block uses curl.
command -v ip >/dev/null 2>&1 || need+=(iproute2)
command -v unshare >/dev/null 2>&1 || need+=(util-linux)
command -v curl >/dev/null 2>&1 || need+=(curl)
# The units' ExecReload= runs /bin/kill; the dist suite's systemd-analyze verify resolves it.
[ -x /bin/kill ] || need+=(procps)
# Go, test-only: the number-formatting test (core/tests/expfmt_go_float.rs) compares with real Go output.
command -v go >/dev/null 2>&1 || need+=(golang-go)
if [ ${#need[@]} -gt 0 ]; then
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
# Debian starts the services on install; the tests start their own copies on free ports.
for svc in prometheus prometheus-node-exporter; do
  if command -v systemctl >/dev/null 2>&1; then systemctl stop "$svc" >/dev/null 2>&1 || true; fi
done
