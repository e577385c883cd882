#!/usr/bin/env bash
# cluster.sh — a real single-node Kubernetes for pulllab's end-to-end tests.
#
#   hack/e2e/cluster.sh install   Debian packages: containerd, runc, the distribution registry, CNI plugins
#   hack/e2e/cluster.sh build     kubelet, kube-apiserver, kube-controller-manager, kube-scheduler, kubectl,
#                                 etcd and crictl from the Go module proxy, cached by version
#   hack/e2e/cluster.sh up        registry, containerd, etcd, control plane, kubelet; waits for node Ready
#   hack/e2e/cluster.sh down      stops exactly what `up` started (by PID), unmounts, restores sysctls
#   hack/e2e/cluster.sh status    what runs, and the node
#   hack/e2e/cluster.sh env       the variables the e2e tests read (eval "$(hack/e2e/cluster.sh env)")
#
# Everything runs as root on loopback (127.0.0.1) and on the harness's own bridge (cni0, 198.18.0.0/24).
# State lives under $PULLLAB_E2E_DIR (default /var/tmp/pulllab-e2e); built binaries under
# $PULLLAB_E2E_CACHE (default ~/.cache/pulllab-e2e/<component>-<version>), so a second `build` builds nothing.
# See docs/e2e.md.
set -euo pipefail

K8S_VERSION=${K8S_VERSION:-v1.34.4}   # 1.34: the last minor whose kubelet runs on cgroup v1 by default
ETCD_VERSION=${ETCD_VERSION:-v3.6.4}  # the etcd that Kubernetes 1.34.4 pins
CRICTL_VERSION=${CRICTL_VERSION:-v1.34.0}

W=${PULLLAB_E2E_DIR:-/var/tmp/pulllab-e2e}
CACHE=${PULLLAB_E2E_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/pulllab-e2e}
KBIN=$CACHE/kubernetes-$K8S_VERSION-etcd-$ETCD_VERSION
CBIN=$CACHE/crictl-$CRICTL_VERSION
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
REG=127.0.0.1:5000
NODE=$(hostname)
PAUSE_IMG=$REG/pause:3.10
KUBECTL="$KBIN/kubectl --kubeconfig $W/cluster/admin.kubeconfig"
CRICTL="$CBIN/crictl --config $W/crictl.yaml"
DAEMONS="registry containerd etcd kube-apiserver kube-controller-manager kube-scheduler kubelet"

log() { printf '[%s] %s\n' "$(date +%T)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }
timed() { local t0=$SECONDS; "$@"; log "$1 took $((SECONDS - t0)) s"; }

# ------------------------------------------------------------------ install
do_install() {
  local pkgs="containerd runc docker-registry containernetworking-plugins iptables conntrack openssl curl iproute2 busybox-static ca-certificates"
  local missing=""
  for p in $pkgs; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing="$missing $p"; done
  if [ -z "$missing" ]; then log "packages already installed"; return 0; fi
  log "installing:$missing"
  [ -n "$(find /var/lib/apt/lists -maxdepth 1 -name '*Packages*' -print -quit 2>/dev/null)" ] || apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >/dev/null \
    || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >/dev/null; }
}

# ------------------------------------------------------------------ build
build_kubernetes() {
  if [ -x "$KBIN/kubelet" ] && [ -x "$KBIN/etcd" ] && [ -x "$KBIN/kubectl" ]; then log "kubernetes $K8S_VERSION: cached in $KBIN"; return 0; fi
  local src=$CACHE/src/kubernetes-$K8S_VERSION staging=v0.${K8S_VERSION#v1.}
  mkdir -p "$src" && cd "$src"
  export GOFLAGS=-mod=mod CGO_ENABLED=0
  # k8s.io/kubernetes replaces its staging modules with ./staging/..., which the module zip lacks:
  # pin each to its published v0.Y.Z instead (the list comes from k8s' own go.mod).
  local modfile
  modfile=$(go mod download -json "k8s.io/kubernetes@$K8S_VERSION" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')
  {
    printf 'module pulllab.local/e2e/kubernetes\n\ngo 1.24.0\n\ngodebug default=go1.24\n\nrequire k8s.io/kubernetes %s\n\nreplace (\n' "$K8S_VERSION"
    grep -E '^\s+k8s.io/[a-z0-9-]+ => ./staging' "$modfile" | awk -v v="$staging" '{print "\t"$1" => "$1" "v}'
    printf ')\n'
  } > go.mod
  local cmds="kubelet kube-apiserver kube-controller-manager kube-scheduler kubectl" pkgs="" c
  for c in $cmds; do pkgs="$pkgs k8s.io/kubernetes/cmd/$c"; done
  # shellcheck disable=SC2086
  go get $(for c in $cmds; do printf 'k8s.io/kubernetes/cmd/%s@%s ' "$c" "$K8S_VERSION"; done) "go.etcd.io/etcd/server/v3@$ETCD_VERSION"
  local minor=${K8S_VERSION#v1.}; minor=${minor%%.*}
  local ldf="-s -w" p
  for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ldf="$ldf -X $p.gitVersion=$K8S_VERSION -X $p.gitMajor=1 -X $p.gitMinor=$minor -X $p.gitTreeState=clean"
  done
  local tmp=$KBIN.tmp; rm -rf "$tmp"; mkdir -p "$tmp"
  # shellcheck disable=SC2086
  go build -trimpath -ldflags "$ldf" -o "$tmp/" $pkgs
  go build -trimpath -ldflags "-s -w" -o "$tmp/etcd" go.etcd.io/etcd/server/v3
  rm -rf "$KBIN" && mv "$tmp" "$KBIN"
}

build_crictl() {
  if [ -x "$CBIN/crictl" ]; then log "crictl $CRICTL_VERSION: cached in $CBIN"; return 0; fi
  local src=$CACHE/src/crictl-$CRICTL_VERSION
  mkdir -p "$src" && cd "$src"
  export GOFLAGS=-mod=mod CGO_ENABLED=0
  printf 'module pulllab.local/e2e/crictl\n\ngo 1.24.1\n' > go.mod
  go get "sigs.k8s.io/cri-tools/cmd/crictl@$CRICTL_VERSION"
  local tmp=$CBIN.tmp; rm -rf "$tmp"; mkdir -p "$tmp"
  go build -trimpath -ldflags "-s -w" -o "$tmp/crictl" sigs.k8s.io/cri-tools/cmd/crictl
  rm -rf "$CBIN" && mv "$tmp" "$CBIN"
}

do_build() { timed build_kubernetes; timed build_crictl; }

case "${1:-}" in
  install) timed do_install ;;
  build) do_build ;;
  *) sed -n '2,16p' "$0"; exit 2 ;;
esac
