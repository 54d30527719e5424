#!/usr/bin/env bash
# Crash run (issue 3): `kmodkit weak-modules --add-kernel` killed with SIGKILL at random instants,
# RUNS times, each kill followed by an inspection and a repair run; see bench/WeakCrash.java.
#
#   bench/weak-crash.sh [RUNS]       (default 1000; SEED=n picks other kill instants)
#
# Prints progress every 100 runs and a RESULT line; exit 1 if any run left a mixed state or the
# next run did not repair it.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
runs=${1:-1000}
work=${BENCH_WORK:-/tmp/kmodkit-weakbench}
mkdir -p "$work"
[ -f "$here/kmodkit-cli/target/kmodkit.jar" ] || (cd "$here" && mvn -q -DskipTests package)
jar=$here/kmodkit-cli/target/kmodkit.jar
testkit=$(ls "$here"/kmodkit-testkit/target/kmodkit-testkit-*.jar | grep -v -e sources -e javadoc | head -1)
# the killed process is java itself (not a launcher script that could leave its child running),
# started as bin/kmodkit starts it
exec java -Dseed="${SEED:-20261125}" -cp "$testkit:$jar" "$here/bench/WeakCrash.java" "$work" "$runs" \
  java -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -XX:-UsePerfData -Xshare:auto -jar "$jar"
