# shellcheck shell=bash
# crio.sh — CRI-O as the e2e node's container runtime (RUNTIME=cri-o), sourced by cluster.sh.
#
# CRI-O is built from the Go module proxy (cached by version like the Kubernetes binaries) and runs
# with everything under the harness's state directory: its storage root and runroot, its socket, its
# configuration (crio.conf, registries.conf, policy.json), the pod network namespaces and the
# sandbox's shared-namespace files. Nothing is written to /etc/containers; the host gets only what an
# OpenShift node has: crictl on the PATH and /etc/crictl.yaml pointing at CRI-O's socket (cluster.sh's
# install_host_crictl does that, with the socket CRIO_SOCK names).
#
# Expects from cluster.sh: W, CACHE, REG, PAUSE_IMG, HOST_DIRS (extended here), CRICTL, log, die,
# start, stop_pid, pid_of, waitfor, existed. Defines CRIO_VERSION, CRIO_BIN, CRIO_SOCK and the
# crio_* functions that cluster.sh's runtime_* hooks call for RUNTIME=cri-o.
#
# Debian's conmon and runc do the per-container work; pinns (CRI-O's helper that pins a pod's
# namespaces) is compiled from the C sources in the same module zip.

CRIO_VERSION=${CRIO_VERSION:-v1.34.0}
CRIO_BIN=$CACHE/crio-$CRIO_VERSION
CRIO_DIR=$W/crio
CRIO_SOCK=$CRIO_DIR/crio.sock
# the Go build tags CRI-O's own Makefile picks when btrfs and devicemapper headers are absent, with
# the pure-Go OpenPGP (no gpgme) and seccomp (libseccomp-dev via cgo)
CRIO_TAGS="containers_image_openpgp exclude_graphdriver_btrfs exclude_graphdriver_devicemapper seccomp"
# containers/image keeps its blob-info cache in /var/lib/containers/cache whatever CRI-O's paths say
# (no setting reaches it): `down` removes it when `up` created the directory (cluster.sh's HOST_DIRS)
CRIO_BLOB_CACHE=/var/lib/containers/cache/blob-info-cache-v1.sqlite
HOST_DIRS="$HOST_DIRS /var/lib/containers"

# crio_packages: the Debian packages RUNTIME=cri-o needs beyond cluster.sh's own list
crio_packages() { echo "conmon runc jq libseccomp-dev pkg-config gcc libc6-dev"; }

# build_crio: crio and pinns into $CRIO_BIN. A throwaway module requires github.com/cri-o/cri-o at
# the version with CRI-O's own go.sum (some of its pinned pseudo-versions are not in the checksum
# database, so resolving them afresh fails) and its replace directives, if any.
build_crio() (
  if [ -x "$CRIO_BIN/crio" ] && [ -x "$CRIO_BIN/pinns" ]; then log "cri-o $CRIO_VERSION: cached in $CRIO_BIN"; exit 0; fi
  if ! { command -v pkg-config > /dev/null && pkg-config --exists libseccomp; }; then
    die "cri-o needs libseccomp-dev and pkg-config: run RUNTIME=cri-o hack/e2e/cluster.sh install"
  fi
  local src=$CACHE/src/crio-$CRIO_VERSION info modfile zip dir
  mkdir -p "$src" && cd "$src" || exit 1
  export GOFLAGS=-mod=mod CGO_ENABLED=1
  info=$(go mod download -json "github.com/cri-o/cri-o@$CRIO_VERSION")
  modfile=$(sed -n 's/.*"GoMod": "\(.*\)".*/\1/p' <<<"$info")
  zip=$(sed -n 's/.*"Zip": "\(.*\)".*/\1/p' <<<"$info")
  dir=$(sed -n 's/.*"Dir": "\(.*\)".*/\1/p' <<<"$info")
  if ! [ -f "$modfile" ] || ! [ -f "$zip" ]; then die "go mod download github.com/cri-o/cri-o@$CRIO_VERSION gave no go.mod/zip"; fi
  [ -d "$dir" ] || die "github.com/cri-o/cri-o@$CRIO_VERSION was not extracted to $dir"
  {
    local gover; gover=$(awk '/^go /{print $2; exit}' "$modfile")
    printf 'module pulllab.local/e2e/crio\n\ngo %s\n\nrequire github.com/cri-o/cri-o %s\n\n' "$gover" "$CRIO_VERSION"
    # replace directives, single-line and block form (none in v1.34.0, but they bind a dependent)
    awk '/^replace \($/{b=1; print; next} b{print; if ($0 ~ /^\)$/) b=0; next} /^replace /{print}' "$modfile"
  } > go.mod
  # cri-o's go.sum, plus the lines for cri-o itself (as `go mod download` verified them)
  cp "$dir/go.sum" go.sum && chmod u+w go.sum
  sed -n 's|.*"Sum": "\(.*\)".*|github.com/cri-o/cri-o '"$CRIO_VERSION"' \1|p; s|.*"GoModSum": "\(.*\)".*|github.com/cri-o/cri-o '"$CRIO_VERSION"'/go.mod \1|p' <<<"$info" >> go.sum
  go get "github.com/cri-o/cri-o/cmd/crio@$CRIO_VERSION"
  local tmp=$CRIO_BIN.tmp; rm -rf "$tmp"; mkdir -p "$tmp"
  go build -trimpath -tags "$CRIO_TAGS" \
    -ldflags "-s -w -X github.com/cri-o/cri-o/internal/version.buildDate=$(date -u +%Y-%m-%dT%H:%M:%SZ)" \
    -o "$tmp/crio" github.com/cri-o/cri-o/cmd/crio
  # pinns: C99, static, as CRI-O's pinns/Makefile builds it
  gcc -std=c99 -Os -Wall -Wextra -static -o "$tmp/pinns" "$dir"/pinns/src/*.c
  strip -s "$tmp/pinns" 2>/dev/null || true
  rm -rf "$CRIO_BIN" && mv "$tmp" "$CRIO_BIN"
)

# crio_socket: the CRI endpoint for the kubelet and crictl
crio_socket() { echo "unix://$CRIO_SOCK"; }

# crio_preflight: what `up` needs beyond cluster.sh's own checks
crio_preflight() {
  if ! [ -x "$CRIO_BIN/crio" ] || ! [ -x "$CRIO_BIN/pinns" ]; then die "$CRIO_BIN/crio or pinns is missing: run RUNTIME=cri-o hack/e2e/cluster.sh build"; fi
  local b
  for b in conmon runc jq; do
    command -v "$b" > /dev/null || die "$b is missing: run RUNTIME=cri-o hack/e2e/cluster.sh install"
  done
}

# crio_write_config: crio.conf (with an empty drop-in directory, so nothing under /etc/crio counts),
# registries.conf, policy.json and storage.conf, all under $CRIO_DIR; the registries in
# CRIO_INSECURE_REGISTRIES (default: the harness registry) are reached over plain http.
crio_write_config() {
  local d=$CRIO_DIR r
  mkdir -p "$d/crio.conf.d" "$d/registries.conf.d" "$d/hooks.d" "$d/cdi" "$d/keys" "$d/policies" "$d/log"
  {
    printf 'unqualified-search-registries = []\nshort-name-mode = "disabled"\n'
    for r in ${CRIO_INSECURE_REGISTRIES:-$REG}; do
      printf '\n[[registry]]\nlocation = "%s"\ninsecure = true\n' "$r"
    done
  } > "$d/registries.conf"
  # the lab's images are unsigned and come from the harness's own registry
  printf '{"default": [{"type": "insecureAcceptAnything"}]}\n' > "$d/policy.json"
  cat > "$d/storage.conf" <<EOF
[storage]
driver = "overlay"
graphroot = "$d/root"
runroot = "$d/run"
EOF
  cat > "$d/crio.conf" <<EOF
# CRI-O for pulllab's e2e node: every path under $d (nothing in /etc/containers, /var/lib/containers,
# /run/crio); cgroupfs on a cgroup v1 host without systemd
[crio]
root = "$d/root"
runroot = "$d/run"
storage_driver = "overlay"
log_dir = "$d/log"
version_file = "$d/run/version"
version_file_persist = "$d/version"
clean_shutdown_file = "$d/clean.shutdown"

[crio.api]
listen = "$CRIO_SOCK"
stream_address = "127.0.0.1"
stream_port = "0"

[crio.runtime]
default_runtime = "runc"
conmon = "$(command -v conmon)"
conmon_cgroup = "pod"
cgroup_manager = "cgroupfs"
# the harness has no AppArmor or SELinux; CRI-O's built-in seccomp profile stays on
selinux = false
apparmor_profile = ""
decryption_keys_path = "$d/keys"
hooks_dir = ["$d/hooks.d"]
cdi_spec_dirs = ["$d/cdi"]
default_mounts_file = ""
container_exits_dir = "$d/run/exits"
container_attach_socket_dir = "$d/run"
namespaces_dir = "$d/ns"
pinns_path = "$CRIO_BIN/pinns"
irqbalance_config_file = ""
irqbalance_config_restore_file = ""
blockio_config_file = ""
rdt_config_file = ""
log_to_journald = false
log_level = "info"

[crio.runtime.runtimes.runc]
runtime_path = "$(crio_runtime_path)"
runtime_type = "oci"
runtime_root = "$d/runc"
monitor_path = "$(command -v conmon)"
monitor_cgroup = "pod"

[crio.image]
# no image from a public registry: the pause stand-in built from this repository
pause_image = "$PAUSE_IMG"
pause_command = "/pause"
signature_policy = "$d/policy.json"
signature_policy_dir = "$d/policies"
big_files_temporary_dir = "$d/tmp"

[crio.network]
network_dir = "$W/cni/net.d"
plugin_dirs = ["/usr/lib/cni"]

[crio.metrics]
enable_metrics = false

[crio.nri]
enable_nri = false
nri_listen = "$d/run/nri.sock"
nri_plugin_dir = "$d/nri/plugins"
nri_plugin_config_dir = "$d/nri/conf.d"
EOF
  mkdir -p "$d/tmp"
}

# crio_hugetlb: the kubelet gives every container a limit for each huge page size the kernel offers
# (/sys/kernel/mm/hugepages), and CRI-O passes them to runc as they are; runc then fails the
# container ("cannot set hugetlb limit: container could not join or create cgroup") where the
# cgroup v1 hugetlb controller is not mounted, as on this kind of VM (it sits unused in the v2
# hierarchy). containerd drops the limits then (its tolerate_missing_hugetlb_controller, on by
# default); CRI-O has no such setting. So `up` mounts the controller for the node's lifetime, and
# `down` (crio_stop) unmounts it again.
CRIO_HUGETLB=/sys/fs/cgroup/hugetlb
crio_hugetlb() {
  [ -n "$(ls /sys/kernel/mm/hugepages 2>/dev/null)" ] || return 0
  awk '$3 == "cgroup" && $4 ~ /(^|,)hugetlb(,|$)/ {f=1} END {exit !f}' /proc/mounts && return 0
  [ -d /sys/fs/cgroup/memory ] || return 0          # a cgroup v2 host: nothing to do
  [ -e "$CRIO_HUGETLB" ] || { mkdir "$CRIO_HUGETLB" && touch "$W/run/hugetlb-dir"; }
  mount -t cgroup -o hugetlb cgroup "$CRIO_HUGETLB" || die "cannot mount the hugetlb cgroup controller on $CRIO_HUGETLB (CRI-O's containers need it here)"
  touch "$W/run/hugetlb-mount"
  log "mounted the cgroup v1 hugetlb controller on $CRIO_HUGETLB"
}

# crio_unhugetlb: undoes crio_hugetlb once the kubelet and CRI-O are stopped: whatever still runs in
# the kubelet's hugetlb cgroups is a container of ours (the controller was mounted for this node
# alone), then the cgroups, the mount and the directory go.
crio_unhugetlb() {
  [ -f "$W/run/hugetlb-mount" ] || return 0
  local procs
  if [ -d "$CRIO_HUGETLB/kubepods" ]; then
    for _ in $(seq 1 50); do
      procs=$(find "$CRIO_HUGETLB/kubepods" -name cgroup.procs -exec cat {} + 2>/dev/null | tr '\n' ' ')
      [ -n "${procs// /}" ] || break
      # shellcheck disable=SC2086
      kill -9 $procs 2>/dev/null || true
      sleep 0.1
    done
    find "$CRIO_HUGETLB/kubepods" -depth -type d -exec rmdir {} \; 2>/dev/null || true
  fi
  if umount "$CRIO_HUGETLB"; then
    rm -f "$W/run/hugetlb-mount"
    if [ -f "$W/run/hugetlb-dir" ]; then rmdir "$CRIO_HUGETLB" && rm -f "$W/run/hugetlb-dir"; fi
    log "unmounted $CRIO_HUGETLB"
  else
    log "WARNING: cannot unmount $CRIO_HUGETLB"
  fi
}

# crio_shared_root: CRI-O turns a hostPath volume that contains its storage root (the debug pod's
# `/`) from private into HostToContainer propagation, and refuses it ("path "/" is mounted on "/" but
# it is not a shared or slave mount") unless the host's mount is shared or slave. On systemd hosts,
# CRC's node among them, `/` is shared; on this kind of VM it is private, so `up` makes the root
# mount (alone, not recursively) shared for the node's lifetime and `down` makes it private again.
crio_shared_root() {
  [ "$(findmnt -n -o PROPAGATION /)" = private ] || return 0
  mount --make-shared / || die "cannot make / a shared mount (CRI-O's debug pod needs it)"
  touch "$W/run/root-shared"
  log "made / a shared mount (it was private)"
}
crio_private_root() {
  [ -f "$W/run/root-shared" ] || return 0
  if mount --make-private /; then rm -f "$W/run/root-shared"; log "made / a private mount again"; else log "WARNING: cannot make / private again"; fi
}

# crio_missing_caps: the capabilities the kernel knows (up to cap_last_cap) that are not in this
# process's bounding set, as OCI names (CAP_SYS_RESOURCE on this kind of VM). The numbers are the
# kernel's ABI (linux/capability.h).
CRIO_CAP_NAMES="CHOWN DAC_OVERRIDE DAC_READ_SEARCH FOWNER FSETID KILL SETGID SETUID SETPCAP LINUX_IMMUTABLE
NET_BIND_SERVICE NET_BROADCAST NET_ADMIN NET_RAW IPC_LOCK IPC_OWNER SYS_MODULE SYS_RAWIO SYS_CHROOT
SYS_PTRACE SYS_PACCT SYS_ADMIN SYS_BOOT SYS_NICE SYS_RESOURCE SYS_TIME SYS_TTY_CONFIG MKNOD LEASE
AUDIT_WRITE AUDIT_CONTROL SETFCAP MAC_OVERRIDE MAC_ADMIN SYSLOG WAKE_ALARM BLOCK_SUSPEND AUDIT_READ
PERFMON BPF CHECKPOINT_RESTORE"
crio_missing_caps() {
  local bnd last i=0 n
  bnd=$((16#$(awk '/^CapBnd:/ {print $2}' /proc/self/status)))
  last=$(cat /proc/sys/kernel/cap_last_cap)
  for n in $CRIO_CAP_NAMES; do
    [ "$i" -le "$last" ] || break
    (( (bnd >> i) & 1 )) || printf 'CAP_%s\n' "$n"
    i=$((i + 1))
  done
}

# crio_runtime_path: runc, or, where the bounding set lacks capabilities, a wrapper that removes
# them from what runc is asked to grant. A privileged container (the lab's debug pod) gets every
# capability the kernel knows from CRI-O (runtime-tools' SetupPrivileged), and runc then fails with
# "unable to apply caps: operation not permitted"; containerd grants only the capabilities it holds
# itself. The wrapper edits the bundle's config.json (create, run) or the process file (exec) with
# jq, then execs runc with the same arguments.
crio_runtime_path() {
  local runc missing w=$CRIO_DIR/runc-wrapper
  runc=$(command -v runc)
  missing=$(crio_missing_caps | tr '\n' ' ')
  if [ -z "${missing// /}" ]; then echo "$runc"; return 0; fi
  local drop
  # shellcheck disable=SC2086 # one capability name a word, on purpose
  drop=$(printf '%s\n' $missing | jq -R . | jq -sc .)
  cat > "$w" <<EOF
#!/bin/sh
# written by hack/e2e/crio.sh: runc without $missing(not in the host's bounding set)
drop='$drop'
bundle= process= prev=
for a in "\$@"; do
  case \$prev in
    --bundle|-b) bundle=\$a ;;
    --process|-p) process=\$a ;;
  esac
  case \$a in
    --bundle=*) bundle=\${a#--bundle=} ;;
    --process=*) process=\${a#--process=} ;;
  esac
  prev=\$a
done
strip() { # file jq-path
  [ -f "\$1" ] || return 0
  jq --argjson drop "\$drop" "if \$2 then \$2 |= with_entries(.value |= map(select(. as \\\$c | \\\$drop | index(\\\$c) | not))) else . end" "\$1" > "\$1.tmp" && mv "\$1.tmp" "\$1"
}
[ -z "\$bundle" ] || strip "\$bundle/config.json" .process.capabilities
[ -z "\$process" ] || strip "\$process" .capabilities
exec $runc "\$@"
EOF
  chmod 755 "$w"
  log "runc wrapper for CRI-O: the host's bounding set lacks $missing" >&2
  echo "$w"
}

# crio_start: CRI-O in the background with its PID recorded, then wait until it answers CRI calls.
# The environment names CRI-O's storage.conf and registries.conf too, so that no library falls
# back to /etc/containers.
crio_start() {
  crio_hugetlb
  crio_shared_root
  start crio env CONTAINERS_STORAGE_CONF="$CRIO_DIR/storage.conf" CONTAINERS_REGISTRIES_CONF="$CRIO_DIR/registries.conf" \
    "$CRIO_BIN/crio" --config "$CRIO_DIR/crio.conf" --config-dir "$CRIO_DIR/crio.conf.d" \
    --registries-conf "$CRIO_DIR/registries.conf" --registries-conf-dir "$CRIO_DIR/registries.conf.d"
  waitfor crio "$CRICTL info" 60
}

# crio_conmons: PIDs of conmon processes that serve this CRI-O (their arguments name its directories)
crio_conmons() { pgrep -f -- "^$(command -v conmon) .*--exit-dir $CRIO_DIR/run/exits" 2>/dev/null || true; }

# crio_stop: after the kubelet: every pod sandbox removed while CRI-O still runs (stops the
# containers, unmounts their root filesystems and network namespaces), then CRI-O itself by its
# recorded PID, then any conmon of ours that outlived it.
crio_stop() {
  if pid_of crio > /dev/null; then
    $CRICTL rmp -af > /dev/null 2>&1 || log "WARNING: crictl rmp -af failed"
  fi
  stop_pid crio
  local p
  for p in $(crio_conmons); do log "stopping leftover conmon $p"; kill "$p" 2>/dev/null || true; done
  if [ -f "$W/run/host.env" ] && ! existed /var/lib/containers; then rm -f "$CRIO_BLOB_CACHE"*; fi
  crio_unhugetlb
  crio_private_root
}

# crio_left: what of CRI-O is still there, on one line (empty when nothing is; for check_down)
crio_left() {
  local left=""
  [ -z "$(crio_conmons)" ] || left="$left conmon"
  [ ! -f "$W/run/hugetlb-mount" ] || left="$left $CRIO_HUGETLB"
  [ ! -f "$W/run/root-shared" ] || left="$left shared-root-mount"
  echo "${left# }"
}
