#!/usr/bin/env bash
# Run by the build (proxy/pom.xml, `package` phase, after Quarkus wrote the fast-jar): makes
# target/quarkus-app/ a distribution that starts the way the repository does, with the launcher
# (bin/sniproxy, and the JDK picker it sources) beside the jar.
#
#   complete-distribution.sh QUARKUS_APP_DIR REPOSITORY_BIN_DIR
set -euo pipefail
app=$1
src=$2
# A native build (-Dnative) writes no fast-jar: nothing to complete.
[ -f "$app/quarkus-run.jar" ] || exit 0
mkdir -p "$app/bin"
install -m 0755 "$src/sniproxy" "$app/bin/sniproxy"
install -m 0644 "$src/java-home.sh" "$app/bin/java-home.sh"
