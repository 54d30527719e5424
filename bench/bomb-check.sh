#!/usr/bin/env bash
# Benchmark (issue 11, item 3): `kmodkit check` of a directory of 8 decompression bombs (.ko.zst
# of 4 GiB of zeros, ~135 KB each, made with the zstd CLI) and 1 good module (a committed fixture),
# under /usr/bin/time -v, with the launcher's default heap and with KMODKIT_JAVA_OPTS=-Xmx1g (what
# the JVM picks on a 4 GiB host). Goal: exit 2, peak RSS <= 300 MB. Writes bench/BOMBS.md.
#
#   bench/bomb-check.sh [RUNS]      (default 5; medians reported)
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
runs=${1:-5}
work=${BENCH_WORK:-/tmp/kmodkit-bombbench}
kernel=$here/kmodkit-core/src/test/resources/real/symvers/symvers-6.1.0-56-cloud-amd64
good=$here/kmodkit-core/src/test/resources/real/6.1.0-56/hello.ko
command -v zstd >/dev/null || { echo "bomb-check: needs the zstd CLI (apt-get install zstd)" >&2; exit 3; }
[ -x /usr/bin/time ] || { echo "bomb-check: needs GNU time (apt-get install time)" >&2; exit 3; }
[ -f "$here/kmodkit-cli/target/kmodkit.jar" ] || (cd "$here" && mvn -q -DskipTests -Dfuzz.skip=true package)

dir=$work/bombs
rm -rf "$dir" && mkdir -p "$dir"
head -c 4G /dev/zero | zstd -q -c > "$work/bomb.ko.zst"
for i in 1 2 3 4 5 6 7 8; do cp "$work/bomb.ko.zst" "$dir/bomb$i.ko.zst"; done
cp "$good" "$dir/"
bomb_bytes=$(stat -c %s "$work/bomb.ko.zst")
"$here/bin/kmodkit" --version >/dev/null 2>&1 || true # class-data archive made before timing

median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }

rows=""
for opts in "" "-Xmx1g"; do
  : > "$work/rss" ; : > "$work/wall"; codes=""
  for r in $(seq "$runs"); do
    set +e
    KMODKIT_JAVA_OPTS="$opts" /usr/bin/time -v "$here/bin/kmodkit" check --kernel "$kernel" "$dir" > "$work/out" 2> "$work/err"
    code=$?
    set -e
    codes="$codes $code"
    grep 'Maximum resident set size' "$work/err" | awk '{print $NF}' >> "$work/rss"
    grep 'Elapsed (wall clock)' "$work/err" | awk '{n=split($NF,t,":"); s=0; for(i=1;i<=n;i++) s=s*60+t[i]; print s}' >> "$work/wall"
  done
  rss_mb=$(median < "$work/rss" | awk '{printf "%.0f", $1/1024}')
  wall=$(median < "$work/wall")
  refused=$(grep -c 'expands beyond 64 MiB' "$work/err" || true)
  judged=$(grep -c 'ok   hello: loads' "$work/out" || true)
  rows="$rows| \`${opts:-(launcher default)}\` |$codes | $rss_mb MB | $wall s | $refused of 8 | $([ "$judged" = 1 ] && echo yes || echo no) |
"
  echo "KMODKIT_JAVA_OPTS='$opts': exit$codes, peak RSS $rss_mb MB (median of $runs), wall $wall s" >&2
done
sample=$(grep -m1 'expands beyond' "$work/err" | sed "s|$dir|DIR|")

cat > "$here/bench/BOMBS.md" <<MD
# Decompression bombs: \`check\` of 8 bombs + 1 good module

Made by \`bench/bomb-check.sh $runs\` on $(date -u +%Y-%m-%d) ($(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo) RAM, $(java -version 2>&1 | head -1)).
DIR holds 8 copies of \`head -c 4G /dev/zero | zstd\` ($bomb_bytes bytes each, named \`bombN.ko.zst\`)
and \`hello.ko\` (kmodkit-core/src/test/resources/real/6.1.0-56). Command:

    KMODKIT_JAVA_OPTS=OPTS /usr/bin/time -v bin/kmodkit check --kernel kmodkit-core/src/test/resources/real/symvers/symvers-6.1.0-56-cloud-amd64 DIR

Goal: exit 2, peak RSS ≤ 300 MB. Peak RSS and wall time are medians of $runs runs.

| KMODKIT_JAVA_OPTS | exit codes | peak RSS | wall | bombs refused | hello.ko still judged |
|---|---|---|---|---|---|
$rows
Each bomb is refused on one line (stderr), e.g.:

    $sample

Before the bound (main at b11e80d): issue 11 measured one such bomb at 1.9 GB RSS and 8–16 s;
here, one bomb + hello.ko with \`-Xmx1g\` ended in an OutOfMemoryError stack trace, exit 1
("would not load"), 570 MB RSS, 3.9 s.
Now a module may expand to 64 MiB (\`ExpansionLimit.MODULE\`); the first pass keeps at most 32 times
the compressed size and only counts the rest, so a bomb is refused without being held.
MD
echo "wrote bench/BOMBS.md" >&2
