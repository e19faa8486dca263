#!/usr/bin/env bash
# Apache Avro's own verdicts on the registry's compatibility corpus
# (registry/tests/compatibility/corpus.json): every reader/writer pair, in
# both directions, judged by org.apache.avro.SchemaCompatibility (the Java
# checker Confluent's registry uses). The Rust test
# registry/tests/avro_corpus.rs holds our checker to these verdicts.
#
#   scripts/avro-verdicts.sh           write registry/tests/compatibility/avro-verdicts.json
#   scripts/avro-verdicts.sh --check   fail, with the difference, if the committed
#                                      verdicts are not what Avro answers now (CI runs this)
#
# The Avro jars are resolved from Maven Central with Maven on first use
# (tools/avro-verdicts/pom.xml) and cached, with the compiled checker, under
# target/tools/avro-verdicts. Needs a JDK 11 or newer (javac) and Maven.
set -euo pipefail
cd "$(dirname "$0")/.."

mode=write
case "${1:-}" in
  --check) mode=check ;;
  "") ;;
  *) echo "usage: $0 [--check]" >&2; exit 2 ;;
esac

corpus=registry/tests/compatibility/corpus.json
verdicts=registry/tests/compatibility/avro-verdicts.json
pom=tools/avro-verdicts/pom.xml
source=tools/avro-verdicts/AvroVerdicts.java
cache=target/tools/avro-verdicts
avro_version=$(sed -n 's:.*<avro.version>\(.*\)</avro.version>.*:\1:p' "$pom")

java_bin=java
javac_bin=javac
if [ -n "${JAVA_HOME:-}" ] && [ -x "$JAVA_HOME/bin/javac" ]; then
  java_bin=$JAVA_HOME/bin/java
  javac_bin=$JAVA_HOME/bin/javac
fi
command -v "$javac_bin" >/dev/null || { echo "avro-verdicts.sh: javac is missing: install a JDK 11 or newer (scripts/setup.sh does)" >&2; exit 3; }

stamp=$cache/.resolved-$avro_version
if [ ! -f "$stamp" ]; then
  printf '\033[1m==> resolving Apache Avro %s from Maven Central into %s (first use only)\033[0m\n' "$avro_version" "$cache" >&2
  rm -rf "$cache/libs"
  mvn -B -q -f "$pom" dependency:copy-dependencies -DoutputDirectory="$PWD/$cache/libs" -DincludeScope=runtime >&2
  mkdir -p "$cache" && touch "$stamp"
fi
classes=$cache/classes
if [ ! -f "$classes/AvroVerdicts.class" ] || [ "$source" -nt "$classes/AvroVerdicts.class" ] || [ "$stamp" -nt "$classes/AvroVerdicts.class" ]; then
  mkdir -p "$classes"
  "$javac_bin" -d "$classes" -cp "$cache/libs/*" "$source"
fi

fresh=$(mktemp)
trap 'rm -f "$fresh"' EXIT
"$java_bin" -cp "$classes:$cache/libs/*" AvroVerdicts "$corpus" "$avro_version" > "$fresh"
if grep -q '"UNPARSEABLE' "$fresh"; then
  echo "avro-verdicts.sh: Avro refuses to parse some schemas of $corpus:" >&2
  grep -B3 '"UNPARSEABLE' "$fresh" >&2
  exit 1
fi

if [ "$mode" = check ]; then
  if ! diff -u "$verdicts" "$fresh"; then
    echo "$verdicts is stale: Avro $avro_version answers differently for the pairs above. Run scripts/avro-verdicts.sh and commit the file." >&2
    exit 1
  fi
  echo "avro verdicts: $(grep -c '"name"' "$fresh") pairs, both directions, match Apache Avro $avro_version"
else
  cp "$fresh" "$verdicts"
  echo "wrote $verdicts ($(grep -c '"name"' "$fresh") pairs, Apache Avro $avro_version)"
fi
