#!/usr/bin/env bash
# cluster.sh — a real single-node Kubernetes for pulllab's end-to-end tests.
#
#   hack/e2e/cluster.sh install         Debian packages: containerd, runc, the distribution registry, CNI plugins
#   hack/e2e/cluster.sh build           kubelet, kube-apiserver, kube-controller-manager, kube-scheduler, kubectl,
#                                       etcd and crictl from the Go module proxy, cached by version; the harness's
#                                       image tools (pause, appserver, e2eimage), cached by source hash
#   hack/e2e/cluster.sh up              registry, containerd, etcd, control plane, kubelet from empty state;
#                                       waits for the node Ready; pushes the harness images; crictl on the host
#   hack/e2e/cluster.sh down            stops exactly what `up` started (by PID), unmounts, restores the host
#   hack/e2e/cluster.sh status          what runs, the node, the images in the registry
#   hack/e2e/cluster.sh env             the variables the e2e tests read (eval "$(hack/e2e/cluster.sh env)")
#   hack/e2e/cluster.sh registry-stop [lab|harness]   stop a registry (the broken-registry test); default
#                                       the lab's (authenticated) one
#   hack/e2e/cluster.sh registry-start [lab|harness]  start it again, with the same data
#
# Parameters (environment; `up` records them, and down/status/env/registry-* use what `up` recorded):
#   K8S_VERSION, ETCD_VERSION, CRICTL_VERSION   which Kubernetes, etcd and crictl (default v1.34.4, v3.6.4, v1.34.0)
#   RUNTIME                                     the node's container runtime: containerd (default) or cri-o
#   PULLLAB_E2E_PSA                             restricted (default): the API server enforces Pod Security
#                                               "restricted" in every namespace not labelled otherwise
#                                               (kube-system exempt); off: no cluster-wide default
#
# Two registries: the harness's anonymous one on 127.0.0.1:5000 (pause, appserver base, debug and bystander
# images; the node pulls them without credentials) and the lab's on 127.0.0.1:5001, which requires a user
# and a password (htpasswd, bcrypt) made at random on every `up` and written only to a dockerconfigjson
# under $PULLLAB_E2E_DIR/auth (mode 0600). The node's runtime holds no credentials for either.
# Each registry also answers on a second loopback address, 127.0.0.2 (same port, same storage, a
# second registry process without a cache): a registry whose push and pull addresses differ, as
# kind's and k3d's do (KEP-1755 host and hostFromContainerRuntime). The runtime trusts both addresses.
#
# Everything runs as root on loopback (127.0.0.0/8) and on the harness's own bridge (cni0, 198.18.0.0/24).
# State lives under $PULLLAB_E2E_DIR (default /var/tmp/pulllab-e2e); built binaries under
# $PULLLAB_E2E_CACHE (default ~/.cache/pulllab-e2e/<component>-<version>), so a second `build` builds nothing.
# See docs/e2e.md.
set -euo pipefail

W=${PULLLAB_E2E_DIR:-/var/tmp/pulllab-e2e}
case $W in
  /*/*) ;;
  *) echo "PULLLAB_E2E_DIR must be an absolute path at least two levels deep, got '$W'" >&2; exit 2 ;;
esac
[[ $W != *[[:space:]]* ]] || { echo "PULLLAB_E2E_DIR must not contain spaces" >&2; exit 2; }
W=${W%/}

# What `up` ran with, for the commands that act on a running (or crashed) cluster: they must use the
# same binaries and runtime as the cluster they act on, whatever the caller's environment says.
UP_ENV=$W/run/up.env
case "${1:-}" in
  down|status|env|registry-stop|registry-start)
    # shellcheck disable=SC1090
    if [ -f "$UP_ENV" ]; then . "$UP_ENV"; fi ;;
esac

K8S_VERSION=${K8S_VERSION:-v1.34.4}   # OpenShift 4.21's Kubernetes; the KEP-2535 gate is off by default
ETCD_VERSION=${ETCD_VERSION:-v3.6.4}  # the etcd that Kubernetes 1.34.4 pins
CRICTL_VERSION=${CRICTL_VERSION:-v1.34.0}
RUNTIME=${RUNTIME:-containerd}
PSA=${PULLLAB_E2E_PSA:-restricted}
for v in "$K8S_VERSION" "$ETCD_VERSION" "$CRICTL_VERSION"; do
  [[ $v =~ ^v[0-9]+\.[0-9]+\.[0-9]+$ ]] || { echo "K8S_VERSION, ETCD_VERSION and CRICTL_VERSION must look like v1.34.4, got '$v'" >&2; exit 2; }
done
case $RUNTIME in
  containerd) ;;
  cri-o) ;;
  *) echo "RUNTIME must be containerd or cri-o, got '$RUNTIME'" >&2; exit 2 ;;
esac
case $PSA in
  restricted|off) ;;
  *) echo "PULLLAB_E2E_PSA must be restricted or off, got '$PSA'" >&2; exit 2 ;;
esac
CACHE=${PULLLAB_E2E_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/pulllab-e2e}
KBIN=$CACHE/kubernetes-$K8S_VERSION-etcd-$ETCD_VERSION
CBIN=$CACHE/crictl-$CRICTL_VERSION
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
REG=127.0.0.1:5000                     # the harness's images, anonymous
LAB_REG=127.0.0.1:5001                 # the lab's images, user and password required
PULL_REG=127.0.0.2:5000                # the same registries under a second address (the node's "pull" address)
LAB_PULL_REG=127.0.0.2:5001
LAB_REG_USER=pulllab-e2e
AUTH_DIR=$W/auth                       # DOCKER_CONFIG: config.json is also the --registry-auth file
AUTH_FILE=$AUTH_DIR/config.json
NODE=$(hostname)
PAUSE_IMG=$REG/pulllab-e2e/pause:3.10
BASE_IMG=$REG/pulllab-e2e/appserver:1
DEBUG_IMG=$REG/pulllab-e2e/debug:1
BYSTANDER_IMG=$REG/bystander/app:1
BRIDGE=cni0
BRIDGE_CIDR=198.18.0.0/24
BRIDGE_IP=198.18.0.1
SERVICE_CIDR=198.18.1.0/24             # virtual: no kube-proxy, nothing routes to it
ADMIN_KUBECONFIG=$W/cluster/admin.kubeconfig
KUBECTL="$KBIN/kubectl --kubeconfig $ADMIN_KUBECONFIG"
CRICTL="$CBIN/crictl --config $W/crictl.yaml"
PSA_CONFIG=$W/cluster/admission.yaml
# every port the harness listens on, all on loopback (127.0.0.1; the registries on 127.0.0.2 too)
PORTS="5000 5001 2379 2380 2381 6443 10248 10250 10257 10259"
# the kubelet (and the CNI bridge plugin, were it the gateway) change these; `down` puts them back
SYSCTLS="kernel.panic kernel.panic_on_oops vm.overcommit_memory vm.panic_on_oom kernel.keys.root_maxkeys kernel.keys.root_maxbytes net.ipv4.ip_forward"
# directories the daemons create outside $W whatever their flags say; `down` removes them when
# `up` created them and only empty directories (and the kubelet's socket) remain
HOST_DIRS="/var/lib/kubelet /var/log/containers /var/log/pods /var/lib/cni /run/containerd /opt/containerd /usr/libexec/kubernetes /run/mount /etc/cni"
HOST_CRICTL=/usr/local/bin/crictl
HOST_CRICTL_YAML=/etc/crictl.yaml

log() { printf '[%s] %s\n' "$(date +%T)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }
timed() { local t0=$SECONDS; "$@"; log "$1 took $((SECONDS - t0)) s"; }

# ------------------------------------------------------------------ the node's container runtime
# One function per thing the rest of the harness needs from the runtime; each dispatches on $RUNTIME.
# containerd is here; cri-o's side lives in hack/e2e/crio.sh (CRI-O built from the Go module proxy,
# the runtime of CRC and OpenShift nodes).
# shellcheck source=hack/e2e/crio.sh
. "$REPO/hack/e2e/crio.sh"

# runtime_daemon: the name of its PID file and log (and of its binary, see expected_exe)
runtime_daemon() {
  case $RUNTIME in
    containerd) echo containerd ;;
    cri-o) echo crio ;;
  esac
}

# runtime_socket: the CRI socket the kubelet and crictl use
runtime_socket() {
  case $RUNTIME in
    containerd) echo "$W/containerd/containerd.sock" ;;
    cri-o) echo "$CRIO_SOCK" ;;
  esac
}

# runtime_packages: the Debian packages it needs
runtime_packages() {
  case $RUNTIME in
    containerd) echo "containerd runc" ;;
    cri-o) crio_packages ;;
  esac
}

# runtime_build: what it needs built (cached by version)
runtime_build() {
  case $RUNTIME in
    containerd) : ;;   # Debian's
    cri-o) build_crio ;;
  esac
}

# runtime_preflight: dies when something it needs is missing
runtime_preflight() {
  local b
  case $RUNTIME in
    containerd)
      for b in containerd runc; do
        command -v "$b" > /dev/null || die "$b is missing: run hack/e2e/cluster.sh install"
      done ;;
    cri-o) crio_preflight ;;
  esac
}

# runtime_config: its configuration under $W. Both registries are plain http on loopback; the
# configuration names no credentials for either (with node-wide credentials every pod could pull the
# lab's private images, and the KEP-2535 cases would show nothing).
runtime_config() {
  case $RUNTIME in
    containerd) containerd_config ;;
    cri-o) CRIO_INSECURE_REGISTRIES="$REG $LAB_REG $PULL_REG $LAB_PULL_REG" crio_write_config ;;
  esac
}

# runtime_start: starts it and waits until it answers on its socket
runtime_start() {
  case $RUNTIME in
    containerd)
      start containerd containerd --config "$W/containerd/config.toml"
      waitfor containerd "$CRICTL info" 30 ;;
    cri-o) crio_start ;;
  esac
}

# runtime_remove_pods: every pod sandbox, while the runtime still runs (stops the containers, so
# their shims exit and their mounts go); called after the kubelet has stopped
runtime_remove_pods() {
  if pid_of "$(runtime_daemon)" > /dev/null; then
    $CRICTL rmp -af > /dev/null 2>&1 || log "WARNING: crictl rmp -af failed"
  fi
}

# runtime_stop: stops it and whatever of it outlives it
runtime_stop() {
  local p
  case $RUNTIME in
    containerd)
      stop_pid containerd
      # shims outlive containerd; ours name our containerd's socket in their arguments
      for p in $(pgrep -f -- "containerd-shim.* -address $(runtime_socket)" 2>/dev/null || true); do
        log "stopping leftover shim $p"; kill "$p" 2>/dev/null || true
      done ;;
    cri-o) crio_stop ;;
  esac
}

# runtime_leftovers: names what of it still runs after runtime_stop (nothing when all is gone)
runtime_leftovers() {
  case $RUNTIME in
    containerd)
      if pgrep -f -- "containerd-shim.* -address $(runtime_socket)" > /dev/null; then echo containerd-shims; fi ;;
    cri-o) crio_left ;;
  esac
}

containerd_config() {
  local r
  mkdir -p "$W/containerd"
  cat > "$W/containerd/config.toml" <<EOF
version = 2
root = "$W/containerd/root"
state = "$W/containerd/state"

[grpc]
  address = "$(runtime_socket)"

[plugins."io.containerd.internal.v1.opt"]
  path = "$W/containerd/opt"

[plugins."io.containerd.grpc.v1.cri"]
  # no image from a public registry: a pause stand-in built from this repository, in the harness registry
  sandbox_image = "$PAUSE_IMG"
  # this kind of VM lacks CAP_SYS_RESOURCE: runc cannot lower the sandbox's oom_score_adj to -998,
  # so clamp every oom_score_adj to >= containerd's own (0)
  restrict_oom_score_adj = true
  # pod network namespaces under \$W, not /run/netns
  netns_mounts_under_state_dir = true
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
        Root = "$W/containerd/runc"
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "$W/cni/net.d"
  [plugins."io.containerd.grpc.v1.cri".registry]
    # a hosts.toml per registry and no auths: pull credentials come only from a pod's pull secret
    config_path = "$W/containerd/certs.d"
EOF
  for r in "$REG" "$LAB_REG" "$PULL_REG" "$LAB_PULL_REG"; do
    mkdir -p "$W/containerd/certs.d/$r"
    cat > "$W/containerd/certs.d/$r/hosts.toml" <<EOF
server = "http://$r"

[host."http://$r"]
  capabilities = ["pull", "resolve", "push"]
EOF
  done
}

# start order; `down` stops them in reverse
DAEMONS="registry registry-pull registry-lab registry-lab-pull $(runtime_daemon) etcd kube-apiserver kube-controller-manager kube-scheduler kubelet"

# ------------------------------------------------------------------ the registries and Pod Security
# The harness's registry: anonymous, for the images the node needs whatever the lab does.
registry_config() {
  mkdir -p "$W/registry/data"
  cat > "$W/registry/config.yml" <<EOF
version: 0.1
log:
  level: info
storage:
  filesystem:
    rootdirectory: $W/registry/data
  delete:
    enabled: true
  cache:
    blobdescriptor: inmemory
http:
  addr: $REG
EOF
}

# The lab's registry: its own storage, deletes enabled, htpasswd (bcrypt) with a random password made
# here. The password goes only into the htpasswd hash and the dockerconfigjson (0600); never into an
# argument list, a log line or the environment of a daemon.
lab_registry_config() {
  local d=$W/registry-lab pw
  mkdir -p "$d/data"
  ( umask 077; mkdir -p "$AUTH_DIR" )
  pw=$(head -c 24 /dev/urandom | base64 | tr -d '\n/+=')
  [ ${#pw} -ge 24 ] || die "could not make a random password for the lab registry"
  printf '%s' "$pw" | htpasswd -niB -C 10 "$LAB_REG_USER" > "$d/htpasswd.tmp" 2>/dev/null \
    || die "htpasswd failed: run hack/e2e/cluster.sh install (apache2-utils)"
  chmod 600 "$d/htpasswd.tmp" && mv "$d/htpasswd.tmp" "$d/htpasswd"
  ( umask 077
    printf '{\n  "auths": {\n    "%s": {\n      "auth": "%s"\n    }\n  }\n}\n' "$LAB_REG" "$(printf '%s:%s' "$LAB_REG_USER" "$pw" | base64 -w0)" > "$AUTH_FILE.tmp" )
  mv "$AUTH_FILE.tmp" "$AUTH_FILE"
  cat > "$d/config.yml" <<EOF
version: 0.1
log:
  level: info
storage:
  filesystem:
    rootdirectory: $d/data
  delete:
    enabled: true
  cache:
    blobdescriptor: inmemory
http:
  addr: $LAB_REG
auth:
  htpasswd:
    realm: pulllab-e2e
    path: $d/htpasswd
EOF
}

# pull_config DIR ADDR: DIR/config-pull.yml, the registry of DIR/config.yml answering on ADDR too (a
# second process on the same storage); without the blob descriptor cache, so that it never serves what
# the other process has deleted
pull_config() {
  sed -e "s|^  addr: .*|  addr: $2|" -e '/^  cache:$/,/^    blobdescriptor:/d' "$1/config.yml" > "$1/config-pull.yml"
  if ! grep -q "^  addr: $2\$" "$1/config-pull.yml" || grep -q blobdescriptor "$1/config-pull.yml"; then
    die "could not write $1/config-pull.yml"
  fi
}

# lab_curl ARGS...: curl with the lab registry's credentials, passed on stdin (not in argv)
lab_curl() {
  local auth
  auth=$(sed -n 's/.*"auth": "\(.*\)".*/\1/p' "$AUTH_FILE" | base64 -d)
  printf 'user = "%s"\n' "$auth" | curl -K - "$@"
}

# lab_registry_ready: refuses anonymous requests (401) and accepts the recorded credentials
lab_registry_ready() { # [address]
  local a=${1:-$LAB_REG}
  [ "$(curl -s -o /dev/null -w '%{http_code}' "http://$a/v2/")" = 401 ] && lab_curl -sf -o /dev/null "http://$a/v2/"
}

# psa_config: with PULLLAB_E2E_PSA=restricted, the API server's PodSecurity admission enforces (and
# audits and warns about) "restricted" in every namespace that carries no pod-security labels of its
# own, as OpenShift 5.0 does for ordinary projects; kube-system is exempt.
psa_config() {
  rm -f "$PSA_CONFIG"
  [ "$PSA" = restricted ] || return 0
  cat > "$PSA_CONFIG" <<EOF
apiVersion: apiserver.config.k8s.io/v1
kind: AdmissionConfiguration
plugins:
- name: PodSecurity
  configuration:
    apiVersion: pod-security.admission.config.k8s.io/v1
    kind: PodSecurityConfiguration
    defaults:
      enforce: restricted
      enforce-version: latest
      audit: restricted
      audit-version: latest
      warn: restricted
      warn-version: latest
    exemptions:
      usernames: []
      runtimeClasses: []
      namespaces: [kube-system]
EOF
}

# registry_name lab|harness: the daemons behind a registry (both of its addresses)
registry_name() {
  case ${1:-lab} in
    lab) echo registry-lab registry-lab-pull ;;
    harness) echo registry registry-pull ;;
    *) echo "registry-stop/registry-start take lab (127.0.0.1:5001, the default) or harness (127.0.0.1:5000), got '$1'" >&2; exit 2 ;;
  esac
}

start_registry() { # registry|registry-pull|registry-lab|registry-lab-pull
  case $1 in
    registry)
      start registry docker-registry serve "$W/registry/config.yml"
      waitfor registry "curl -sf http://$REG/v2/" 30 ;;
    registry-pull)
      start registry-pull docker-registry serve "$W/registry/config-pull.yml"
      waitfor "registry-pull ($PULL_REG)" "curl -sf http://$PULL_REG/v2/" 30 ;;
    registry-lab)
      start registry-lab docker-registry serve "$W/registry-lab/config.yml"
      waitfor "registry-lab (anonymous refused, credentials accepted)" lab_registry_ready 30 ;;
    registry-lab-pull)
      start registry-lab-pull docker-registry serve "$W/registry-lab/config-pull.yml"
      waitfor "registry-lab-pull ($LAB_PULL_REG; anonymous refused, credentials accepted)" "lab_registry_ready $LAB_PULL_REG" 30 ;;
  esac
}

# ------------------------------------------------------------------ install
do_install() {
  # apache2-utils: htpasswd, for the lab registry's bcrypt password file
  local pkgs
  pkgs="$(runtime_packages) docker-registry apache2-utils containernetworking-plugins iptables conntrack openssl curl iproute2 procps busybox-static ca-certificates"
  local missing=""
  for p in $pkgs; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing="$missing $p"; done
  if [ -z "$missing" ]; then log "packages already installed"; return 0; fi
  log "installing:$missing"
  [ -n "$(find /var/lib/apt/lists -maxdepth 1 -name '*Packages*' -print -quit 2>/dev/null)" ] || apt-get update -qq
  # shellcheck disable=SC2086 # a list of package names
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >/dev/null \
    || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >/dev/null; }
}

# ------------------------------------------------------------------ build
# The two third-party builds run in subshells: their `cd` and GOFLAGS=-mod=mod must not reach the
# repository's own build (build_tools), which must never rewrite go.mod.
# shellcheck disable=SC2030,SC2031 # each build's environment is its own, on purpose
build_kubernetes() (
  if [ -x "$KBIN/kubelet" ] && [ -x "$KBIN/etcd" ] && [ -x "$KBIN/kubectl" ]; then log "kubernetes $K8S_VERSION: cached in $KBIN"; exit 0; fi
  local src=$CACHE/src/kubernetes-$K8S_VERSION staging=v0.${K8S_VERSION#v1.}
  mkdir -p "$src" && cd "$src"
  export GOFLAGS=-mod=mod CGO_ENABLED=0
  # k8s.io/kubernetes replaces its staging modules with ./staging/..., which the module zip lacks:
  # pin each to its published v0.Y.Z instead (the list comes from k8s' own go.mod).
  local modfile
  modfile=$(go mod download -json "k8s.io/kubernetes@$K8S_VERSION" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')
  {
    # the go line follows the release's own (1.24.0 for 1.34, 1.26.0 for 1.37)
    local gover; gover=$(awk '/^go /{print $2; exit}' "$modfile")
    printf 'module pulllab.local/e2e/kubernetes\n\ngo %s\n\ngodebug default=go%s\n\nrequire k8s.io/kubernetes %s\n\nreplace (\n' "$gover" "${gover%.*}" "$K8S_VERSION"
    grep -E '^\s+k8s.io/[a-z0-9-]+ => ./staging' "$modfile" | awk -v v="$staging" '{print "\t"$1" => "$1" "v}'
    printf ')\n'
  } > go.mod
  local cmds="kubelet kube-apiserver kube-controller-manager kube-scheduler kubectl" pkgs="" c
  for c in $cmds; do pkgs="$pkgs k8s.io/kubernetes/cmd/$c"; done
  # shellcheck disable=SC2046
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
)

# shellcheck disable=SC2030,SC2031
build_crictl() (
  if [ -x "$CBIN/crictl" ]; then log "crictl $CRICTL_VERSION: cached in $CBIN"; exit 0; fi
  local src=$CACHE/src/crictl-$CRICTL_VERSION
  mkdir -p "$src" && cd "$src"
  export GOFLAGS=-mod=mod CGO_ENABLED=0
  printf 'module pulllab.local/e2e/crictl\n\ngo 1.24.1\n' > go.mod
  go get "sigs.k8s.io/cri-tools/cmd/crictl@$CRICTL_VERSION"
  local tmp=$CBIN.tmp; rm -rf "$tmp"; mkdir -p "$tmp"
  go build -trimpath -ldflags "-s -w" -o "$tmp/crictl" sigs.k8s.io/cri-tools/cmd/crictl
  rm -rf "$CBIN" && mv "$tmp" "$CBIN"
)

# The image tools come from this repository: cache them by a hash of their sources, go.mod/go.sum
# and the Go version, so an edit rebuilds them and nothing else does.
TOOL_PKGS="./hack/e2e/cmd/e2eimage ./hack/e2e/images/pause ./hack/e2e/images/appserver"
tools_dir() {
  local h
  h=$(cd "$REPO" && { go version; cat go.mod go.sum; find hack/e2e/cmd hack/e2e/images -name '*.go' ! -name '*_test.go' | LC_ALL=C sort | xargs cat; } | sha256sum | cut -c1-12)
  echo "$CACHE/tools-$h"
}
build_tools() (
  local tb; tb=$(tools_dir)
  if [ -x "$tb/e2eimage" ] && [ -x "$tb/pause" ] && [ -x "$tb/appserver" ]; then log "image tools: cached in $tb"; exit 0; fi
  cd "$REPO"
  local tmp=$tb.tmp; rm -rf "$tmp"; mkdir -p "$tmp"
  # shellcheck disable=SC2086
  CGO_ENABLED=0 GOFLAGS=-mod=readonly go build -trimpath -ldflags "-s -w" -o "$tmp/" $TOOL_PKGS
  rm -rf "$tb" && mv "$tmp" "$tb"
  # older builds of the tools are of no further use
  find "$CACHE" -maxdepth 1 -name 'tools-*' ! -path "$tb" -exec rm -rf {} +
  log "image tools: built in $tb"
)

do_build() { timed build_kubernetes; timed build_crictl; timed runtime_build; timed build_tools; }

# ------------------------------------------------------------------ processes
# pid_of NAME: the recorded PID when that process still runs the expected binary (a PID file left
# by a crashed run, or from before a reboot, may name an unrelated process: never touch that one).
expected_exe() {
  case $1 in
    registry|registry-pull|registry-lab|registry-lab-pull) echo docker-registry ;;
    *) echo "$1" ;;
  esac
}
pid_of() {
  local f=$W/run/$1.pid p exe
  [ -f "$f" ] || return 1
  p=$(cat "$f")
  [[ $p =~ ^[0-9]+$ ]] || return 1
  exe=$(readlink "/proc/$p/exe" 2>/dev/null) || return 1
  [ "$(basename "${exe% (deleted)}")" = "$(expected_exe "$1")" ] || return 1
  echo "$p"
}

# running PID: the process exists and has not exited (an exited daemon stays a zombie until
# PID 1 reaps it, which can take seconds)
running() {
  local st
  st=$(sed -n 's/^State:[[:space:]]*\([A-Z]\).*/\1/p' "/proc/$1/status" 2>/dev/null) || return 1
  [ -n "$st" ] && [ "$st" != Z ] && [ "$st" != X ]
}

start() { # name cmd... : start a daemon in the background, record its PID
  local n=$1; shift
  nohup "$@" > "$W/logs/$n.log" 2>&1 < /dev/null &
  echo $! > "$W/run/$n.pid"
  log "started $n (pid $!)"
}

stop_pid() { # name... : stop exactly the recorded processes, together
  local n f p i pids="" names=""
  for n in "$@"; do
    f=$W/run/$n.pid
    [ -f "$f" ] || continue
    if p=$(pid_of "$n"); then
      kill "$p" 2>/dev/null || true
      pids="$pids $p"; names="$names $n($p)"
    else
      log "$n was not running (stale pid file)"
      rm -f "$f"
    fi
  done
  [ -n "$pids" ] || return 0
  local alive
  for i in $(seq 1 150); do           # up to 15 s
    alive=""
    for p in $pids; do running "$p" && alive=1; done
    [ -n "$alive" ] || break
    sleep 0.1
  done
  for p in $pids; do
    if running "$p"; then kill -9 "$p" 2>/dev/null || true; log "killed $p after 15 s"; fi
  done
  for n in "$@"; do rm -f "$W/run/$n.pid"; done
  log "stopped$names"
}

waitfor() { # what shell-condition [timeout-seconds] : polls every 0.2 s
  local t=${3:-120} t0=$SECONDS
  while [ $((SECONDS - t0)) -lt "$t" ]; do
    if eval "$2" > /dev/null 2>&1; then log "$1: ready after $((SECONDS - t0)) s"; return 0; fi
    sleep 0.2
  done
  die "$1: not ready after $t s (logs in $W/logs)"
}

# ------------------------------------------------------------------ configs
write_configs() {
  mkdir -p "$W/registry/data" "$W/cni/net.d" "$W/kubelet" "$W/cluster"
  registry_config
  lab_registry_config
  pull_config "$W/registry" "$PULL_REG"
  pull_config "$W/registry-lab" "$LAB_PULL_REG"
  psa_config
  runtime_config
  # The bridge is made by `up` with its address (so the plugin need not be the gateway, and so never
  # turns on IP forwarding); pods get no default route: they reach 198.18.0.0/24 and nothing else.
  cat > "$W/cni/net.d/10-pulllab-e2e.conflist" <<EOF
{
  "cniVersion": "0.4.0",
  "name": "pulllab-e2e",
  "plugins": [
    {
      "type": "bridge",
      "bridge": "$BRIDGE",
      "isGateway": false,
      "ipMasq": false,
      "hairpinMode": true,
      "ipam": {
        "type": "host-local",
        "ranges": [[{"subnet": "$BRIDGE_CIDR", "gateway": "$BRIDGE_IP"}]],
        "dataDir": "$W/cni/ipam"
      }
    }
  ]
}
EOF
  cat > "$W/crictl.yaml" <<EOF
runtime-endpoint: unix://$(runtime_socket)
image-endpoint: unix://$(runtime_socket)
timeout: 30
EOF
  cat > "$W/cluster/kubelet-config.yaml" <<EOF
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
containerRuntimeEndpoint: unix://$(runtime_socket)
cgroupDriver: cgroupfs
failCgroupV1: false
failSwapOn: false
authentication:
  anonymous:
    enabled: false
  webhook:
    enabled: true
  x509:
    clientCAFile: $W/cluster/pki/ca.crt
authorization:
  mode: Webhook
# the kubelet's API on the harness's bridge, not on loopback: the API server refuses to proxy to a
# loopback address (node proxy: "address not allowed"), and /api/v1/nodes/NODE/proxy/configz and
# /metrics are where pulllab reads the KEP-2535 state
address: $BRIDGE_IP
port: 10250
healthzBindAddress: 127.0.0.1
healthzPort: 10248
readOnlyPort: 0
clusterDomain: cluster.local
# no resolver in pods: nothing in the lab resolves names, and no DNS query leaves the host
resolvConf: ""
podLogsDir: $W/kubelet/pod-logs
volumePluginDir: $W/kubelet/volume-plugins
rotateCertificates: false
serializeImagePulls: true
# the kubelet must never garbage-collect the lab's (or the bystander's) images
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
evictionHard:
  memory.available: "100Mi"
  nodefs.available: "1%"
  imagefs.available: "1%"
  nodefs.inodesFree: "1%"
EOF
}

make_pki() {
  local D=$W/cluster/pki; mkdir -p "$D"; (
  cd "$D"
  # P-256 keys: seven RSA keys took 11 s on a 2-core VM, these take well under one
  local ec="-newkey ec -pkeyopt ec_paramgen_curve:prime256v1"
  # shellcheck disable=SC2086
  openssl req -x509 $ec -nodes -keyout ca.key -out ca.crt -days 3650 -subj "/CN=pulllab-e2e-ca" 2>/dev/null
  openssl ecparam -name prime256v1 -genkey -noout -out sa.key 2>/dev/null
  openssl ec -in sa.key -pubout -out sa.pub 2>/dev/null
  printf 'subjectAltName=DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local,DNS:%s,IP:127.0.0.1,IP:%s\nextendedKeyUsage=serverAuth\nkeyUsage=digitalSignature,keyEncipherment\n' "$NODE" "${SERVICE_CIDR%.0/24}.1" > apiserver.ext
  # shellcheck disable=SC2086
  openssl req $ec -nodes -keyout apiserver.key -out apiserver.csr -subj "/CN=kube-apiserver" 2>/dev/null
  openssl x509 -req -in apiserver.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out apiserver.crt -days 3650 -extfile apiserver.ext 2>/dev/null
  printf 'extendedKeyUsage=clientAuth\nkeyUsage=digitalSignature,keyEncipherment\n' > client.ext
  client() { # file CN [O]
    # shellcheck disable=SC2086
    openssl req $ec -nodes -keyout "$1.key" -out "$1.csr" -subj "/CN=$2${3:+/O=$3}" 2>/dev/null
    openssl x509 -req -in "$1.csr" -CA ca.crt -CAkey ca.key -CAcreateserial -out "$1.crt" -days 3650 -extfile client.ext 2>/dev/null
  }
  client admin admin system:masters
  client controller-manager system:kube-controller-manager
  client scheduler system:kube-scheduler
  client kubelet "system:node:$NODE" system:nodes
  client apiserver-kubelet-client kube-apiserver-kubelet-client system:masters
  local u
  for u in admin controller-manager scheduler kubelet; do
    cat > "../$u.kubeconfig" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: pulllab-e2e
  cluster:
    server: https://127.0.0.1:6443
    certificate-authority: $D/ca.crt
users:
- name: $u
  user:
    client-certificate: $D/$u.crt
    client-key: $D/$u.key
contexts:
- name: pulllab-e2e
  context: {cluster: pulllab-e2e, user: $u}
current-context: pulllab-e2e
EOF
  done
  chmod 600 ./*.key )
}

# ------------------------------------------------------------------ host state
# $W/run/host.env records what `up` found on the host, so `down` puts back exactly that.
record_host() {
  local f=$W/run/host.env d
  [ -f "$f" ] && return 0       # an earlier `up` recorded the state from before it: keep that
  {
    for d in $HOST_DIRS /sys/fs/cgroup/*/kubepods; do
      if [ -e "$d" ]; then echo "existed $d"; fi
    done
    if [ -L "$HOST_CRICTL" ] && [ "$(readlink "$HOST_CRICTL")" = "$CBIN/crictl" ]; then :;
    elif [ -e "$HOST_CRICTL" ] || [ -L "$HOST_CRICTL" ]; then echo "existed $HOST_CRICTL"; fi
    if [ -e "$HOST_CRICTL_YAML" ] && ! grep -q "unix://$(runtime_socket)" "$HOST_CRICTL_YAML"; then echo "existed $HOST_CRICTL_YAML"; fi
    local ipt t
    for ipt in iptables ip6tables; do
      command -v "$ipt-save" > /dev/null || continue
      for t in mangle nat filter; do
        "$ipt-save" -t "$t" 2>/dev/null | sed -n "s/^:\(KUBE-[^ ]*\) .*/chain $ipt $t \1/p"
      done
    done
  } > "$f"
  # shellcheck disable=SC2086 # a list of names
  sysctl $SYSCTLS > "$W/run/sysctl-before.conf" 2>/dev/null
}
existed() { grep -qx "existed $1" "$W/run/host.env" 2>/dev/null; }

install_host_crictl() {
  # crictl on the host's PATH and /etc/crictl.yaml, as on an OpenShift node: the lab's debug pod runs
  # `chroot /host crictl …`. A crictl that was already there is left alone; a foreign
  # /etc/crictl.yaml is kept aside and put back by `down`.
  if ! existed "$HOST_CRICTL"; then
    mkdir -p "$(dirname "$HOST_CRICTL")"
    ln -sfn "$CBIN/crictl" "$HOST_CRICTL"
  fi
  if existed "$HOST_CRICTL_YAML" && [ ! -e "$W/run/backup/crictl.yaml" ]; then
    mkdir -p "$W/run/backup"; cp -p "$HOST_CRICTL_YAML" "$W/run/backup/crictl.yaml"
  fi
  cp "$W/crictl.yaml" "$HOST_CRICTL_YAML"
}

restore_host() {
  [ -f "$W/run/host.env" ] || return 0
  if ! existed "$HOST_CRICTL" && [ -L "$HOST_CRICTL" ] && [ "$(readlink "$HOST_CRICTL")" = "$CBIN/crictl" ]; then
    rm -f "$HOST_CRICTL"; log "removed $HOST_CRICTL"
  fi
  if [ -f "$W/run/backup/crictl.yaml" ]; then
    cp -p "$W/run/backup/crictl.yaml" "$HOST_CRICTL_YAML" && rm -f "$W/run/backup/crictl.yaml"; log "restored $HOST_CRICTL_YAML"
  elif ! existed "$HOST_CRICTL_YAML" && [ -f "$HOST_CRICTL_YAML" ] && grep -q "unix://$(runtime_socket)" "$HOST_CRICTL_YAML"; then
    rm -f "$HOST_CRICTL_YAML"; log "removed $HOST_CRICTL_YAML"
  fi
  # what the daemons left outside $W: only where `up` created the directory, and only empty dirs
  rm -f /var/lib/kubelet/device-plugins/kubelet.sock
  local d l
  # the kubelet's links to container logs under $W
  for l in /var/log/containers/*.log; do
    [ -L "$l" ] && [[ $(readlink "$l") == "$W/"* ]] && rm -f "$l"
  done
  # libcni's cached results for sandboxes torn down without a CNI DEL (a crashed run): ours are the
  # ones on our network, and the loopback entries of the same sandboxes
  local r id
  for r in /var/lib/cni/results/pulllab-e2e-*-eth0; do
    [ -f "$r" ] || continue
    id=${r#/var/lib/cni/results/pulllab-e2e-}; id=${id%-eth0}
    rm -f "$r" "/var/lib/cni/results/cni-loopback-$id-lo"
  done
  for d in $HOST_DIRS; do
    if ! existed "$d" && [ -d "$d" ]; then
      find "$d" -depth -type d -empty -delete 2>/dev/null || true
      [ -e "$d" ] && log "WARNING: $d is not empty; left in place"
    fi
  done
  # iptables chains the kubelet made (KUBE-IPTABLES-HINT, KUBE-KUBELET-CANARY, KUBE-FIREWALL and
  # its jumps from INPUT/OUTPUT) that were not there before `up`
  local cmd
  for cmd in iptables ip6tables; do restore_iptables "$cmd"; done
  # the kubelet's QoS and pod cgroups, when `up` made them (kill_leftover_containers emptied them)
  local cg
  for cg in /sys/fs/cgroup/*/kubepods; do
    if [ ! -d "$cg" ] || existed "$cg"; then continue; fi
    find "$cg" -depth -type d -exec rmdir {} \; 2>/dev/null || true
    [ -d "$cg" ] && log "WARNING: cannot remove $cg"
  done
  rm -f "$W/run/host.env"
}

restore_iptables() { # iptables|ip6tables
  local ipt=$1 t c line new
  command -v "$ipt-save" > /dev/null || return 0
  for t in mangle nat filter; do
    new=$("$ipt-save" -t "$t" 2>/dev/null | sed -n 's/^:\(KUBE-[^ ]*\) .*/\1/p' | while read -r c; do grep -qx "chain $ipt $t $c" "$W/run/host.env" || echo "$c"; done)
    [ -n "$new" ] || continue
    # rules in the other chains that jump to a new chain, e.g. "-A INPUT -j KUBE-FIREWALL"
    "$ipt-save" -t "$t" 2>/dev/null | sed -n '/^-A /p' | while read -r line; do
      c=${line#-A }; c=${c%% *}
      grep -qx "$c" <<<"$new" && continue
      for n in $new; do
        if [[ " $line " == *" -j $n "* ]]; then eval "$ipt -t $t -D ${line#-A }" 2>/dev/null || log "WARNING: cannot delete $ipt -t $t rule: $line"; fi
      done
    done
    for c in $new; do "$ipt" -t "$t" -F "$c" 2>/dev/null || true; done
    for c in $new; do "$ipt" -t "$t" -X "$c" 2>/dev/null || log "WARNING: cannot delete $ipt -t $t chain $c"; done
  done
}

# When `up` made the kubelet's cgroups, every process still in them is a container of ours that
# outlived its shim (a crashed run): stop those before unmounting their root filesystems.
kill_leftover_containers() {
  [ -f "$W/run/host.env" ] || return 0
  local cg procs i
  for cg in /sys/fs/cgroup/*/kubepods; do
    if [ ! -d "$cg" ] || existed "$cg"; then continue; fi
    for i in $(seq 1 50); do
      procs=$(find "$cg" -name cgroup.procs -exec cat {} + 2>/dev/null | sort -u | tr '\n' ' ')
      [ -n "${procs// /}" ] || break
      [ "$i" = 1 ] && log "stopping leftover container processes: $procs"
      # shellcheck disable=SC2086
      kill -9 $procs 2>/dev/null || true
      sleep 0.1
    done
  done
}

mounts_under() { # dir: mount points at or below dir, deepest first
  awk -v w="$1" '$2 == w || index($2, w "/") == 1 {print $2}' /proc/mounts | sort -r
}

# ------------------------------------------------------------------ up
preflight() {
  [ "$(id -u)" = 0 ] || die "run as root: the harness starts $RUNTIME and the kubelet"
  local b
  for b in "$KBIN/kubelet" "$KBIN/kube-apiserver" "$KBIN/kube-controller-manager" "$KBIN/kube-scheduler" "$KBIN/kubectl" "$KBIN/etcd" "$CBIN/crictl"; do
    [ -x "$b" ] || die "$b is missing: run hack/e2e/cluster.sh build"
  done
  runtime_preflight
  for b in docker-registry htpasswd ip openssl curl sysctl iptables-save; do
    command -v "$b" > /dev/null || die "$b is missing: run hack/e2e/cluster.sh install"
  done
  if [ ! -x /usr/lib/cni/bridge ] || [ ! -x /usr/lib/cni/host-local ]; then die "CNI plugins missing in /usr/lib/cni: run hack/e2e/cluster.sh install"; fi
  [ -x /bin/busybox ] || die "/bin/busybox is missing: run hack/e2e/cluster.sh install (busybox-static)"
  local p busy=""
  for p in $PORTS; do
    ss -Htln "sport = :$p" | grep -q . && busy="$busy $p"
  done
  [ -z "$busy" ] || die "ports in use:$busy (another cluster or registry? see: ss -ltnp)"
  if ip link show "$BRIDGE" > /dev/null 2>&1; then die "$BRIDGE exists and was not made by this harness: remove it first"; fi
}

# recover: a crashed or interrupted run leaves PID files, mounts, the bridge, changed sysctls
recover() {
  if compgen -G "$W/run/*.pid" > /dev/null || [ -f "$W/run/host.env" ] || [ -n "$(mounts_under "$W")" ] \
     || [ -f "$W/run/bridge" ]; then
    log "cleaning up after an earlier run"
    # with what that run recorded (its binaries and runtime), not this run's parameters
    "$0" down
  fi
  [ -z "$(mounts_under "$W")" ] || die "still mounted under $W after cleanup: $(mounts_under "$W" | tr '\n' ' ')"
}

wait_node_ready() { # kubelet-start-epoch
  local since=$1 i st hb
  for i in $(seq 1 360); do
    st=$($KUBECTL get node "$NODE" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status} {.status.conditions[?(@.type=="Ready")].lastHeartbeatTime}' 2>/dev/null || true)
    hb=${st#* }
    if [ "${st%% *}" = True ] && [ -n "$hb" ] && [ "$(date -d "$hb" +%s)" -ge "$since" ]; then
      log "node $NODE: Ready, heartbeat $hb (kubelet started $(date -u -d "@$since" +%FT%TZ))"
      return 0
    fi
    sleep 0.5
  done
  die "node $NODE: not Ready with a fresh heartbeat after 180 s (see $W/logs/kubelet.log)"
}

do_up() {
  local P=$W/cluster/pki C=$W/cluster t0=$SECONDS
  mkdir -p "$W/run"
  recover
  preflight
  timed build_tools
  local TB; TB=$(tools_dir)
  log "up: Kubernetes $K8S_VERSION, etcd $ETCD_VERSION, crictl $CRICTL_VERSION, runtime $RUNTIME, Pod Security default: $PSA"

  # empty state each time: no stale node object, no old registry or node images, a clean lab, a new
  # password for the lab registry
  rm -rf "$W/etcd-data" "$W/registry" "$W/registry-lab" "$W/auth" "$W/containerd" "$W/crio" "$W/kubelet" "$W/cni" "$W/cluster" "$W/crictl.yaml"
  [ -d "$W/logs" ] && { rm -rf "$W/logs.prev"; mv "$W/logs" "$W/logs.prev"; }
  mkdir -p "$W/logs" "$W/run"
  printf 'K8S_VERSION=%s\nETCD_VERSION=%s\nCRICTL_VERSION=%s\nRUNTIME=%s\nPSA=%s\n' \
    "$K8S_VERSION" "$ETCD_VERSION" "$CRICTL_VERSION" "$RUNTIME" "$PSA" > "$UP_ENV"
  write_configs
  record_host

  start_registry registry
  start_registry registry-pull
  "$TB/e2eimage" -registry "$REG" -bin "$TB" -busybox /bin/busybox all | sed 's/^/  /' >&2
  start_registry registry-lab
  start_registry registry-lab-pull

  ip link add "$BRIDGE" type bridge
  touch "$W/run/bridge"
  ip addr add "$BRIDGE_IP/${BRIDGE_CIDR#*/}" dev "$BRIDGE"
  ip link set "$BRIDGE" up

  runtime_start

  make_pki
  start etcd "$KBIN/etcd" --name default --data-dir "$W/etcd-data" --unsafe-no-fsync \
    --listen-client-urls http://127.0.0.1:2379 --advertise-client-urls http://127.0.0.1:2379 \
    --listen-peer-urls http://127.0.0.1:2380 --initial-advertise-peer-urls http://127.0.0.1:2380 \
    --initial-cluster default=http://127.0.0.1:2380 --listen-metrics-urls http://127.0.0.1:2381
  waitfor etcd "curl -sf http://127.0.0.1:2381/health" 60

  # --endpoint-reconciler-type=none: from 1.37 the API server refuses a loopback advertise address
  # when it reconciles the kubernetes Service's endpoints ("may not be in the loopback range"); no pod
  # here talks to the API server through that Service (there is no kube-proxy)
  local PSA_FLAG=""
  [ -f "$PSA_CONFIG" ] && PSA_FLAG=--admission-control-config-file=$PSA_CONFIG
  start kube-apiserver "$KBIN/kube-apiserver" \
    --etcd-servers=http://127.0.0.1:2379 \
    --bind-address=127.0.0.1 --secure-port=6443 --advertise-address=127.0.0.1 \
    --endpoint-reconciler-type=none \
    --service-cluster-ip-range="$SERVICE_CIDR" \
    --tls-cert-file="$P/apiserver.crt" --tls-private-key-file="$P/apiserver.key" \
    --client-ca-file="$P/ca.crt" \
    --service-account-issuer=https://kubernetes.default.svc.cluster.local \
    --service-account-key-file="$P/sa.pub" --service-account-signing-key-file="$P/sa.key" \
    --authorization-mode=Node,RBAC --enable-admission-plugins=NodeRestriction \
    ${PSA_FLAG:+"$PSA_FLAG"} \
    --kubelet-client-certificate="$P/apiserver-kubelet-client.crt" --kubelet-client-key="$P/apiserver-kubelet-client.key" \
    --kubelet-preferred-address-types=InternalIP \
    --allow-privileged=true --profiling=false
  waitfor kube-apiserver "curl -sf --cacert $P/ca.crt https://127.0.0.1:6443/readyz" 180

  start kube-controller-manager "$KBIN/kube-controller-manager" \
    --kubeconfig="$C/controller-manager.kubeconfig" \
    --authentication-kubeconfig="$C/controller-manager.kubeconfig" --authorization-kubeconfig="$C/controller-manager.kubeconfig" \
    --bind-address=127.0.0.1 --leader-elect=false \
    --service-account-private-key-file="$P/sa.key" --root-ca-file="$P/ca.crt" \
    --use-service-account-credentials=true --profiling=false \
    --flex-volume-plugin-dir="$W/kcm-flexvolume"
  start kube-scheduler "$KBIN/kube-scheduler" \
    --kubeconfig="$C/scheduler.kubeconfig" \
    --authentication-kubeconfig="$C/scheduler.kubeconfig" --authorization-kubeconfig="$C/scheduler.kubeconfig" \
    --bind-address=127.0.0.1 --leader-elect=false --profiling=false

  local kubelet_started; kubelet_started=$(date +%s)
  start kubelet "$KBIN/kubelet" --config="$C/kubelet-config.yaml" --kubeconfig="$C/kubelet.kubeconfig" \
    --root-dir="$W/kubelet" --cert-dir="$W/kubelet/pki" --node-ip="$BRIDGE_IP" --v=2
  wait_node_ready "$kubelet_started"
  waitfor "default ServiceAccount" "$KUBECTL -n default get serviceaccount default" 60
  waitfor "kube-root-ca.crt ConfigMap" "$KUBECTL -n default get configmap kube-root-ca.crt" 60

  install_host_crictl
  log "up: cluster ready in $((SECONDS - t0)) s; kubeconfig $ADMIN_KUBECONFIG"
  $KUBECTL get nodes -o wide >&2
  echo "run: eval \"\$($0 env)\"" >&2
}

# ------------------------------------------------------------------ down
# down goes on past every failure (a busy mount must not keep the sysctls from being restored), and
# fails at the end when something of ours is left
do_down() {
  [ "$(id -u)" = 0 ] || die "run as root"
  local rc=0
  set +e
  down_steps
  check_down || rc=1
  set -e
  return $rc
}

down_steps() {
  local t0=$SECONDS n p
  mkdir -p "$W/run"
  stop_pid kubelet
  runtime_remove_pods
  stop_pid kube-scheduler kube-controller-manager kube-apiserver
  stop_pid etcd
  runtime_stop
  stop_pid registry-lab-pull registry-lab registry-pull registry
  sleep 0.5
  kill_leftover_containers
  # nested mounts (pod volumes, rootfs, netns) first, deepest first; never stop on one failure
  local m
  for m in $(mounts_under "$W"); do
    umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || log "WARNING: cannot unmount $m"
  done
  if [ -f "$W/run/bridge" ] || { [ -f "$W/cni/net.d/10-pulllab-e2e.conflist" ] && ip link show "$BRIDGE" > /dev/null 2>&1; }; then
    if ip link delete "$BRIDGE" 2>/dev/null; then log "deleted $BRIDGE"; fi
    rm -f "$W/run/bridge"
  fi
  if [ -f "$W/run/sysctl-before.conf" ]; then
    if sysctl -q -p "$W/run/sysctl-before.conf" > /dev/null; then rm -f "$W/run/sysctl-before.conf"; log "restored sysctls"; else log "WARNING: could not restore the sysctls in $W/run/sysctl-before.conf"; fi
  fi
  restore_host
  log "down: done in $((SECONDS - t0)) s"
}

check_down() {
  local left="" n
  for n in $DAEMONS; do [ -f "$W/run/$n.pid" ] && left="$left $n"; done
  n=$(runtime_leftovers | tr '\n' ' '); n=${n% }; [ -z "$n" ] || left="$left $n"
  [ -z "$(mounts_under "$W")" ] || left="$left mounts($(mounts_under "$W" | tr '\n' ' '))"
  [ -f "$W/run/bridge" ] && left="$left $BRIDGE"
  [ -f "$W/run/sysctl-before.conf" ] && left="$left sysctls"
  [ -z "$left" ] && return 0
  log "ERROR: left behind:$left"
  return 1
}

# ------------------------------------------------------------------ status, env, registry
do_status() {
  local n p rc=0
  for n in $DAEMONS; do
    if p=$(pid_of "$n"); then printf '%-24s running (pid %s)\n' "$n" "$p"; else printf '%-24s not running\n' "$n"; rc=1; fi
  done
  if pid_of kube-apiserver > /dev/null; then
    printf '%-24s %s\n' "node $NODE" "$($KUBECTL get node "$NODE" -o jsonpath='Ready={.status.conditions[?(@.type=="Ready")].status} kubelet={.status.nodeInfo.kubeletVersion} runtime={.status.nodeInfo.containerRuntimeVersion}' 2>/dev/null || echo unknown)"
  fi
  if pid_of registry > /dev/null; then
    local tb; tb=$(tools_dir)
    if [ -x "$tb/e2eimage" ]; then "$tb/e2eimage" -registry "$REG" -check all | sed 's/^/images    /' || rc=1; fi
    printf 'registry catalog         %s\n' "$(curl -sf "http://$REG/v2/_catalog" || echo unreachable)"
  fi
  if pid_of registry-lab > /dev/null; then
    printf 'lab registry catalog     %s\n' "$(lab_curl -sf "http://$LAB_REG/v2/_catalog" || echo unreachable)"
  fi
  if pid_of registry-pull > /dev/null; then
    printf 'registry at %-12s %s\n' "$PULL_REG" "$(curl -sf "http://$PULL_REG/v2/_catalog" || echo unreachable)"
  fi
  if pid_of registry-lab-pull > /dev/null; then
    printf 'lab registry at %-8s %s\n' "$LAB_PULL_REG" "$(lab_curl -sf "http://$LAB_PULL_REG/v2/_catalog" || echo unreachable)"
  fi
  printf '%-24s %s\n' "Pod Security default" "$PSA"
  printf '%-24s %s\n' "host crictl" "$( [ -e "$HOST_CRICTL" ] && readlink -f "$HOST_CRICTL" || echo absent)"
  printf '%-24s %s\n' "mounts under $W" "$(mounts_under "$W" | wc -l)"
  printf '%-24s %s\n' "bridge $BRIDGE" "$(ip -br addr show "$BRIDGE" 2>/dev/null || echo absent)"
  return $rc
}

do_env() {
  cat <<EOF
export PULLLAB_E2E_KUBECONFIG=$ADMIN_KUBECONFIG
export PULLLAB_E2E_REGISTRY=$REG
export PULLLAB_E2E_LAB_REGISTRY=$LAB_REG
export PULLLAB_E2E_REGISTRY_PULL=$PULL_REG
export PULLLAB_E2E_LAB_REGISTRY_PULL=$LAB_PULL_REG
export PULLLAB_E2E_REGISTRY_AUTH=$AUTH_FILE
export PULLLAB_E2E_DOCKER_CONFIG=$AUTH_DIR
export PULLLAB_E2E_BASE_IMAGE=$BASE_IMG
export PULLLAB_E2E_DEBUG_IMAGE=$DEBUG_IMG
export PULLLAB_E2E_BYSTANDER_IMAGE=$BYSTANDER_IMG
export PULLLAB_E2E_DIR=$W
export PULLLAB_E2E_KUBECTL=$KBIN/kubectl
export PULLLAB_E2E_CLUSTER_SH=$REPO/hack/e2e/cluster.sh
export PULLLAB_E2E_K8S_VERSION=$K8S_VERSION
export PULLLAB_E2E_RUNTIME=$RUNTIME
export PULLLAB_E2E_PSA=$PSA
EOF
}

registry_start() { # lab|harness: both of its addresses
  local names n; names=$(registry_name "${1:-lab}")
  for n in $names; do
    [ -f "$W/${names%% *}/config.yml" ] || die "no ${names%% *} config: run hack/e2e/cluster.sh up first"
    if pid_of "$n" > /dev/null; then log "$n already running"; continue; fi
    start_registry "$n"
  done
}

registry_stop() { # lab|harness: both of its addresses
  local names; names=$(registry_name "${1:-lab}")
  # shellcheck disable=SC2086 # two daemon names
  stop_pid $names
}

case "${1:-}" in
  install) timed do_install ;;
  build) do_build ;;
  up) timed do_up ;;
  down) do_down ;;
  status) do_status ;;
  env) do_env ;;
  registry-stop) registry_stop "${2:-lab}" ;;
  registry-start) registry_start "${2:-lab}" ;;
  *) sed -n '2,31p' "$0"; exit 2 ;;
esac
