package org.kmodkit.repo;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.TreeMap;
import org.bouncycastle.openpgp.PGPException;
import org.bouncycastle.openpgp.PGPPublicKey;
import org.bouncycastle.openpgp.PGPPublicKeyRing;
import org.bouncycastle.openpgp.PGPPublicKeyRingCollection;
import org.bouncycastle.openpgp.PGPUtil;
import org.bouncycastle.openpgp.operator.bc.BcKeyFingerprintCalculator;
import org.kmodkit.core.BadInputException;
import org.kmodkit.core.build.BuildRunner;

/**
 * What the YUM and APT repository writers share about the directory they serve: finding its
 * packages, the {@code .kmodkit/} state directory with its lock and metadata generations, the one
 * symlink ({@code repodata}, {@code dists}) renamed over to switch generations, files written
 * under a temporary name, and the keys {@code --verify} trusts.
 */
public final class RepoDirectory {
  /** Where the generations and the lock live, inside the repository directory. */
  public static final String STATE_DIR = ".kmodkit";

  private RepoDirectory() {}

  /**
   * Every file named *SUFFIX under DIR, recursively, hidden directories and files skipped, sorted by
   * relative path. A symlinked package is served through its link, so it is listed like a file.
   */
  public static List<Path> packages(Path dir, String suffix) throws IOException, BadInputException {
    // sorted by relative path, each made once (a comparator making them costs n log n of them)
    TreeMap<String, Path> out = new TreeMap<>();
    try {
      Files.walkFileTree(dir, new SimpleFileVisitor<>() {
        @Override
        public FileVisitResult preVisitDirectory(Path d, BasicFileAttributes attrs) {
          return !d.equals(dir) && d.getFileName().toString().startsWith(".") ? FileVisitResult.SKIP_SUBTREE : FileVisitResult.CONTINUE;
        }

        @Override
        public FileVisitResult visitFile(Path f, BasicFileAttributes attrs) {
          String n = f.getFileName().toString();
          // a pipe or device named like a package is listed too: reading it refuses it by name
          boolean file = attrs.isSymbolicLink() ? Files.exists(f) && !Files.isDirectory(f) : !attrs.isDirectory();
          if (n.endsWith(suffix) && !n.startsWith(".") && file) {
            out.put(dir.relativize(f).toString(), f);
          }
          return FileVisitResult.CONTINUE;
        }

        @Override
        public FileVisitResult visitFileFailed(Path f, IOException e) {
          throw new UncheckedIOException(e);
        }
      });
    } catch (UncheckedIOException e) {
      throw new BadInputException(dir.toString(), "cannot be read (" + e.getCause().getMessage() + "); fix the permissions of what it holds");
    }
    return new ArrayList<>(out.values());
  }

  /** True when LINK is a symlink kmodkit made: relative, into {@code .kmodkit/PREFIX*}. */
  public static boolean ours(Path link, String prefix) throws IOException {
    if (!Files.isSymbolicLink(link)) {
      return false;
    }
    Path target = Files.readSymbolicLink(link);
    return !target.isAbsolute() && target.getNameCount() == 2 && target.getName(0).toString().equals(STATE_DIR)
        && target.getName(1).toString().startsWith(prefix);
  }

  /**
   * Opens and locks {@code DIR/.kmodkit/lock}: runs on one directory take turns, so none deletes
   * the generation another just switched in. Closing the channel releases the lock. Another
   * thread of this JVM holding it is waited for too (the JVM refuses overlapping locks rather than
   * queueing them).
   */
  public static FileChannel lock(Path dir) throws IOException {
    Path state = Files.createDirectories(dir.resolve(STATE_DIR));
    FileChannel channel = FileChannel.open(state.resolve("lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
    try {
      while (true) {
        try {
          channel.lock();
          return channel;
        } catch (OverlappingFileLockException e) {
          Thread.sleep(20);
        }
      }
    } catch (InterruptedException stop) {
      channel.close();
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted while waiting for the repository lock " + state.resolve("lock"));
    } catch (IOException | RuntimeException e) {
      channel.close();
      throw e;
    }
  }

  /**
   * Points DIR/NAME at {@code .kmodkit/GENERATION} by renaming a new symlink over it, one atomic
   * step: readers see the old generation or the new, never neither. Then deletes every other
   * {@code .kmodkit/PREFIX*} but those in KEEP.
   */
  public static void switchTo(Path dir, String name, String prefix, String generation, Set<String> keep) throws IOException {
    Path link = dir.resolve("." + name + ".new-" + generation);
    Files.deleteIfExists(link);
    Files.createSymbolicLink(link, Path.of(STATE_DIR, generation));
    try {
      Files.move(link, dir.resolve(name), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } finally {
      Files.deleteIfExists(link);
    }
    try (DirectoryStream<Path> old = Files.newDirectoryStream(dir.resolve(STATE_DIR), prefix + "*")) {
      for (Path p : old) {
        String n = p.getFileName().toString();
        if (!n.equals(generation) && !keep.contains(n)) {
          BuildRunner.deleteTree(p);
        }
      }
    }
  }

  /** The generation DIR/NAME points at now, or null. */
  public static String current(Path dir, String name) throws IOException {
    Path link = dir.resolve(name);
    return Files.isSymbolicLink(link) ? Files.readSymbolicLink(link).getFileName().toString() : null;
  }

  /**
   * The keys {@code --verify} accepts package signatures from: those in OPTIONS' trusted files
   * (every key of every ring, subkeys included), else the signing key's own.
   */
  public static List<PGPPublicKey> trustedKeys(RepoOptions options, Path dir) throws IOException, BadInputException {
    if (options.trusted().isEmpty()) {
      if (options.signer() == null) {
        throw new BadInputException(dir.toString(), "cannot verify the packages' signatures without a key: pass --trusted-key FILE or --sign-key");
      }
      return List.of(options.signer().publicKey());
    }
    List<PGPPublicKey> keys = new ArrayList<>();
    for (Path f : options.trusted()) {
      keys.addAll(publicKeys(f));
    }
    return keys;
  }

  /** Every public key in FILE (armored or binary, as `gpg --export` writes it). */
  public static List<PGPPublicKey> publicKeys(Path file) throws IOException, BadInputException {
    String fix = "export one with `gpg --export --armor KEYID > FILE`";
    if (!Files.isRegularFile(file)) {
      throw new BadInputException(file.toString(), "no such public key file; " + fix);
    }
    List<PGPPublicKey> keys = new ArrayList<>();
    try (InputStream in = PGPUtil.getDecoderStream(Files.newInputStream(file))) {
      PGPPublicKeyRingCollection rings = new PGPPublicKeyRingCollection(in, new BcKeyFingerprintCalculator());
      for (Iterator<PGPPublicKeyRing> r = rings.getKeyRings(); r.hasNext(); ) {
        r.next().getPublicKeys().forEachRemaining(keys::add);
      }
    } catch (PGPException | IOException | RuntimeException e) {
      throw new BadInputException(file.toString(), "is not an OpenPGP public key (" + e.getMessage() + "); " + fix, e);
    }
    if (keys.isEmpty()) {
      throw new BadInputException(file.toString(), "holds no OpenPGP public key; " + fix);
    }
    return keys;
  }
}
