#!/usr/bin/env bash
# e2e.sh — pulllab's end-to-end run (what `make e2e` runs), as root on a Debian 12 box. For each
# "KUBERNETES-VERSION RUNTIME" pair in PAIRS, one after the other on the same machine:
#
#   install → build → up → go test -tags e2e ./test/e2e/ → down (always) → summary
#
# Each run keeps its test log, summary, results and daemon logs in its own directory,
# $PULLLAB_E2E_DIR/runs/<version>-<runtime>/; a later run's tests read the earlier runs' KEP-2535
# outcomes from there (two kubelets whose gates differ must disagree on cases 11 and 12).
#
# Exit status: non-zero when any phase or any test of any run fails; every run is attempted. The
# cluster is always taken down, also after a failure or Ctrl-C. Environment:
#   PULLLAB_E2E_PAIRS        the runs, e.g. "v1.34.4:containerd v1.37.2:containerd" (default: PAIRS below)
#   PULLLAB_E2E_DIR          state, logs, runs/ (default /var/tmp/pulllab-e2e)
#   PULLLAB_E2E_SAMPLE_DIR   when set, each run's clean results.json, report.md, report.ja.md and
#                            junit.xml are copied to <dir>/<version>-<runtime>/
#   PULLLAB_E2E_KEEP=1       leave the last run's cluster up (hack/e2e/cluster.sh down removes it)
#   PULLLAB_E2E_STRICT_PERF=1  fail when a clean run misses a performance target
#   PULLLAB_E2E_PSA          restricted (default) or off: Pod Security enforced cluster-wide
#   PULLLAB_E2E_AUTH         1 (default): the lab uses the authenticated registry (127.0.0.1:5001)
#                            with --registry-auth; 0: the anonymous harness registry
#   E2E_TEST_FLAGS           extra `go test` flags, e.g. "-run TestE2E/verify-clean"
# See docs/e2e.md.
set -uo pipefail

# The runs, in order, as users meet them: OpenShift 4.21's node (Kubernetes 1.34, CRI-O 1.34; the
# KEP-2535 gate off) and the newest upstream release that runs here with containerd (kind,
# minikube; the gate on by default):
PAIRS="v1.34.4:cri-o v1.37.2:containerd"

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
CLUSTER=$HERE/cluster.sh
W=${PULLLAB_E2E_DIR:-/var/tmp/pulllab-e2e}
W=${W%/}
export PULLLAB_E2E_DIR=$W
export PULLLAB_E2E_PSA=${PULLLAB_E2E_PSA:-restricted}
export PULLLAB_E2E_AUTH=${PULLLAB_E2E_AUTH:-1}
PAIRS=${PULLLAB_E2E_PAIRS:-$PAIRS}
mkdir -p "$W/runs"

log() { printf '[%s] e2e: %s\n' "$(date +%T)" "$*" >&2; }

# versions K8S_VERSION: the etcd and crictl that go with a Kubernetes release (etcd as its
# cmd/kubeadm constants pin it; crictl of the same minor)
versions() {
  case $1 in
    v1.34.4) echo "v3.6.4 v1.34.0" ;;
    v1.37.2) echo "v3.7.0 v1.37.0" ;;
    *) return 1 ;;
  esac
}

# check the pairs before anything runs: a typo must not cost a 30-minute build
RUNS=() RK=() RRT=()
for p in $PAIRS; do
  k=${p%%:*} rt=${p#*:}
  if [ "$k" = "$p" ] || ! versions "$k" > /dev/null; then
    log "bad pair '$p' in PULLLAB_E2E_PAIRS: want VERSION:RUNTIME with VERSION one of v1.34.4, v1.37.2 (add others to versions() in $0)"
    exit 2
  fi
  case $rt in containerd|cri-o) ;; *) log "bad runtime '$rt' in '$p': containerd or cri-o"; exit 2 ;; esac
  RUNS+=("$k-$rt") RK+=("$k") RRT+=("$rt")
done
[ ${#RUNS[@]} -gt 0 ] || { log "PULLLAB_E2E_PAIRS is empty"; exit 2; }

declare -A SECS STATUS
ORDER=()   # "run/phase"
CUR=""     # the run in progress
UP_TRIED=0

phase() { # name cmd... : run one phase of the current run, time it, remember how it ended
  local name=$CUR/$1 t0=$SECONDS rc; shift
  ORDER+=("$name")
  log "── $name"
  "$@"; rc=$?
  SECS[$name]=$((SECONDS - t0))
  if [ $rc = 0 ]; then STATUS[$name]=ok; else STATUS[$name]="FAILED (exit $rc)"; fi
  return $rc
}

run_tests() { # run-dir peers...
  local dir=$1; shift
  # shellcheck disable=SC1090
  eval "$("$CLUSTER" env)" || return 1
  local peers="" d
  for d in "$@"; do peers="${peers:+$peers:}$d"; done
  export PULLLAB_E2E_OUT=$dir PULLLAB_E2E_PEERS=$peers
  if [ -n "${PULLLAB_E2E_SAMPLE_DIR:-}" ]; then export PULLLAB_E2E_RUN_SAMPLE_DIR=$PULLLAB_E2E_SAMPLE_DIR/${dir##*/}; fi
  cd "$REPO" || return 1
  # shellcheck disable=SC2086
  go test -tags e2e -count=1 -timeout 60m -v ${E2E_TEST_FLAGS:-} ./test/e2e/ 2>&1 | tee "$dir/e2e-test.log"
}

take_down() {
  [ "$UP_TRIED" = 1 ] || return 0
  UP_TRIED=0
  if [ "${PULLLAB_E2E_KEEP:-0}" = 1 ] && [ "$CUR" = "${RUNS[-1]}" ]; then
    log "PULLLAB_E2E_KEEP=1: the cluster stays up; take it down with: $CLUSTER down"
  else
    phase down "$CLUSTER" down
  fi
  # the daemons' logs of this run (the next `up` moves $W/logs aside)
  if [ -d "$W/logs" ]; then rm -rf "$W/runs/$CUR/logs"; cp -r "$W/logs" "$W/runs/$CUR/logs"; fi
}

one_run() { # version runtime
  local k=$1 rt=$2 ev
  ev=$(versions "$k")
  export K8S_VERSION=$k ETCD_VERSION=${ev% *} CRICTL_VERSION=${ev#* } RUNTIME=$rt
  local dir=$W/runs/$CUR
  rm -rf "$dir"; mkdir -p "$dir"
  phase install "$CLUSTER" install || return 1
  phase build "$CLUSTER" build || return 1
  UP_TRIED=1
  phase up "$CLUSTER" up || return 1
  local peers=() r
  for r in "${RUNS[@]}"; do
    [ "$r" = "$CUR" ] && break
    [ -f "$W/runs/$r/kep2535.json" ] && peers+=("$W/runs/$r")
  done
  phase test run_tests "$dir" "${peers[@]}"
}

summary() {
  local r p res
  echo
  echo "==================== pulllab e2e summary ===================="
  for r in "${RUNS[@]}"; do
    echo
    echo "──────── $r"
    printf '%-10s %-22s %8s\n' phase status seconds
    for p in "${ORDER[@]}"; do
      [ "${p%%/*}" = "$r" ] || continue
      printf '%-10s %-22s %8s\n' "${p#*/}" "${STATUS[$p]}" "${SECS[$p]}"
    done
    local tl=$W/runs/$r/e2e-test.log
    if [ -f "$tl" ]; then
      echo
      printf '%-48s %-6s %s\n' test result seconds
      sed -n 's/^ *--- \(PASS\|FAIL\|SKIP\): \([^ ]*\) (\([0-9.]*\)s)$/\2 \1 \3/p' "$tl" |
        while read -r name res secs; do printf '%-48s %-6s %s\n' "$name" "$res" "$secs"; done
      grep -qE '^(ok|FAIL|---)' "$tl" || echo "(no test results: see $tl)"
    fi
    if [ -f "$W/runs/$r/summary.md" ]; then echo; cat "$W/runs/$r/summary.md"; fi
    echo
    echo "logs: $W/runs/$r/logs (daemons), $tl (tests)"
  done
  echo "============================================================="
}

finish() {
  local rc=$?
  trap - EXIT INT TERM
  take_down
  summary
  local r p
  for r in "${RUNS[@]}"; do
    [ "${STATUS[$r/test]:-}" = ok ] || rc=1
  done
  for p in "${ORDER[@]}"; do [ "${STATUS[$p]}" = ok ] || rc=1; done
  if [ $rc = 0 ]; then log "PASSED (${RUNS[*]})"; else log "FAILED"; fi
  exit $rc
}

trap finish EXIT
trap 'log "interrupted"; exit 130' INT TERM

[ "$(id -u)" = 0 ] || { log "run as root: the harness starts the container runtime and the kubelet"; exit 2; }
log "runs: ${RUNS[*]}; Pod Security default $PULLLAB_E2E_PSA; authenticated lab registry: $PULLLAB_E2E_AUTH"
for i in "${!RUNS[@]}"; do
  CUR=${RUNS[$i]}
  one_run "${RK[$i]}" "${RRT[$i]}"
  take_down
done
