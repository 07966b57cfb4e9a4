#!/usr/bin/env bash
# Dist suite: builds dist/ (scripts/dist.sh, which reuses earlier builds), then installs each artifact as
# a user without Rust would, in a clean environment (`env -i`, a fresh HOME, a PATH with no cargo, rustc
# or rustup on it) and uses it: the wheel in a fresh venv, the npm tarballs in a fresh folder, the
# exporter's tarball and .deb (unpacked with dpkg-deb -x; its unit checked by systemd-analyze verify).
# Each check is counted as it really ends; the last line is `test-dist: N passed, N failed, N skipped`.
set -uo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/count.sh
root=$(pwd)
dist="$root/dist"
passed=0
failed=0
skipped=0

skip() {
  skipped=$((skipped + 1))
  echo "skip $1: $2"
}

echo "test-dist: building dist/ (scripts/dist.sh; release builds, minutes when not already built)"
if ! scripts/dist.sh; then
  record_counts test-dist 0 1 0
  exit 1
fi

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
mkdir -p "$scratch/home"
# The clean environment: PATH keeps only directories without cargo, rustc or rustup.
clean_path=""
IFS=: read -r -a path_dirs <<<"$PATH"
for dir in "${path_dirs[@]}"; do
  [ -e "$dir/cargo" ] || [ -e "$dir/rustc" ] || [ -e "$dir/rustup" ] && continue
  case ":$clean_path:" in *":$dir:"*) continue ;; esac
  clean_path="${clean_path:+$clean_path:}$dir"
done
clean() { env -i PATH="$clean_path" HOME="$scratch/home" LANG=C.UTF-8 "$@"; }
no_rust_on_path() { ! clean sh -c 'command -v cargo || command -v rustc || command -v rustup'; }
check "the clean environment has no cargo, rustc or rustup on PATH" no_rust_on_path

# Highest GLIBC_x.y symbol version a binary needs; fails unless it is at most 2.17.
glibc_at_most_2_17() {
  local max
  max=$(objdump -T "$1" | grep -oE 'GLIBC_[0-9]+(\.[0-9]+)+' | sed 's/GLIBC_//' | sort -V | tail -1)
  echo "$1 needs glibc $max"
  [ -n "$max" ] && [ "$(printf '%s\n2.17\n' "$max" | sort -V | tail -1)" = "2.17" ]
}

# ---- Python ----------------------------------------------------------------------------------------
wheel=$(ls "$dist"/srekit-*-cp39-abi3-manylinux*_x86_64*.whl 2>/dev/null | head -1)
sdist=$(ls "$dist"/srekit-*.tar.gz 2>/dev/null | grep -v srekit-exporter | head -1)
wheel_tag() {
  [ -n "$wheel" ] || { echo "no cp39-abi3 manylinux x86_64 wheel in dist/"; ls "$dist"; return 1; }
  echo "$wheel" | grep -q 'manylinux_2_17_x86_64' &&
    "$root/.venv/bin/auditwheel" show "$wheel" | tr '\n' ' ' | grep -q 'consistent with the following platform tag: "manylinux_2_17_x86_64"'
}
check "wheel is abi3 (CPython >= 3.9) and manylinux_2_17_x86_64 (auditwheel show)" wheel_tag
sdist_contents() {
  [ -n "$sdist" ] || { echo "no sdist in dist/"; return 1; }
  local listing
  listing=$(tar -tzf "$sdist")
  for needed in PKG-INFO pyproject.toml core/src/lib.rs bindings/python/Cargo.toml srekit/__init__.py; do
    grep -q "/$needed\$" <<<"$listing" || { echo "sdist lacks $needed"; return 1; }
  done
}
check "sdist holds pyproject.toml, the Python package and the Rust sources it builds from" sdist_contents

# The venv is made by the interpreter itself (a shim such as pyenv's needs the HOME we replace).
python=$(python3 -c 'import sys; print(sys.executable)')
venv="$scratch/venv"
install_wheel() {
  clean "$python" -m venv "$venv" &&
    clean "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "$wheel[prometheus]"
}
check "wheel installs with its [prometheus] extra into a fresh venv, without Rust" install_wheel
use_wheel() {
  clean "$venv/bin/python" - "$venv" <<'PY'
import os, sys
import srekit
assert srekit.__file__.startswith(sys.argv[1]), srekit.__file__
assert srekit.parse_logfmt('level=info status=200') == {"level": "info", "status": "200"}
parser = srekit.Parser("logfmt", types={"status": "int"})
assert [r["status"] for r in parser.parse_many(b"status=200\nstatus=503\n")] == [200, 503]
names = {family.name for family in srekit.collect_host()}
assert "node_load1" in names and "node_cpu_seconds" in names, sorted(names)
from prometheus_client import CollectorRegistry, generate_latest
from srekit.prometheus_client import HostCollector
registry = CollectorRegistry()
registry.register(HostCollector(collectors=["loadavg"]))
text = generate_latest(registry).decode()
assert "node_load1 " in text, text
print("srekit", srekit.__file__, "parse, collect_host and the prometheus_client bridge work")
PY
}
check "wheel: import, parse, collect_host and the prometheus_client bridge" use_wheel

# ---- Node ------------------------------------------------------------------------------------------
npm_main=$(ls "$dist"/srekit-[0-9]*.tgz 2>/dev/null | head -1)
npm_platform=$(ls "$dist"/srekit-linux-x64-gnu-*.tgz 2>/dev/null | head -1)
npm_layout() {
  [ -n "$npm_main" ] && [ -n "$npm_platform" ] || { echo "npm tarballs missing:"; ls "$dist"; return 1; }
  local main platform
  main=$(tar -tzf "$npm_main")
  platform=$(tar -tzf "$npm_platform")
  for needed in index.js platform.js native.js native.d.ts index.d.ts package.json; do
    grep -qx "package/$needed" <<<"$main" || { echo "main package lacks $needed"; return 1; }
  done
  ! grep -q '\.node$' <<<"$main" || { echo "the main package carries a .node"; return 1; }
  grep -qx 'package/srekit.linux-x64-gnu.node' <<<"$platform" || { echo "no .node in the platform package"; return 1; }
  tar -xOzf "$npm_main" package/package.json | node -e '
    const pkg = JSON.parse(require("fs").readFileSync(0, "utf8"))
    const want = pkg.version
    if (pkg.optionalDependencies?.["srekit-linux-x64-gnu"] !== want) throw new Error(JSON.stringify(pkg.optionalDependencies))
    if (pkg.devDependencies || pkg.scripts) throw new Error("devDependencies/scripts published")'
}
check "npm: main package (JS, loader, types; optionalDependencies) + srekit-linux-x64-gnu (.node)" npm_layout
node_glibc() {
  mkdir -p "$scratch/platform" && tar -xzf "$npm_platform" -C "$scratch/platform" &&
    glibc_at_most_2_17 "$scratch/platform/package/srekit.linux-x64-gnu.node"
}
check "npm: the prebuilt .node needs glibc <= 2.17" node_glibc
app="$scratch/app"
install_npm() {
  mkdir -p "$app" && echo '{ "name": "app", "private": true }' >"$app/package.json" &&
    (cd "$app" && clean npm install --offline --no-audit --no-fund --loglevel=error "$npm_main" "$npm_platform")
}
check "npm: both tarballs install into a fresh folder (offline, without Rust)" install_npm
use_npm() {
  (cd "$app" && clean node -e '
    const assert = require("node:assert/strict")
    const srekit = require("srekit")
    assert.ok(require.resolve("srekit").startsWith(process.cwd()))
    const parser = new srekit.Parser("logfmt", { types: { status: "int" } })
    assert.deepEqual(parser.parseMany("status=200\nstatus=503\n").map((r) => r.status), [200, 503])
    srekit.collectHostAsync({ disableDefaults: true, enable: ["loadavg"] }).then((families) => {
      assert.ok(families.some((f) => f.name === "node_load1"), JSON.stringify(families.map((f) => f.name)))
      console.log("require, parseMany and collectHostAsync work")
    })')
}
check "npm: require, parseMany, collectHostAsync" use_npm
# Another platform: the loader names the package that platform would need.
other_platform_error() {
  echo 'Object.defineProperty(process, "arch", { value: "arm64" })' >"$scratch/arm64.js"
  local out
  out=$(cd "$app" && clean node --require "$scratch/arm64.js" -e 'require("srekit")' 2>&1) && {
    echo "require succeeded on a faked arm64"
    return 1
  }
  echo "$out" | grep -E 'no prebuilt native addon for linux-arm64-gnu: the platform package srekit-linux-arm64-gnu'
}
check "npm: on linux-arm64 the error names the missing platform package srekit-linux-arm64-gnu" other_platform_error
omitted_optional_error() {
  local bare="$scratch/bare"
  mkdir -p "$bare" && echo '{ "name": "bare", "private": true }' >"$bare/package.json" &&
    (cd "$bare" && clean npm install --offline --omit=optional --no-audit --no-fund --loglevel=error "$npm_main") || return 1
  local out
  out=$(cd "$bare" && clean node -e 'require("srekit")' 2>&1) && { echo "require succeeded without the addon"; return 1; }
  echo "$out" | grep -E 'the platform package srekit-linux-x64-gnu is missing'
}
check "npm: installed with --omit=optional, the error names srekit-linux-x64-gnu" omitted_optional_error

# ---- Exporter --------------------------------------------------------------------------------------
release=$(ls "$dist"/srekit-exporter-*.linux-amd64.tar.gz 2>/dev/null | head -1)
deb=$(ls "$dist"/srekit-exporter_*_amd64.deb 2>/dev/null | head -1)
bin="$scratch/release/srekit-exporter"
unpack_release() {
  [ -n "$release" ] || { echo "no srekit-exporter-*.linux-amd64.tar.gz in dist/"; return 1; }
  mkdir -p "$scratch/release" && tar -xzf "$release" -C "$scratch/release" --strip-components=1 &&
    for f in srekit-exporter srekit-exporter.toml srekit-exporter.service; do
      [ -f "$scratch/release/$f" ] || { echo "release tarball lacks $f"; return 1; }
    done
}
check "exporter: release tarball holds the binary, a config and the unit" unpack_release
check "exporter: the release binary needs glibc <= 2.17" glibc_at_most_2_17 "$bin"
version_and_commit() {
  local out want_version want_commit
  out=$(clean "$bin" --version)
  echo "$out"
  want_version=$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -1)
  want_commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
  [ "$out" = "srekit-exporter $want_version (commit $want_commit)" ]
}
check "exporter: --version prints the version and the commit" version_and_commit

deb_root="$scratch/deb"
deb_contents() {
  [ -n "$deb" ] || { echo "no srekit-exporter_*_amd64.deb in dist/"; ls "$dist"; return 1; }
  dpkg-deb -x "$deb" "$deb_root" && mkdir -p "$scratch/control" && dpkg-deb -e "$deb" "$scratch/control" || return 1
  for f in usr/bin/srekit-exporter etc/srekit/srekit-exporter.toml; do
    [ -f "$deb_root/$f" ] || { echo "the .deb lacks /$f"; find "$deb_root" -type f; return 1; }
  done
  [ -f "$deb_root/usr/lib/systemd/system/srekit-exporter.service" ] || [ -f "$deb_root/lib/systemd/system/srekit-exporter.service" ] ||
    { echo "the .deb has no unit"; return 1; }
  grep -qx /etc/srekit/srekit-exporter.toml "$scratch/control/conffiles" || { echo "config is not a conffile"; return 1; }
  grep -q 'adduser --system' "$scratch/control/postinst" || { echo "postinst creates no system user"; return 1; }
  grep -q '/var/lib/srekit' "$scratch/control/postinst" || { echo "postinst creates no state directory"; return 1; }
  grep -q 'deb-systemd-helper' "$scratch/control/postinst" || { echo "postinst does not enable the unit"; return 1; }
  sh -n "$scratch/control/postinst" && sh -n "$scratch/control/postrm" || return 1
  dpkg-deb -f "$deb" Depends | grep -q adduser
}
check "exporter .deb: binary, unit, conffile config, postinst with system user + state dir" deb_contents
deb_collect() {
  local out
  out=$(clean "$deb_root/usr/bin/srekit-exporter" collect --collector.disable-defaults --collector.loadavg) || return 1
  grep -E '^node_load1 [0-9.e+-]+$' <<<"$out"
}
check "exporter .deb: the unpacked binary runs collect" deb_collect
deb_config_check() {
  clean "$deb_root/usr/bin/srekit-exporter" check --config.file "$deb_root/etc/srekit/srekit-exporter.toml"
}
check "exporter .deb: the default config passes check" deb_config_check
# systemd-analyze verify, under --root of the unpacked package, resolves ExecStart= (the binary at
# /usr/bin) and the unit's dependencies (the host's target units and /bin/kill, copied in). Warnings fail it too.
verify_unit() {
  local unit out
  for unit in usr/lib/systemd/system/srekit-exporter.service lib/systemd/system/srekit-exporter.service ""; do
    [ -f "$deb_root/$unit" ] && break
  done
  [ -n "$unit" ] || { echo "no unit in the .deb"; return 1; }
  mkdir -p "$deb_root/etc/systemd/system" && cp /usr/lib/systemd/system/*.target "$deb_root/etc/systemd/system/" || return 1
  # ExecReload= runs the host's /bin/kill (procps, priority important): copied in like the targets.
  mkdir -p "$deb_root/bin" && cp "$(readlink -f /bin/kill)" "$deb_root/bin/kill" || return 1
  out=$(systemd-analyze verify --root="$deb_root" "/$unit" 2>&1) || { echo "$out"; return 1; }
  echo "$out"
  [ -z "$out" ]
}
if command -v systemd-analyze >/dev/null 2>&1; then
  check "exporter .deb: systemd-analyze verify passes on the unit" verify_unit
else
  skip "exporter .deb: systemd-analyze verify" "systemd-analyze is not installed (apt-get install systemd)"
fi

record_counts test-dist "$passed" "$failed" "$skipped"
[ "$failed" -eq 0 ]
