#!/usr/bin/env bash
# The real Mellanox driver rebuilt out of tree, the seed's story end to end: mlx5_core and mlxfw
# from Debian's own kernel source (linux-source-6.1 6.1.192-2) as a driver bundle, rebuilt with
# `kmodkit add-kernel-support` for corpus kernels 6.1.0-56 and 6.1.0-55 (headers packages, never
# installed), every module checked; then `kmodkit check` judges what was built for 55 on 56 (same
# ABI: must load) and what was built for 56 on 54 (other ABI: must not).
# About 6 min of compiling per kernel on 2 cores, so this is a bench/ script, not a CI test.
# Nothing fetched or built here is committed: the source and the results stay in $CACHE / $WORK.
#
# Usage: bench/mlx5-rebuild.sh
# Env:   DEBS=dir with the corpus .debs (default ../shared/debian, else ~/.cache/kmodkit/corpus)
#        CACHE=where linux-source is downloaded and unpacked (default ~/.cache/kmodkit/linux-source)
#        WORK=scratch dir (default /tmp/kmodkit-bench-mlx5)   JOBS=job slots (default nproc)
set -euo pipefail
here=$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)
VERSION=6.1.192-2
JOBS=${JOBS:-$(nproc)}
WORK=${WORK:-/tmp/kmodkit-bench-mlx5}
CACHE=${CACHE:-${KMODKIT_CACHE:-$HOME/.cache/kmodkit}/linux-source}
DEBS=${DEBS:-}
if [ -z "$DEBS" ]; then
  for d in "$here/../shared/debian" "${KMODKIT_CACHE:-$HOME/.cache/kmodkit}/corpus"; do
    [ -f "$d/linux-kbuild-6.1_6.1.192-2_amd64.deb" ] && DEBS=$(cd "$d" && pwd) && break
  done
fi
[ -n "$DEBS" ] || { echo "bench: no corpus found; run the end-to-end tier once (it fetches it) or set DEBS" >&2; exit 3; }
kmodkit=$here/bin/kmodkit
[ -f "$here/kmodkit-cli/target/kmodkit.jar" ] || (cd "$here" && mvn -q -DskipTests package)

mkdir -p "$CACHE"
deb=$CACHE/linux-source-6.1_${VERSION}_all.deb
if [ ! -f "$deb" ]; then
  (cd "$CACHE" && apt-get download "linux-source-6.1=$VERSION") || { echo "bench: apt-get download linux-source-6.1=$VERSION failed (run apt-get update?)" >&2; exit 3; }
fi
tree=$CACHE/$VERSION/linux-source-6.1/drivers/net/ethernet/mellanox
if [ ! -f "$tree/mlx5/core/main.c" ]; then
  mkdir -p "$CACHE/$VERSION"
  dpkg-deb --fsys-tarfile "$deb" | tar -xO ./usr/src/linux-source-6.1.tar.xz | xz -dc -T"$(nproc)" |
    tar -x -C "$CACHE/$VERSION" --wildcards 'linux-source-6.1/drivers/net/ethernet/mellanox/*'
fi

# the bundle: Debian's mellanox/ directory (mlx5/core includes ../../mlxfw/), with a Kbuild that
# builds only mlxfw and mlx5_core, and a kmodkit-bundle.conf naming it
rm -rf "$WORK"; mkdir -p "$WORK/bundle"
cp -r "$tree" "$WORK/bundle/mellanox-$VERSION"
printf 'obj-m += mlxfw/ mlx5/core/\n' > "$WORK/bundle/mellanox-$VERSION/Kbuild"
printf 'name=mlx5-debian\nversion=%s\ndrivers=mellanox-%s\n' "$VERSION" "$VERSION" > "$WORK/bundle/kmodkit-bundle.conf"

kargs=(--kernel "$DEBS/linux-kbuild-6.1_6.1.192-2_amd64.deb")
for abi in 55 56; do
  kargs+=(--kernel "$(ls "$DEBS"/linux-headers-6.1.0-$abi-cloud-amd64_*.deb)" --kernel "$(ls "$DEBS"/linux-headers-6.1.0-$abi-common_*.deb)")
done
echo "== kmodkit add-kernel-support: mlx5_core + mlxfw for 6.1.0-55 and 6.1.0-56, $JOBS job slots" >&2
/usr/bin/time -f 'wall %e s, user %U s, sys %S s' "$kmodkit" add-kernel-support --bundle "$WORK/bundle" --tmpdir "$WORK/tmp" -j "$JOBS" -y "${kargs[@]}"
ext=$(ls -d "$WORK"/tmp/mlx5-debian-*-ext)
for abi in 55 56; do ls -la "$ext/6.1.0-$abi-cloud-amd64/extra/"*/; done

hdr() { ls "$DEBS"/linux-headers-6.1.0-$1-cloud-amd64_*.deb; }
echo "== check: built for 55, judged on 56 (same ABI: must load)" >&2
"$kmodkit" check --kernel "$(hdr 56)" "$ext/6.1.0-55-cloud-amd64/extra"
echo "== check: built for 56, judged on 54 (another ABI: must not load)" >&2
if "$kmodkit" check -q --kernel "$(hdr 54)" "$ext/6.1.0-56-cloud-amd64/extra"; then
  echo "bench: mlx5_core built for 56 unexpectedly loads on 54" >&2; exit 1
fi
echo "ok: $ext" >&2
