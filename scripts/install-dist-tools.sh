#!/usr/bin/env bash
# Installs the tools `make dist` needs, each only when missing (a second when all are present):
#   cargo-zigbuild, cargo-deb   from crates.io (cargo install --locked, into ~/.cargo/bin)
#   maturin, ziglang, auditwheel from PyPI into the project venv (.venv; ziglang provides zig, which
#                                 maturin --zig and cargo-zigbuild use to link against glibc 2.17)
# Needs cargo and python3 with venv. Prints where the venv is; dist.sh puts .venv/bin on PATH.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
venv="$root/.venv"
for tool in cargo-zigbuild cargo-deb; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "install-dist-tools: cargo install $tool (from crates.io; a minute or two)"
    cargo install --locked --quiet "$tool"
  fi
done
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
py="$venv/bin/python"
need=()
"$py" -c 'import ziglang' >/dev/null 2>&1 || need+=("ziglang>=0.13,<0.16")
[ -x "$venv/bin/maturin" ] || need+=("maturin>=1.9.4,<2")
[ -x "$venv/bin/auditwheel" ] || need+=("auditwheel>=6")
if [ ${#need[@]} -gt 0 ]; then
  echo "install-dist-tools: pip install ${need[*]} into .venv"
  "$py" -m pip install --quiet --disable-pip-version-check "${need[@]}"
fi
