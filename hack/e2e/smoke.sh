#!/usr/bin/env bash
# smoke.sh — checks that a cluster from `hack/e2e/cluster.sh up` can do what the lab needs,
# without pulllab: images from the harness registry, imagePullPolicy honoured, a privileged
# debug pod that runs `chroot /host crictl`, the appserver base image deploying a WAR and
# serving it on the pod network, and pods that cannot route beyond cni0.
#
#   hack/e2e/smoke.sh        (after cluster.sh up; as root; leaves nothing behind but the
#                             bystander image on the node)
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
eval "$("$HERE/cluster.sh" env)"
NS=pulllab-e2e-smoke
K="$PULLLAB_E2E_KUBECTL --kubeconfig $PULLLAB_E2E_KUBECONFIG"
FAILED=0
pass() { printf '  ok    %s\n' "$*"; }
fail() { printf '  FAIL  %s\n' "$*"; FAILED=1; }
# shellcheck disable=SC2317 # called by the EXIT trap
cleanup() {
  $K delete namespace "$NS" --ignore-not-found --wait=true --timeout=120s > /dev/null 2>&1 || true
  rm -rf "$PULLLAB_E2E_DIR/smoke"
}
trap cleanup EXIT

wait_running() { # pod
  $K -n "$NS" wait --for=condition=Ready "pod/$1" --timeout=90s > /dev/null
}

echo "smoke: crictl on the host"
if crictl pull "$PULLLAB_E2E_BYSTANDER_IMAGE" > /dev/null; then pass "crictl pull $PULLLAB_E2E_BYSTANDER_IMAGE (host crictl, /etc/crictl.yaml)"; else fail "host crictl pull"; fi

# a WAR (a zip) for the appserver, made with Go's archive/zip
mkdir -p "$PULLLAB_E2E_DIR/smoke/deployments" "$PULLLAB_E2E_DIR/smoke/mkwar"
cat > "$PULLLAB_E2E_DIR/smoke/mkwar/main.go" <<'EOF'
package main

import (
	"archive/zip"
	"os"
)

func main() {
	f, err := os.Create(os.Args[1])
	if err != nil {
		panic(err)
	}
	z := zip.NewWriter(f)
	for name, body := range map[string]string{"index.jsp": "<html><body>smoke node.war</body></html>", "WEB-INF/web.xml": "<web-app/>"} {
		w, err := z.Create(name)
		if err != nil {
			panic(err)
		}
		if _, err := w.Write([]byte(body)); err != nil {
			panic(err)
		}
	}
	if err := z.Close(); err != nil {
		panic(err)
	}
	if err := f.Close(); err != nil {
		panic(err)
	}
}
EOF
(cd "$PULLLAB_E2E_DIR/smoke/mkwar" && GOFLAGS='' GO111MODULE=off go run main.go "$PULLLAB_E2E_DIR/smoke/deployments/node.war")

$K create namespace "$NS" > /dev/null
$K label namespace "$NS" pod-security.kubernetes.io/enforce=privileged > /dev/null
$K apply -f - > /dev/null <<EOF
apiVersion: v1
kind: Pod
metadata: {name: bystander, namespace: $NS}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - {name: app, image: $PULLLAB_E2E_BYSTANDER_IMAGE, imagePullPolicy: Never}
---
apiVersion: v1
kind: Pod
metadata: {name: debug, namespace: $NS}
spec:
  hostNetwork: true
  hostPID: true
  terminationGracePeriodSeconds: 1
  containers:
  - name: debug
    image: $PULLLAB_E2E_DEBUG_IMAGE
    imagePullPolicy: IfNotPresent
    command: ["/bin/sleep", "infinity"]
    securityContext: {privileged: true}
    volumeMounts: [{name: host, mountPath: /host}]
  volumes:
  - {name: host, hostPath: {path: /}}
---
apiVersion: v1
kind: Pod
metadata: {name: podnet, namespace: $NS}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - {name: shell, image: $PULLLAB_E2E_DEBUG_IMAGE, imagePullPolicy: IfNotPresent}
---
apiVersion: v1
kind: Pod
metadata: {name: appserver, namespace: $NS}
spec:
  terminationGracePeriodSeconds: 5
  containers:
  - name: app
    image: $PULLLAB_E2E_BASE_IMAGE
    imagePullPolicy: Always
    ports: [{containerPort: 8080}]
    readinessProbe:
      httpGet: {path: /node/, port: 8080}
      periodSeconds: 1
    volumeMounts: [{name: wars, mountPath: /deployments}]
  volumes:
  - {name: wars, hostPath: {path: $PULLLAB_E2E_DIR/smoke/deployments}}
EOF

echo "smoke: pods"
for p in bystander debug podnet appserver; do
  if wait_running "$p"; then pass "pod $p Ready"; else fail "pod $p not Ready: $($K -n "$NS" get pod "$p" --no-headers 2>&1)"; fi
done
ev=$($K -n "$NS" get events --field-selector involvedObject.name=bystander -o jsonpath='{range .items[*]}{.reason}: {.message}{"\n"}{end}')
if grep -q 'already present on machine' <<<"$ev"; then pass "bystander (Never) ran the image crictl pulled: already present on machine"; else fail "bystander events: $ev"; fi
ev=$($K -n "$NS" get events --field-selector involvedObject.name=appserver -o jsonpath='{range .items[*]}{.reason}: {.message}{"\n"}{end}')
if grep -q 'Successfully pulled image' <<<"$ev"; then pass "appserver (Always) pulled from the harness registry"; else fail "appserver events: $ev"; fi

echo "smoke: node operations from the debug pod"
imgs=$($K -n "$NS" exec debug -- chroot /host crictl images 2>&1 || true)
if grep -q 'bystander/app' <<<"$imgs" && grep -q 'pulllab-e2e/appserver' <<<"$imgs"; then
  pass "chroot /host crictl images lists the bystander and appserver images"
else
  fail "chroot /host crictl images: $imgs"
fi

echo "smoke: appserver"
logs=$($K -n "$NS" logs appserver 2>&1 || true)
if grep -qx 'appserver: APPSRV0027: Starting deployment of "node.war" from /deployments' <<<"$logs"; then pass "log: $(grep APPSRV0027 <<<"$logs")"; else fail "appserver log: $logs"; fi
ip=$($K -n "$NS" get pod appserver -o jsonpath='{.status.podIP}')
case $ip in 198.18.0.*) pass "appserver pod IP $ip on cni0" ;; *) fail "appserver pod IP $ip is not on cni0" ;; esac
body=$($K -n "$NS" exec debug -- /bin/busybox wget -q -O - "http://$ip:8080/node/" 2>&1 || true)
if [ "$body" = "<html><body>smoke node.war</body></html>" ]; then pass "GET http://$ip:8080/node/ serves index.jsp"; else fail "GET /node/: $body"; fi

echo "smoke: isolation"
routes=$($K -n "$NS" exec podnet -- cat /proc/net/route 2>&1 || true)
if awk 'NR > 1 && $2 == "00000000" {found=1} END {exit found ? 1 : 0}' <<<"$routes"; then pass "pods have no default route (only 198.18.0.0/24)"; else fail "a pod has a default route: $routes"; fi
if [ "$(sysctl -n net.ipv4.ip_forward)" = 0 ]; then pass "net.ipv4.ip_forward is still 0"; else fail "net.ipv4.ip_forward is on"; fi
resolv=$($K -n "$NS" exec podnet -- cat /etc/resolv.conf 2>&1 || true)
if ! grep '^nameserver' <<<"$resolv" | grep -qv '^nameserver 127\.'; then pass "pods have no nameserver beyond their own loopback"; else fail "pod resolv.conf: $resolv"; fi

if [ "$FAILED" = 0 ]; then echo "smoke: all checks passed"; else echo "smoke: FAILED"; fi
exit "$FAILED"
