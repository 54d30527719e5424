package org.kmodkit.core.cache;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.stream.Stream;
import org.kmodkit.core.EnvironmentException;
import org.kmodkit.core.build.BuildRunner;

/**
 * kmodkit's cache directory as entries: each headers set unpacked under {@code kernels/}, each
 * prepared headers copy under {@code headers/}, the {@code demo} root, the launcher's class-data
 * archives ({@code cds*.jsa}, and {@code aot*.aot} on JDK 24+); anything else at the top (test corpora) is listed, never pruned.
 *
 * <p>An entry is in use while some process holds a shared lock on {@code <entry>.lock} beside it
 * ({@link #use}); pruning takes the lock exclusively or leaves the entry. Using an entry touches
 * {@code <entry>/.last-used} (atime is unreliable under relatime/noatime). Deletion never follows
 * a link: a link in the cache is removed, never what it points at. Locks taken through one
 * instance are held until {@link #close}, and that instance's own prune leaves them alone.
 */
public final class Cache implements AutoCloseable {
  /** What an entry holds, in the words of {@code kmodkit cache list}. */
  public enum Kind {
    KERNEL_HEADERS("kernel headers"),
    DEMO("demo"),
    CLASS_DATA("class-data"),
    OTHER("other");

    private final String label;

    Kind(String label) {
      this.label = label;
    }

    public String label() {
      return label;
    }

    /** kmodkit made it and remakes it on demand; OTHER belongs to someone else (tests). */
    public boolean prunable() {
      return this != OTHER;
    }
  }

  /** One cache entry; {@code lastUsed} from its stamp, else its own modification time. */
  public record Entry(Kind kind, Path path, long bytes, Instant lastUsed) {}

  /**
   * What to keep: entries unused for longer than {@code olderThan} go, then the oldest-used go
   * until the rest fit {@code maxBytes} and number at most {@code maxEntries}; null: no such limit.
   */
  public record Bound(Duration olderThan, Long maxBytes, Integer maxEntries) {
    public Bound {
      if (olderThan != null && olderThan.isNegative() || maxBytes != null && maxBytes < 0 || maxEntries != null && maxEntries < 0) {
        throw new IllegalArgumentException("a cache bound is never negative");
      }
    }
  }

  /** What a prune removed (or, in a dry run, would remove), and what it left because it is in use. */
  public record Pruned(List<Entry> removed, List<Entry> inUse) {
    public long bytesRemoved() {
      return removed.stream().mapToLong(Entry::bytes).sum();
    }
  }

  static final String STAMP = ".last-used";
  private static final String LOCK = ".lock";

  /** How long a shared lock waits on a lock this very process holds through another channel. */
  static final long SAME_PROCESS_WAIT_NANOS = java.util.concurrent.TimeUnit.SECONDS.toNanos(5);

  private final Path root;
  private final Map<Path, FileChannel> held = new LinkedHashMap<>();

  public Cache(Path root) {
    this.root = root.toAbsolutePath().normalize();
  }

  public Path root() {
    return root;
  }

  /** Every entry, oldest use first. */
  public List<Entry> list() throws EnvironmentException {
    List<Entry> out = new ArrayList<>();
    try {
      for (Path p : children(root)) {
        String name = p.getFileName().toString();
        if (name.endsWith(LOCK)) {
          continue;
        }
        if ((name.equals("kernels") || name.equals("headers")) && Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
          for (Path e : children(p)) {
            if (!e.getFileName().toString().endsWith(LOCK)) {
              out.add(entry(Kind.KERNEL_HEADERS, e));
            }
          }
        } else if (name.equals("demo")) {
          out.add(entry(Kind.DEMO, p));
        } else if ((name.startsWith("cds") && name.endsWith(".jsa") || name.startsWith("aot") && name.endsWith(".aot")) && Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
          out.add(entry(Kind.CLASS_DATA, p));
        } else {
          out.add(entry(Kind.OTHER, p));
        }
      }
    } catch (IOException | UncheckedIOException e) {
      throw new EnvironmentException(root + ": cannot read kmodkit's cache (" + e.getMessage() + "); check its permissions or point KMODKIT_CACHE elsewhere", e);
    }
    out.sort(Comparator.comparing(Entry::lastUsed).thenComparing(Entry::path));
    return out;
  }

  /**
   * Marks {@code entry} (a directory below the root) in use until {@link #close}: a shared lock on
   * its lock file, waiting while a prune deletes it, and its stamp touched when it exists. Make a
   * missing entry after this call, then {@link #touch} it.
   */
  public void use(Path entry) throws EnvironmentException {
    Path e = entry.toAbsolutePath().normalize();
    if (held.containsKey(e)) {
      touch(e);
      return;
    }
    Path lock = lockOf(e);
    try {
      Files.createDirectories(lock.getParent());
      held.put(e, lock(lock, true));
    } catch (IOException e2) {
      throw new EnvironmentException(lock + ": cannot lock a cache entry (" + e2.getMessage() + "); check the cache's permissions or point KMODKIT_CACHE elsewhere", e2);
    }
    touch(e);
  }

  /** Records a use of {@code entry} now (its {@code .last-used} stamp), if it exists. */
  public void touch(Path entry) throws EnvironmentException {
    if (!Files.isDirectory(entry, LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    Path stamp = entry.resolve(STAMP);
    try {
      if (Files.isSymbolicLink(stamp)) {
        Files.delete(stamp); // a stamp is ours: never written through a link
      }
      if (!Files.exists(stamp)) {
        Files.createFile(stamp);
      }
      Files.setLastModifiedTime(stamp, FileTime.from(Instant.now()));
    } catch (IOException e) {
      throw new EnvironmentException(stamp + ": cannot record the use of a cache entry (" + e.getMessage() + "); check the cache's permissions", e);
    }
  }

  /**
   * Removes whole entries of {@code kinds} (prunable ones only) beyond {@code bound}, oldest use
   * first; an entry in use, or held by this instance, stays. A dry run deletes and creates nothing.
   */
  public Pruned prune(Bound bound, Set<Kind> kinds, Instant now, boolean dryRun) throws EnvironmentException {
    // entries held here count toward the bound (this run's kernels are among the most recent) but stay
    List<Entry> candidates = list().stream().filter(e -> e.kind().prunable() && kinds.contains(e.kind())).toList();
    long total = candidates.stream().mapToLong(Entry::bytes).sum();
    int count = candidates.size();
    List<Entry> removed = new ArrayList<>();
    List<Entry> inUse = new ArrayList<>();
    for (Entry e : candidates) {
      boolean old = bound.olderThan() != null && e.lastUsed().isBefore(now.minus(bound.olderThan()));
      boolean over = bound.maxBytes() != null && total > bound.maxBytes() || bound.maxEntries() != null && count > bound.maxEntries();
      if (!old && !over || held.containsKey(e.path())) {
        continue;
      }
      if (dryRun ? inUse(e.path()) : !delete(e.path())) {
        inUse.add(e);
      } else {
        removed.add(e);
        total -= e.bytes();
        count--;
      }
    }
    return new Pruned(removed, inUse);
  }

  /** Releases the locks this instance holds. */
  @Override
  public void close() {
    for (FileChannel ch : held.values()) {
      try {
        ch.close();
      } catch (IOException e) {
        // the lock goes with the channel, or with the process
      }
    }
    held.clear();
  }

  /** Whether some process holds {@code entry}'s lock; looks without creating anything. */
  private boolean inUse(Path entry) throws EnvironmentException {
    Path lock = lockOf(entry);
    if (!Files.isRegularFile(lock, LinkOption.NOFOLLOW_LINKS)) {
      return false;
    }
    try (FileChannel ch = FileChannel.open(lock, StandardOpenOption.READ, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS)) {
      FileLock l = ch.tryLock();
      return l == null;
    } catch (OverlappingFileLockException e) {
      return true;
    } catch (IOException e) {
      throw cannotPrune(entry, e);
    }
  }

  /** Deletes {@code entry} and its lock file under the exclusive lock; false if it is in use. */
  private boolean delete(Path entry) throws EnvironmentException {
    Path lock = lockOf(entry);
    try (FileChannel ch = lock(lock, false)) {
      if (ch == null) {
        return false;
      }
      BuildRunner.deleteTree(entry);
      Files.delete(lock); // under the lock: a user waiting on it finds another file there and locks that
      return true;
    } catch (IOException e) {
      throw cannotPrune(entry, e);
    }
  }

  /**
   * A channel holding a lock on the file now at {@code lock}: shared (waiting for it), or exclusive
   * if free at once (else null). The file's identity is read before opening and again once locked:
   * if a prune deleted it meanwhile the two differ, and the new file is locked instead.
   */
  private static FileChannel lock(Path lock, boolean shared) throws IOException {
    long sameProcessSince = 0;
    while (true) {
      try {
        Files.createFile(lock);
      } catch (FileAlreadyExistsException e) {
        // in use before, or left by an earlier run: the same lock
      }
      FileChannel ch;
      Object before;
      try {
        before = key(lock);
        ch = FileChannel.open(lock, StandardOpenOption.READ, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS);
      } catch (NoSuchFileException e) {
        continue; // deleted between our steps by a prune: make it again
      }
      try {
        FileLock l = shared ? ch.lock(0, Long.MAX_VALUE, true) : ch.tryLock();
        if (l == null) {
          ch.close();
          return null;
        }
        if (before.equals(key(lock))) {
          return ch;
        }
      } catch (NoSuchFileException e) {
        // deleted once we had it: lock the next one
      } catch (OverlappingFileLockException e) {
        ch.close(); // locked through another channel of this very process
        if (!shared) {
          return null;
        }
        // another Cache of this root open in this process: its lock is never dropped while we wait
        // here, so wait a while (a prune of this process finishing) and then say so rather than hang
        long now = System.nanoTime();
        if (sameProcessSince == 0) {
          sameProcessSince = now;
        } else if (now - sameProcessSince > SAME_PROCESS_WAIT_NANOS) {
          throw new IOException("locked by another open cache of this same kmodkit process (a kmodkit bug: one Cache per root and run)");
        }
        try {
          Thread.sleep(20);
        } catch (InterruptedException i) {
          Thread.currentThread().interrupt();
          throw new java.io.InterruptedIOException("interrupted while waiting for " + lock);
        }
      }
      ch.close();
    }
  }

  private static Object key(Path p) throws IOException {
    return Objects.requireNonNull(Files.readAttributes(p, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).fileKey(), "file keys (Linux, BSD)");
  }

  private static EnvironmentException cannotPrune(Path entry, IOException e) {
    return new EnvironmentException(entry + ": cannot remove this cache entry (" + e.getMessage() + "); check its permissions, or remove it by hand when no kmodkit runs");
  }

  /** {@code <entry>.lock}; a copy being made beside an entry ({@code <entry>.tmp<pid>}) shares the entry's lock. */
  private static Path lockOf(Path entry) {
    return entry.resolveSibling(TMP.matcher(entry.getFileName().toString()).replaceFirst("") + LOCK);
  }

  private static final java.util.regex.Pattern TMP = java.util.regex.Pattern.compile("\\.tmp\\d+$");

  private static Entry entry(Kind kind, Path p) throws IOException {
    BasicFileAttributes a = Files.readAttributes(p, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
    Instant used = a.lastModifiedTime().toInstant();
    if (a.isDirectory()) {
      Path stamp = p.resolve(STAMP);
      if (Files.isRegularFile(stamp, LinkOption.NOFOLLOW_LINKS)) {
        used = Files.getLastModifiedTime(stamp, LinkOption.NOFOLLOW_LINKS).toInstant();
      }
    }
    return new Entry(kind, p, size(p), used);
  }

  /** Bytes of the regular files under {@code p}, links not followed (a link counts nothing). */
  static long size(Path p) throws IOException {
    long[] sum = {0};
    Files.walkFileTree(p, new SimpleFileVisitor<>() {
      @Override
      public FileVisitResult visitFile(Path f, BasicFileAttributes a) {
        if (a.isRegularFile()) {
          sum[0] += a.size();
        }
        return FileVisitResult.CONTINUE;
      }

      @Override
      public FileVisitResult visitFileFailed(Path f, IOException e) {
        return FileVisitResult.CONTINUE; // removed while we looked (a run finishing): it counts nothing
      }
    });
    return sum[0];
  }

  private static List<Path> children(Path dir) throws IOException {
    if (!Files.isDirectory(dir)) {
      return List.of();
    }
    try (Stream<Path> s = Files.list(dir)) {
      return s.sorted().toList();
    }
  }
}
