# srekit — developer entry points. `make test` is the README's test command and what CI runs.
CARGO ?= cargo

.PHONY: test test-rust bench fuzz fmt lint

test: test-rust

test-rust:
	$(CARGO) test --workspace --all-targets
	$(CARGO) test --workspace --doc

bench:
	$(CARGO) bench -p srekit-benches

fuzz:
	scripts/fuzz.sh $${FUZZ_SECONDS:-10}

fmt:
	$(CARGO) fmt --all

lint:
	$(CARGO) fmt --all --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings
