package org.kmodkit.cli;

import com.fasterxml.jackson.core.JsonGenerator;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.kmodkit.core.BadInputException;
import org.kmodkit.core.EnvironmentException;
import org.kmodkit.core.KmodkitException;
import org.kmodkit.core.Printable;
import org.kmodkit.core.cache.Cache;
import org.kmodkit.core.cache.Cache.Bound;
import org.kmodkit.core.cache.Cache.Entry;
import org.kmodkit.core.cache.Cache.Kind;
import picocli.CommandLine.Command;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code kmodkit cache list|prune}: what kmodkit keeps in its cache, and removing it by age or size. */
@Command(
    name = "cache",
    mixinStandardHelpOptions = true,
    description = {
      "See (list) and prune kmodkit's cache: $KMODKIT_CACHE, else $XDG_CACHE_HOME/kmodkit, else ~/.cache/kmodkit.",
      "It holds kernel headers packages unpacked by rebuild/add-kernel-support (kernels/), prepared headers copies (headers/),",
      "the demo's root (demo) and the launcher's class-data archives (cds*.jsa); other entries (test corpora) are listed, never pruned."
    },
    subcommands = {CacheCommand.ListEntries.class, CacheCommand.Prune.class})
final class CacheCommand implements Runnable {
  /** The automatic bound on kernel headers entries: {@value} (SIZE[,ENTRIES], or off). */
  static final String DEFAULT_MAX = "2G,8";

  static final String ENV_MAX = "KMODKIT_CACHE_MAX";

  @Spec CommandSpec spec;

  @Override
  public void run() {
    throw new picocli.CommandLine.ParameterException(spec.commandLine(), "missing subcommand: 'kmodkit cache list [--json]' or 'kmodkit cache prune [--older-than 30d] [--max-size 2G] [--dry-run]'");
  }

  /** Options both subcommands take. */
  static final class Where {
    @Option(names = "--cache", paramLabel = "DIR", description = "The cache to look at (default: $KMODKIT_CACHE, else $XDG_CACHE_HOME/kmodkit, else ~/.cache/kmodkit).")
    Path dir;

    Path dir() {
      return dir != null ? dir : Rebuild.cacheDir();
    }
  }

  @Command(
      name = "list",
      mixinStandardHelpOptions = true,
      description = {"Each entry with its kind, size, last use (UTC) and path, least recently used first, and the total.", "Exit: 0, or 3 when the cache cannot be read."})
  static final class ListEntries implements Callable<Integer> {
    @Spec CommandSpec spec;

    @picocli.CommandLine.Mixin Where where = new Where();

    @Mixin Options.Json json;

    @Override
    public Integer call() throws KmodkitException {
      Cache cache = new Cache(where.dir());
      List<Entry> entries = cache.list();
      PrintWriter out = spec.commandLine().getOut();
      long total = entries.stream().mapToLong(Entry::bytes).sum();
      if (json.on()) {
        JsonOutput.document(out, g -> {
          g.writeStringField("schema", "kmodkit.cache/1");
          g.writeStringField("cache", cache.root().toString());
          g.writeArrayFieldStart("entries");
          for (Entry e : entries) {
            entry(g, e);
          }
          g.writeEndArray();
          g.writeNumberField("total_bytes", total);
        });
        return ExitCode.OK.code();
      }
      out.printf("%-15s %10s  %-17s  %s%n", "KIND", "SIZE", "LAST USED (UTC)", "PATH");
      for (Entry e : entries) {
        out.printf("%-15s %10s  %-17s  %s%n", e.kind().label(), size(e.bytes()), when(e.lastUsed()), Printable.escape(e.path().toString()));
      }
      out.println("total " + size(total) + " in " + entries.size() + (entries.size() == 1 ? " entry" : " entries") + " under " + Printable.escape(cache.root().toString()));
      return ExitCode.OK.code();
    }
  }

  @Command(
      name = "prune",
      mixinStandardHelpOptions = true,
      description = {
        "Remove whole entries: those unused for longer than --older-than, then the least recently used until the rest fit",
        "--max-size. Without either, the automatic bound on kernel headers entries applies (" + ENV_MAX + ", default " + DEFAULT_MAX + ":",
        "at most 2 GiB and 8 entries). An entry a running kmodkit uses is left (and named); a link in the cache is removed,",
        "never what it points at. Other entries (test corpora) are never removed.",
        "Exit: 0 (also when entries in use were left), 2 bad option, 3 when an entry cannot be removed."
      })
  static final class Prune implements Callable<Integer> {
    @Spec CommandSpec spec;

    @picocli.CommandLine.Mixin Where where = new Where();

    @Option(names = "--older-than", paramLabel = "AGE", converter = AgeConverter.class, description = "Remove entries not used for this long: a number and s, m, h, d or w (e.g. 30d).")
    Duration olderThan;

    @Option(names = "--max-size", paramLabel = "SIZE", converter = SizeConverter.class, description = "Then remove the least recently used until the rest take at most SIZE: bytes, or a number and K, M, G or T (powers of 1024; e.g. 2G).")
    Long maxSize;

    @Option(names = "--dry-run", description = "Print what would be removed; remove nothing.")
    boolean dryRun;

    @Override
    public Integer call() throws KmodkitException {
      PrintWriter out = spec.commandLine().getOut();
      PrintWriter err = spec.commandLine().getErr();
      boolean automatic = olderThan == null && maxSize == null;
      Bound bound = automatic ? defaultBound(System.getenv(ENV_MAX)) : new Bound(olderThan, maxSize, null);
      if (bound == null) {
        out.println("nothing to do: " + ENV_MAX + "=off turns the automatic bound off; give --older-than or --max-size");
        return ExitCode.OK.code();
      }
      Cache.Pruned p = new Cache(where.dir()).prune(bound, automatic ? EnumSet.of(Kind.KERNEL_HEADERS) : EnumSet.allOf(Kind.class), Instant.now(), dryRun);
      for (Entry e : p.removed()) {
        out.println((dryRun ? "would remove " : "removed ") + e.kind().label() + " " + size(e.bytes()).strip() + " last used " + when(e.lastUsed()) + ": " + Printable.escape(e.path().toString()));
      }
      for (Entry e : p.inUse()) {
        err.println("kmodkit: " + Printable.escape(e.path().toString()) + ": in use by a running kmodkit; left in place (prune again when it is done)");
      }
      out.println((dryRun ? "would free " : "freed ") + size(p.bytesRemoved()).strip() + " (" + p.removed().size() + (p.removed().size() == 1 ? " entry" : " entries") + ")");
      return ExitCode.OK.code();
    }
  }

  /**
   * Keeps the kernel headers entries within the automatic bound after a run added one; the entries
   * {@code cache} holds (this run's) stay. Says what it removed on one stderr line.
   */
  static void keepWithinBound(Cache cache, PrintWriter err) throws BadInputException, EnvironmentException {
    keepWithinBound(cache, defaultBound(System.getenv(ENV_MAX)), err);
  }

  static void keepWithinBound(Cache cache, Bound bound, PrintWriter err) throws EnvironmentException {
    if (bound == null) {
      return;
    }
    Cache.Pruned p = cache.prune(bound, EnumSet.of(Kind.KERNEL_HEADERS), Instant.now(), false);
    if (!p.removed().isEmpty()) {
      err.println("kmodkit: cache: removed " + p.removed().size() + " least recently used kernel headers " + (p.removed().size() == 1 ? "entry" : "entries") + " (" + size(p.bytesRemoved()).strip()
          + ") to keep within " + describe(bound) + " (" + ENV_MAX + "; see kmodkit cache list)");
    }
  }

  /** {@code SIZE[,ENTRIES]} or {@code off} (null: no automatic bound); unset or blank: {@value #DEFAULT_MAX}. */
  static Bound defaultBound(String value) throws BadInputException {
    String v = value == null || value.isBlank() ? DEFAULT_MAX : value.strip();
    if (v.equalsIgnoreCase("off")) {
      return null;
    }
    String[] parts = v.split(",", -1);
    try {
      if (parts.length <= 2) {
        return new Bound(null, bytes(parts[0]), parts.length == 2 ? Integer.valueOf(parts[1].strip()) : null);
      }
    } catch (IllegalArgumentException e) {
      // said below
    }
    throw new BadInputException(ENV_MAX + "=" + value, "is not SIZE[,ENTRIES] or off; e.g. " + ENV_MAX + "=2G,8 (2 GiB and 8 kernel headers sets) or " + ENV_MAX + "=off");
  }

  private static String describe(Bound b) {
    return size(b.maxBytes()).strip() + (b.maxEntries() != null ? " and " + b.maxEntries() + " entries" : "");
  }

  private static final Pattern SIZE = Pattern.compile("(\\d+)\\s*([KMGT]?)(?:i?B)?", Pattern.CASE_INSENSITIVE);
  private static final Pattern AGE = Pattern.compile("(\\d+)\\s*([smhdw])", Pattern.CASE_INSENSITIVE);

  /** Bytes in {@code s}: digits with an optional K, M, G or T (powers of 1024). */
  static long bytes(String s) {
    Matcher m = SIZE.matcher(s.strip());
    if (!m.matches()) {
      throw new IllegalArgumentException("'" + s + "' is not a size: give bytes or a number and K, M, G or T (e.g. 2G)");
    }
    int shift = switch (m.group(2).toUpperCase(Locale.ROOT)) {
      case "K" -> 10;
      case "M" -> 20;
      case "G" -> 30;
      case "T" -> 40;
      default -> 0;
    };
    long n = Long.parseLong(m.group(1));
    if (n > Long.MAX_VALUE >> shift) {
      throw new IllegalArgumentException("'" + s + "' is too large");
    }
    return n << shift;
  }

  /** A duration: digits and s, m, h, d or w. */
  static Duration age(String s) {
    Matcher m = AGE.matcher(s.strip());
    if (!m.matches()) {
      throw new IllegalArgumentException("'" + s + "' is not an age: give a number and s, m, h, d or w (e.g. 30d)");
    }
    ChronoUnit unit = switch (m.group(2).toLowerCase(Locale.ROOT)) {
      case "s" -> ChronoUnit.SECONDS;
      case "m" -> ChronoUnit.MINUTES;
      case "h" -> ChronoUnit.HOURS;
      case "d" -> ChronoUnit.DAYS;
      default -> ChronoUnit.WEEKS;
    };
    return unit.getDuration().multipliedBy(Long.parseLong(m.group(1)));
  }

  static final class SizeConverter implements ITypeConverter<Long> {
    @Override
    public Long convert(String value) {
      return bytes(value);
    }
  }

  static final class AgeConverter implements ITypeConverter<Duration> {
    @Override
    public Duration convert(String value) {
      return age(value);
    }
  }

  private static void entry(JsonGenerator g, Entry e) throws IOException {
    g.writeStartObject();
    g.writeStringField("kind", e.kind().label());
    g.writeStringField("path", e.path().toString());
    g.writeNumberField("bytes", e.bytes());
    g.writeStringField("last_used", e.lastUsed().truncatedTo(ChronoUnit.SECONDS).toString());
    g.writeEndObject();
  }

  private static final DateTimeFormatter WHEN = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm").withZone(ZoneOffset.UTC);

  static String when(Instant t) {
    return WHEN.format(t);
  }

  /** Bytes for people: 1024-based, one decimal. */
  static String size(long bytes) {
    if (bytes < 1024) {
      return bytes + " B";
    }
    String[] units = {"KiB", "MiB", "GiB", "TiB"};
    double v = bytes;
    int u = -1;
    while (v >= 1024 && u < units.length - 1) {
      v /= 1024;
      u++;
    }
    return String.format(Locale.ROOT, "%.1f %s", v, units[u]);
  }
}
