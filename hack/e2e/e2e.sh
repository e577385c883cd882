#!/usr/bin/env bash
# e2e.sh — pulllab's end-to-end run (what `make e2e` runs), as root on a Debian 12 box:
#
#   install → build → up → go test -tags e2e ./test/e2e/ → down (always) → summary
#
# Exit status: non-zero when any phase or any test fails. The cluster is always taken down, also
# after a failure or Ctrl-C. Environment:
#   PULLLAB_E2E_DIR          state, logs, summary.md (default /var/tmp/pulllab-e2e)
#   PULLLAB_E2E_SAMPLE_DIR   when set, the clean run's results.json, report.md, report.ja.md and
#                            junit.xml are copied there
#   PULLLAB_E2E_KEEP=1       leave the cluster up afterwards (hack/e2e/cluster.sh down removes it)
#   PULLLAB_E2E_STRICT_PERF=1  fail when the clean run misses a performance target
#   E2E_TEST_FLAGS           extra `go test` flags, e.g. "-run TestE2E/verify-clean"
# See docs/e2e.md.
set -uo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
CLUSTER=$HERE/cluster.sh
W=${PULLLAB_E2E_DIR:-/var/tmp/pulllab-e2e}
export PULLLAB_E2E_DIR=$W
mkdir -p "$W"
TESTLOG=$W/e2e-test.log
declare -A SECS STATUS
PHASES=()

log() { printf '[%s] e2e: %s\n' "$(date +%T)" "$*" >&2; }

phase() { # name cmd... : run one phase, time it, remember how it ended
  local name=$1 t0=$SECONDS rc; shift
  PHASES+=("$name")
  log "── $name"
  "$@"; rc=$?
  SECS[$name]=$((SECONDS - t0))
  if [ $rc = 0 ]; then STATUS[$name]=ok; else STATUS[$name]="FAILED (exit $rc)"; fi
  return $rc
}

run_tests() {
  # shellcheck disable=SC1090
  eval "$("$CLUSTER" env)"
  rm -f "$W/summary.md"
  cd "$REPO" || return 1
  # shellcheck disable=SC2086
  go test -tags e2e -count=1 -timeout 60m -v ${E2E_TEST_FLAGS:-} ./test/e2e/ 2>&1 | tee "$TESTLOG"
}

UP_TRIED=0
finish() {
  local rc=$?
  trap - EXIT INT TERM
  if [ "$UP_TRIED" = 1 ]; then
    if [ "${PULLLAB_E2E_KEEP:-0}" = 1 ]; then
      log "PULLLAB_E2E_KEEP=1: the cluster stays up; take it down with: $CLUSTER down"
    else
      phase down "$CLUSTER" down || rc=1
    fi
  fi
  summary
  [ "${STATUS[test]:-}" = ok ] || rc=1
  for p in "${PHASES[@]}"; do [ "${STATUS[$p]}" = ok ] || rc=1; done
  if [ $rc = 0 ]; then log "PASSED"; else log "FAILED"; fi
  exit $rc
}

summary() {
  echo
  echo "==================== pulllab e2e summary ===================="
  printf '%-10s %-22s %8s\n' phase status seconds
  for p in "${PHASES[@]}"; do printf '%-10s %-22s %8s\n' "$p" "${STATUS[$p]}" "${SECS[$p]}"; done
  if [ -f "$TESTLOG" ]; then
    echo
    printf '%-48s %-6s %s\n' test result seconds
    sed -n 's/^ *--- \(PASS\|FAIL\|SKIP\): \([^ ]*\) (\([0-9.]*\)s)$/\2 \1 \3/p' "$TESTLOG" |
      while read -r name res secs; do printf '%-48s %-6s %s\n' "$name" "$res" "$secs"; done
    grep -qE '^(ok|FAIL|---)' "$TESTLOG" || echo "(no test results: see $TESTLOG)"
  fi
  if [ -f "$W/summary.md" ]; then
    echo
    cat "$W/summary.md"
  fi
  echo
  echo "logs: $W/logs (daemons), $TESTLOG (tests)"
  echo "============================================================="
}

trap finish EXIT
trap 'log "interrupted"; exit 130' INT TERM

[ "$(id -u)" = 0 ] || { log "run as root: the harness starts containerd and the kubelet"; exit 2; }
phase install "$CLUSTER" install || exit 1
phase build "$CLUSTER" build || exit 1
UP_TRIED=1
phase up "$CLUSTER" up || exit 1
phase test run_tests || exit 1
