# Sourced by the project's scripts: export JAVA_HOME pointing at a JDK >= 21.
# The machine's default `java` may be 17; the build (Quarkus 3.30 on release 21) needs 21+.

# These functions run in the launcher (bin/sniproxy) before every start of the proxy: they use
# bash's own string operations and `read` instead of dirname/sed/cat, one process (readlink, for a
# java reached through symlinks) at most, since each program started costs milliseconds.

# The JDK's home directory of a java binary (a path, or a name on the PATH).
java_home_of() {
  local p
  p=$(command -v "$1") || return 1
  # .../bin/java itself (no symlink, e.g. $JAVA_HOME/bin/java): its home is the path's parent's parent.
  [ -L "$p" ] || [ "${p%/bin/java}" = "$p" ] || { echo "${p%/bin/java}"; return; }
  p=$(readlink -f "$p")
  p=${p%/*}
  echo "${p%/*}"
}

# A field of the JDK's `release` file (read, not run: starting a JVM to ask costs ~0.1 s), else
# the given system property from the JVM itself.
java_release_field() { # java-home field property
  local v="" line
  if [ -f "$1/release" ]; then
    while IFS= read -r line || [ -n "$line" ]; do
      case $line in
        "$2=\""*\") v=${line#"$2=\""}; v=${v%\"}; break ;;
      esac
    done < "$1/release"
  fi
  [ -n "$v" ] || v=$("$1/bin/java" -XshowSettings:properties -version 2>&1 | sed -n "s/^ *$3 = //p")
  echo "$v"
}

# The feature release (21, 25, ...) of a java binary.
java_major() {
  local v
  v=$(java_release_field "$(java_home_of "$1")" JAVA_VERSION java.specification.version)
  v=${v#1.}  # 1.8.0 -> 8
  echo "${v%%[!0-9]*}"
}

# The exact build (java.runtime.version, e.g. 25.0.3+9-LTS) of the JDK at a home directory.
java_runtime_version() { java_release_field "$1" JAVA_RUNTIME_VERSION java.runtime.version; }

pick_java_home() {
  local candidate
  if [ -n "${JAVA_HOME:-}" ] && [ -x "$JAVA_HOME/bin/java" ] && [ "$(java_major "$JAVA_HOME/bin/java")" -ge 21 ]; then
    return 0
  fi
  if command -v java >/dev/null 2>&1 && [ "$(java_major java)" -ge 21 ]; then
    JAVA_HOME="$(java_home_of java)"
    export JAVA_HOME
    return 0
  fi
  for candidate in /usr/lib/jvm/temurin-25-jdk-amd64 /usr/lib/jvm/temurin-2[1-9]-jdk* /usr/lib/jvm/java-2[1-9]-openjdk*; do
    if [ -x "$candidate/bin/java" ] && [ "$(java_major "$candidate/bin/java")" -ge 21 ]; then
      export JAVA_HOME="$candidate"
      return 0
    fi
  done
  echo "sniproxy-java needs a JDK 21 or newer (JDK 25 recommended); set JAVA_HOME to one." >&2
  return 1
}

pick_java_home
