package org.kmodkit.core.weak;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.function.Predicate;
import org.kmodkit.core.BadInputException;
import org.kmodkit.core.tree.Sysroot;

/**
 * Checks a path before kmodkit writes, replaces, deletes or reads it as its own: the path resolves
 * inside the root as the filesystem itself resolves it (links through links, absolute targets on
 * the host, not in the image), and where kmodkit keeps a link, the link there is the one it made.
 */
final class RootGuard {
  private final Sysroot root;

  RootGuard(Sysroot root) {
    this.root = root;
  }

  /** {@code p}, or its nearest existing ancestor, resolves inside the root; a dangling symlink on the way counts as outside. */
  void requireInside(Path p) throws BadInputException, IOException {
    Path q = p;
    while (q != null && !Files.exists(q, LinkOption.NOFOLLOW_LINKS)) {
      q = q.getParent();
    }
    if (q == null) {
      return;
    }
    Path real;
    try {
      real = q.toRealPath();
    } catch (NoSuchFileException e) {
      throw new BadInputException(q.toString(), "is a dangling symlink (" + Files.readSymbolicLink(q) + ") where kmodkit must use " + p
          + "; nothing was changed: make it a directory of the image, or a link that resolves inside it");
    }
    if (!real.startsWith(root.root().toRealPath())) {
      throw new BadInputException(q.toString(), "leads outside the root " + root.root() + " (to " + real + "), and kmodkit would use " + p
          + " there; nothing was changed: make the link relative so it stays inside the image, or pass the right --root");
    }
  }

  /**
   * Where kmodkit keeps a link ({@code what}), nothing, or a symlink whose target {@code ours}
   * accepts: a file, a directory or another link there is someone else's, and is neither followed
   * nor replaced.
   */
  static void requireOurLink(Path p, Predicate<String> ours, String what) throws BadInputException, IOException {
    if (Files.isSymbolicLink(p)) {
      String target = Files.readSymbolicLink(p).toString();
      if (!ours.test(target)) {
        throw notOurs(p, "a link kmodkit did not make (to " + target + ")", what);
      }
    } else if (Files.exists(p, LinkOption.NOFOLLOW_LINKS)) {
      throw notOurs(p, "a " + (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS) ? "directory" : "regular file") + " kmodkit did not make", what);
    }
  }

  /** weak-updates/kmodkit of {@code k}, when there, is kmodkit's link to one of its generations. */
  static void requireOurLiveLink(WeakLayout layout, String k) throws BadInputException, IOException {
    requireOurLink(layout.liveLink(k), t -> layout.generationOf(k, t) != null, "its link");
  }

  /** /etc/depmod.d/kmodkit-weak-K.conf, when there, is kmodkit's link through the live link. */
  static void requireOurDepmodConfLink(WeakLayout layout, String k) throws BadInputException, IOException {
    requireOurLink(layout.depmodConfLink(k), layout.depmodConfTarget(k)::equals, "its depmod.d link");
  }

  /** Where kmodkit keeps a file or directory of its own ({@code what}), no symlink. */
  static void requireNoLink(Path p, String what) throws BadInputException, IOException {
    if (Files.isSymbolicLink(p)) {
      throw notOurs(p, "a link kmodkit did not make (to " + Files.readSymbolicLink(p) + ")", what);
    }
  }

  private static BadInputException notOurs(Path p, String is, String what) {
    return new BadInputException(p.toString(), "is " + is + ", where kmodkit keeps " + what + "; nothing was changed: move it away and run again");
  }
}
