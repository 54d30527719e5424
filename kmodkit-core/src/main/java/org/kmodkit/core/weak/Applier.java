package org.kmodkit.core.weak;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import org.kmodkit.core.BadInputException;
import org.kmodkit.core.EnvironmentException;
import org.kmodkit.core.tree.Sysroot;

/**
 * The only code that touches weak-updates links. Per kernel it writes a complete new generation
 * (links, depmod.d overrides, manifest) beside the live one, flushes it, and switches the one
 * symlink weak-updates/kmodkit to it with rename(2): a kill -9 at any instant leaves the old
 * generation or the new one live, never a mix. depmod runs after the switch; a generation without
 * its depmod-done marker is finished by the next run, and so is a removal whose state directory
 * is still there (it goes last, after depmod). Only what kmodkit created is ever removed.
 */
public final class Applier {
  private final Sysroot root;
  private final WeakLayout layout;
  private final SystemTools tools;

  public Applier(Sysroot root, SystemTools tools) {
    this.root = root;
    this.layout = new WeakLayout(root);
    this.tools = tools;
  }

  /** What apply did, for the report. */
  public record Outcome(List<String> switched, List<String> depmod, List<String> initramfs, List<String> notes) {}

  /** Serialises kmodkit runs on one root (parallel weak-modules runs corrupted depmod output: rhbz 2026938). */
  public AutoCloseable lock() throws BadInputException, EnvironmentException {
    try {
      requireInside(layout.stateDir());
      Files.createDirectories(layout.stateDir());
      FileChannel ch = FileChannel.open(layout.lockFile(), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
      FileLock lock = null;
      while (lock == null) {
        try {
          lock = ch.lock();
        } catch (java.nio.channels.OverlappingFileLockException e) {
          // another run in this same JVM holds it (file locks are per process): wait our turn
          try {
            Thread.sleep(20);
          } catch (InterruptedException ie) {
            Thread.currentThread().interrupt();
            ch.close();
            throw new EnvironmentException("interrupted while waiting for " + layout.lockFile(), ie);
          }
        }
      }
      FileLock held = lock;
      return () -> {
        held.release();
        ch.close();
      };
    } catch (IOException e) {
      throw new EnvironmentException("cannot lock " + layout.lockFile() + " (" + e.getMessage() + "); is the root writable? (run as root)", e);
    }
  }

  public Outcome apply(Plan plan, boolean initramfs) throws BadInputException, EnvironmentException {
    List<String> switched = new ArrayList<>();
    List<String> depmod = new ArrayList<>();
    List<String> initrd = new ArrayList<>();
    List<String> notes = new ArrayList<>();
    for (Plan.KernelPlan kp : plan.kernels()) {
      String k = kp.release();
      try {
        guard(k);
        switch (kp.change()) {
          case NONE:
            collectGarbage(k, currentGen(k));
            continue;
          case REMOVE:
            // links first, then depmod, then the state: until the state is gone the next run
            // sees an unfinished removal and finishes it (depmod included)
            unlink(k);
            switched.add(k);
            if (Files.isDirectory(root.modulesDir(k).resolve("kernel"))) {
              tools.depmod(root, k);
              depmod.add(k);
            }
            forget(k);
            break;
          case UPDATE: {
            String gen = writeGeneration(kp);
            switchTo(k, gen);
            switched.add(k);
            linkDepmodConf(k);
            tools.depmod(root, k);
            markDepmodDone(k, gen);
            depmod.add(k);
            collectGarbage(k, gen);
            break;
          }
          case DEPMOD_ONLY: {
            String gen = currentGen(k);
            linkDepmodConf(k); // a kill right after the switch may have come before it
            tools.depmod(root, k);
            markDepmodDone(k, gen);
            depmod.add(k);
            collectGarbage(k, gen);
            break;
          }
          default:
            throw new IllegalStateException(kp.change().name());
        }
        if (initramfs && !kp.changedModules().isEmpty()) {
          try {
            List<String> inside = tools.initramfsModules(root, k);
            if (kp.changedModules().stream().anyMatch(inside::contains)) {
              tools.refreshInitramfs(root, k);
              initrd.add(k);
            }
          } catch (EnvironmentException e) {
            // the links are live and depmod ran; only the initramfs lags: say how to finish
            notes.add("initramfs of " + k + ": " + e.getMessage());
          }
        }
      } catch (IOException e) {
        throw new EnvironmentException("weak-updates of " + k + ": " + e.getMessage() + " (nothing half-done stays live; fix the cause and run again)", e);
      }
    }
    return new Outcome(switched, depmod, initrd, notes);
  }

  /**
   * Before anything is written for {@code k}: every directory kmodkit writes in must lie inside the
   * root as the host sees it (an image whose weak-updates/ or /etc/depmod.d is an absolute symlink
   * would lead the host's kmodkit into the host's own files), and weak-updates/kmodkit, when
   * there, must be kmodkit's symlink (a file or directory of that name is someone else's).
   */
  private void guard(String k) throws BadInputException, IOException {
    requireInside(layout.kernelState(k));
    requireInside(layout.weakUpdates(k));
    requireInside(layout.depmodConfLink(k).getParent());
    Path live = layout.liveLink(k);
    if (Files.exists(live, LinkOption.NOFOLLOW_LINKS) && !Files.isSymbolicLink(live)) {
      throw new BadInputException(live.toString(), "is a " + (Files.isDirectory(live, LinkOption.NOFOLLOW_LINKS) ? "directory" : "regular file")
          + " kmodkit did not make, where kmodkit keeps its link; nothing was changed: move it away and run again");
    }
  }

  /** {@code p}, or its nearest existing ancestor, resolves inside the root; a dangling symlink on the way counts as outside. */
  private void requireInside(Path p) throws BadInputException, IOException {
    Path realRoot = root.root().toRealPath();
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
    } catch (java.nio.file.NoSuchFileException e) {
      throw new BadInputException(q.toString(), "is a dangling symlink (" + Files.readSymbolicLink(q) + ") where kmodkit must write " + p
          + "; nothing was changed: make it a directory of the image, or a link that resolves inside it");
    }
    if (!real.startsWith(realRoot)) {
      throw new BadInputException(q.toString(), "leads outside the root " + root.root() + " (to " + real + "), and kmodkit would write " + p
          + " there; nothing was changed: make the link relative so it stays inside the image, or pass the right --root");
    }
  }

  private void markDepmodDone(String k, String gen) throws IOException {
    Path done = layout.kernelState(k).resolve(gen).resolve(WeakLayout.DEPMOD_DONE);
    if (!Files.exists(done)) {
      Files.createFile(done);
    }
  }

  private String currentGen(String k) throws IOException {
    Path live = layout.liveLink(k);
    if (!Files.isSymbolicLink(live)) {
      return null;
    }
    return Files.readSymbolicLink(live).getFileName().toString();
  }

  private String writeGeneration(Plan.KernelPlan kp) throws IOException {
    String k = kp.release();
    Path state = layout.kernelState(k);
    Files.createDirectories(state);
    int next = 1;
    for (String name : list(state)) {
      if (name.startsWith("gen-")) {
        try {
          next = Math.max(next, Integer.parseInt(name.substring(4).replace(".tmp", "")) + 1);
        } catch (NumberFormatException ignored) {
          // not ours
        }
      }
    }
    String gen = "gen-" + next;
    Path tmp = state.resolve(gen + ".tmp");
    deleteTree(tmp);
    Files.createDirectories(tmp);
    Path realModules = root.modulesDir();
    for (Inventory.Link l : kp.links()) {
      Path link = tmp.resolve(l.path());
      Files.createDirectories(link.getParent());
      // relative to the link's real directory, so it resolves inside the root whatever it is mounted as
      Path finalDir = state.resolve(gen).resolve(l.path()).getParent();
      Path target = finalDir.relativize(realModules.resolve(l.targetRelease()).resolve(l.targetRelPath()));
      Files.createSymbolicLink(link, target);
    }
    write(tmp.resolve(WeakLayout.DEPMOD_CONF), kp.overrides().isEmpty() ? "" : "# kmodkit: modules linked into weak-updates that replace in-tree ones\n" + String.join("\n", kp.overrides()) + "\n");
    write(tmp.resolve(WeakLayout.MANIFEST), Manifest.write(k, kp.links(), kp.overrides()));
    fsyncTree(tmp);
    Files.move(tmp, state.resolve(gen), StandardCopyOption.ATOMIC_MOVE);
    fsync(state);
    return gen;
  }

  /** The one atomic step: weak-updates/kmodkit now names {@code gen}. */
  private void switchTo(String k, String gen) throws IOException {
    Path weak = layout.weakUpdates(k);
    if (!Files.isDirectory(weak, LinkOption.NOFOLLOW_LINKS)) {
      // the marker first: a kill between the two must not leave a weak-updates/ nobody owns
      write(layout.createdWeakUpdates(k), "kmodkit created " + weak + "\n");
      Files.createDirectories(weak);
    }
    // made outside every kernel tree, so a crash never leaves a second way into a generation where depmod looks
    Path tmpLink = layout.kernelState(k).resolve("live.new");
    Files.deleteIfExists(tmpLink);
    Files.createSymbolicLink(tmpLink, Path.of(layout.liveTarget(k, gen)));
    Files.move(tmpLink, layout.liveLink(k), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    fsync(weak);
  }

  /** The depmod.d file, a symlink through the live link, so it always names the live generation's overrides. */
  private void linkDepmodConf(String k) throws IOException {
    Path conf = layout.depmodConfLink(k);
    if (!Files.isSymbolicLink(conf)) {
      Files.createDirectories(conf.getParent());
      try {
        Files.createSymbolicLink(conf, Path.of(layout.depmodConfTarget(k)));
      } catch (FileAlreadyExistsException e) {
        // a regular file of that name is not ours: leave it, say so through the plan's notes next time
      }
    }
  }

  /** The removal's atomic step (the live link goes), and the depmod.d link that resolved through it. */
  private void unlink(String k) throws IOException {
    if (Files.isSymbolicLink(layout.liveLink(k))) {
      Files.delete(layout.liveLink(k));
    }
    if (Files.isDirectory(layout.weakUpdates(k), LinkOption.NOFOLLOW_LINKS)) {
      fsync(layout.weakUpdates(k));
    }
    Path conf = layout.depmodConfLink(k);
    if (Files.isSymbolicLink(conf)) {
      Files.delete(conf);
    }
  }

  /** After depmod: the weak-updates/ kmodkit made (when empty) and the state, the marker of an unfinished removal, last. */
  private void forget(String k) throws IOException {
    Path weak = layout.weakUpdates(k);
    if (Files.exists(layout.createdWeakUpdates(k)) && Files.isDirectory(weak, LinkOption.NOFOLLOW_LINKS) && list(weak).isEmpty()) {
      Files.delete(weak);
    }
    deleteTree(layout.kernelState(k));
  }

  /** Removes generations other than {@code keep} (and leftovers of interrupted runs). */
  private void collectGarbage(String k, String keep) throws IOException {
    Path state = layout.kernelState(k);
    if (!Files.isDirectory(state)) {
      return;
    }
    for (String name : list(state)) {
      if (name.startsWith("gen-") && !name.equals(keep)) {
        deleteTree(state.resolve(name));
      }
    }
  }

  private static List<String> list(Path dir) throws IOException {
    List<String> out = new ArrayList<>();
    if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
      return out;
    }
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
      for (Path p : ds) {
        out.add(p.getFileName().toString());
      }
    }
    return out;
  }

  private static void write(Path file, String text) throws IOException {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE)) {
      ch.write(java.nio.ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8)));
      ch.force(true);
    }
  }

  private static void fsync(Path dir) {
    try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
      ch.force(true);
    } catch (IOException ignored) {
      // some filesystems refuse to sync a directory; the rename that follows still orders the data
    }
  }

  private static void fsyncTree(Path dir) throws IOException {
    try (Stream<Path> s = Files.walk(dir)) {
      for (Path p : (Iterable<Path>) s::iterator) {
        if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
          fsync(p);
        }
      }
    }
  }

  static void deleteTree(Path dir) throws IOException {
    if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    try (Stream<Path> s = Files.walk(dir)) {
      List<Path> all = s.sorted(Comparator.reverseOrder()).toList();
      for (Path p : all) {
        Files.deleteIfExists(p);
      }
    }
  }
}
