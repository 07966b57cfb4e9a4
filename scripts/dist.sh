#!/usr/bin/env bash
# `make dist`: the packages a user installs without Rust, built into dist/ (gitignored):
#   srekit-<v>-cp39-abi3-manylinux2014_<arch>.manylinux_2_17_<arch>.whl  Python wheel (maturin --zig: linked against glibc 2.17)
#   srekit-<v>.tar.gz                               Python sdist (builds from source: needs Rust)
#   srekit-<v>.tgz                                  npm main package (JS + types, optionalDependencies)
#   srekit-linux-x64-gnu-<v>.tgz                    npm platform package: the prebuilt .node (glibc 2.17)
#   srekit-exporter-<v>.linux-amd64.tar.gz          exporter release binary (glibc >= 2.17) + config
#   srekit-exporter_<v>-1_amd64.deb                 exporter .deb: binary, systemd unit, config, user, state dir
# Native code is linked with zig (cargo-zigbuild / maturin --zig) against glibc 2.17, so the binaries run
# on any glibc Linux of the last ten years. Targets: DIST_TARGETS (default x86_64 and aarch64 Linux gnu);
# a target whose Rust standard library is not installed is skipped with a message (nothing is downloaded).
# Reuses target/dist/ and target/dist-wheel/ between runs. The tools come from scripts/install-dist-tools.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
dist="$root/dist"
glibc=2.17
targets=${DIST_TARGETS:-x86_64-unknown-linux-gnu aarch64-unknown-linux-gnu}

scripts/install-dist-tools.sh
# zig comes from the venv's ziglang (cargo-zigbuild and maturin run `python3 -m ziglang`).
export PATH="$root/.venv/bin:$PATH"
# Builds linked through zig get target directories of their own: cargo-zigbuild sets the linker of the
# host triple, which would otherwise rebuild the proc macros and build scripts that target/release
# shares with the development builds, and maturin's embedded zigbuild uses another linker wrapper than
# cargo-zigbuild (sharing one directory, each would rebuild everything after the other).
zig_target_dir="$root/target/dist"
wheel_target_dir="$root/target/dist-wheel"
export CARGO_TARGET_DIR="$zig_target_dir"
version=$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -1)
node_version=$(node -p 'require("./node/package.json").version')

rm -rf "$dist"
mkdir -p "$dist"
installed=$(rustup target list --installed 2>/dev/null || rustc -vV | sed -n 's/^host: //p')

# deb and release-tarball architecture names, and napi-rs's platform name, of a Rust target.
deb_arch() { case $1 in x86_64-*) echo amd64 ;; aarch64-*) echo arm64 ;; *) echo "${1%%-*}" ;; esac; }
napi_platform() { case $1 in x86_64-unknown-linux-gnu) echo linux-x64-gnu ;; aarch64-unknown-linux-gnu) echo linux-arm64-gnu ;; *) echo "" ;; esac; }

python_wheel() {
  local target=$1
  echo "dist: Python wheel for $target (maturin --zig, manylinux 2.17; a release build, minutes)"
  (cd python && CARGO_TARGET_DIR="$wheel_target_dir" maturin build --release --zig --compatibility manylinux2014 --target "$target" \
    --interpreter python3 --out "$dist" --quiet)
}

exporter() {
  local target=$1 arch
  arch=$(deb_arch "$target")
  echo "dist: srekit-exporter for $target (cargo zigbuild, glibc $glibc; a release build, minutes)"
  cargo zigbuild --release --quiet --target "$target.$glibc" -p srekit-exporter
  local name="srekit-exporter-$version.linux-$arch"
  mkdir -p "$dist/$name"
  cp "$zig_target_dir/$target/release/srekit-exporter" packaging/srekit-exporter.toml "$dist/$name/"
  cp packaging/debian/srekit-exporter.service "$dist/$name/"
  tar -C "$dist" -czf "$dist/$name.tar.gz" "$name"
  rm -rf "${dist:?}/$name"
  echo "dist: srekit-exporter .deb for $target (cargo deb)"
  cargo deb --quiet --no-build -p srekit-exporter --target "$target" --output "$dist/" >/dev/null
}

# The npm main package: the JavaScript files of node/ (as its `files` list says), the loader and types
# napi generates, and one optional dependency per platform package built. Staged in dist/npm/.
npm_stage_main() {
  local stage="$dist/npm/srekit"
  mkdir -p "$stage"
  node - "$root/node" "$stage" "$node_version" "$@" <<'JS'
const fs = require('node:fs')
const path = require('node:path')
const [src, stage, version, ...platforms] = process.argv.slice(2)
const pkg = JSON.parse(fs.readFileSync(path.join(src, 'package.json'), 'utf8'))
for (const file of pkg.files.filter((f) => !f.includes('*') && !f.startsWith('native.'))) {
  fs.copyFileSync(path.join(src, file), path.join(stage, file))
}
fs.copyFileSync(path.join(src, 'README.md'), path.join(stage, 'README.md'))
pkg.files = pkg.files.filter((f) => f !== '*.node')
delete pkg.scripts
delete pkg.devDependencies
pkg.optionalDependencies = Object.fromEntries(platforms.map((p) => [`${pkg.name}-${p}`, version]))
fs.writeFileSync(path.join(stage, 'package.json'), JSON.stringify(pkg, null, 2) + '\n')
JS
}

# A platform package: node/npm/<platform>/ with the version and engines of the main package, plus the
# addon napi builds (glibc 2.17 through cargo-zigbuild); napi also writes native.js / native.d.ts.
npm_platform() {
  local target=$1 platform=$2
  local stage="$dist/npm/srekit-$platform"
  echo "dist: npm platform package srekit-$platform (napi build --cross-compile, glibc $glibc; minutes)"
  mkdir -p "$stage" "$dist/npm/srekit"
  cp "node/npm/$platform/"* "$stage/"
  node - "$root/node/package.json" "$stage/package.json" <<'JS'
const fs = require('node:fs')
const [mainPath, platformPath] = process.argv.slice(2)
const main = JSON.parse(fs.readFileSync(mainPath, 'utf8'))
const pkg = JSON.parse(fs.readFileSync(platformPath, 'utf8'))
Object.assign(pkg, { version: main.version, engines: main.engines, license: main.license })
fs.writeFileSync(platformPath, JSON.stringify(pkg, null, 2) + '\n')
JS
  [ -d node/node_modules/@napi-rs/cli ] || (cd node && npm ci --no-audit --no-fund --loglevel=error)
  (cd node && npx napi build --platform --release --cross-compile --target "$target.$glibc" \
    --manifest-path ../bindings/node/Cargo.toml --output-dir "$dist/npm/srekit" \
    --js native.js --dts native.d.ts >/dev/null)
  mv "$dist/npm/srekit/srekit.$platform.node" "$stage/"
}

platforms=()
for target in $targets; do
  if ! grep -qx "$target" <<<"$installed"; then
    echo "dist: skipping $target: its Rust target is not installed here (rustup target add $target)"
    continue
  fi
  python_wheel "$target"
  exporter "$target"
  platform=$(napi_platform "$target")
  if [ -n "$platform" ] && [ -d "node/npm/$platform" ]; then
    npm_platform "$target" "$platform"
    platforms+=("$platform")
  else
    echo "dist: no npm platform package for $target (no node/npm/${platform:-?}/)"
  fi
done
if [ ${#platforms[@]} -eq 0 ]; then
  echo "dist: no target built (DIST_TARGETS=$targets)" >&2
  exit 1
fi

echo "dist: Python sdist (maturin sdist)"
# maturin sdist talks on stderr even when it works (cargo package's warnings): shown only on failure.
sdist_log=$(cd python && maturin sdist --out "$dist" 2>&1) || {
  echo "$sdist_log" >&2
  exit 1
}

npm_stage_main "${platforms[@]}"
for stage in "$dist"/npm/*/; do
  (cd "$stage" && npm pack --silent --pack-destination "$dist" >/dev/null)
done
rm -rf "$dist/npm"

echo "dist: checking the wheel's manylinux tag (auditwheel show)"
for wheel in "$dist"/*.whl; do
  auditwheel show "$wheel" | tr '\n' ' ' | grep -q 'consistent with the following platform tag' || {
    auditwheel show "$wheel" >&2
    exit 1
  }
done
echo "dist: built into dist/:"
ls -1 "$dist"
