#!/usr/bin/env bash
# A local Kubernetes control plane on loopback: etcd + kube-apiserver + kube-controller-manager
# (1.20.2, built by bin/k8s-control-plane-build.sh), certificates made with openssl. The one place
# that starts a control plane: the operator's real-server tests call it, and so does a person.
#
#   bin/k8s-control-plane.sh up DIR [--watch-pid PID]   # start; prints export KUBECONFIG=DIR/admin.kubeconfig
#   bin/k8s-control-plane.sh user DIR USER [GROUP...]   # a client-cert kubeconfig for USER: DIR/USER.kubeconfig
#   bin/k8s-control-plane.sh down DIR                   # stop what `up DIR` started
#
# DIR/audit.log records every write made by a user outside system:masters (the operator's).
#
# With --watch-pid the control plane stops by itself when that process ends (a test JVM that dies).
# There is no kubelet, no CNI and no kube-proxy: pods are bound and run by whoever plays the node.
set -euo pipefail

SCRIPTS="$(cd "$(dirname "$0")" && pwd)"
SERVICE_RANGE=10.0.0.0/24
CONTROLLERS=deployment,replicaset,garbagecollector,namespace,endpoint,endpointslice,disruption

die() { echo "k8s-control-plane: $*" >&2; exit 1; }

free_port() {
  local p
  for _ in $(seq 1 50); do
    p=$(( 20000 + RANDOM % 40000 ))
    if [ -z "$(ss -Htan "sport = :$p" 2>/dev/null)" ]; then echo "$p"; return 0; fi
  done
  die "no free port found"
}

# A client cert signed by the cluster CA, and a kubeconfig using it.
make_user() {
  local dir=$1 user=$2; shift 2
  local subj="/CN=$user" g file
  for g in "$@"; do subj="$subj/O=$g"; done
  file=$(echo "$user" | tr ':/' '__')
  openssl req -new -newkey rsa:2048 -nodes -keyout "$dir/pki/$file.key" -subj "$subj" \
    -out "$dir/pki/$file.csr" 2>/dev/null
  openssl x509 -req -in "$dir/pki/$file.csr" -CA "$dir/pki/ca.crt" -CAkey "$dir/pki/ca.key" -CAcreateserial \
    -days 30 -out "$dir/pki/$file.crt" 2>/dev/null
  cat > "$dir/$file.kubeconfig" <<KC
apiVersion: v1
kind: Config
clusters:
- name: local
  cluster:
    server: https://127.0.0.1:$(cat "$dir/apiserver.port")
    certificate-authority: $dir/pki/ca.crt
users:
- name: $file
  user:
    client-certificate: $dir/pki/$file.crt
    client-key: $dir/pki/$file.key
contexts:
- name: local
  context: {cluster: local, user: $file}
current-context: local
KC
  echo "$dir/$file.kubeconfig"
}

make_pki() {
  local pki=$1/pki
  mkdir -p "$pki"
  openssl req -x509 -newkey rsa:2048 -nodes -keyout "$pki/ca.key" -out "$pki/ca.crt" -days 30 \
    -subj "/CN=sniproxy-test-ca" 2>/dev/null
  cat > "$pki/apiserver.ext" <<EXT
subjectAltName=IP:127.0.0.1,IP:10.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc
extendedKeyUsage=serverAuth
EXT
  openssl req -new -newkey rsa:2048 -nodes -keyout "$pki/apiserver.key" -subj "/CN=kube-apiserver" \
    -out "$pki/apiserver.csr" 2>/dev/null
  openssl x509 -req -in "$pki/apiserver.csr" -CA "$pki/ca.crt" -CAkey "$pki/ca.key" -CAcreateserial -days 30 \
    -extfile "$pki/apiserver.ext" -out "$pki/apiserver.crt" 2>/dev/null
  openssl genrsa -out "$pki/sa.key" 2048 2>/dev/null
  openssl rsa -in "$pki/sa.key" -pubout -out "$pki/sa.pub" 2>/dev/null
}

start() { # name, command...: runs detached in its own session, output to DIR/name.log
  local name=$1; shift
  setsid "$@" >"$DIR/$name.log" 2>&1 < /dev/null &
  echo $! > "$DIR/$name.pid"
}

wait_for() { # what, seconds, command...
  local what=$1 seconds=$2; shift 2
  local deadline=$(( $(date +%s) + seconds ))
  until "$@" >/dev/null 2>&1; do
    [ "$(date +%s)" -lt "$deadline" ] || { down; die "$what not ready after ${seconds}s; see $DIR/*.log"; }
    sleep 0.2
  done
}

up() {
  local watch_pid=""
  if [ "${1:-}" = --watch-pid ]; then watch_pid=$2; fi
  local bin t0
  t0=$(date +%s%N)
  bin=$(ls -d "${XDG_CACHE_HOME:-$HOME/.cache}/sniproxy/k8s/1.20.2/bin" 2>/dev/null) \
    && [ -x "$bin/kube-apiserver" ] && [ -x "$bin/kube-controller-manager" ] && command -v etcd >/dev/null \
    || die "control plane binaries missing: run bin/k8s-control-plane-build.sh (about 10 min, once)"
  mkdir -p "$DIR"
  make_pki "$DIR"

  # Audit: every write by anyone but system:masters (the tests' admin, the controller-manager), so
  # tests can count exactly what the operator wrote.
  cat > "$DIR/audit-policy.yaml" <<POLICY
apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: ["RequestReceived"]
rules:
- level: None
  userGroups: ["system:masters"]
- level: Metadata
  verbs: ["create", "update", "patch", "delete", "deletecollection"]
POLICY
  local etcd_port peer_port api_port
  etcd_port=$(free_port); peer_port=$(free_port); api_port=$(free_port)
  echo "$api_port" > "$DIR/apiserver.port"
  start etcd etcd --name local --data-dir "$DIR/etcd" \
    --listen-client-urls "http://127.0.0.1:$etcd_port" --advertise-client-urls "http://127.0.0.1:$etcd_port" \
    --listen-peer-urls "http://127.0.0.1:$peer_port" --initial-advertise-peer-urls "http://127.0.0.1:$peer_port" \
    --initial-cluster "local=http://127.0.0.1:$peer_port"
  start kube-apiserver "$bin/kube-apiserver" \
    --etcd-servers "http://127.0.0.1:$etcd_port" \
    --bind-address 127.0.0.1 --advertise-address 127.0.0.1 --secure-port "$api_port" --insecure-port 0 \
    --cert-dir "$DIR/pki" --tls-cert-file "$DIR/pki/apiserver.crt" --tls-private-key-file "$DIR/pki/apiserver.key" \
    --client-ca-file "$DIR/pki/ca.crt" --authorization-mode RBAC \
    --service-cluster-ip-range "$SERVICE_RANGE" \
    --service-account-issuer https://kubernetes.default.svc --service-account-key-file "$DIR/pki/sa.pub" \
    --service-account-signing-key-file "$DIR/pki/sa.key" \
    --disable-admission-plugins ServiceAccount --endpoint-reconciler-type none \
    --audit-policy-file "$DIR/audit-policy.yaml" --audit-log-path "$DIR/audit.log"
  local admin
  admin=$(make_user "$DIR" admin system:masters)
  wait_for kube-apiserver 60 curl -fsS --cacert "$DIR/pki/ca.crt" --cert "$DIR/pki/admin.crt" \
    --key "$DIR/pki/admin.key" "https://127.0.0.1:$api_port/readyz"
  # The controller-manager is cluster machinery, not under test: it gets full rights.
  local cm
  cm=$(make_user "$DIR" system:kube-controller-manager system:masters)
  start kube-controller-manager "$bin/kube-controller-manager" --kubeconfig "$cm" \
    --leader-elect=false --controllers "$CONTROLLERS" --port 0 --secure-port 0 \
    --concurrent-gc-syncs 5 --namespace-sync-period 10s
  # The deployment controller answering is what tests wait for; its first log line is enough.
  wait_for kube-controller-manager 30 grep -q "Started controller\|Starting deployment controller" \
    "$DIR/kube-controller-manager.log"
  if [ -n "$watch_pid" ]; then
    setsid bash -c 'while kill -0 "$1" 2>/dev/null; do sleep 1; done; exec "$2" down "$3"' \
      watch "$watch_pid" "$SCRIPTS/k8s-control-plane.sh" "$DIR" >/dev/null 2>&1 < /dev/null &
    echo $! > "$DIR/watch.pid"
  fi
  echo "k8s-control-plane: up in $(( ($(date +%s%N) - t0) / 1000000 )) ms: https://127.0.0.1:$api_port" >&2
  echo "export KUBECONFIG=$admin"
}

down() {
  local name pid
  for name in kube-controller-manager kube-apiserver etcd; do
    [ -f "$DIR/$name.pid" ] || continue
    pid=$(cat "$DIR/$name.pid")
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
    rm -f "$DIR/$name.pid"
  done
  if [ -f "$DIR/watch.pid" ]; then
    pid=$(cat "$DIR/watch.pid"); rm -f "$DIR/watch.pid"
    [ "$pid" = "$$" ] || [ "$pid" = "$PPID" ] || kill "$pid" 2>/dev/null || true
  fi
}

cmd=${1:-}; DIR=${2:-}
[ -n "$cmd" ] && [ -n "$DIR" ] || die "usage: $0 up|down|user DIR [...]"
DIR=$(mkdir -p "$DIR" && cd "$DIR" && pwd)
shift 2
case "$cmd" in
  up) up "$@" ;;
  down) down ;;
  user) [ $# -ge 1 ] || die "usage: $0 user DIR USER [GROUP...]"; make_user "$DIR" "$@" ;;
  *) die "unknown command $cmd" ;;
esac
