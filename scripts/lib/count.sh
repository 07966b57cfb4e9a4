# Shared by the suite scripts (sourced): counts a suite's results from its runner's own output and
# prints one summary line `<suite>: N passed, N failed, N skipped`. When SREKIT_SUMMARY_FILE is set
# (scripts/test-all.sh sets it), the counts are appended there too for the overall line of `make test`.

# record_counts SUITE PASSED FAILED SKIPPED
record_counts() {
  echo "$1: $2 passed, $3 failed, $4 skipped"
  if [ -n "${SREKIT_SUMMARY_FILE:-}" ]; then
    echo "$1 $2 $3 $4" >>"$SREKIT_SUMMARY_FILE"
  fi
}

# sum_cargo_results LOG: "P F S" summed over libtest's `test result:` lines (ignored counts as skipped).
sum_cargo_results() {
  awk '/^test result:/ {
         for (i = 1; i <= NF; i++) {
           if ($(i+1) ~ /^passed;?$/) p += $i
           if ($(i+1) ~ /^failed;?$/) f += $i
           if ($(i+1) ~ /^ignored;?$/) s += $i
         }
       } END { printf "%d %d %d\n", p, f, s }' "$1"
}

# check NAME COMMAND...: one counted check of a suite that counts its own (test-e2e, test-dist). Runs
# COMMAND, prints `ok   NAME`, or `FAIL NAME` with the command's output indented, and adds one to the
# caller's `passed` or `failed`.
check() {
  local name=$1
  shift
  local out
  if out=$("$@" 2>&1); then
    passed=$((passed + 1))
    echo "ok   $name"
  else
    failed=$((failed + 1))
    echo "FAIL $name"
    echo "$out" | sed 's/^/     /'
  fi
}
