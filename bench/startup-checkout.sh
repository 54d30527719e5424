#!/usr/bin/env bash
# Start-up of the checkout's kmodkit (kmodkit-cli/target/kmodkit.jar) against a hello-world class on
# the same java with the same JVM options, paired in one run: each round runs the referee, then
# kmodkit, so both see the same machine load. Medians of N rounds of CPU (user+sys) and wall seconds.
#
#   bench/startup-checkout.sh [N]        (N ≥ 7, default 7; JAVA_HOME picks the java, as for bin/kmodkit;
#                                         KMODKIT_JAR=… times another build)
#
# Modes, per command:
#   off       java -Xshare:off: every class loaded and verified from the jars
#   auto      java -Xshare:auto: the JDK's own class-data archive (JDK classes only)
#   launcher  bin/kmodkit as shipped: its archive (dynamic CDS on JDK < 24, the AOT cache of JEP 483
#             on JDK ≥ 24) made by one earlier run of exactly this command in a fresh cache directory
# The referee is `java -Xshare:<off|auto> Hello` (the JDK's archive in auto and launcher modes).
# Classes counts are -Xlog:class+load lines of one run with -Xshare:auto. Prints a Markdown table.
set -euo pipefail
n=${1:-7}
[ "$n" -ge 7 ] || { echo "startup-checkout.sh: N must be 7 or more (got $n)" >&2; exit 2; }
home=$(cd -P "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
jar=${KMODKIT_JAR:-$home/kmodkit-cli/target/kmodkit.jar}  # KMODKIT_JAR: another build (its lib/ beside it)
[ -f "$jar" ] || { echo "startup-checkout.sh: $jar is not built; run: (cd $home && mvn -q -DskipTests package)" >&2; exit 2; }
java=${JAVA_HOME:+$JAVA_HOME/bin/}java
real=$home/kmodkit-core/src/test/resources/real
work=$(mktemp -d /tmp/startup-checkout.XXXXXX)
trap 'rm -rf "$work"' EXIT
printf 'public class Hello { public static void main(String[] a) { System.out.println("hello"); } }\n' >"$work/Hello.java"
"${java%java}javac" -d "$work" "$work/Hello.java"
# the launcher's options for a short run (bin/kmodkit)
opts=(-XX:+UseSerialGC -XX:-UsePerfData -XX:TieredStopAtLevel=1 -Xlog:disable -Xlog:all=warning:stderr)
cases=(
  "--version"
  "check --kernel $real/symvers/symvers-6.1.0-56-cloud-amd64 $real/6.1.0-53"
  "status"
)

# one timed run: appends "cpu wall" to $1
timed() {
  local to=$1; shift
  /usr/bin/time -f '%U %S %e' -o "$work/t" "$@" >/dev/null 2>&1 || true
  tail -1 "$work/t" | awk '{ printf "%.3f %.3f\n", $1 + $2, $3 }' >>"$to" # after any "Command exited…" line
}
median() { # column $2 of file $1
  sort -n -k"$2" "$1" | awk -v c="$2" '{ v[NR] = $c } END { m = int((NR + 1) / 2); printf "%.3f", (NR % 2) ? v[m] : (v[m] + v[m + 1]) / 2 }'
}
classes() {
  "$java" "${opts[@]}" -Xshare:auto -Xlog:class+load=info:file="$work/cl" "$@" >/dev/null 2>&1 || true
  grep -c . "$work/cl"
}

echo "java: $("$java" -version 2>&1 | head -1); jar: $jar; rounds: $n; $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| command | mode | classes | kmodkit CPU s | hello CPU s | CPU ratio | kmodkit wall s | hello wall s |"
echo "|---|---|---|---|---|---|---|---|"
for c in "${cases[@]}"; do
  read -r -a a <<<"$c"
  cls=$(classes -jar "$jar" "${a[@]}")
  for mode in off auto launcher; do
    : >"$work/k"; : >"$work/h"
    share=auto; [ $mode = off ] && share=off
    if [ $mode = launcher ]; then
      export KMODKIT_CACHE=$work/cache-${a[0]}
      rm -rf "$KMODKIT_CACHE"
      KMODKIT_JAR=$jar "$home/bin/kmodkit" "${a[@]}" >/dev/null 2>&1 || true # makes the archive
      for ((w = 0; w < 120; w++)); do # an AOT cache is made in the background after the run
        compgen -G "$KMODKIT_CACHE/*.tmp*" >/dev/null || break
        sleep 1
      done
    fi
    for ((r = 0; r < n; r++)); do
      timed "$work/h" "$java" "${opts[@]}" -Xshare:$share -cp "$work" Hello
      if [ $mode = launcher ]; then
        timed "$work/k" env KMODKIT_JAR="$jar" "$home/bin/kmodkit" "${a[@]}"
      else
        timed "$work/k" "$java" "${opts[@]}" -Xshare:$share -jar "$jar" "${a[@]}"
      fi
    done
    kc=$(median "$work/k" 1) hc=$(median "$work/h" 1)
    printf '| `%s` | %s | %s | %s | %s | %s× | %s | %s |\n' "${a[0]}" $mode "$cls" "$kc" "$hc" \
      "$(awk -v k="$kc" -v h="$hc" 'BEGIN { printf "%.1f", (h > 0) ? k / h : 0 }')" "$(median "$work/k" 2)" "$(median "$work/h" 2)"
  done
done
