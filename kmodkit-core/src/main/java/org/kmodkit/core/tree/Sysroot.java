package org.kmodkit.core.tree;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Objects;
import java.util.Optional;

/**
 * The root a system is seen from: "/" on the host, a directory for an image or a test. Every path
 * kmodkit uses is resolved here, and symlinks are followed as the system itself would see them
 * (absolute targets are taken inside the root, never on the host).
 */
public record Sysroot(Path root) {
  private static final String MODULES = "/lib/modules";
  private static final String BOOT = "/boot";

  public Sysroot {
    Objects.requireNonNull(root, "root");
    root = root.toAbsolutePath().normalize();
  }

  /** The running system. The only place the host's absolute layout is written. */
  public static Sysroot host() {
    return new Sysroot(Path.of("/"));
  }

  /** {@code absolute} (e.g. "/lib/modules") inside this root, without following links. */
  public Path path(String absolute) {
    String rel = absolute.startsWith("/") ? absolute.substring(1) : absolute;
    return rel.isEmpty() ? root : root.resolve(rel);
  }

  public Path modulesDir() {
    return path(MODULES);
  }

  public Path modulesDir(String release) {
    return modulesDir().resolve(release);
  }

  public Path boot() {
    return path(BOOT);
  }

  /**
   * "/lib/modules", or a path under it ({@code modulesPath(release, "build")} is
   * "/lib/modules/<release>/build"), as the system names it.
   */
  public static String modulesPath(String... under) {
    StringBuilder sb = new StringBuilder(MODULES);
    for (String part : under) {
      sb.append('/').append(part);
    }
    return sb.toString();
  }

  /** {@code file} under /boot ("config-<release>", "vmlinuz-<release>"), as the system names it. */
  public static String bootPath(String file) {
    return BOOT + "/" + file;
  }

  /**
   * Resolves {@code absolute} inside the root, following symlinks the way the system would: an
   * absolute target restarts at the root; a path escaping the root, or not there, is refused (empty).
   */
  public Optional<Path> resolve(String absolute) {
    return locate(root, absolute).filter(p -> Files.exists(p, LinkOption.NOFOLLOW_LINKS));
  }

  /**
   * Where {@code path} leads from {@code dir} (a directory under the root, reached without links),
   * following symlinks as the kernel does, through other links and {@code ..}; an absolute path or
   * link target starts at the root. Parts not there yet are taken as named. Empty when the path
   * leaves the root, loops, or climbs ({@code ..}) out of something that is no directory: what
   * later lands there could lead anywhere.
   */
  public Optional<Path> locate(Path dir, String path) {
    Deque<String> todo = new ArrayDeque<>();
    push(todo, path);
    Path cur = path.startsWith("/") ? root : dir.toAbsolutePath().normalize();
    boolean missing = false;
    int links = 0;
    while (!todo.isEmpty()) {
      String part = todo.pop();
      if (part.isEmpty() || part.equals(".")) {
        continue;
      }
      if (part.equals("..")) {
        if (missing || cur.equals(root)) {
          return Optional.empty();
        }
        cur = cur.getParent();
        continue;
      }
      Path next = cur.resolve(part);
      if (!missing && Files.isSymbolicLink(next)) {
        if (++links > 40) {
          return Optional.empty();
        }
        String target;
        try {
          target = Files.readSymbolicLink(next).toString();
        } catch (IOException e) {
          return Optional.empty();
        }
        if (target.startsWith("/")) {
          cur = root;
        }
        push(todo, target);
        continue;
      }
      missing = missing || !Files.isDirectory(next, LinkOption.NOFOLLOW_LINKS);
      cur = next;
    }
    return cur.startsWith(root) ? Optional.of(cur) : Optional.empty();
  }

  private static void push(Deque<String> todo, String path) {
    String[] parts = path.split("/");
    for (int i = parts.length - 1; i >= 0; i--) {
      todo.push(parts[i]);
    }
  }

  /** {@code p} (a real path under the root) as the system sees it, e.g. "/lib/modules/…". */
  public String inside(Path p) {
    Path rel = root.relativize(p.toAbsolutePath().normalize());
    return "/" + rel.toString().replace('\\', '/');
  }
}
