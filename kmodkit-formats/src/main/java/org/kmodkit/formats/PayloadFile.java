package org.kmodkit.formats;

import java.nio.file.Path;
import java.util.Objects;

/**
 * One regular file a package installs: its absolute install path, mode bits and where its bytes are
 * now; or, with no source, a directory the package owns, so that removing the package removes it
 * (rpm keeps every directory no package lists; dpkg removes the ones it made once they are empty).
 */
public record PayloadFile(String path, int mode, Path source) {
  /** A directory the package owns: list only its own, never one the system shares (/usr/bin). */
  public static PayloadFile directory(String path, int mode) {
    return new PayloadFile(path, mode, null);
  }

  public boolean isDirectory() {
    return source == null;
  }

  public PayloadFile {
    Objects.requireNonNull(path, "path");
    if (!path.startsWith("/") || path.endsWith("/") || path.contains("//") || ("/" + path + "/").contains("/../") || ("/" + path + "/").contains("/./")) {
      throw new IllegalArgumentException("install path must be absolute and normal: '" + path + "'");
    }
    if ((mode & ~07777) != 0) {
      throw new IllegalArgumentException("mode of " + path + " must be permission bits only: " + Integer.toOctalString(mode));
    }
  }
}
