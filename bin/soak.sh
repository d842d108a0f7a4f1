#!/usr/bin/env bash
# Soak: the fd test at a larger scale (default 200,000 connections over every path, bounded by
# the test's own timeout), then the same assertions: fds back at baseline, no active connection.
# Then the fd-limit path on the packaged proxy (FdLimitIT): several times more TLS, HTTP and QUIC
# clients than its nofile allows, refused and recovered from, default 10 rounds in one process.
# Usage: bin/soak.sh [connections] [fd-limit rounds]
set -euo pipefail
cd "$(dirname "$0")/.."
. bin/java-home.sh
exec ./mvnw -B -pl proxy -am verify -Dtest=FdLeakTest -Dit.test=FdLimitIT -Dsurefire.failIfNoSpecifiedTests=false \
  -Dfailsafe.failIfNoSpecifiedTests=false \
  -Dsniproxy.fdtest.connections="${1:-200000}" -Dsniproxy.fdlimit.rounds="${2:-10}"
