# Sourced by bench/weak-*.sh and bench/rhel-referee.sh: builds system roots out of the real corpus
# kernels (corpus/SHA256SUMS) and reads the weak-updates links either tool made.
#
# Needs: $here (the checkout), $work (a scratch directory). Every root gets, per kernel, what both
# RHEL's weak-modules and kmodkit need to count a kernel as installed: /lib/modules/<K>,
# /boot/System.map-<K>, /boot/config-<K> and /boot/symvers-<K>.gz (gzip of the headers'
# Module.symvers, as RHEL kernels ship it), plus the headers tree.

corpus_deb() { # name-prefix → path (KMODKIT_CORPUS, the shared corpus, or apt-get download into the cache)
  local f d cache=${KMODKIT_CACHE:-$HOME/.cache/kmodkit}/corpus
  for d in "${KMODKIT_CORPUS:-}" "$here/../shared/debian" "$cache"; do
    [ -n "$d" ] || continue
    f=$(ls "$d"/"$1"_*.deb 2>/dev/null | head -1) || true
    [ -n "$f" ] && { echo "$f"; return; }
  done
  mkdir -p "$cache"
  (cd "$cache" && apt-get download "$1" >/dev/null 2>&1) || { echo "cannot get $1 (apt-get download failed; set KMODKIT_CORPUS)" >&2; exit 3; }
  ls "$cache"/"$1"_*.deb | head -1
}

rel_of() { echo "6.1.0-$1-cloud-amd64"; }

extracted() { # abi → directory holding the image and headers packages extracted (made once)
  local d=$work/corpus-$1
  if [ ! -f "$d/.done" ]; then
    rm -rf "$d"; mkdir -p "$d"
    dpkg-deb -x "$(corpus_deb "linux-image-$(rel_of "$1")-unsigned")" "$d"
    dpkg-deb -x "$(corpus_deb "linux-headers-$(rel_of "$1")")" "$d"
    touch "$d/.done"
  fi
  echo "$d"
}

install_kernel() { # root abi [release-to-install-as] — hard links, as a package manager would unpack it
  local root=$1 abi=$2 src rel as
  src=$(extracted "$abi"); rel=$(rel_of "$abi"); as=${3:-$rel}
  mkdir -p "$root/lib/modules" "$root/boot" "$root/usr/src"
  cp -al "$src/lib/modules/$rel" "$root/lib/modules/$as"
  cp -al "$src/usr/src/linux-headers-$rel" "$root/usr/src/linux-headers-$as"
  for f in System.map config vmlinuz; do
    ln -f "$src/boot/$f-$rel" "$root/boot/$f-$as"
  done
  gzip -9c "$src/usr/src/linux-headers-$rel/Module.symvers" > "$root/boot/symvers-$as.gz"
}

# The root of kmodkit-e2e's WeakRealRootIT: kernels 53 and 55; 55's mlx stack copied under 55's
# extra/mlnx as a vendor package installs it; hello, hello_user, hello_nonet built for 53 (the
# committed real fixtures) under 53's extra/hello.
mlx_root() { # root
  local root=$1 k55 m
  rm -rf "$root"; mkdir -p "$root"
  install_kernel "$root" 53
  install_kernel "$root" 55
  k55=$root/lib/modules/$(rel_of 55)
  mkdir -p "$k55/extra/mlnx" "$root/lib/modules/$(rel_of 53)/extra/hello"
  for m in ib_core ib_uverbs mlxfw mlx5_core mlx5_ib rdma_cm rdma_ucm; do
    cp "$(find "$k55/kernel" -name "$m.ko")" "$k55/extra/mlnx/"
  done
  for m in hello hello_user hello_nonet; do
    cp "$here/kmodkit-core/src/test/resources/real/6.1.0-53/$m.ko" "$root/lib/modules/$(rel_of 53)/extra/hello/"
  done
}

# The links a tool made in kernel K's weak-updates, one line each, "<path below weak-updates> <target
# as seen inside the root>": RHEL's lie directly under weak-updates/ with absolute targets that
# carry the --basedir; kmodkit's under weak-updates/kmodkit/ with relative targets. A target that
# does not resolve inside the root is printed as "DANGLING:<raw target>".
links_of() { # root K
  local root=$1 k=$2 w l rel real rroot
  w=$root/lib/modules/$k/weak-updates
  [ -d "$w" ] || return 0
  rroot=$(readlink -f "$root")
  find -L "$w" -name '*.ko*' 2>/dev/null | sort | while read -r l; do
    rel=${l#"$w"/}; rel=${rel#kmodkit/}
    real=$(readlink -f "$l" 2>/dev/null || true)
    if [ -n "$real" ] && [ -f "$real" ] && [[ $real == "$rroot"/* ]]; then
      echo "$rel /${real#"$rroot"/}"
    else
      echo "$rel DANGLING:$(readlink "$l")"
    fi
  done
}

# RHEL's weak-modules, run unmodified on a root: no dracut (--no-initramfs, and a dracut that does
# nothing so its existence check passes), its own rpmsort (a shell function inside the script since
# kmod-20-21; a `sort -V` wrapper first in PATH covers older copies that call an rpmsort program).
rhel_weak_modules() { # script root args...
  local script=$1 root=$2; shift 2
  mkdir -p "$work/rhel-bin"
  if [ ! -x "$work/rhel-bin/rpmsort" ]; then
    printf '#!/bin/sh\nif [ "$1" = -r ]; then exec sort -V -r; else exec sort -V; fi\n' > "$work/rhel-bin/rpmsort"
    chmod +x "$work/rhel-bin/rpmsort"
  fi
  PATH=$work/rhel-bin:$PATH bash "$script" --no-initramfs --dracut /bin/true --basedir "$root" "$@"
}
