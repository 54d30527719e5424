#!/usr/bin/env bash
# Benchmark: kmodkit rebuild vs the real dkms (Debian bookworm's dkms 3.0.10) on Debian's own
# *-dkms packages, against the corpus 6.1.0-56-cloud-amd64 headers (unpacked, never installed).
# Per package, the outcome each reaches: built (with the modules made), skipped (BUILD_EXCLUSIVE),
# failed (with the first compiler error, as in DKMS's make.log) or refused (dkms.conf rejected);
# and whether they agree. Writes the table to bench/DKMS.md (or $TABLE).
#
# Usage: bench/dkms-archive.sh [PKG.deb|PACKAGE-NAME ...]
#   no argument: every *-dkms package of the apt lists (apt-cache search --names-only -- '-dkms$',
#   bookworm main on a bookworm machine), fetched with apt-get download into $WORK/debs.
# Env:   DEBS=dir with the corpus .debs (default ../shared/debian, else ~/.cache/kmodkit/corpus)
#        WORK=scratch dir (default /tmp/kmodkit-bench-dkms)   TIMEOUT=seconds per build (600)
#        REAL_DKMS=0 skips the dkms side (it needs root and the dkms package: it adds each source
#        to /usr/src and /var/lib/dkms and removes it afterwards, as shared/recipes/11 does).
# A package's Depends (besides dkms) are what apt would install with it, for both sides alike:
# install them first (apt-get install --no-install-recommends …); a row names those missing.
# Rows of $TABLE for packages not run this time are kept (one package can be re-run alone), and
# so is a "## Notes" section at its end.
set -euo pipefail
here=$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)
WORK=${WORK:-/tmp/kmodkit-bench-dkms}
TIMEOUT=${TIMEOUT:-600}
TABLE=${TABLE:-$here/bench/DKMS.md}
REAL_DKMS=${REAL_DKMS:-1}
ABI=6.1.0-56
K=$ABI-cloud-amd64
DEBS=${DEBS:-}
if [ -z "$DEBS" ]; then
  for d in "$here/../shared/debian" "${KMODKIT_CACHE:-$HOME/.cache/kmodkit}/corpus"; do
    ls "$d"/linux-headers-${K}_*.deb >/dev/null 2>&1 && DEBS=$(cd "$d" && pwd) && break
  done
fi
[ -n "$DEBS" ] || { echo "bench: no corpus found; run the end-to-end tier once (it fetches it) or set DEBS" >&2; exit 3; }
kmodkit=$here/bin/kmodkit
[ -f "$here/kmodkit-cli/target/kmodkit.jar" ] || (cd "$here" && mvn -q -DskipTests -Dfuzz.skip=true package)
if [ "$REAL_DKMS" = 1 ]; then
  command -v dkms >/dev/null || { echo "bench: dkms missing (apt-get install --no-install-recommends dkms), or REAL_DKMS=0" >&2; exit 3; }
  [ "$(id -u)" -eq 0 ] || { echo "bench: the dkms side needs root (it writes /usr/src and /var/lib/dkms), or REAL_DKMS=0" >&2; exit 3; }
fi
export LC_ALL=C
mkdir -p "$WORK/debs"

# the headers as the dkms side sees them: the three packages unpacked in one sysroot
sys=$WORK/sysroot
if [ ! -d "$sys/usr/src/linux-headers-$K" ]; then
  rm -rf "$sys"; mkdir -p "$sys"
  for p in "$DEBS"/linux-headers-${K}_*.deb "$DEBS"/linux-headers-$ABI-common_*.deb "$DEBS"/linux-kbuild-6.1_*.deb; do dpkg-deb -x "$p" "$sys"; done
  sed -i "s#^include /usr/src/#include $sys/usr/src/#" "$sys/usr/src/linux-headers-$K/Makefile"
fi
kdir=$sys/usr/src/linux-headers-$K
headers=("$DEBS"/linux-headers-${K}_*.deb)

# the packages
pkgs=()
if [ $# -eq 0 ]; then
  mapfile -t names < <(apt-cache search --names-only -- '-dkms$' | cut -d' ' -f1 | sort)
  set -- "${names[@]}"
fi
for a in "$@"; do
  if [ -f "$a" ]; then pkgs+=("$(readlink -f "$a")"); continue; fi
  f=$(ls "$DEBS"/"${a}"_*.deb "$WORK/debs/${a}"_*.deb 2>/dev/null | head -1 || true)
  if [ -z "$f" ]; then (cd "$WORK/debs" && apt-get download -q "$a" >/dev/null) && f=$(ls "$WORK/debs/${a}"_*.deb | head -1); fi
  pkgs+=("$f")
done

first_error() { grep -m1 -E '(error|Error[^!]):|\*\*\*' "$@" 2>/dev/null | sed 's/|/\\|/g' | cut -c1-400; }
modules_in() { find "$@" -name '*.ko*' -printf '%f\n' 2>/dev/null | sed 's/\.ko.*//' | sort -u | paste -sd, -; }

# the Depends apt would install with the package that are not installed here (dkms aside)
missing_depends() {
  dpkg-deb -f "$1" Depends | tr ',' '\n' | sed 's/^ *//; s/ *([^)]*)//g; s/:any//g' | { grep -v '^dkms$' || true; } | while read -r alt; do
    ok=; for d in ${alt//|/ }; do dpkg-query -W -f '${Status}' "$d" 2>/dev/null | grep -q 'ok installed' && ok=1; done
    [ -n "$ok" ] || echo "$alt"
  done | paste -sd' ' - | sed 's/  */ /g'
}

rows=()
ran=()
for deb in "${pkgs[@]}"; do
  pkg=$(dpkg-deb -f "$deb" Package); ver=$(dpkg-deb -f "$deb" Version)
  ran+=("$pkg")
  x=$WORK/x/$pkg; rm -rf "$x"; mkdir -p "$x"; dpkg-deb -x "$deb" "$x"
  conf=$(ls "$x"/usr/src/*/dkms.conf 2>/dev/null | head -1 || true)
  if [ -z "$conf" ]; then # dkms has nothing to add (dh-dkms: debhelper's add-on); what kmodkit says of it
    "$kmodkit" rebuild -s "$deb" -k "${headers[0]}" --out "$WORK/out/$pkg" >/dev/null 2>"$WORK/$pkg.kmodkit.err" && k="built?!" || k="refused: $(tail -1 "$WORK/$pkg.kmodkit.err" | sed 's/|/\\|/g; s/^kmodkit: [^:]*: //' | cut -c1-120)"
    rows+=("| $pkg $ver | no module source (no usr/src/*/dkms.conf) | $k | n/a |"); continue
  fi
  missing=$(missing_depends "$deb")
  src=$(dirname "$conf"); nv=$(basename "$src")
  # the name and version dkms add takes from dkms.conf (a version may hold '-': linux-apfs-rw-0.3.0-1)
  n=$(cd "$src" && kernelver=$K kernel_source_dir=$kdir bash -c '. ./dkms.conf >/dev/null 2>&1; echo "$PACKAGE_NAME"')
  v=$(cd "$src" && kernelver=$K kernel_source_dir=$kdir bash -c '. ./dkms.conf >/dev/null 2>&1; echo "$PACKAGE_VERSION"')
  echo "bench: $pkg ($nv)" >&2

  # kmodkit
  out=$WORK/out/$pkg; rm -rf "$out"
  set +e
  timeout "$TIMEOUT" "$kmodkit" rebuild -s "$deb" -k "${headers[0]}" --out "$out" >"$WORK/$pkg.kmodkit.out" 2>"$WORK/$pkg.kmodkit.err"
  rc=$?
  set -e
  if [ $rc -eq 124 ]; then k_outcome="timeout ${TIMEOUT}s"
  elif [ $rc -eq 2 ] || [ $rc -eq 3 ]; then k_outcome="refused: $(tail -1 "$WORK/$pkg.kmodkit.err" | sed 's/|/\\|/g' | cut -c1-200)"
  elif grep -Eq '(^|[^0-9])[1-9][0-9]* skipped' "$WORK/$pkg.kmodkit.out" "$WORK/$pkg.kmodkit.err" && [ -z "$(modules_in "$out/$K")" ]; then k_outcome="skipped"
  elif [ $rc -eq 0 ]; then k_outcome="built $(modules_in "$out/$K")"
  else k_outcome="failed: $(first_error "$out"/logs/$K/*.log)"
  fi
  confinement=$(grep -m1 -o 'confinement: .*' "$WORK/$pkg.kmodkit.err" || true)

  # dkms
  d_outcome="(not run)"
  if [ "$REAL_DKMS" = 1 ]; then
    dkms remove -m "$n" -v "$v" --all >/dev/null 2>&1 || true
    rm -rf "/usr/src/$n-$v"; cp -a "$src" "/usr/src/$n-$v"
    set +e
    dkms add -m "$n" -v "$v" >"$WORK/$pkg.dkms.out" 2>&1
    # as on a machine with linux-headers-$K installed: /lib/modules/$K/build leads to the headers
    # (dkms.conf and Makefiles name it); made in a private mount namespace, over an overlay of
    # /usr/lib, so nothing else on this machine sees it
    mkdir -p "$WORK/lib/upper" "$WORK/lib/work"; rm -rf "$WORK/lib/upper/modules"
    timeout "$TIMEOUT" unshare -m --propagation private sh -c 'l=$(readlink -f /lib) &&
      mount -t overlay overlay -o "lowerdir=$l,upperdir=$1/lib/upper,workdir=$1/lib/work" "$l" &&
      mkdir -p "$l/modules/$2" && ln -sfn "$3" "$l/modules/$2/build" && shift 3 && exec "$@"' sh "$WORK" "$K" "$kdir" \
      dkms build -m "$n" -v "$v" -k "$K" --kernelsourcedir "$kdir" >>"$WORK/$pkg.dkms.out" 2>&1
    rc=$?
    set -e
    if [ $rc -eq 124 ]; then d_outcome="timeout ${TIMEOUT}s"
    elif grep -q 'BUILD_EXCLUSIVE directive which does not match' "$WORK/$pkg.dkms.out"; then d_outcome="skipped"
    elif grep -q 'dkms.conf: Error!' "$WORK/$pkg.dkms.out"; then d_outcome="refused: $(grep -m1 'dkms.conf: Error!' "$WORK/$pkg.dkms.out" | cut -c1-160)"
    elif [ $rc -eq 0 ]; then d_outcome="built $(modules_in "/var/lib/dkms/$n/$v/$K")"
    else d_outcome="failed: $(first_error "/var/lib/dkms/$n/$v/build/make.log" "$WORK/$pkg.dkms.out")"
      cp "/var/lib/dkms/$n/$v/build/make.log" "$WORK/$pkg.make.log" 2>/dev/null || true
    fi
    dkms remove -m "$n" -v "$v" --all >/dev/null 2>&1 || true
    rm -rf "/usr/src/$n-$v"
  fi
  # error lines name the build directory, which differs (/var/lib/dkms/N/V/build/, kmodkit's work/…/N/V/build/)
  case "$d_outcome" in failed:*) d_outcome=$(sed "s#[^ :']*/$n/$v/build/##g" <<<"$d_outcome" | cut -c1-200) ;; esac
  case "$k_outcome" in failed:*) k_outcome=$(sed "s#[^ :']*/$n/$v/build/##g" <<<"$k_outcome" | cut -c1-200) ;; esac
  # the same outcome: same kind, and for builds the same modules
  same=no
  [ "${d_outcome%%:*}" = "${k_outcome%%:*}" ] && same=yes
  case "$d_outcome" in built*) [ "$d_outcome" = "$k_outcome" ] || same=no ;; esac
  # for failures, the same first error (DKMS's is quoted from its make.log, path first; its
  # compiler ran in a UTF-8 locale, kmodkit's in C: ‘’ there are '' here)
  case "$d_outcome" in failed:*)
    d_outcome=$(sed -E "s#^failed: [^ ]*make\\.log:#failed: #; s/‘|’/'/g" <<<"$d_outcome")
    [ "$same" = no ] || [ "$(cut -c1-100 <<<"$d_outcome")" = "$(cut -c1-100 <<<"$k_outcome")" ] || same="no (first errors differ)" ;;
  esac
  [ "$REAL_DKMS" = 1 ] || same="?"
  rows+=("| $pkg $ver${missing:+ (Depends not installed: $missing)} | $d_outcome | $k_outcome | $same |")
done

# the rows of packages not run this time, and the notes, from the table as it was
notes=
if [ -f "$TABLE" ]; then
  while IFS= read -r line; do
    p=${line#| }; p=${p%% *}
    printf '%s\n' "${ran[@]}" | grep -qx -- "$p" || rows+=("$line")
  done < <(grep '^| ' "$TABLE" | grep -v '^| package |' || true)
  notes=$(sed -n '/^## Notes/,$p' "$TABLE")
fi
mapfile -t rows < <(printf '%s\n' "${rows[@]}" | sort -t'|' -k2,2)

{
  echo "# kmodkit rebuild vs dkms build on Debian's *-dkms packages"
  echo
  echo "Written by \`bench/dkms-archive.sh\` on $(date -u +%Y-%m-%d) against $K headers (corpus, unpacked)."
  echo "dkms: $(dpkg-query -W -f '${Version}' dkms 2>/dev/null || echo 'not installed'); kmodkit: $(git -C "$here" rev-parse --short HEAD); dkms.conf ${confinement:-confinement: ?}."
  echo "Outcomes: built (modules), skipped (BUILD_EXCLUSIVE), failed (first compiler error), refused (dkms.conf rejected)."
  echo
  echo "| package | dkms build | kmodkit rebuild | same |"
  echo "|---|---|---|---|"
  printf '%s\n' "${rows[@]}"
  echo
  na=$(printf '%s\n' "${rows[@]}" | grep -c '| n/a |$' || true)
  echo "Same outcome: $(printf '%s\n' "${rows[@]}" | grep -c '| yes |$' || true) of ${#rows[@]}$([ "$na" = 0 ] || echo "; n/a (no module source, nothing to build on either side): $na")."
  [ -z "$notes" ] || printf '\n%s\n' "$notes"
} > "$TABLE.new"
mv "$TABLE.new" "$TABLE"
cat "$TABLE"
