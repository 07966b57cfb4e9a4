#!/usr/bin/env bash
# Captures the /proc, /sys and / files the host collectors read into a small fixture tree:
#   scripts/capture-fixture.sh tests/fixtures/host/<name>
# Only the files srekit's collectors read are copied (as regular files; sysfs symlinks are resolved).
# Odd cases (a hot-unplugged CPU, a mount point with a space, a missing file) are added by hand after.
set -euo pipefail
dest="${1:?usage: capture-fixture.sh DEST_DIR}"
proc="${PROC:-/proc}"; sys="${SYS:-/sys}"; root="${ROOT:-/}"
mkdir -p "$dest/proc" "$dest/sys" "$dest/root"

copy() { # copy SRC_ROOT REL DEST_ROOT: one file, silently skipped when missing or unreadable
  local src="$1/$2" out="$3/$2"
  [ -r "$src" ] && [ -f "$src" ] || return 0
  mkdir -p "$(dirname "$out")"
  cat "$src" > "$out" 2>/dev/null || rm -f "$out"
}

for f in stat loadavg meminfo vmstat diskstats mounts 1/mounts schedstat \
         net/dev net/netstat net/snmp net/snmp6 net/sockstat net/sockstat6 net/arp net/udp net/udp6 \
         net/softnet_stat net/stat/nf_conntrack sys/fs/file-nr \
         sys/kernel/random/entropy_avail sys/kernel/random/poolsize \
         sys/net/netfilter/nf_conntrack_count sys/net/netfilter/nf_conntrack_max \
         pressure/cpu pressure/io pressure/memory; do
  copy "$proc" "$f" "$dest/proc"
done

for dev in "$sys"/class/net/*; do
  [ -d "$dev" ] || continue
  name="$(basename "$dev")"
  for f in addr_assign_type address broadcast carrier carrier_changes carrier_up_count carrier_down_count \
           dev_id dormant duplex flags ifalias ifindex iflink link_mode mtu name_assign_type netdev_group \
           operstate speed tx_queue_len type statistics/rx_nohandler; do
    copy "$sys" "class/net/$name/$f" "$dest/sys"
  done
done
for cs in "$sys"/devices/system/clocksource/clocksource*; do
  [ -d "$cs" ] || continue
  for f in available_clocksource current_clocksource; do
    copy "$sys" "devices/system/clocksource/$(basename "$cs")/$f" "$dest/sys"
  done
done
for cpu in "$sys"/devices/system/cpu/cpu[0-9]*; do
  mkdir -p "$dest/sys/devices/system/cpu/$(basename "$cpu")"
  for f in "$cpu"/cpufreq/*; do
    [ -f "$f" ] && copy "$sys" "devices/system/cpu/$(basename "$cpu")/cpufreq/$(basename "$f")" "$dest/sys"
  done
done
for zone in "$sys"/class/thermal/*; do
  [ -d "$zone" ] || continue
  for f in type temp cur_state max_state; do copy "$sys" "class/thermal/$(basename "$zone")/$f" "$dest/sys"; done
done
mkdir -p "$dest/sys/class/thermal"
for chip in "$sys"/class/hwmon/*; do
  [ -d "$chip" ] || continue
  for f in "$chip"/name "$chip"/*_input "$chip"/*_label "$chip"/*_max "$chip"/*_crit; do
    [ -f "$f" ] && copy "$sys" "class/hwmon/$(basename "$chip")/$(basename "$f")" "$dest/sys"
  done
done
copy "$root" etc/os-release "$dest/root" || true
[ -f "$dest/root/etc/os-release" ] || copy "$root" usr/lib/os-release "$dest/root"
echo "captured into $dest"
