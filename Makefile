# srekit — developer entry points. `make test` is the README's test command and what CI runs.
# Each suite has its own script under scripts/ so the suites can grow without touching this file.
CARGO ?= cargo

.PHONY: test test-rust test-python test-node test-e2e test-dist test-fuzz dist bench fuzz fmt lint

# Every suite, each run even when an earlier one failed, ending with one overall count line.
test:
	scripts/test-all.sh

test-rust:
	scripts/test-rust.sh

test-python:
	scripts/test-python.sh

test-node:
	scripts/test-node.sh

test-e2e:
	scripts/test-e2e.sh

# Builds dist/ (`make dist`), then installs each artifact where no cargo or rustc is on PATH and uses it.
test-dist:
	scripts/test-dist.sh

# Packages that install without Rust, into dist/: the Python wheel (manylinux 2.17) and sdist, the npm
# main and platform packages, the exporter's release tarball and .deb.
dist:
	scripts/dist.sh

# Every fuzz target briefly (seconds), replaying fuzz/regressions/ first; `make fuzz` runs longer.
test-fuzz:
	scripts/fuzz.sh $${FUZZ_SMOKE_SECONDS:-5}

bench:
	$(CARGO) build --release -p srekit-exporter # host_after_pause scrapes it beside node_exporter
	$(CARGO) bench -p srekit-benches
	scripts/bench-compare.sh

fuzz:
	scripts/fuzz.sh $${FUZZ_SECONDS:-10}

fmt:
	$(CARGO) fmt --all

# fmt, clippy on everything, and the core crate with each Cargo feature alone and with none.
lint:
	$(CARGO) fmt --all --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings
	$(CARGO) clippy -p srekit --lib --no-default-features -- -D warnings
	$(CARGO) clippy -p srekit --lib --no-default-features --features host -- -D warnings
	$(CARGO) clippy -p srekit --lib --no-default-features --features logs -- -D warnings
