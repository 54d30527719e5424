package org.kmodkit.core.cache;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.kmodkit.core.cache.Cache.Bound;
import org.kmodkit.core.cache.Cache.Entry;
import org.kmodkit.core.cache.Cache.Kind;
import org.kmodkit.testkit.TreeSnapshot;

class CacheTest {
  static final Instant NOW = Instant.parse("2026-12-06T12:00:00Z");
  static final EnumSet<Kind> ALL = EnumSet.allOf(Kind.class);

  @TempDir Path tmp;

  /** An entry directory of {@code bytes} bytes, last used {@code daysAgo} days before NOW. */
  static Path entry(Path dir, int bytes, int daysAgo) throws IOException {
    Files.createDirectories(dir.resolve("usr/src"));
    Files.write(dir.resolve("usr/src/Module.symvers"), new byte[bytes]);
    stamp(dir, daysAgo);
    return dir;
  }

  static void stamp(Path dir, int daysAgo) throws IOException {
    Path s = dir.resolve(Cache.STAMP);
    if (!Files.exists(s)) {
      Files.createFile(s);
    }
    Files.setLastModifiedTime(s, FileTime.from(NOW.minus(Duration.ofDays(daysAgo))));
  }

  static List<String> names(List<Entry> entries) {
    return entries.stream().map(e -> e.path().getFileName().toString()).toList();
  }

  @Test
  @org.junit.jupiter.api.Timeout(60)
  void aSecondOpenCacheOfTheSameRootInOneProcessIsRefusedInsteadOfWaitingForever() throws Exception {
    Path c = tmp.resolve("cache");
    Path entry = c.resolve("kernels/a");
    try (Cache first = new Cache(c); Cache second = new Cache(c)) {
      first.use(entry);
      long start = System.nanoTime();
      org.assertj.core.api.Assertions.assertThatThrownBy(() -> second.use(entry))
          .isInstanceOf(org.kmodkit.core.EnvironmentException.class)
          .hasMessageContaining("a.lock: cannot lock a cache entry (locked by another open cache of this same kmodkit process");
      assertThat(System.nanoTime() - start).isGreaterThanOrEqualTo(Cache.SAME_PROCESS_WAIT_NANOS);
    }
  }

  @Test
  void listNamesEachEntryWithItsKindSizeAndLastUseOldestFirst() throws Exception {
    Path c = tmp.resolve("cache");
    entry(c.resolve("kernels/aaaa"), 1000, 3);
    entry(c.resolve("headers/6.1.0-56-x"), 10, 1);
    entry(c.resolve("demo"), 500, 40);
    Files.write(c.resolve("cds-123.jsa"), new byte[70]);
    Files.setLastModifiedTime(c.resolve("cds-123.jsa"), FileTime.from(NOW.minus(Duration.ofDays(2))));
    Files.write(c.resolve("aot-123-check.aot"), new byte[90]);
    Files.setLastModifiedTime(c.resolve("aot-123-check.aot"), FileTime.from(NOW.minus(Duration.ofDays(2))));
    entry(c.resolve("corpus"), 5, 100);
    Files.createFile(c.resolve("kernels/aaaa.lock"));

    List<Entry> l = new Cache(c).list();

    assertThat(l).extracting(e -> e.kind() + " " + c.relativize(e.path()) + " " + e.bytes() + " " + e.lastUsed())
        .containsExactly("OTHER corpus 5 2026-08-28T12:00:00Z", "DEMO demo 500 2026-10-27T12:00:00Z", "KERNEL_HEADERS kernels/aaaa 1000 2026-12-03T12:00:00Z",
            "CLASS_DATA aot-123-check.aot 90 2026-12-04T12:00:00Z", "CLASS_DATA cds-123.jsa 70 2026-12-04T12:00:00Z", "KERNEL_HEADERS headers/6.1.0-56-x 10 2026-12-05T12:00:00Z");
  }

  @Test
  void pruneByAgeRemovesWholeEntriesUnusedForLongerAndNeverOthers() throws Exception {
    Path c = tmp.resolve("cache");
    entry(c.resolve("kernels/old"), 100, 31);
    entry(c.resolve("kernels/new"), 100, 29);
    entry(c.resolve("corpus"), 100, 400);

    Cache.Pruned p = new Cache(c).prune(new Bound(Duration.ofDays(30), null, null), ALL, NOW, false);

    assertThat(names(p.removed())).containsExactly("old");
    assertThat(p.bytesRemoved()).isEqualTo(100);
    assertThat(c.resolve("kernels/old")).doesNotExist();
    assertThat(c.resolve("kernels/old.lock")).doesNotExist();
    assertThat(c.resolve("kernels/new/usr/src/Module.symvers")).exists();
    assertThat(c.resolve("corpus/usr/src/Module.symvers")).exists();
  }

  @Test
  void pruneBySizeRemovesTheOldestUsedUntilTheRestFits() throws Exception {
    Path c = tmp.resolve("cache");
    entry(c.resolve("kernels/a"), 100, 1);
    entry(c.resolve("kernels/b"), 100, 5);
    entry(c.resolve("kernels/c"), 100, 3);
    entry(c.resolve("demo"), 100, 2);

    Cache.Pruned p = new Cache(c).prune(new Bound(null, 150L, null), EnumSet.of(Kind.KERNEL_HEADERS), NOW, false);

    assertThat(names(p.removed())).containsExactly("b", "c");
    assertThat(names(new Cache(c).list())).containsExactly("demo", "a");
  }

  @Test
  void pruneByCountKeepsTheMostRecentlyUsed() throws Exception {
    Path c = tmp.resolve("cache");
    for (int i = 1; i <= 5; i++) {
      entry(c.resolve("kernels/k" + i), 10, i);
    }
    Cache.Pruned p = new Cache(c).prune(new Bound(null, 1L << 30, 3), EnumSet.of(Kind.KERNEL_HEADERS), NOW, false);
    assertThat(names(p.removed())).containsExactly("k5", "k4");
  }

  @Test
  void aDryRunWritesNothingAndSaysWhatWouldGo() throws Exception {
    Path c = tmp.resolve("cache");
    entry(c.resolve("kernels/a"), 100, 50);
    entry(c.resolve("demo"), 100, 60);
    Map<String, String> before = TreeSnapshot.of(c);

    Cache.Pruned p = new Cache(c).prune(new Bound(Duration.ofDays(30), 0L, null), ALL, NOW, true);

    assertThat(names(p.removed())).containsExactly("demo", "a");
    assertThat(TreeSnapshot.of(c)).isEqualTo(before);
  }

  @Test
  void aLinkOutOfTheCacheIsRemovedButWhatItPointsAtIsUntouched() throws Exception {
    Path outside = Files.createDirectories(tmp.resolve("home/important"));
    Files.writeString(outside.resolve("canary"), "still here");
    Path c = tmp.resolve("cache");
    Path e = entry(c.resolve("kernels/a"), 100, 50);
    Files.createSymbolicLink(e.resolve("usr/src/linux-headers"), outside);
    Files.createSymbolicLink(e.resolve("canary-file"), outside.resolve("canary"));
    Files.createDirectories(c.resolve("headers"));
    Files.createSymbolicLink(c.resolve("headers/whole-entry"), outside);
    Map<String, String> home = TreeSnapshot.of(tmp.resolve("home"));

    assertThat(new Cache(c).list()).extracting(Entry::bytes).containsExactly(100L, 0L); // a link counts nothing
    Cache.Pruned p = new Cache(c).prune(new Bound(Duration.ZERO, null, null), ALL, Instant.now().plusSeconds(1), false);

    assertThat(p.removed()).hasSize(2);
    assertThat(c.resolve("kernels/a")).doesNotExist();
    assertThat(Files.exists(c.resolve("headers/whole-entry"), java.nio.file.LinkOption.NOFOLLOW_LINKS)).isFalse();
    assertThat(TreeSnapshot.of(tmp.resolve("home"))).isEqualTo(home).containsEntry("important/canary", TreeSnapshot.of(outside.resolve("canary")).get(""));
  }

  @Test
  void anEntryInUseByThisProcessIsLeftAndTheOthersStillGo() throws Exception {
    Path c = tmp.resolve("cache");
    entry(c.resolve("kernels/a"), 100, 50);
    entry(c.resolve("kernels/b"), 100, 40);
    try (Cache user = new Cache(c)) {
      user.use(c.resolve("kernels/a"));
      Cache.Pruned p = new Cache(c).prune(new Bound(null, 0L, null), ALL, Instant.now(), false);
      assertThat(names(p.inUse())).containsExactly("a");
      assertThat(names(p.removed())).containsExactly("b");
      assertThat(c.resolve("kernels/a/usr/src/Module.symvers")).exists();
      assertThat(user.prune(new Bound(Duration.ZERO, null, null), ALL, Instant.now(), false).removed()).as("a user's own prune leaves what it uses").isEmpty();
    }
    assertThat(names(new Cache(c).prune(new Bound(Duration.ZERO, null, null), ALL, Instant.now(), false).removed())).containsExactly("a");
  }

  @Test
  void aCopyBeingMadeBesideAnEntryIsInUseWithIt() throws Exception {
    Path c = tmp.resolve("cache");
    Path target = c.resolve("headers/6.1.0-56-abc");
    entry(c.resolve("headers/6.1.0-56-abc.tmp4242"), 100, 50);
    try (Cache user = new Cache(c)) {
      user.use(target); // as KernelTargets does before it makes the copy aside and renames it into place
      Cache.Pruned p = new Cache(c).prune(new Bound(Duration.ZERO, null, null), ALL, Instant.now(), false);
      assertThat(names(p.inUse())).containsExactly("6.1.0-56-abc.tmp4242");
    }
  }

  @Test
  void anEntryInUseByAnotherProcessIsLeft() throws Exception {
    Path c = tmp.resolve("cache");
    Path a = entry(c.resolve("kernels/a"), 100, 50);
    Process other = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp", System.getProperty("java.class.path"), Holder.class.getName(), a.toString())
        .redirectError(ProcessBuilder.Redirect.INHERIT).start();
    try (InputStream in = other.getInputStream()) {
      assertThat(in.read()).as("the other process says it holds the entry").isEqualTo('L');
      Cache.Pruned p = new Cache(c).prune(new Bound(Duration.ZERO, null, null), ALL, Instant.now(), false);
      assertThat(p.removed()).isEmpty();
      assertThat(names(p.inUse())).containsExactly("a");
      assertThat(Files.getLastModifiedTime(a.resolve(Cache.STAMP)).toInstant()).as("use is recorded").isAfter(NOW);
    } finally {
      other.getOutputStream().close();
      assertThat(other.waitFor(30, TimeUnit.SECONDS)).isTrue();
    }
    assertThat(names(new Cache(c).prune(new Bound(Duration.ZERO, null, null), ALL, Instant.now(), false).removed())).containsExactly("a");
  }

  /** Another process using an entry, as a concurrent rebuild does: holds it until stdin closes. */
  public static final class Holder {
    public static void main(String[] args) throws Exception {
      try (Cache c = new Cache(Path.of(args[0]).getParent().getParent())) {
        c.use(Path.of(args[0]));
        System.out.write('L');
        System.out.flush();
        while (System.in.read() >= 0) {
          // hold
        }
      }
    }
  }
}
