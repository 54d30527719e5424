package org.kmodkit.core.io;

import java.io.IOException;

/**
 * How far one input of a kind may expand when decompressed, and why no honest input goes further.
 * Past it the input is refused as a decompression bomb: a few KiB of zeros that would become
 * gigabytes, costing memory, time and disk before any parser could see it is not what it claims.
 */
public record ExpansionLimit(long bytes, String why) {
  /** Debian 6.1 amd64's largest module, amdgpu.ko, is 18.6 MiB; out-of-tree ones (mlx5_core) a few. */
  public static final ExpansionLimit MODULE = new ExpansionLimit(64L << 20, "more than any real kernel module (the largest Debian module, amdgpu.ko, is ~19 MiB)");
  /** Debian's cloud-amd64 Module.symvers is 0.9 MiB; a full kernel's ~30k exports stay near 2 MiB. */
  public static final ExpansionLimit SYMVERS = new ExpansionLimit(64L << 20, "more than any kernel's symbol list (Debian's cloud kernel Module.symvers is ~1 MiB)");
  /** A kernel's .config, modules.builtin or version header: Debian's cloud .config is 120 KiB. */
  public static final ExpansionLimit CONFIG = new ExpansionLimit(64L << 20, "more than any kernel's .config or module list (Debian's .config is ~120 KiB)");
  /** A .deb's control.tar: Debian's cloud kernel image package's, md5sums of its 1,400 files included, is 0.1 MiB. */
  public static final ExpansionLimit CONTROL = new ExpansionLimit(64L << 20, "more than any package's control data (Debian's cloud kernel package has ~0.1 MiB)");
  /**
   * The vmlinux inside a bzImage is stripped: Debian 6.1 amd64's is 63 MiB (its payload's size
   * trailer); eight times that leaves room for allyesconfig builds.
   */
  public static final ExpansionLimit KERNEL_IMAGE = new ExpansionLimit(512L << 20, "more than any kernel image (Debian's vmlinux is ~63 MiB)");
  /** An initramfs is unpacked into a booting machine's RAM before any disk is mounted. */
  public static final ExpansionLimit INITRAMFS = new ExpansionLimit(1L << 30, "more than any initramfs a machine could boot");
  /**
   * A package payload or source tarball is streamed, never held: this bounds time and disk. Debian's
   * largest kernel package, linux-image-…-amd64-dbg, installs 5.4 GiB; the image itself 0.4 GiB.
   */
  public static final ExpansionLimit ARCHIVE = new ExpansionLimit(8L << 30, "more than any real package or source archive (Debian's largest kernel package, the -dbg one, installs ~5.4 GiB)");

  public ExpansionLimit {
    if (bytes <= 0) {
      throw new IllegalArgumentException("limit " + bytes);
    }
  }

  /** The refusal, worded once: "expands beyond 64 MiB, more than …; refusing it as corrupt or hostile". */
  public String refusal() {
    return "expands beyond " + size(bytes) + ", " + why + "; refusing it as corrupt or hostile";
  }

  /** {@code n} bytes as people say it: "64 MiB", "8 GiB", "300 bytes". */
  public static String size(long n) {
    if (n >= 1L << 30 && n % (1L << 30) == 0) {
      return (n >> 30) + " GiB";
    }
    if (n >= 1L << 20 && n % (1L << 20) == 0) {
      return (n >> 20) + " MiB";
    }
    if (n >= 1L << 10 && n % (1L << 10) == 0) {
      return (n >> 10) + " KiB";
    }
    return n + " bytes";
  }

  /**
   * Thrown by a decompressing stream at its limit. An IOException, so that it leaves through
   * stream code unchanged; whoever names the input turns it into a BadInputException.
   */
  public static final class Exceeded extends IOException {
    private static final long serialVersionUID = 1L;

    Exceeded(ExpansionLimit limit) {
      super(limit.refusal());
    }
  }
}
