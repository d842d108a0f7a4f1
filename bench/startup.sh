#!/usr/bin/env bash
# Start-up to ready, as users start the proxy: from the exec of a launcher (bin/sniproxy, its JVM
# settings and AOT cache) to /q/health/ready answering UP. Several starts, the median; with two
# launchers the starts alternate (A, B, A, B, ...), so that both see the same machine load.
#
#   bench/startup.sh [--runs N] [LAUNCHER_A [LAUNCHER_B]]
#
# Default LAUNCHER_A: the repository's bin/sniproxy. For an A/B, B is typically
# quarkus-app/bin/sniproxy of a copy of proxy/target/quarkus-app/ from before a change (its AOT cache
# trained there: `COPY/bin/sniproxy train-aot`). Per start it prints the wall time, the process's CPU
# (user+sys) and the Java main thread's CPU at the moment readiness was UP: on a loaded machine the
# CPU figures are the comparable ones. Listeners (tls, http, quic: the built-in default's) and the
# management port come from STARTUP_BASE_PORT (default 23440) .. +2, loopback only.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
runs=7
if [ "${1:-}" = --runs ]; then runs=$2; shift 2; fi
launchers=("${@:-$ROOT/bin/sniproxy}")
base=${STARTUP_BASE_PORT:-23440}
tls=$base http=$((base + 1)) mgmt=$((base + 2))
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
sed -e "s/127.0.0.1:8443/127.0.0.1:$tls/" -e "s/127.0.0.1:8080/127.0.0.1:$http/" \
  -e "s/127.0.0.1:9000/127.0.0.1:$mgmt/" "$ROOT/proxy/src/main/resources/sniproxy-default.yaml" > "$dir/config.yaml"

ticks() { awk '{print $14 + $15}' "$1"; }  # user+sys clock ticks of a /proc stat file
hz=$(getconf CLK_TCK)

# The poll starts no program (a curl and a sleep every few ms would be a load of their own on the
# cores the JVM starts on): bash's /dev/tcp for the request, a read with a timeout on a pipe that
# nobody writes for the pause.
exec {nap}<> <(:)
ready() { # one GET /q/health/ready; true when it answers 200 (UP)
  local fd status=""
  { exec {fd}<>"/dev/tcp/127.0.0.1/$mgmt"; } 2>/dev/null || return 1
  printf 'GET /q/health/ready HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' >&"$fd" 2>/dev/null || true
  IFS= read -r -t 2 -u "$fd" status || true
  exec {fd}>&-
  [[ $status == "HTTP/1."?" 200"* ]]
}

one() { # launcher -> "wall_ms cpu_ms main_thread_ms"
  local t0 t1 pid main
  t0=$(date +%s%N)
  "$1" --config "$dir/config.yaml" -Dquarkus.management.port="$mgmt" > "$dir/out" 2>&1 &
  pid=$!
  until ready; do
    [ -d "/proc/$pid" ] || { echo "$1 exited before it was ready:" >&2; cat "$dir/out" >&2; exit 1; }
    read -r -t 0.002 -u "$nap" _ || true
  done
  t1=$(date +%s%N)
  # The Java main thread: the JVM's first thread after the launcher's primordial one.
  main=$(ls "/proc/$pid/task" | sort -n | sed -n 2p)
  echo "$(( (t1 - t0) / 1000000 )) $(( $(ticks "/proc/$pid/stat") * 1000 / hz )) $(( $(ticks "/proc/$pid/task/$main/stat") * 1000 / hz ))"
  kill -TERM "$pid"
  wait "$pid" 2>/dev/null || true
}

median() { printf '%s\n' "$@" | sort -n | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}'; }
declare -A wall cpu main
for i in $(seq "$runs"); do
  line="start $i:"
  for l in "${!launchers[@]}"; do
    read -r w c m <<< "$(one "${launchers[$l]}")"
    wall[$l]+="$w " cpu[$l]+="$c " main[$l]+="$m "
    line+="  [$l] ${w} ms (CPU ${c} ms, main thread ${m} ms)"
  done
  echo "$line  load $(cut -d' ' -f1 /proc/loadavg)"
done
for l in "${!launchers[@]}"; do
  # shellcheck disable=SC2086 # lists of numbers
  echo "[$l] ${launchers[$l]}: median $(median ${wall[$l]}) ms to ready, CPU $(median ${cpu[$l]}) ms, main thread $(median ${main[$l]}) ms ($runs starts)"
done
