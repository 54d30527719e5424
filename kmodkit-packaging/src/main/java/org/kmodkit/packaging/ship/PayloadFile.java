package org.kmodkit.packaging.ship;

import java.nio.file.Path;
import java.util.Objects;

/** One regular file a package installs: its absolute install path, mode bits and where its bytes are now. */
public record PayloadFile(String path, int mode, Path source) {
  public PayloadFile {
    Objects.requireNonNull(path, "path");
    Objects.requireNonNull(source, "source");
    if (!path.startsWith("/") || path.endsWith("/") || path.contains("//") || ("/" + path + "/").contains("/../") || ("/" + path + "/").contains("/./")) {
      throw new IllegalArgumentException("install path must be absolute and normal: '" + path + "'");
    }
    if ((mode & ~07777) != 0) {
      throw new IllegalArgumentException("mode of " + path + " must be permission bits only: " + Integer.toOctalString(mode));
    }
  }
}
