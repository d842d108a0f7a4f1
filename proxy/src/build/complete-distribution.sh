#!/usr/bin/env bash
# Run by the build (proxy/pom.xml, `package` phase, after Quarkus wrote the fast-jar): makes
# target/quarkus-app/ a distribution that starts the way the repository does:
# - bin/sniproxy, the launcher (and the JDK picker it sources), beside the jar;
# - bin/sniproxy-classpath.jar, the fast-jar's jars merged into one (MergeJars.java: in the order
#   of the fast-jar's own class loader, first entry wins, service files concatenated) with the
#   proxy's main class. The launcher starts through it, so that the application's classes are
#   loaded by the JVM's own class loader, the one whose classes the AOT cache holds loaded and
#   linked: through the fast-jar's class loader (quarkus-run.jar) the JVM still reads and inflates
#   each class from its jar before it takes the cached copy (docs/operations.md, "Start-up"). One
#   jar, not ~120 on a Class-Path: the JVM's loader keeps every jar it opened open, ~100 fds of
#   the fd budget;
# - bin/sniproxy-training.jar, the AOT training run (plain JDK code, src/aot/java), which
#   `bin/sniproxy train-aot` runs to write the AOT cache for the JDK at hand;
# - sniproxy.aot (+ .jdk), that cache, trained here on the build's JDK when it is 25 or newer;
# - sniproxy-classes.txt, the classes the training run loaded (any JDK), which the proxy loads
#   before it starts when it runs as java -jar quarkus-run.jar (FastJarPreload says why).
#
#   complete-distribution.sh QUARKUS_APP_DIR REPOSITORY_BIN_DIR TRAINING_SOURCES train|skip
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
app=$(cd "$1" && pwd)
bin=$2
training=$3
aot=${4:-train}
# A native build (-Dnative) writes no fast-jar: nothing to complete.
[ -f "$app/quarkus-run.jar" ] || exit 0
. "$bin/java-home.sh"

mkdir -p "$app/bin"
install -m 0755 "$bin/sniproxy" "$app/bin/sniproxy"
install -m 0644 "$bin/java-home.sh" "$app/bin/java-home.sh"

# The class path: lib/boot (quarkus-run.jar's own Class-Path, relative to the app), then the jars
# quarkus-application.dat lists for the fast-jar's class loader, in its order (the transformed
# classes ahead of the originals they replace), merged into one jar in that order.
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && "$JAVA_HOME/bin/jar" --extract --file "$app/quarkus-run.jar" META-INF/MANIFEST.MF)
boot=$(tr -d '\r' < "$work/META-INF/MANIFEST.MF" \
  | sed -n '/^Class-Path:/,/^[^ ]/{s/^Class-Path: //;s/^ //;/^[A-Z][A-Za-z-]*:/d;p}' | tr -d '\n')
main=$(for j in "$app"/quarkus/transformed-bytecode.jar "$app"/quarkus/generated-bytecode.jar "$app"/app/*.jar "$app"/lib/main/*.jar; do [ ! -f "$j" ] || echo "${j#"$app"/}"; done)
manifest=$work/MANIFEST.MF
{
  echo "Manifest-Version: 1.0"
  echo "Main-Class: io.sniproxy.proxy.app.ProxyMain"
  echo "Add-Opens: java.base/java.lang"
  echo "Enable-Native-Access: ALL-UNNAMED"
} > "$manifest"
rm -f "$app/bin/sniproxy-classpath.jar"
# shellcheck disable=SC2086 # word lists
(cd "$app" && "$JAVA_HOME/bin/java" "$here/MergeJars.java" bin/sniproxy-classpath.jar "$manifest" $boot $main)

classes=$work/classes
mkdir "$classes"
"$JAVA_HOME/bin/javac" --release 21 -nowarn -d "$classes" $(find "$training" -name '*.java')
"$JAVA_HOME/bin/jar" --create --file "$app/bin/sniproxy-training.jar" -C "$classes" .

rm -f "$app/sniproxy.aot" "$app/sniproxy.aot.jdk" "$app/sniproxy-classes.txt"
if [ "$aot" = skip ]; then
  echo "sniproxy AOT training skipped (-Dsniproxy.aot=skip): the launcher starts without a cache, java -jar without its class list"
  exit 0
fi
# A cache that could not be trained is not a broken build (the launcher runs without one), but it
# is said loudly; PackagedProcessIT fails on a JDK 25 build without it.
"$app/bin/sniproxy" train-aot || echo "WARNING: sniproxy AOT training failed; no AOT cache in $app" >&2
