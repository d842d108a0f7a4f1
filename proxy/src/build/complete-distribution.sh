#!/usr/bin/env bash
# Run by the build (proxy/pom.xml, `package` phase, after Quarkus wrote the fast-jar): makes
# target/quarkus-app/ a distribution that starts the way the repository does:
# - bin/sniproxy, the launcher (and the JDK picker it sources), beside the jar;
# - bin/sniproxy-training.jar, the AOT training run (plain JDK code, src/aot/java), which
#   `bin/sniproxy train-aot` runs to write the AOT cache for the JDK at hand;
# - sniproxy.aot (+ .jdk), that cache, trained here on the build's JDK when it is 25 or newer.
#
#   complete-distribution.sh QUARKUS_APP_DIR REPOSITORY_BIN_DIR TRAINING_SOURCES train|skip
set -euo pipefail
app=$1
bin=$2
training=$3
aot=${4:-train}
# A native build (-Dnative) writes no fast-jar: nothing to complete.
[ -f "$app/quarkus-run.jar" ] || exit 0
. "$bin/java-home.sh"

mkdir -p "$app/bin"
install -m 0755 "$bin/sniproxy" "$app/bin/sniproxy"
install -m 0644 "$bin/java-home.sh" "$app/bin/java-home.sh"

classes=$(mktemp -d)
trap 'rm -rf "$classes"' EXIT
"$JAVA_HOME/bin/javac" --release 21 -nowarn -d "$classes" $(find "$training" -name '*.java')
"$JAVA_HOME/bin/jar" --create --file "$app/bin/sniproxy-training.jar" -C "$classes" .

rm -f "$app/sniproxy.aot" "$app/sniproxy.aot.jdk"
if [ "$aot" = skip ]; then
  echo "sniproxy AOT training skipped (-Dsniproxy.aot=skip): the launcher starts without a cache"
  exit 0
fi
# A cache that could not be trained is not a broken build (the launcher runs without one), but it
# is said loudly; PackagedProcessIT fails on a JDK 25 build without it.
"$app/bin/sniproxy" train-aot || echo "WARNING: sniproxy AOT training failed; no AOT cache in $app" >&2
