package org.kmodkit.core.weak;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
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
  private final RootGuard guard;
  private final SystemTools tools;

  public Applier(Sysroot root, SystemTools tools) {
    this.root = root;
    this.layout = new WeakLayout(root);
    this.guard = new RootGuard(root);
    this.tools = tools;
  }

  /** The held lock; releasing it fails only as an environment error, so it never hides what ended the run. */
  public interface Lock extends AutoCloseable {
    @Override
    void close() throws EnvironmentException;
  }

  /** What apply did, for the report. */
  public record Outcome(List<String> switched, List<String> depmod, List<String> initramfs, List<String> notes) {}

  /** Serialises kmodkit runs on one root (parallel weak-modules runs corrupted depmod output: rhbz 2026938). */
  public Lock lock() throws BadInputException, EnvironmentException {
    try {
      guard.requireInside(layout.stateDir());
      Files.createDirectories(layout.stateDir());
      RootGuard.requireNoLink(layout.lockFile(), "its lock file");
      FileChannel ch = FileChannel.open(layout.lockFile(), StandardOpenOption.CREATE, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS);
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
        try (ch) {
          held.release();
        } catch (IOException e) {
          throw new EnvironmentException("cannot release " + layout.lockFile() + " (" + e.getMessage() + ")", e);
        }
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
   * Before anything is written or deleted for {@code k}: every directory kmodkit works in must lie
   * inside the root as the host resolves it (an image whose weak-updates/ or /etc/depmod.d is an
   * absolute symlink would lead the host's kmodkit into the host's own files), and every link at a
   * place kmodkit keeps one must be the link kmodkit made there (anything else is someone else's:
   * following it would read or write their files, replacing it would delete it).
   */
  private void guard(String k) throws BadInputException, IOException {
    guard.requireInside(layout.kernelState(k));
    guard.requireInside(layout.weakUpdates(k));
    guard.requireInside(layout.depmodConfLink(k).getParent());
    RootGuard.requireOurLiveLink(layout, k);
    RootGuard.requireOurDepmodConfLink(layout, k);
    requireOwnState(k);
  }

  /**
   * The state directory holds links only where kmodkit made them: the next live link, and in each
   * generation the links its manifest records, each to the target kmodkit gave it. A generation
   * without a manifest (a run killed while writing it, never live) is only ever unlinked, so its
   * module links are let be; its bookkeeping files must still not be links.
   */
  private void requireOwnState(String k) throws BadInputException, IOException {
    Path state = layout.kernelState(k);
    if (!Files.isDirectory(state, LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    try (Stream<Path> s = Files.walk(state)) {
      for (Path p : (Iterable<Path>) s::iterator) {
        if (!Files.isSymbolicLink(p)) {
          continue;
        }
        Path rel = state.relativize(p);
        String gen = rel.getName(0).toString();
        if (rel.getNameCount() == 1) {
          RootGuard.requireOurLink(p, t -> gen.equals("live.new") && layout.generationOf(k, t) != null, "its state");
          continue;
        }
        String inGen = rel.subpath(1, rel.getNameCount()).toString();
        Inventory.Generation g = Manifest.read(k, state.resolve(gen));
        RootGuard.requireOurLink(p, t -> g == null
            ? !List.of(WeakLayout.MANIFEST, WeakLayout.DEPMOD_CONF, WeakLayout.DEPMOD_DONE).contains(inGen)
            : g.links().stream().anyMatch(l -> l.path().equals(inGen) && layout.linkTarget(k, gen, l).toString().equals(t)), "a generation of its links");
      }
    }
  }

  private void markDepmodDone(String k, String gen) throws IOException {
    Path done = layout.kernelState(k).resolve(gen).resolve(WeakLayout.DEPMOD_DONE);
    if (!Files.exists(done, LinkOption.NOFOLLOW_LINKS)) {
      Files.createFile(done);
    }
  }

  private String currentGen(String k) throws IOException {
    Path live = layout.liveLink(k);
    return Files.isSymbolicLink(live) ? layout.generationOf(k, Files.readSymbolicLink(live).toString()) : null;
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
    for (Inventory.Link l : kp.links()) {
      Path link = tmp.resolve(l.path());
      Files.createDirectories(link.getParent());
      Files.createSymbolicLink(link, layout.linkTarget(k, gen, l));
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
      // guard(k) refused anything else of that name; create fails rather than replace what appeared since
      Files.createSymbolicLink(conf, Path.of(layout.depmodConfTarget(k)));
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

  /** A new file beside {@code file}, then rename(2) over it: never opens an existing file (or a link) for writing. */
  private static void write(Path file, String text) throws IOException {
    Path tmp = file.resolveSibling(file.getFileName() + ".new");
    Files.deleteIfExists(tmp);
    try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
      ch.write(java.nio.ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8)));
      ch.force(true);
    }
    Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
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
