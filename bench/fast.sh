#!/usr/bin/env bash
# Issue 16 ([fast]) in one go: every row of its table, each paired with its referee in one run by
# the row's own script, and each also paired with an earlier build of kmodkit (BASE) in the same
# rounds where the script can, so "before" and "after" share the machine's load.
#
#   BASE=/path/to/kmodkit-cli/target bench/fast.sh [RUNS]       (RUNS ≥ 7, default 7)
#
# BASE: a copy of another build's kmodkit-cli/target (kmodkit.jar and lib/), e.g. of the commit the
# work started from; without it only this checkout's build is timed. Rows:
#   1. start-up: `--version`, `check` of a module, `status` against hello-world (startup-checkout.sh;
#      BASE in a second pass, right after)
#   2. check of the cloud and amd64 trees against `depmod -a -e -E` (check-vs-depmod.sh); 2b. the
#      cloud tree with every module compressed, xz and zstd (COMPRESS=)
#   3. `repo create --yum` of 500 signed RPMs against createrepo_c (repo-vs-createrepo_c.sh)
#   4. `weak-modules --add-kernel` 54 then 56 against depmod's run on that kernel (weak-add-kernel.sh)
# Each script prints its own Markdown table; bench/FAST.md holds the last run's.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
runs=${1:-7}
[ "$runs" -ge 7 ] || { echo "fast.sh: RUNS must be 7 or more (got $runs)" >&2; exit 2; }
base=${BASE:-}
if [ -n "$base" ]; then
  base=$(readlink -f "$base")
  [ -f "$base/kmodkit.jar" ] && [ -d "$base/lib" ] || { echo "fast.sh: $base holds no kmodkit.jar and lib/ (a copy of a build's kmodkit-cli/target)" >&2; exit 2; }
fi
[ -f "$here/kmodkit-cli/target/kmodkit.jar" ] || (cd "$here" && mvn -q -DskipTests -Dfuzz.skip=true package)
echo "# bench/fast.sh $runs — $(date -u +%FT%TZ), $(git -C "$here" rev-parse --short HEAD)${base:+, base $base}; $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "## 1. start-up (this build)"
"$here/bench/startup-checkout.sh" "$runs"
if [ -n "$base" ]; then
  echo
  echo "## 1. start-up (base)"
  KMODKIT_JAR=$base/kmodkit.jar "$here/bench/startup-checkout.sh" "$runs"
fi
echo
echo "## 2. check vs depmod"
KMODKIT_BASE_JAR=${base:+$base/kmodkit.jar} "$here/bench/check-vs-depmod.sh" all "$runs"
echo
echo "## 2b. check vs depmod, the cloud tree compressed as Debian 13 / RHEL 9 (xz) and Fedora (zstd) ship modules"
for z in xz zstd; do
  COMPRESS=$z KMODKIT_BASE_JAR=${base:+$base/kmodkit.jar} "$here/bench/check-vs-depmod.sh" cloud "$runs" | tail -n +3
done
echo
echo "## 3. repo create vs createrepo_c"
BASE=$base "$here/bench/repo-vs-createrepo_c.sh" "$runs"
echo
echo "## 4. weak-modules --add-kernel vs depmod"
BEFORE_JAR=${base:+$base/kmodkit.jar} "$here/bench/weak-add-kernel.sh" "$runs"
