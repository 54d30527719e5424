package org.kmodkit.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.kmodkit.core.BadInputException;
import org.kmodkit.core.cache.Cache;
import org.kmodkit.cli.input.KernelSpec;
import org.kmodkit.formats.PackageSpec;
import org.kmodkit.formats.PayloadFile;
import org.kmodkit.formats.deb.DebWriter;
import org.kmodkit.testkit.TreeSnapshot;

/** kmodkit cache list|prune on a cache built in a temporary directory, and the bound a rebuild keeps. */
class CacheCliTest {
  @TempDir Path tmp;

  record Run(int code, String out, String err) {}

  Run run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = Main.run(Host.system(), new PrintWriter(out), new PrintWriter(err), args);
    return new Run(code, out.toString(), err.toString());
  }

  /** A cache entry of {@code bytes} bytes last used {@code daysAgo} days ago. */
  static Path entry(Path dir, int bytes, int daysAgo) throws Exception {
    Files.createDirectories(dir);
    Files.write(dir.resolve("data"), new byte[bytes]);
    Files.setLastModifiedTime(Files.createFile(dir.resolve(".last-used")), FileTime.from(Instant.now().minus(Duration.ofDays(daysAgo))));
    return dir;
  }

  Path cache() throws Exception {
    Path c = tmp.resolve("cache");
    entry(c.resolve("kernels/0123456789abcdef"), 3 << 20, 40);
    entry(c.resolve("demo"), 2048, 10);
    entry(c.resolve("corpus"), 100, 400);
    Files.write(c.resolve("cds-42.jsa"), new byte[1 << 20]);
    return c;
  }

  @Test
  void listShowsEachEntryWithKindSizeLastUseAndPathAndTheTotal() throws Exception {
    Path c = cache();
    Run r = run("cache", "list", "--cache", c.toString());
    assertThat(r.code()).as(r.err()).isZero();
    List<String> lines = r.out().lines().toList();
    assertThat(lines.get(0)).isEqualTo("KIND                  SIZE  LAST USED (UTC)    PATH");
    assertThat(lines.subList(1, 5)).satisfiesExactly(
        l -> assertThat(l).startsWith("other                100 B").endsWith(c.resolve("corpus").toString()),
        l -> assertThat(l).startsWith("kernel headers     3.0 MiB").endsWith(c.resolve("kernels/0123456789abcdef").toString()),
        l -> assertThat(l).startsWith("demo               2.0 KiB").endsWith(c.resolve("demo").toString()),
        l -> assertThat(l).startsWith("class-data         1.0 MiB").endsWith(c.resolve("cds-42.jsa").toString()));
    assertThat(lines.get(5)).isEqualTo("total 4.0 MiB in 4 entries under " + c);
  }

  @Test
  void listJsonGivesBytesAndTimes() throws Exception {
    Path c = cache();
    Run r = run("cache", "list", "--json", "--cache", c.toString());
    JsonNode j = new ObjectMapper().readTree(r.out());
    assertThat(j.get("schema").asText()).isEqualTo("kmodkit.cache/1");
    assertThat(j.get("cache").asText()).isEqualTo(c.toString());
    assertThat(j.get("entries")).hasSize(4);
    JsonNode k = j.get("entries").get(1);
    assertThat(k.get("kind").asText()).isEqualTo("kernel headers");
    assertThat(k.get("bytes").asLong()).isEqualTo(3 << 20);
    assertThat(Duration.between(Instant.parse(k.get("last_used").asText()), Instant.now()).toDays()).isEqualTo(40);
    assertThat(j.get("total_bytes").asLong()).isEqualTo((3 << 20) + 2048 + 100 + (1 << 20));
  }

  @Test
  void pruneByAgeRemovesOnlyWhatWasUnusedForLongerAndNeverOtherEntries() throws Exception {
    Path c = cache();
    Run r = run("cache", "prune", "--older-than", "30d", "--cache", c.toString());
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(r.out()).startsWith("removed kernel headers 3.0 MiB last used ").contains(c.resolve("kernels/0123456789abcdef").toString()).endsWith("freed 3.0 MiB (1 entry)\n");
    assertThat(c.resolve("kernels/0123456789abcdef")).doesNotExist();
    assertThat(c.resolve("corpus/data")).exists();
    assertThat(c.resolve("demo/data")).exists();
  }

  @Test
  void pruneBySizeRemovesTheLeastRecentlyUsedUntilTheRestFits() throws Exception {
    Path c = cache();
    Files.setLastModifiedTime(c.resolve("cds-42.jsa"), FileTime.from(Instant.now().minus(Duration.ofDays(5))));
    Run r = run("cache", "prune", "--max-size", "1M", "--cache", c.toString());
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(r.out()).endsWith("freed 3.0 MiB (2 entries)\n");
    assertThat(Files.exists(c.resolve("cds-42.jsa"))).isTrue();
    assertThat(c.resolve("kernels/0123456789abcdef")).doesNotExist();
    assertThat(c.resolve("demo")).doesNotExist();
  }

  @Test
  void aDryRunSaysWhatWouldGoAndWritesNothing() throws Exception {
    Path c = cache();
    Map<String, String> before = TreeSnapshot.of(c);
    Run r = run("cache", "prune", "--older-than", "1d", "--max-size", "0", "--dry-run", "--cache", c.toString());
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(r.out()).contains("would remove kernel headers", "would remove demo", "would remove class-data").endsWith("would free 4.0 MiB (3 entries)\n");
    assertThat(TreeSnapshot.of(c)).isEqualTo(before);
  }

  @Test
  void aLinkOutOfTheCacheGoesWithItsEntryAndWhatItPointsAtStays() throws Exception {
    Path c = cache();
    Path home = Files.createDirectories(tmp.resolve("home"));
    Files.writeString(home.resolve("canary"), "mine");
    Files.createSymbolicLink(c.resolve("kernels/0123456789abcdef/usr"), home);
    Files.createSymbolicLink(c.resolve("demo/canary"), home.resolve("canary"));
    Map<String, String> before = TreeSnapshot.of(home);
    Run r = run("cache", "prune", "--older-than", "1d", "--cache", c.toString());
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(c.resolve("demo")).doesNotExist();
    assertThat(TreeSnapshot.of(home)).isEqualTo(before);
  }

  @Test
  void anEntryInUseIsLeftAndNamed() throws Exception {
    Path c = cache();
    try (Cache user = new Cache(c)) {
      user.use(c.resolve("kernels/0123456789abcdef"));
      Run r = run("cache", "prune", "--max-size", "0", "--cache", c.toString());
      assertThat(r.code()).isZero();
      assertThat(r.err()).isEqualTo("kmodkit: " + c.resolve("kernels/0123456789abcdef") + ": in use by a running kmodkit; left in place (prune again when it is done)\n");
      assertThat(c.resolve("kernels/0123456789abcdef/data")).exists();
    }
  }

  @Test
  void badAgesAndSizesAreUsageErrors() throws Exception {
    Run age = run("cache", "prune", "--older-than", "30", "--cache", tmp.toString());
    assertThat(age.code()).isEqualTo(2);
    assertThat(age.err()).contains("'30' is not an age: give a number and s, m, h, d or w (e.g. 30d)");
    Run size = run("cache", "prune", "--max-size", "2X", "--cache", tmp.toString());
    assertThat(size.code()).isEqualTo(2);
    assertThat(size.err()).contains("'2X' is not a size");
  }

  @Test
  void theAutomaticBoundIsReadFromKmodkitCacheMax() throws Exception {
    assertThat(CacheCommand.defaultBound(null)).isEqualTo(new Cache.Bound(null, 2L << 30, 8));
    assertThat(CacheCommand.defaultBound("500M")).isEqualTo(new Cache.Bound(null, 500L << 20, null));
    assertThat(CacheCommand.defaultBound("10G,3")).isEqualTo(new Cache.Bound(null, 10L << 30, 3));
    assertThat(CacheCommand.defaultBound("off")).isNull();
    assertThatThrownBy(() -> CacheCommand.defaultBound("lots")).isInstanceOf(BadInputException.class)
        .hasMessage("KMODKIT_CACHE_MAX=lots: is not SIZE[,ENTRIES] or off; e.g. KMODKIT_CACHE_MAX=2G,8 (2 GiB and 8 kernel headers sets) or KMODKIT_CACHE_MAX=off");
  }

  @Test
  void unpackingHeadersPackagesKeepsTheKernelsCacheWithinItsBoundAndSaysSoOnOneLine() throws Exception {
    Path c = tmp.resolve("cache");
    for (int i = 1; i <= 8; i++) {
      entry(c.resolve("kernels/old" + i), 1000, 100 - i);
    }
    Path headers = RebuildCliTest.kernelDir(tmp.resolve("headers"), "gcc-12");
    List<PayloadFile> files = new ArrayList<>();
    try (Stream<Path> s = Files.walk(headers)) {
      for (Path f : (Iterable<Path>) s.filter(Files::isRegularFile)::iterator) {
        files.add(new PayloadFile("/usr/src/linux-headers-" + RebuildCliTest.RELEASE + "/" + headers.relativize(f), Files.isExecutable(f) ? 0755 : 0644, f));
      }
    }
    Path deb = new DebWriter().write(new PackageSpec("linux-headers-test", "1", "1", "x86_64", "headers", "Headers.", null, null, null, 1_700_000_000L, files, List.of(), List.of(), List.of(), null),
        Files.createDirectories(tmp.resolve("debs")), null);
    StringWriter err = new StringWriter();
    try (Cache cache = new Cache(c)) {
      Rebuild.Request r = new Rebuild.Request(List.of(), KernelSpec.parse(List.of(deb.toString()), null), 1, tmp.resolve("out"), tmp.resolve("work"), cache, new Options.ModuleSigning(), true, false, false);
      assertThat(Rebuild.kernels(r, new org.kmodkit.core.host.SystemProcessRunner(), new PrintWriter(err, true))).hasSize(1);
    }
    assertThat(err.toString()).isEqualTo("kmodkit: cache: removed 1 least recently used kernel headers entry (1000 B) to keep within 2.0 GiB and 8 entries (KMODKIT_CACHE_MAX; see kmodkit cache list)\n");
    assertThat(c.resolve("kernels/old1")).doesNotExist();
    assertThat(c.resolve("kernels/old2")).exists();
    assertThat(new Cache(c).list()).hasSize(8);
    assertThat(Files.exists(c.resolve("kernels/old1.lock"), LinkOption.NOFOLLOW_LINKS)).isFalse();
  }
}
