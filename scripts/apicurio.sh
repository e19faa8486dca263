#!/usr/bin/env bash
# Apicurio Registry 3.3.3 on loopback, for trying this project against a
# registry it did not write (its Confluent-compatible API is under
# /apis/ccompat/v7). The interop test (tests/registry/test_apicurio_interop.py) and
# users run it the same way:
#
#   scripts/apicurio.sh up       download once, start, wait until it answers; prints the URL
#   scripts/apicurio.sh down     stop it (its storage is in memory: everything goes)
#   scripts/apicurio.sh status   exit 0 if it answers
#   scripts/apicurio.sh url      print SCHEMA_REGISTRY_URL for it
#   scripts/apicurio.sh java     print the Java 21+ it runs on (exit 3 if there is none)
#
# The distribution (Maven Central, io.apicurio:apicurio-registry-app:3.3.3,
# tar.gz with classifier `all`) is resolved with Maven, checked against the
# SHA-256 below, and kept under $SUPERSTORE_HOME/apicurio (.superstore/ by
# default), like the Kafka jars. It needs Java 21 or newer: JAVA_HOME, the
# `java` on PATH and the JDKs under the usual directories are tried, then
# Debian's openjdk-21 when run as root and the package exists.
# Port: SUPERSTORE_APICURIO_PORT (18180 by default), on 127.0.0.1 only.
set -euo pipefail
cd "$(dirname "$0")/.."

VERSION=3.3.3
SHA256=8bc6751c76d963734224b01d5e7f84ccb3cb61c87d3bd77c36c35f10a5cbed63
port=${SUPERSTORE_APICURIO_PORT:-18180}
home=${SUPERSTORE_HOME:-.superstore}/apicurio
dist=$home/apicurio-registry-app-$VERSION
tarball=$home/apicurio-registry-app-$VERSION-all.tar.gz
pid_file=$home/apicurio.pid
log=$home/apicurio.log
url=http://127.0.0.1:$port/apis/ccompat/v7

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

# The major version of the Java at $1, or nothing.
java_major() {
  "$1" -XshowSettings:properties -version 2>&1 | sed -n 's/ *java.specification.version = //p' | cut -d. -f1
}

# The first Java 21+ found: JAVA_HOME, PATH, then the usual JDK directories.
find_java() {
  local candidate major
  for candidate in ${JAVA_HOME:+"$JAVA_HOME/bin/java"} "$(command -v java || true)" \
      /usr/lib/jvm/*/bin/java /opt/java/*/bin/java /opt/*/bin/java /usr/local/lib/jvm/*/bin/java \
      "$HOME"/.sdkman/candidates/java/*/bin/java; do
    [ -n "$candidate" ] && [ -x "$candidate" ] || continue
    major=$(java_major "$candidate")
    if [ "${major:-0}" -ge 21 ] 2>/dev/null; then
      echo "$candidate"
      return 0
    fi
  done
  return 1
}

# A Java 21+, installed from Debian's packages if none is found and we may.
java_21() {
  find_java && return 0
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null \
      && apt-cache policy openjdk-21-jre-headless 2>/dev/null | grep -q 'Candidate: [0-9]'; then
    say "installing openjdk-21-jre-headless (Apicurio Registry needs Java 21 or newer)"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends openjdk-21-jre-headless >/dev/null
    find_java && return 0
  fi
  echo "apicurio.sh: no Java 21 or newer found (tried JAVA_HOME, PATH, /usr/lib/jvm, /opt), and none installable from the package sources. Fix: install a JDK 21+ and set JAVA_HOME to it" >&2
  return 3
}

fetch() {
  [ -f "$dist/quarkus-run.jar" ] && return 0
  mkdir -p "$home"
  if [ ! -f "$tarball" ]; then
    say "fetching Apicurio Registry $VERSION from Maven Central with Maven (first use only, 160 MB)"
    mvn -B -q dependency:copy -Dartifact="io.apicurio:apicurio-registry-app:$VERSION:tar.gz:all" \
      -DoutputDirectory="$home" >&2
  fi
  if ! echo "$SHA256  $tarball" | sha256sum --check --status; then
    rm -f "$tarball"
    echo "apicurio.sh: $tarball does not have the expected SHA-256; it was removed. Run again to fetch it anew" >&2
    exit 1
  fi
  rm -rf "$dist.partial" && mkdir -p "$dist.partial"
  tar -xzf "$tarball" -C "$dist.partial"
  mv "$dist.partial" "$dist"
}

running_pid() {
  local pid
  pid=$(cat "$pid_file" 2>/dev/null) || return 1
  kill -0 "$pid" 2>/dev/null && grep -q quarkus-run "/proc/$pid/cmdline" 2>/dev/null && echo "$pid"
}

answers() { curl -sf -o /dev/null --max-time 3 "$url/subjects"; }

up() {
  if running_pid >/dev/null && answers; then
    echo "$url"
    return 0
  fi
  local java
  java=$(java_21) || exit 3
  fetch
  if ! running_pid >/dev/null; then
    say "starting Apicurio Registry $VERSION on 127.0.0.1:$port ($java, in-memory storage)"
    # Apicurio's default storage is an in-memory H2 database: nothing survives `down`.
    (cd "$dist" && exec nohup "$java" -Xms128m -Xmx512m \
      -Dquarkus.http.host=127.0.0.1 -Dquarkus.http.port="$port" \
      -jar quarkus-run.jar) >"$log" 2>&1 &
    echo $! >"$pid_file"
  fi
  for _ in $(seq 1 120); do
    if answers; then
      echo "$url"
      return 0
    fi
    running_pid >/dev/null || { tail -n 30 "$log" >&2; echo "apicurio.sh: Apicurio Registry exited (log: $log)" >&2; exit 1; }
    sleep 1
  done
  tail -n 30 "$log" >&2
  echo "apicurio.sh: Apicurio Registry did not answer within 120 s (log: $log)" >&2
  exit 1
}

down() {
  local pid
  pid=$(running_pid) || { rm -f "$pid_file"; return 0; }
  kill "$pid"
  for _ in $(seq 1 30); do
    kill -0 "$pid" 2>/dev/null || { rm -f "$pid_file"; return 0; }
    sleep 1
  done
  kill -9 "$pid" 2>/dev/null || true
  rm -f "$pid_file"
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  status) running_pid >/dev/null && answers ;;
  url) echo "$url" ;;
  java) java_21 ;;
  *) echo "usage: $0 up|down|status|url|java" >&2; exit 2 ;;
esac
