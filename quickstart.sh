#!/usr/bin/env bash
# Builds the proxy (first run only), starts it on its built-in loopback-only default config,
# sends one HTTP request through it, then keeps it running in the foreground (Ctrl-C stops it:
# the proxy drains and exits).
set -euo pipefail
cd "$(dirname "$0")"
. bin/java-home.sh

JAR=proxy/target/quarkus-app/quarkus-run.jar
if [ ! -f "$JAR" ] || [ -n "$(find proxy/src src-shared/src -newer "$JAR" -type f -print -quit)" ]; then
  echo "==> building the proxy (./mvnw -B -q -pl proxy -am package -DskipTests)"
  ./mvnw -B -q -pl proxy -am package -DskipTests
fi

echo "==> starting: bin/sniproxy  (built-in default: 127.0.0.1:8080 http, 127.0.0.1:8443 tls and quic/udp, management 127.0.0.1:9000)"
# The launcher execs the JVM: $! is the proxy's own PID.
bin/sniproxy "$@" &
PROXY_PID=$!
trap 'kill -TERM "$PROXY_PID" 2>/dev/null; wait "$PROXY_PID" 2>/dev/null || true' EXIT INT TERM

for _ in $(seq 1 150); do
  if curl -fsS -o /dev/null http://127.0.0.1:9000/q/health/ready 2>/dev/null; then break; fi
  kill -0 "$PROXY_PID" 2>/dev/null || { echo "the proxy exited during start-up" >&2; exit 1; }
  sleep 0.2
done

echo "==> a request through the proxy: curl -H 'Host: localhost' http://127.0.0.1:8080/q/health/live"
curl -sS -H 'Host: localhost' http://127.0.0.1:8080/q/health/live; echo
echo "==> an unknown name is refused, never forwarded: curl -H 'Host: nope.example' http://127.0.0.1:8080/"
curl -sS -i -H 'Host: nope.example' http://127.0.0.1:8080/ | head -1
echo "==> metrics: curl http://127.0.0.1:9000/q/metrics | grep sniproxy_connections_total"
curl -sS http://127.0.0.1:9000/q/metrics | grep '^sniproxy_connections_total' || true
echo "==> proxy running (pid $PROXY_PID); Ctrl-C to stop"
wait "$PROXY_PID"
