#!/usr/bin/env bash
# Start-up of kmodkit as its package installs it (issue 13 item 4): the .deb unpacked into a small
# Debian root (scripts/arch-root; only what it depends on, bash and busybox) and run there as
# /usr/bin/kmodkit (scripts/in-root), so the class-data archive the package ships maps as on a node.
# RUNS rounds, each running in turn: a hello-world on the same jlink runtime (the JVM's own floor),
# `kmodkit --version` and `kmodkit check` of a committed fixture with the shipped archive and
# without it (KMODKIT_NO_CDS=1: the runtime's own archive only). Medians of wall and CPU (user+sys)
# time, as bash's `time` measures each run inside the root. Writes bench/STARTUP.md.
#
#   bench/startup-installed.sh [RUNS] [DEB]   (default 9 runs; the amd64 .deb scripts/dist --arch x86_64 builds)
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
runs=${1:-9}
deb=${2:-}
work=$(mktemp -d "${TMPDIR:-/tmp}/kmodkit-startup.XXXXXX")
trap 'rm -rf "$work"' EXIT
if [ -z "$deb" ]; then
  "$here/scripts/dist" --arch x86_64 --out "$work/dist" >/dev/null
  deb=$(echo "$work"/dist/kmodkit_*_amd64.deb)
fi
root=$work/root
"$here/scripts/arch-root" "$(dpkg-deb -f "$deb" Architecture)" "$root"
dpkg-deb -x "$deb" "$root"
mkdir -p "$root/tmp/fixture" "$root/tmp/hello" "$root/home"
real=$here/kmodkit-core/src/test/resources/real
cp -a "$real/symvers/symvers-6.1.0-56-cloud-amd64" "$real/6.1.0-53" "$root/tmp/fixture/"
printf 'public class Hello { public static void main(String[] a) { System.out.println("hello"); } }\n' > "$work/Hello.java"
javac --release 17 -d "$root/tmp/hello" "$work/Hello.java"

# the runs, inside the root: "name real user sys" per run, rounds interleaved so drift hits all alike
cat > "$root/tmp/bench.sh" <<'IN'
#!/bin/bash
set -u
TIMEFORMAT='%R %U %S'
java=/usr/lib/kmodkit/runtime/bin/java
check=(check --kernel /tmp/fixture/symvers-6.1.0-56-cloud-amd64 /tmp/fixture/6.1.0-53)
one() { local name=$1; shift; local t; t=$( { time "$@" >/dev/null 2>&1; } 2>&1 ); echo "$name $t"; }
for ((i = 0; i < $1; i++)); do
  # the launcher's JVM options, as it runs kmodkit
  one hello $java -XX:+UseSerialGC -XX:-UsePerfData -Xshare:auto -XX:TieredStopAtLevel=1 -cp /tmp/hello Hello
  one version /usr/bin/kmodkit --version
  one version-no-archive env KMODKIT_NO_CDS=1 /usr/bin/kmodkit --version
  one check /usr/bin/kmodkit "${check[@]}"
  one check-no-archive env KMODKIT_NO_CDS=1 /usr/bin/kmodkit "${check[@]}"
done
IN
chmod +x "$root/tmp/bench.sh"
env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin "$here/scripts/in-root" "$root" /usr/bin/env PATH=/usr/bin:/bin HOME=/home /bin/bash /tmp/bench.sh 1 >/dev/null # warm the page cache
load=$(cut -d' ' -f1 /proc/loadavg)
env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin "$here/scripts/in-root" "$root" /usr/bin/env PATH=/usr/bin:/bin HOME=/home /bin/bash /tmp/bench.sh "$runs" > "$work/times"
load="$load before, $(cut -d' ' -f1 /proc/loadavg) after"
[ -z "$(ls -A "$root/home")" ] || { echo "startup-installed: a run wrote to HOME: $(ls -A "$root/home")" >&2; exit 1; }

median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
row() {
  local wall cpu
  wall=$(awk -v n="$1" '$1 == n {print $2 * 1000}' "$work/times" | median)
  cpu=$(awk -v n="$1" '$1 == n {print ($3 + $4) * 1000}' "$work/times" | median)
  printf '| %s | %.0f | %.0f |\n' "$2" "$wall" "$cpu"
}
size=$(stat -c %s "$root/usr/lib/kmodkit/kmodkit.jsa")
{
  echo "# Start-up of the installed package"
  echo
  echo "\`bench/startup-installed.sh $runs${2:+ DEB}\` on $(date -u +%Y-%m-%d), $(nproc) CPUs ($(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1)),"
  echo "shared with other work (1-minute load average $load: wall times are the noisier"
  echo "measure, CPU times the one to compare). Package: $(basename "$deb"); its class-data archive"
  echo "/usr/lib/kmodkit/kmodkit.jsa is $((size / 1024 / 1024)) MiB, made by scripts/dist over a \`check\` of the fixture."
  echo "The .deb is unpacked into a Debian root of its architecture and run there as /usr/bin/kmodkit"
  echo "(scripts/arch-root, scripts/in-root). Medians of $runs interleaved rounds, as bash's \`time\` measures"
  echo "each run inside the root; \"no archive\" is KMODKIT_NO_CDS=1 (the runtime's own archive of JDK classes only)."
  echo
  echo "| run | wall ms | CPU (user+sys) ms |"
  echo "|---|---:|---:|"
  row hello "hello-world on the same runtime, the launcher's JVM options"
  row version "\`kmodkit --version\`, shipped archive"
  row version-no-archive "\`kmodkit --version\`, no archive"
  row check "\`kmodkit check\` (fixture: 3 modules against 6.1.0-56's symvers), shipped archive"
  row check-no-archive "\`kmodkit check\`, no archive"
  echo
  echo "No run wrote anything: HOME stayed empty (the installed launcher keeps no cache)."
} > "$here/bench/STARTUP.md"
cat "$here/bench/STARTUP.md"
