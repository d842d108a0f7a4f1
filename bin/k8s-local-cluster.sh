#!/usr/bin/env bash
# Try the operator on a real control plane, on this machine: etcd + kube-apiserver +
# kube-controller-manager (bin/k8s-control-plane.sh), deploy/install.yaml applied, the packaged
# operator running with the manifest's ServiceAccount identity and RBAC, and the stand-in node that
# runs the proxy's pods (the packaged proxy, one network namespace per pod; test code, needs root).
#
#   sudo bin/k8s-local-cluster.sh [DIR]        # start (DIR defaults to /var/tmp/sniproxy-local-cluster)
#   sudo bin/k8s-local-cluster.sh down [DIR]   # stop everything it started
#
# Pods get 10.250.250.x; the host (where your backends listen for the pods) is 10.250.250.254.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
cd "$repo"

if [ "${1:-}" = down ]; then
  dir="${2:-/var/tmp/sniproxy-local-cluster}"
  for name in node operator; do
    if [ -f "$dir/$name.pid" ]; then
      kill "$(cat "$dir/$name.pid")" 2>/dev/null || true
      rm -f "$dir/$name.pid"
    fi
  done
  sleep 3
  bin/k8s-control-plane.sh down "$dir"
  echo "stopped"
  exit 0
fi
dir="${1:-/var/tmp/sniproxy-local-cluster}"
[ "$(id -u)" = 0 ] || { echo "k8s-local-cluster: the stand-in node creates network namespaces: run as root" >&2; exit 1; }

bin/k8s-control-plane-build.sh >/dev/null
. bin/java-home.sh
if [ ! -f operator/target/quarkus-app/quarkus-run.jar ] || [ ! -f proxy/target/quarkus-app/quarkus-run.jar ] \
    || [ ! -d operator/target/test-classes/io/sniproxy/operator/node ]; then
  echo "building the proxy and the operator (once)..." >&2
  ./mvnw -B -q -pl operator -am package -DskipTests -Dsniproxy.aot=skip
  ./mvnw -B -q -pl operator test-compile -o 2>/dev/null || ./mvnw -B -q -pl operator -am test-compile
fi

t0=$(date +%s)
eval "$(bin/k8s-control-plane.sh up "$dir")"
kubectl apply --validate=false -f deploy/install.yaml >/dev/null
# No node runs the operator's own pods here: the operator runs below, as its ServiceAccount.
kubectl -n sniproxy-system scale deployment/sniproxy-operator --replicas=0 >/dev/null
operator_kubeconfig=$(bin/k8s-control-plane.sh user "$dir" system:serviceaccount:sniproxy-system:sniproxy-operator \
  system:serviceaccounts system:serviceaccounts:sniproxy-system)

KUBECONFIG="$operator_kubeconfig" QUARKUS_MANAGEMENT_HOST=127.0.0.1 QUARKUS_MANAGEMENT_PORT=0 \
  SNIPROXY_OPERATOR_LEADER_ELECTION_NAMESPACE=sniproxy-system SNIPROXY_OPERATOR_WATCHDOG_INTERVAL=10s \
  setsid "$JAVA_HOME/bin/java" -jar operator/target/quarkus-app/quarkus-run.jar >"$dir/operator.log" 2>&1 </dev/null &
echo $! > "$dir/operator.pid"

cp="operator/target/test-classes:operator/target/classes:operator/target/quarkus-app/lib/main/*:operator/target/quarkus-app/lib/boot/*"
setsid "$JAVA_HOME/bin/java" -Djava.util.logging.manager=org.jboss.logmanager.LogManager -cp "$cp" io.sniproxy.operator.node.NodeStandIn "$KUBECONFIG" "$repo" "$dir/node" 250 \
  >"$dir/node.log" 2>&1 </dev/null &
echo $! > "$dir/node.pid"
for _ in $(seq 1 100); do grep -q 'stand-in node .* up' "$dir/node.log" 2>/dev/null && break; sleep 0.3; done

cat <<MSG
Local control plane up in $(( $(date +%s) - t0 )) s (logs in $dir). Use it with:

  export KUBECONFIG=$KUBECONFIG

A backend for the pods to reach (any TLS server on the host address), e.g.:
  openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=api.example.com -keyout $dir/k.pem -out $dir/c.pem 2>/dev/null
  openssl s_server -quiet -accept 10.250.250.254:9443 -cert $dir/c.pem -key $dir/k.pem -www &

The worked example (docs/operator.md, "Try it on a real control plane"):
  kubectl create namespace demo
  kubectl apply -f docs/examples/local-edge.yaml
  kubectl -n demo get endpoints edge

then: curl -k --resolve api.example.com:8443:<an endpoint IP> https://api.example.com:8443/
Stop: sudo bin/k8s-local-cluster.sh down $dir
MSG
