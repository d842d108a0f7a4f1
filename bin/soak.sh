#!/usr/bin/env bash
# Soak: the fd test at a larger scale (default 200,000 connections over every path, bounded by
# the test's own timeout), then the same assertions: fds back at baseline, no active connection.
# Usage: bin/soak.sh [connections]
set -euo pipefail
cd "$(dirname "$0")/.."
. bin/java-home.sh
exec ./mvnw -B -pl proxy -am verify -Dtest=FdLeakTest -Dsurefire.failIfNoSpecifiedTests=false \
  -DskipITs -Dsniproxy.fdtest.connections="${1:-200000}"
