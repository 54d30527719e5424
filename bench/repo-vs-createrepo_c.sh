#!/usr/bin/env bash
# Benchmark (issue [ship]): wall time of writing YUM metadata for N small signed kmod RPMs,
# `bin/kmodkit repo create --yum DIR --sign-key KEY` (a fresh JVM per run with the launcher's class-data
# archive; with UNSIGNED_BC=1, the library through bench/RepoBench.java from a BC-unsigned class path) against `createrepo_c --no-database`, paired in one run.
# Goal: kmodkit <= 1.5x createrepo_c.
#
#   bench/repo-vs-createrepo_c.sh [ROUNDS]        (default 5; N=500 packages, VERIFY=1 adds --verify)
#
# BASE=DIR adds a third contender in the same rounds: the CLI built earlier, DIR holding its
# kmodkit.jar and lib/ (e.g. `cp -r kmodkit-cli/target/{kmodkit.jar,lib} DIR` on main), run through
# this checkout's bin/kmodkit with KMODKIT_JAR and its own class-data archive. The order of the
# contenders rotates every round. BASE_JAVA_OPTS (KMODKIT_JAVA_OPTS for the base runs only) pairs JVM
# options against the defaults: BASE=a copy of this very build, BASE_JAVA_OPTS=the options to try.
#
# UNSIGNED_BC=1 runs kmodkit from a copy of the CLI's lib/ whose BouncyCastle jars have their jar
# signatures stripped: what a packaging change would gain (the JVM verifies signed jars when it
# opens them and keeps their classes out of class-data archives).
#
# The RPMs are generated once (RpmWriter, one RSA-2048 key) into $BENCH_WORK (default
# /tmp/kmodkit-bench-repo). Each round copies them to two fresh directories and times both tools,
# alternating which goes first; medians and the ratio at the end.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
rounds=${1:-5}; n=${N:-500}
work=${BENCH_WORK:-/tmp/kmodkit-bench-repo}
jar=$here/kmodkit-cli/target/kmodkit.jar
[ -f "$jar" ] || (cd "$here" && mvn -q -B -DskipTests -De2e.skip=true -Dfuzz.skip=true package)
[ -x /usr/bin/time ] || { echo "bench: /usr/bin/time missing (apt-get install time)" >&2; exit 3; }
command -v createrepo_c >/dev/null || { echo "bench: createrepo_c missing (apt-get install createrepo-c)" >&2; exit 3; }
mkdir -p "$work/classes"
if [ "${UNSIGNED_BC:-0}" = 1 ]; then
  rm -rf "$work/cli"; mkdir -p "$work/cli/lib"
  cp "$jar" "$work/cli/kmodkit.jar"; cp "$(dirname "$jar")"/lib/*.jar "$work/cli/lib/"
  for j in "$work"/cli/lib/bc*.jar; do zip -q -d "$j" 'META-INF/*.SF' 'META-INF/*.RSA' 'META-INF/*.DSA' 'META-INF/*.EC' >/dev/null 2>&1 || true; done
  jar=$work/cli/kmodkit.jar
fi
javac -cp "$jar" -d "$work/classes" "$here/bench/RepoBench.java"
# a jar, not a directory: class-data archives refuse directories on the class path
jar cf "$work/bench.jar" -C "$work/classes" .
opts=(-XX:TieredStopAtLevel=1 -XX:+UseSerialGC -XX:-UsePerfData -Xshare:auto -Dverify=$([ "${VERIFY:-0}" = 1 ] && echo true || echo false))
cp=$jar:$work/bench.jar
if [ ! -f "$work/pkgs/.done-$n" ]; then
  rm -rf "$work/pkgs" "$work/src"
  echo "generating $n signed RPMs in $work/pkgs"
  java -cp "$cp" RepoBench generate "$work/pkgs" "$n" "$work/key.asc"
  touch "$work/pkgs/.done-$n"
fi
fresh() { rm -rf "$work/$1"; mkdir -p "$work/$1"; cp "$work"/pkgs/*.rpm "$work/$1/"; }
# the launcher's class-data archive, made by one untimed run as the CLI's first run makes it
fresh warm
java "${opts[@]}" -XX:ArchiveClassesAtExit="$work/cds.jsa" -Xlog:cds=off -Xlog:cds+dynamic=off -cp "$cp" RepoBench create "$work/warm" "$work/key.asc" >/dev/null
# wall ms, then CPU ms (user + sys, from /usr/bin/time): CPU is what another session's load disturbs least
ms() {
  local t0 t1 u s
  t0=$(date +%s%N); /usr/bin/time -f '%U %S' -o "$work/cpu" "$@" >/dev/null; t1=$(date +%s%N)
  read -r u s <"$work/cpu"
  echo "$(( (t1 - t0) / 1000000 )) $(awk -v u="$u" -v s="$s" 'BEGIN {printf "%d", (u + s) * 1000}')"
}
run_c() { fresh A; ms createrepo_c --no-database "$work/A"; }
if [ -n "${UNSIGNED_BC:-}" ]; then
  run_k() { fresh B; ms java "${opts[@]}" -XX:SharedArchiveFile="$work/cds.jsa" -cp "$cp" RepoBench create "$work/B" "$work/key.asc"; }
else
  # the CLI as users run it: bin/kmodkit (its own class-data archive, made by this untimed run)
  export KMODKIT_CACHE=$work/cli-cache
  fresh warm; "$here/bin/kmodkit" repo create --yum "$work/warm" --pgp-key "$work/key.asc" --name bench >/dev/null
  run_k() { fresh B; ms "$here/bin/kmodkit" repo create --yum "$work/B" --pgp-key "$work/key.asc" --name bench; }
  if [ -n "${BASE:-}" ]; then
    [ -f "$BASE/kmodkit.jar" ] || { echo "bench: BASE=$BASE holds no kmodkit.jar" >&2; exit 2; }
    fresh warm; KMODKIT_JAR=$BASE/kmodkit.jar KMODKIT_JAVA_OPTS=${BASE_JAVA_OPTS:-} "$here/bin/kmodkit" repo create --yum "$work/warm" --pgp-key "$work/key.asc" --name bench >/dev/null
    run_b() { fresh C; KMODKIT_JAR=$BASE/kmodkit.jar KMODKIT_JAVA_OPTS=${BASE_JAVA_OPTS:-} ms "$here/bin/kmodkit" repo create --yum "$work/C" --pgp-key "$work/key.asc" --name bench; }
  fi
fi
cs=(); ks=(); bs=(); ccs=(); kcs=(); bcs=()
for ((r = 1; r <= rounds; r++)); do
  if [ -n "${BASE:-}" ]; then
    case $((r % 3)) in
      1) c=$(run_c); b=$(run_b); k=$(run_k) ;;
      2) b=$(run_b); k=$(run_k); c=$(run_c) ;;
      0) k=$(run_k); c=$(run_c); b=$(run_b) ;;
    esac
    bs+=("${b% *}"); bcs+=("${b#* }")
    printf 'round %d: createrepo_c %5d ms (cpu %4d)   kmodkit %5d ms (cpu %4d)   base %5d ms (cpu %4d)\n' "$r" ${c% *} ${c#* } ${k% *} ${k#* } ${b% *} ${b#* }
  else
    if ((r % 2)); then c=$(run_c); k=$(run_k); else k=$(run_k); c=$(run_c); fi
    printf 'round %d: createrepo_c %5d ms (cpu %4d)   kmodkit %5d ms (cpu %4d)\n' "$r" ${c% *} ${c#* } ${k% *} ${k#* }
  fi
  cs+=("${c% *}"); ks+=("${k% *}"); ccs+=("${c#* }"); kcs+=("${k#* }")
done
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
ratio() { awk -v k="$1" -v c="$2" 'BEGIN {printf "%.2f", k / c}'; }
mc=$(median "${cs[@]}"); mk=$(median "${ks[@]}"); mcc=$(median "${ccs[@]}"); mkc=$(median "${kcs[@]}")
echo "median of $rounds ($n packages, $(nproc) cores): createrepo_c ${mc} ms, kmodkit ${mk} ms, ratio $(ratio "$mk" "$mc")x (goal <= 1.5x)"
echo "  cpu (user+sys): createrepo_c ${mcc} ms, kmodkit ${mkc} ms, ratio $(ratio "$mkc" "$mcc")x"
if [ -n "${BASE:-}" ]; then
  mb=$(median "${bs[@]}"); mbc=$(median "${bcs[@]}")
  echo "base (BASE=$BASE): ${mb} ms, ratio $(ratio "$mb" "$mc")x; cpu ${mbc} ms, ratio $(ratio "$mbc" "$mcc")x; kmodkit/base: wall $(ratio "$mk" "$mb"), cpu $(ratio "$mkc" "$mbc")"
fi
