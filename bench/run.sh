#!/usr/bin/env bash
# sniproxy-java benchmark: ours vs HAProxy, nginx stream (ssl_preread), the C sniproxy and a
# direct (no proxy) baseline, all on loopback in front of one nginx HTTPS backend.
#
#   bench/run.sh            full run (~20 min on 2 cores): cold (2 rounds, the first 10 s of fresh
#                           processes), then 3 warm rounds of 8 s per workload
#   bench/run.sh --quick    smoke run (~4 min): 1 round, 3 s per workload (cold: 5 s), 2,000 idle connections
#
# Ours is started exactly as users start it: bin/sniproxy --config FILE (the launcher's JVM
# settings and AOT cache), with -Dquarkus.management.port added.
# Options: --rounds N, --duration SECONDS, --cold-rounds N, --cold-duration SECONDS, --idle-conns N,
#          --no-install, --no-build, --only "haproxy ours" (a subset of the proxies, e.g. for an A/B of one lever),
#          --java-opts "FLAGS" (extra JVM flags for ours, as JAVA_OPTS), --no-aot (ours without its AOT cache),
#          --no-docs (keep docs/ as is), --jfr (record ours with Java Flight Recorder; hot methods printed at the end),
#          --jar PATH (measure another build of ours: a copy of quarkus-app/ from before a change, started by
#          its own bin/sniproxy), --workloads "bulk idle" (a subset of cold keepalive newconn bulk latency idle quic;
#          implies --no-docs).
# A/B of one lever in ONE run: --before-jar PATH (a copy of quarkus-app/ built before the change) and/or
#          --before-java-opts "FLAGS" add a target "before" (that build, or ours' own with those flags) that runs
#          in the same rounds as ours, alternating with it; implies --no-docs. bench/levers.tsv names the run twice.
# QUIC: a reference C relay (bench/lib/udp_relay.c, built with cc when there is one) runs beside ours.
# QUIC: --quic-unpinned (endpoints and proxy not pinned to a CPU each), --quic-window N (datagrams the
#          sender keeps in flight, default 128).
# Raw results land in bench/results/<UTC timestamp>/; docs/benchmarks.md and
# docs/bench/results.png are regenerated from them. Not part of CI: it installs packages (root).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
LIB="$ROOT/bench/lib"
export JAVA_HOME=${JAVA_HOME_25:-/usr/lib/jvm/temurin-25-jdk-amd64}
JAVA="$JAVA_HOME/bin/java"

ROUNDS=3
DUR=8
COLD_ROUNDS=2
COLD_DUR=10
IDLE_CONNS=10000
INSTALL=1
BUILD=1
DOCS=1
MODE=full
# The JVM settings chosen by measurement are the launcher's own (bin/sniproxy); these are extra.
OURS_JAVA_OPTS=""
OURS_AOT=on
ARGS=$(printf "%q " "$@")
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) MODE=quick; ROUNDS=1; DUR=3; COLD_ROUNDS=1; COLD_DUR=5; IDLE_CONNS=2000 ;;
    --cold-rounds) COLD_ROUNDS=$2; shift ;;
    --cold-duration) COLD_DUR=$2; shift ;;
    --no-aot) OURS_AOT=off ;;
    --rounds) ROUNDS=$2; shift ;;
    --duration) DUR=$2; shift ;;
    --idle-conns) IDLE_CONNS=$2; shift ;;
    --no-install) INSTALL=0 ;;
    --no-build) BUILD=0 ;;
    --no-docs) DOCS=0 ;;
    --java-opts) OURS_JAVA_OPTS=$2; shift ;;
    --only) ONLY=$2; shift ;;
    --jfr) JFR=1 ;;
    --jar) JAR_OVERRIDE=$2; BUILD=0; shift ;;
    --quic-unpinned) QUIC_UNPINNED=1 ;;
    --quic-window) QUIC_WINDOW=$2; shift ;;
    --workloads) ONLY_WORKLOADS=$2; DOCS=0; shift ;;
    --before-jar) BEFORE_JAR=$2; AB=1; DOCS=0; shift ;;
    --before-java-opts) BEFORE_JAVA_OPTS=$2; AB=1; DOCS=0; shift ;;
    -h|--help) sed -n '2,26p' "$0"; exit 0 ;;
    *) echo "unknown option '$1' (try --help)" >&2; exit 2 ;;
  esac
  shift
done

# ---- ports (loopback only, distinct) -----------------------------------------------------------
# A block of 20 ports below the ephemeral range: BENCH_BASE_PORT, or the first block from 18440 on
# (steps of 20) of which no port is bound, TCP or UDP, so that two runs on one machine do not meet.
block_free() {
  ! ss -Hltun 2>/dev/null | awk '{print $5}' | sed 's/.*://' \
    | awk -v lo="$1" -v hi="$(($1 + 19))" '$1 >= lo && $1 <= hi {found=1} END {exit !found}'
}
if [ -n "${BENCH_BASE_PORT:-}" ]; then
  BASE=$BENCH_BASE_PORT
else
  BASE=18440
  while ! block_free "$BASE" && [ "$BASE" -lt 19440 ]; do BASE=$((BASE + 20)); done
fi
P_BACKEND=$((BASE + 3))   # nginx HTTPS backend = the direct baseline
P_HAPROXY=$((BASE + 4))
P_NGINX=$((BASE + 5))
P_SNIPROXY=$((BASE + 6))
P_OURS=$((BASE + 7))
P_OURS_MGMT=$((BASE + 8))
P_UDP_ECHO=$((BASE + 10))
P_OURS_QUIC=$((BASE + 11))
P_OURS_QUIC_MGMT=$((BASE + 12))
P_BEFORE=$((BASE + 13))     # --before-jar / --before-java-opts: the A side of an A/B
P_BEFORE_MGMT=$((BASE + 14))
P_BEFORE_QUIC=$((BASE + 15))
P_BEFORE_QUIC_MGMT=$((BASE + 16))
P_RELAY=$((BASE + 17))      # QUIC: the reference C relay (bench/lib/udp_relay.c)
TARGETS=(direct)
for t in haproxy nginx sniproxy ours; do
  case " ${ONLY:-haproxy nginx sniproxy ours} " in *" $t "*) TARGETS+=("$t") ;; esac
done
[ -z "${AB:-}" ] || TARGETS+=(before)
PROXIES=("${TARGETS[@]:1}")
declare -A PORT=([direct]=$P_BACKEND [haproxy]=$P_HAPROXY [nginx]=$P_NGINX [sniproxy]=$P_SNIPROXY [ours]=$P_OURS
  [before]=$P_BEFORE)
declare -A PID=()

wanted() { case " ${ONLY_WORKLOADS:-cold keepalive newconn bulk latency idle quic} " in *" $1 "*) return 0 ;; esac; return 1; }
log() { printf '%s %s\n' "$(date -u +%H:%M:%S)" "$*" | tee -a "$OUT/log.txt" >&2; }

# ---- install peers and build ours --------------------------------------------------------------
if [ "$INSTALL" = 1 ]; then
  need=0
  for c in haproxy nginx sniproxy wrk h2load gnuplot; do command -v "$c" >/dev/null || need=1; done
  [ -e /usr/lib/nginx/modules/ngx_stream_module.so ] || need=1
  python3 -c 'import cryptography' 2>/dev/null || need=1
  if [ "$need" = 1 ]; then
    apt-get update -q
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q haproxy nginx libnginx-mod-stream sniproxy wrk \
      nghttp2-client gnuplot python3-cryptography
  fi
fi
if [ "$BUILD" = 1 ]; then
  (cd "$ROOT" && ./mvnw -B -o -q -pl proxy -am package -DskipTests)
fi
JAR=${JAR_OVERRIDE:-$ROOT/proxy/target/quarkus-app/quarkus-run.jar}
[ -f "$JAR" ] || { echo "no $JAR: build first (drop --no-build)" >&2; exit 1; }
# The launcher beside that jar (the build puts bin/sniproxy into quarkus-app/); a build from before
# the launcher existed is started with its JDK's defaults.
LAUNCHER="$(dirname "$JAR")/bin/sniproxy"
[ -x "$LAUNCHER" ] || LAUNCHER=""
BEFORE_JAR=${BEFORE_JAR:-$JAR}
[ -f "$BEFORE_JAR" ] || { echo "no $BEFORE_JAR (--before-jar)" >&2; exit 1; }
BEFORE_LAUNCHER="$(dirname "$BEFORE_JAR")/bin/sniproxy"
[ -x "$BEFORE_LAUNCHER" ] || BEFORE_LAUNCHER=""

STAMP=$(date -u +%Y%m%dT%H%M%SZ)
OUT="$ROOT/bench/results/$STAMP"
mkdir -p "$OUT"
RUN=$(mktemp -d /tmp/sniproxy-bench.XXXXXX)
RAW="$OUT/raw.tsv"
printf 'round\tworkload\ttarget\tmetric\tvalue\n' > "$RAW"
record() { printf '%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" "$5" >> "$RAW"; }

# ---- process bookkeeping: everything started is stopped by its own pid -------------------------
STARTED=()
start_bg() { # name cmd...
  local name=$1; shift
  "$@" >"$RUN/$name.out" 2>&1 &
  PID[$name]=$!
  STARTED+=("$!")
}
stop_pid() {
  local p=$1
  kill -TERM "$p" 2>/dev/null || return 0
  for _ in $(seq 100); do kill -0 "$p" 2>/dev/null || { wait "$p" 2>/dev/null || true; return 0; }; sleep 0.1; done
  kill -KILL "$p" 2>/dev/null || true
  wait "$p" 2>/dev/null || true
}
cleanup() {
  local p
  for p in "${STARTED[@]}"; do stop_pid "$p"; done
  [ -n "${KEEP_RUN_DIR:-}" ] || rm -rf "$RUN"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
trap '' PIPE  # a helper client that died must not kill the bench when we write to it

# Every process gets the hard fd limit: 10,000 proxied connections need 20,000+ fds in a proxy.
HARD_FDS=$(ulimit -Hn)
ulimit -n "$HARD_FDS"
# A proxy holds two fds per connection; leave room for its own files (jars, epoll, pipes).
MAX_IDLE=$(( (HARD_FDS - 400) / 2 ))
if [ "$IDLE_CONNS" -gt "$MAX_IDLE" ]; then
  log "idle workload: $IDLE_CONNS connections need $((2 * IDLE_CONNS)) fds in the proxy; hard limit is $HARD_FDS -> using $MAX_IDLE"
  IDLE_CONNS=$MAX_IDLE
fi

tree_pids() { echo "$1"; ps -o pid= --ppid "$1" 2>/dev/null | tr -d ' ' || true; }
rss_kib() { local s=0 p v; for p in $(tree_pids "$1"); do v=$(awk '/^VmRSS:/{print $2}' "/proc/$p/status" 2>/dev/null || echo 0); s=$((s + ${v:-0})); done; echo "$s"; }
fds_of() { local s=0 p n; for p in $(tree_pids "$1"); do n=$(ls "/proc/$p/fd" 2>/dev/null | wc -l); s=$((s + n)); done; echo "$s"; }
cpu_ticks() { # utime+stime of the process tree, in clock ticks
  local u s
  read -r u s < <(cpu_split "$1")
  echo $((u + s))
}
cpu_split() { # "utime stime" of the process tree, in clock ticks: user space vs the kernel's socket work
  local u=0 s=0 p a b
  for p in $(tree_pids "$1"); do
    read -r a b < <(awk '{print $14, $15}' "/proc/$p/stat" 2>/dev/null || echo "0 0")
    u=$((u + ${a:-0})); s=$((s + ${b:-0}))
  done
  echo "$u $s"
}
CLK_TCK=$(getconf CLK_TCK)
listening() { ss -Hltn "sport = :$1" 2>/dev/null | grep -q LISTEN; }
wait_listening() { # port seconds
  local i
  for i in $(seq $(($2 * 10))); do listening "$1" && return 0; sleep 0.1; done
  return 1
}

# ---- machine and versions ----------------------------------------------------------------------
{
  echo "stamp=$STAMP"
  echo "command=bench/run.sh $ARGS"
  echo "mode=$MODE rounds=$ROUNDS duration_s=$DUR idle_conns=$IDLE_CONNS hard_fd_limit=$HARD_FDS"
  echo "cold=cold_rounds=$COLD_ROUNDS cold_duration_s=$COLD_DUR"
  echo "cpu=$(awk -F': ' '/^model name/{print $2; exit}' /proc/cpuinfo) x $(nproc) cores"
  echo "memory=$(awk '/^MemTotal/{printf "%.1f GiB", $2/1048576}' /proc/meminfo)"
  echo "kernel=$(uname -srmo)"
  echo "haproxy=$(haproxy -v | awk 'NR==1{print $3}')"
  echo "nginx=$(nginx -v 2>&1 | sed 's/.*nginx\///')"
  echo "sniproxy=$(sniproxy -V 2>&1 | awk 'NR==1{print $2}')"
  echo "wrk=$(wrk -v 2>&1 | awk 'NR==1{print $2}')"
  echo "h2load=$(h2load --version | awk '{print $2}')"
  echo "java=$("$JAVA" -version 2>&1 | awk -F'"' 'NR==1{print $2}')"
  # What a syscall and a thread wake-up cost here (bench/lib/wakeup_cost.c): machines differ by 10x
  # in the cross-CPU wake-up, which every loopback workload pays.
  if command -v cc >/dev/null && cc -O2 -pthread -o "$RUN/wakeup_cost" "$LIB/wakeup_cost.c" 2>/dev/null; then
    timeout 30 "$RUN/wakeup_cost" | sed 's/ /=/' || true
  fi
  start_cmd="bin/sniproxy --config FILE"
  [ -n "$LAUNCHER" ] || start_cmd="java -jar quarkus-run.jar --config FILE"
  aot_state=$OURS_AOT
  [ -f "$(dirname "$JAR")/sniproxy.aot" ] || aot_state="$aot_state, none built"
  echo "ours_start=$start_cmd (AOT cache: $aot_state)"
  echo "ours_java_opts=${OURS_JAVA_OPTS:-none beyond the launcher defaults}"
  if [ -n "${AB:-}" ]; then
    echo "before_jar=$BEFORE_JAR"
    echo "before_java_opts=${BEFORE_JAVA_OPTS:-none beyond the launcher defaults}"
  fi
  echo "git=$(cd "$ROOT" && git rev-parse --short HEAD)$(cd "$ROOT" && git diff --quiet HEAD -- proxy src-shared || echo '+dirty')"
  echo "loadavg_start=$(cut -d' ' -f1-3 /proc/loadavg)"
} > "$OUT/meta.env"
log "results -> $OUT (scratch $RUN)"

# ---- certificate, content, configs -------------------------------------------------------------
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=localhost \
  -addext subjectAltName=DNS:localhost -keyout "$RUN/key.pem" -out "$RUN/cert.pem" 2>/dev/null
mkdir -p "$RUN/www" "$RUN/tmp"
head -c 1048576 /dev/urandom > "$RUN/www/1m"

cat > "$RUN/backend.conf" <<EOF
user root;
worker_processes 2;
worker_rlimit_nofile $HARD_FDS;
pid $RUN/backend.pid;
error_log $RUN/backend-error.log warn;
events { worker_connections 19000; }
http {
  access_log off;
  client_body_temp_path $RUN/tmp/body; proxy_temp_path $RUN/tmp/proxy; fastcgi_temp_path $RUN/tmp/fcgi;
  uwsgi_temp_path $RUN/tmp/uwsgi; scgi_temp_path $RUN/tmp/scgi;
  sendfile on; tcp_nodelay on;
  keepalive_timeout 600s; keepalive_requests 10000000; client_header_timeout 600s;
  server {
    listen 127.0.0.1:$P_BACKEND ssl reuseport;
    ssl_certificate $RUN/cert.pem; ssl_certificate_key $RUN/key.pem;
    ssl_protocols TLSv1.2 TLSv1.3;
    location = / { default_type text/plain; return 200 "ok\n"; }
    location = /1m { root $RUN/www; default_type application/octet-stream; }
  }
}
EOF

cat > "$RUN/haproxy.cfg" <<EOF
global
  maxconn $(( (HARD_FDS - 100) / 2 ))
  nbthread 2
  pidfile $RUN/haproxy.pid
defaults
  mode tcp
  timeout connect 5s
  timeout client 10m
  timeout server 10m
frontend sni
  bind 127.0.0.1:$P_HAPROXY
  tcp-request inspect-delay 5s
  tcp-request content accept if { req.ssl_hello_type 1 }
  use_backend nginx if { req.ssl_sni -i localhost }
backend nginx
  server b1 127.0.0.1:$P_BACKEND
EOF

cat > "$RUN/nginx-stream.conf" <<EOF
load_module /usr/lib/nginx/modules/ngx_stream_module.so;
user root;
worker_processes 2;
worker_rlimit_nofile $HARD_FDS;
pid $RUN/nginx-stream.pid;
error_log $RUN/nginx-stream-error.log warn;
events { worker_connections 19000; }
stream {
  map \$ssl_preread_server_name \$upstream { localhost 127.0.0.1:$P_BACKEND; default 127.0.0.1:9; }
  server {
    listen 127.0.0.1:$P_NGINX reuseport;
    ssl_preread on;
    proxy_pass \$upstream;
    proxy_connect_timeout 5s;
    proxy_timeout 10m;
  }
}
EOF

cat > "$RUN/sniproxy.conf" <<EOF
user root
pidfile $RUN/sniproxy.pid
error_log {
  filename $RUN/sniproxy-error.log
  priority warning
}
listener 127.0.0.1:$P_SNIPROXY {
  protocol tls
  table bench
}
table bench {
  localhost 127.0.0.1:$P_BACKEND
}
EOF

cat > "$RUN/ours.yaml" <<EOF
listeners:
  - name: bench
    address: 127.0.0.1:$P_OURS
    protocol: tls
routes:
  - hostnames: [localhost]
    backend: 127.0.0.1:$P_BACKEND
timeouts:
  clientHello: 10s
  connect: 5s
  idle: 10m
limits:
  maxConnections: 50000
EOF
sed "s/127.0.0.1:$P_OURS/127.0.0.1:$P_BEFORE/" "$RUN/ours.yaml" > "$RUN/before.yaml"

cat > "$RUN/ours-quic.yaml" <<EOF
listeners:
  - name: quic
    address: 127.0.0.1:$P_OURS_QUIC
    protocol: quic
routes:
  - hostnames: [localhost]
    backend: 127.0.0.1:$P_UDP_ECHO
timeouts:
  udpSession: 30s
EOF
sed "s/127.0.0.1:$P_OURS_QUIC/127.0.0.1:$P_BEFORE_QUIC/" "$RUN/ours-quic.yaml" > "$RUN/before-quic.yaml"

# A copy of quarkus-app/ (--jar, --before-jar) started with its AOT cache was seen loading the
# classes of the build in proxy/target, where the cache was trained (lsof, jcmd Compiler.codelist):
# both sides of an A/B ran one build. Any jar other than this checkout's build starts without it.
aot_for() { # jar: on/off for the launcher's SNIPROXY_AOT
  if [ "$OURS_AOT" = on ] && [ -f "$(dirname "$1")/sniproxy.aot" ] \
     && [ "$(readlink -f "$1")" != "$(readlink -f "$ROOT/proxy/target/quarkus-app/quarkus-run.jar")" ]; then
    log "$1 is not this checkout's build: started without its AOT cache (see aot_for)" >&2
    echo off
  else
    echo "$OURS_AOT"
  fi
}
start_ours() { # name mgmt-port config [launcher jar java-opts]: the launcher (it execs the JVM: the PID is the proxy's)
  local jfr="" launcher=${4-$LAUNCHER} jar=${5:-$JAR} opts=${6-$OURS_JAVA_OPTS}
  [ -z "${JFR:-}" ] || jfr="-XX:StartFlightRecording=filename=$OUT/$1-%p.jfr,settings=profile"
  if [ -n "$launcher" ]; then
    start_bg "$1" env JAVA_HOME="$JAVA_HOME" SNIPROXY_AOT="$(aot_for "$jar")" JAVA_OPTS="$opts $jfr" \
      "$launcher" --config "$3" -Dquarkus.management.port="$2"
  else
    # shellcheck disable=SC2086
    start_bg "$1" "$JAVA" $opts $jfr -Dquarkus.management.port="$2" -jar "$jar" --config "$3"
  fi
}
ready_up() { curl -s --max-time 1 "http://127.0.0.1:$1/q/health/ready" 2>/dev/null | grep -q '"UP"'; }

# ---- start everything --------------------------------------------------------------------------
start_target() { # name: starts one proxy (or the backend) and waits until it listens / is ready
  case "$1" in
    backend) start_bg backend nginx -e "$RUN/backend-error.log" -c "$RUN/backend.conf" -g 'daemon off;' ;;
    haproxy) start_bg haproxy haproxy -db -f "$RUN/haproxy.cfg" ;;
    nginx) start_bg nginx nginx -e "$RUN/nginx-stream-error.log" -c "$RUN/nginx-stream.conf" -g 'daemon off;' ;;
    sniproxy) start_bg sniproxy sniproxy -f -c "$RUN/sniproxy.conf" ;;
    ours) start_ours ours "$P_OURS_MGMT" "$RUN/ours.yaml" ;;
    before) start_ours before "$P_BEFORE_MGMT" "$RUN/before.yaml" "$BEFORE_LAUNCHER" "$BEFORE_JAR" "${BEFORE_JAVA_OPTS:-}" ;;
  esac
  if [ "$1" = ours ] || [ "$1" = before ]; then
    local mgmt=$([ "$1" = ours ] && echo "$P_OURS_MGMT" || echo "$P_BEFORE_MGMT")
    wait_ready "$1" "$mgmt" || { log "$1 did not become ready:"; tail -20 "$RUN/$1.out" >&2; exit 1; }
  else
    local port=$([ "$1" = backend ] && echo "$P_BACKEND" || echo "${PORT[$1]}")
    wait_listening "$port" 20 || { log "$1 did not start:"; cat "$RUN/$1.out" >&2; exit 1; }
  fi
}
wait_ready() { # name mgmt-port: bounded; fails fast when the proxy reports it cannot start
  local _
  for _ in $(seq 1500); do
    ready_up "$2" && return 0
    kill -0 "${PID[$1]}" 2>/dev/null || return 1
    grep -qE 'cannot start|config rejected' "$RUN/$1.out" 2>/dev/null && return 1
    sleep 0.02
  done
  return 1
}
start_target backend
for t in "${PROXIES[@]}"; do [ "$t" = ours ] || start_target "$t"; done

# Start-up time of ours: from exec to /q/health/ready answering UP (several starts, median).
STARTUP_RUNS=$([ "$MODE" = quick ] && echo 1 || echo 3)
case " ${PROXIES[*]} " in *" ours "*) ;; *) STARTUP_RUNS=0 ;; esac
for i in $(seq "$STARTUP_RUNS"); do
  t0=$(date +%s%N)
  start_target ours
  ms=$(( ($(date +%s%N) - t0) / 1000000 ))
  record "$i" startup ours startup_ms "$ms"
  record "$i" startup ours startup_cpu_ms "$(( $(cpu_ticks "${PID[ours]}") * 1000 / CLK_TCK ))"
  [ "$i" -gt 1 ] || echo "ours_jvm=$(tr '\0' ' ' < "/proc/${PID[ours]}/cmdline")" >> "$OUT/meta.env"
  sleep 2
  record "$i" startup ours idle_rss_kib "$(rss_kib "${PID[ours]}")"
  log "ours start-up $i: ${ms} ms to ready, idle RSS $(( $(rss_kib "${PID[ours]}") / 1024 )) MiB"
  if [ "$i" -lt "$STARTUP_RUNS" ]; then stop_pid "${PID[ours]}"; fi
done
log "all targets up: direct:$P_BACKEND haproxy:$P_HAPROXY nginx:$P_NGINX sniproxy:$P_SNIPROXY ours:$P_OURS${AB:+ before:$P_BEFORE}"

# ---- workloads ---------------------------------------------------------------------------------
# Each prints the metric lines it measured as "metric value".
url() { echo "https://localhost:$1$2"; }
wrk_run() { # out-file wrk-args...
  local f=$1; shift
  timeout $((DUR + 60)) wrk --timeout 10s "$@" > "$f" 2>&1 || true
}
wrk_errors() { # non-2xx + socket errors
  awk '/Non-2xx/{s+=$NF} /Socket errors/{gsub(",","");s+=$4+$6+$8+$10} END{print s+0}' "$1"
}
wl_keepalive() {
  local f="$RUN/wrk.txt"
  wrk_run "$f" -t2 -c50 -d"${DUR}s" "$(url "$1" /)"
  echo "rps $(awk '/^Requests\/sec/{print $2}' "$f")"
  echo "errors $(wrk_errors "$f")"
}
wl_newconn() {
  local f="$RUN/wrk.txt"
  wrk_run "$f" -t2 -c50 -d"${DUR}s" -H 'Connection: close' "$(url "$1" /)"
  echo "rps $(awk '/^Requests\/sec/{print $2}' "$f")"
  echo "errors $(awk '/Non-2xx/{s+=$NF} /Socket errors/{gsub(",","");s+=$4+$10} END{print s+0}' "$f")"
}
wl_bulk() {
  local f="$RUN/wrk.txt"
  wrk_run "$f" -t2 -c10 -d"${DUR}s" "$(url "$1" /1m)"
  # wrk prints Transfer/sec in binary units (KB = KiB).
  echo "mib_s $(awk '/^Transfer\/sec/{v=$2; u=substr(v,length(v)-1); n=substr(v,1,length(v)-2);
    f=(u=="GB")?1024:(u=="MB")?1:(u=="KB")?1/1024:1/1048576; printf "%.1f", n*f}' "$f")"
  echo "errors $(wrk_errors "$f")"
}
wl_latency() {
  # 10 keep-alive clients x 100 req/s = 1,000 req/s: moderate load, per-request times logged.
  local f="$RUN/h2load.log"
  rm -f "$f"
  timeout $((DUR + 60)) h2load --h1 -c10 --rps 100 -D "$DUR" --warm-up-time 1 --log-file "$f" \
    "$(url "$1" /)" > "$RUN/h2load.txt" 2>&1 || true
  python3 - "$f" <<'PY'
import sys
vals = sorted(int(l.split('\t')[2]) for l in open(sys.argv[1]) if l.count('\t') >= 2 and l.split('\t')[1] == '200')
def pct(p):
    return vals[min(len(vals) - 1, int(round(p / 100 * (len(vals) - 1))))] if vals else -1
print(f"p50_us {pct(50)}")
print(f"p99_us {pct(99)}")
print(f"requests {len(vals)}")
PY
}

declare -A FD_BASE=()
settle_fds() { # target workload round: wait (bounded) for the proxy's fds to return to baseline
  local t=$1 n i
  [ "$t" = direct ] && return 0
  for i in $(seq 100); do
    n=$(fds_of "${PID[$t]}")
    [ "$n" -le "${FD_BASE[$t]}" ] && break
    sleep 0.1
  done
  record "$3" "$2" "$t" fds "$n"
  record "$3" "$2" "$t" fds_baseline "${FD_BASE[$t]}"
  printf '    open fds of %-8s after %-9s %5d (baseline %d)%s\n' "$t" "$2" "$n" "${FD_BASE[$t]}" \
    "$([ "$n" -le "${FD_BASE[$t]}" ] || echo '  <-- NOT back at baseline')" | tee -a "$OUT/log.txt" >&2
}

run_workload() { # round workload target
  local r=$1 w=$2 t=$3 line c0=0 c1 u0=0 s0=0 u1 s1
  [ "$t" = direct ] || read -r u0 s0 < <(cpu_split "${PID[$t]}")
  c0=$((u0 + s0))
  while read -r metric value; do
    [ -n "$metric" ] && record "$r" "$w" "$t" "$metric" "$value"
    line="${line:-}$metric=$value "
  done < <("wl_${w#cold_}" "${PORT[$t]}")
  if [ "$t" != direct ]; then
    # CPU the proxy itself burnt during the workload: robust to the neighbours' noise.
    read -r u1 s1 < <(cpu_split "${PID[$t]}")
    c1=$((u1 + s1))
    record "$r" "$w" "$t" cpu_ms "$(( (c1 - c0) * 1000 / CLK_TCK ))"
    record "$r" "$w" "$t" cpu_sys_ms "$(( (s1 - s0) * 1000 / CLK_TCK ))"
    line="${line}cpu_ms=$(( (c1 - c0) * 1000 / CLK_TCK ))"
  fi
  log "  round $r $w $t: $line"
  settle_fds "$t" "$w" "$r"
}

# ---- cold: the first seconds of a fresh process --------------------------------------------------
# What a new pod of a rollout sees: each proxy is started afresh for each workload and measured
# from its first request for COLD_DUR seconds, with no warm-up at all (ours: its JIT compiling,
# or not, with the AOT cache). Rate and the proxy's CPU during those seconds are recorded as the
# workloads "cold_keepalive", "cold_newconn", "cold_bulk".
if wanted cold; then
  for r in $(seq "$COLD_ROUNDS"); do
    if [ $((r % 2)) = 1 ]; then order=("${PROXIES[@]}"); else order=(); for ((i=${#PROXIES[@]}-1; i>=0; i--)); do order+=("${PROXIES[$i]}"); done; fi
    log "cold round $r/$COLD_ROUNDS (${COLD_DUR} s of each workload on a fresh process): ${order[*]}"
    for w in keepalive newconn bulk; do
      for t in "${order[@]}"; do
        stop_pid "${PID[$t]}"
        start_target "$t"
        FD_BASE[$t]=$(fds_of "${PID[$t]}")
        saved_dur=$DUR
        DUR=$COLD_DUR
        run_workload "$r" "cold_$w" "$t"
        DUR=$saved_dur
      done
    done
  done
fi

WORKLOADS=()
for w in keepalive newconn bulk latency; do wanted "$w" && WORKLOADS+=("$w"); done
# Warm-up before round 1. Every target gets keep-alive, new-connection and bulk traffic; ours gets
# more: profiling (perf, per-thread) showed its C2 compiler still taking ~half of the process's
# CPU 10 s into the new-connection workload and under 2 % after ~30 s. A proxy runs for days, so
# the rounds measure the steady state; the C proxies have nothing to warm.
WARM=$([ "$MODE" = quick ] && echo 2 || echo 3)
WARM_OURS=$([ "$MODE" = quick ] && echo 5 || echo 10)
for t in "${TARGETS[@]}"; do
  [ ${#WORKLOADS[@]} -gt 0 ] || break # idle and QUIC start their own fresh processes
  w=$WARM
  { [ "$t" = ours ] || [ "$t" = before ]; } && w=$WARM_OURS
  timeout 90 wrk -t2 -c50 -d"${w}s" "$(url "${PORT[$t]}" /)" >/dev/null 2>&1 || true
  timeout 90 wrk -t2 -c50 -d"$((2 * w))s" -H 'Connection: close' "$(url "${PORT[$t]}" /)" >/dev/null 2>&1 || true
  timeout 90 wrk -t2 -c10 -d"${w}s" "$(url "${PORT[$t]}" /1m)" >/dev/null 2>&1 || true
done
sleep 2
for t in "${PROXIES[@]}"; do FD_BASE[$t]=$(fds_of "${PID[$t]}"); done
log "fd baselines: $(for t in "${PROXIES[@]}"; do printf '%s=%s ' "$t" "${FD_BASE[$t]}"; done)"

for r in $(seq "$([ ${#WORKLOADS[@]} -gt 0 ] && echo "$ROUNDS" || echo 0)"); do
  # Alternate the order: odd rounds forward, even rounds backward, so no target always runs
  # first (cold caches) or last (after everyone else warmed the machine).
  if [ $((r % 2)) = 1 ]; then order=("${TARGETS[@]}"); else order=(); for ((i=${#TARGETS[@]}-1; i>=0; i--)); do order+=("${TARGETS[$i]}"); done; fi
  log "round $r/$ROUNDS: ${order[*]}"
  for w in "${WORKLOADS[@]}"; do
    for t in "${order[@]}"; do run_workload "$r" "$w" "$t"; done
  done
done

# ---- idle connections: RSS per proxied connection ---------------------------------------------
idle_test() { # target
  local t=$1 before after fds line=""
  local fifo="$RUN/idle.in"
  rm -f "$fifo"; mkfifo "$fifo"
  # A fresh process, so that what the throughput rounds left behind (a grown heap, caches)
  # neither hides nor inflates the cost of the held connections.
  stop_pid "${PID[$t]}"
  start_target "$t"
  sleep 2
  FD_BASE[$t]=$(fds_of "${PID[$t]}")
  before=$(rss_kib "${PID[$t]}")
  python3 "$LIB/idle_client.py" --port "${PORT[$t]}" --count "$IDLE_CONNS" --hold 300 \
    < "$fifo" > "$RUN/idle.out" 2> "$RUN/idle.err" &
  local cpid=$!
  STARTED+=("$cpid")
  exec 7> "$fifo"
  wait_line() { # n: wait (bounded) until the client has printed its n-th "ready" line
    for _ in $(seq 3000); do
      [ "$(grep -c '^ready' "$RUN/idle.out")" -ge "$1" ] && return 0
      kill -0 "$cpid" 2>/dev/null || return 1
      sleep 0.1
    done
    return 1
  }
  wait_line 1 || true
  sleep 2
  mid=$(rss_kib "${PID[$t]}")
  read -r _ open_mid _ < <(grep '^ready' "$RUN/idle.out" | sed -n 1p || echo "ready 0 0")
  echo more >&7 || true
  wait_line 2 || true
  sleep 2
  after=$(rss_kib "${PID[$t]}")
  fds=$(fds_of "${PID[$t]}")
  read -r _ open failed < <(grep '^ready' "$RUN/idle.out" | sed -n 2p | grep . || echo "ready 0 $IDLE_CONNS")
  echo close >&7 || true
  exec 7>&-
  for _ in $(seq 300); do kill -0 "$cpid" 2>/dev/null || break; sleep 0.1; done
  stop_pid "$cpid"
  record 1 idle "$t" open "$open"
  record 1 idle "$t" failed "$failed"
  record 1 idle "$t" rss_before_kib "$before"
  record 1 idle "$t" rss_mid_kib "$mid"
  record 1 idle "$t" open_mid "${open_mid:-0}"
  record 1 idle "$t" rss_after_kib "$after"
  record 1 idle "$t" fds_held "$fds"
  if [ "${open:-0}" -gt 0 ]; then
    record 1 idle "$t" kib_per_conn "$(awk -v a="$after" -v b="$before" -v n="$open" 'BEGIN{printf "%.2f", (a-b)/n}')"
  fi
  if [ "${open:-0}" -gt "${open_mid:-0}" ]; then
    # the second half alone: what one more connection costs once the process is warm
    record 1 idle "$t" kib_per_conn_marginal "$(awk -v a="$after" -v b="$mid" -v n="$((open - open_mid))" 'BEGIN{printf "%.2f", (a-b)/n}')"
  fi
  log "  idle $t: $open open ($failed failed), RSS $before -> $mid (at $open_mid) -> $after KiB, $fds fds held"
  [ "${failed:-0}" = 0 ] || log "    first failure: $(head -1 "$RUN/idle.err")"
  settle_fds "$t" idle 1
}
if wanted idle; then
  log "idle: $IDLE_CONNS TLS connections held through each proxy"
  for t in "${PROXIES[@]}"; do idle_test "$t"; done
fi

# ---- QUIC datagram forwarding: ours vs direct --------------------------------------------------
# The endpoints (sender and echo, single-threaded Python) are pinned to CPU 0 and the proxies to
# CPU 1 (after start-up, so the JVM sizes itself for both cores as usual): the endpoints get the
# same one core with and without a proxy, and the ratio says whether the proxy keeps up with them.
# Unpinned (--quic-unpinned), the three processes share 2 cores and the ratio is bounded by
# (sender + echo) / (sender + echo + proxy) CPU per datagram, whatever the proxy does. Each round
# records the CPU of all three.
if wanted quic; then
  QPIN_ENDS=() QPIN_PROXY=""
  if [ -z "${QUIC_UNPINNED:-}" ] && [ "$(nproc)" -ge 2 ]; then QPIN_ENDS=(taskset -c 0); QPIN_PROXY=1; fi
  echo "quic_pinning=$([ -n "$QPIN_PROXY" ] && echo 'endpoints on CPU 0, proxy on CPU 1' || echo none)" >> "$OUT/meta.env"
  start_bg udpecho "${QPIN_ENDS[@]}" python3 "$LIB/udp_echo.py" --port "$P_UDP_ECHO" --max-seconds 3600
  sleep 0.5
  QTARGETS=(direct)
  declare -A QPORT=([direct]=$P_UDP_ECHO [ours]=$P_OURS_QUIC [before]=$P_BEFORE_QUIC [relay]=$P_RELAY)
  declare -A QPID=([ours]=oursquic [before]=beforequic [relay]=relay)
  # The floor of a user-space hop: a minimal C relay (recvmmsg/sendmmsg, nothing else) where the
  # proxies run. Through any relay on the other core the endpoints pay more per datagram than
  # direct (cross-CPU wake-ups, cold cache lines), so its ratio is what "x direct" can reach here.
  if command -v cc >/dev/null && cc -O2 -o "$RUN/udp_relay" "$LIB/udp_relay.c" 2>"$RUN/udp_relay-cc.out"; then
    start_bg relay ${QPIN_PROXY:+taskset -c 1} "$RUN/udp_relay" "$P_RELAY" "$P_UDP_ECHO" 16
    QTARGETS+=(relay)
  else
    log "quic: no C compiler: no reference relay"
  fi
  for t in ${AB:+before} ours; do
    if [ "$t" = before ]; then
      start_ours beforequic "$P_BEFORE_QUIC_MGMT" "$RUN/before-quic.yaml" "$BEFORE_LAUNCHER" "$BEFORE_JAR" \
        "${BEFORE_JAVA_OPTS:-}"
      if wait_ready beforequic "$P_BEFORE_QUIC_MGMT"; then
        QTARGETS+=(before)
        [ -z "$QPIN_PROXY" ] || taskset -a -cp 1 "${PID[beforequic]}" >/dev/null
      else
        log "quic: the before build did not become ready"
      fi
      continue
    fi
    start_ours oursquic "$P_OURS_QUIC_MGMT" "$RUN/ours-quic.yaml"
    if wait_ready oursquic "$P_OURS_QUIC_MGMT"; then
      QTARGETS+=(ours)
      [ -z "$QPIN_PROXY" ] || taskset -a -cp 1 "${PID[oursquic]}" >/dev/null
    else
      why=$(grep -m1 -iE 'quic|error' "$RUN/oursquic.out" | cut -c1-200 || true)
      echo "${why:-no quic listener came up}" > "$OUT/quic-unavailable.txt"
      log "quic: ours has no working quic listener in this build (${why:-not ready}); direct baseline only"
      stop_pid "${PID[oursquic]}"
    fi
  done
  QDUR=$((DUR < 5 ? DUR : 5))
  QWIN=${QUIC_WINDOW:-128}
  echo "quic_duration_s=$QDUR" >> "$OUT/meta.env"
  echo "quic_window=$QWIN" >> "$OUT/meta.env"
  # Warm-up: one session's worth of datagrams through each path before the rounds (the JITs).
  for t in "${QTARGETS[@]}"; do
    timeout 30 "${QPIN_ENDS[@]}" python3 "$LIB/quic_sender.py" --port "${QPORT[$t]}" --seconds "$QDUR" --window "$QWIN" >/dev/null 2>&1 || true
  done
  for r in $(seq "$ROUNDS"); do
    order=("${QTARGETS[@]}")
    if [ $((r % 2)) = 0 ]; then mapfile -t order < <(printf '%s\n' "${QTARGETS[@]}" | tac); fi
    for t in "${order[@]}"; do
      c0=0
      [ "$t" = direct ] || c0=$(cpu_ticks "${PID[${QPID[$t]}]}")
      e0=$(cpu_ticks "${PID[udpecho]}")
      read -r rate lost scpu < <(timeout $((QDUR + 20)) "${QPIN_ENDS[@]}" python3 "$LIB/quic_sender.py" --port "${QPORT[$t]}" --seconds "$QDUR" --window "$QWIN" || echo "0 0 0")
      ecpu=$(( ($(cpu_ticks "${PID[udpecho]}") - e0) * 1000 / CLK_TCK ))
      record "$r" quic "$t" dgrams_s "$rate"
      record "$r" quic "$t" lost "$lost"
      record "$r" quic "$t" sender_cpu_ms "${scpu:-0}"
      record "$r" quic "$t" echo_cpu_ms "$ecpu"
      cpu=""
      if [ "$t" != direct ]; then
        cpu=$(( ($(cpu_ticks "${PID[${QPID[$t]}]}") - c0) * 1000 / CLK_TCK ))
        record "$r" quic "$t" cpu_ms "$cpu"
      fi
      log "  round $r quic $t: $rate datagrams/s echoed ($lost lost)${cpu:+ cpu_ms=$cpu} sender_cpu_ms=${scpu:-0} echo_cpu_ms=$ecpu"
    done
  done
fi

echo "loadavg_end=$(cut -d' ' -f1-3 /proc/loadavg)" >> "$OUT/meta.env"
for t in "${PROXIES[@]}"; do
  record 0 final "$t" rss_kib "$(rss_kib "${PID[$t]}")"
done

# ---- report ------------------------------------------------------------------------------------
python3 "$LIB/report.py" "$OUT" $([ "$DOCS" = 1 ] && echo --docs "$ROOT/docs")
if [ -n "${JFR:-}" ]; then
  stop_pid "${PID[ours]}"  # the recording is written at exit
  [ -z "${AB:-}" ] || stop_pid "${PID[before]}"
  for f in "$OUT"/*.jfr; do
    [ -s "$f" ] && "$JAVA_HOME/bin/jfr" view --width 160 hot-methods "$f" > "${f%.jfr}-hot-methods.txt" 2>&1 || true
  done
  log "JFR recordings and hot methods: $OUT/*.jfr, $OUT/*-hot-methods.txt"
fi
log "done: $OUT/summary.md"
