package org.kmodkit.cli;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.kmodkit.core.BadInputException;
import org.kmodkit.core.weak.Plan;
import org.kmodkit.core.weak.ReleaseOrder;
import org.kmodkit.core.weak.Status;

/**
 * Many nodes' {@code status --json} / {@code preflight --json} answers (as Ansible's fetch or any
 * file shipper gathers them) folded into one view: module set × kernel → nodes per state, the
 * refusal reasons, and the node lists. A node is the first directory under DIR that holds the file
 * (Ansible's fetch: DIR/HOST/…), or for a file directly in DIR its name up to the first dot. One
 * file is parsed at a time, and a file that is not a report is named and skipped.
 */
final class FleetReport {
  /** More than any real report (a status of 50 kernels × 20 sets is ~100 KiB): a bigger file is no report. */
  static final long MAX_FILE = 8L << 20;
  /** Distinct reasons kept per cell, and their length: hostile input cannot grow the report without bound. */
  static final int MAX_REASONS = 50;
  static final int MAX_REASON_CHARS = 300;
  /** Files parsed together (in parallel) before they are counted. */
  static final int CHUNK = 256;

  static final Set<String> STATUS_STATES = names(Status.State.values());
  static final Set<String> PREFLIGHT_STATES = names(Plan.State.values());

  /** One cell of the fleet matrix; {@code preflight}: the kernel is not installed, the states are what would happen. */
  record Key(String set, String kernel, boolean preflight) {}

  record Skipped(Path file, String problem) {}

  static final class Cell {
    final Map<String, List<String>> nodes = new TreeMap<>();
    final Map<String, int[]> reasons = new LinkedHashMap<>();
    int otherReasons;

    int total() {
      return nodes.values().stream().mapToInt(List::size).sum();
    }
  }

  final Map<Key, Cell> cells = new TreeMap<>(Comparator.comparing(Key::set).thenComparing(Key::preflight).thenComparing(Key::kernel, ReleaseOrder.newestFirst()));
  final List<Skipped> skipped = new ArrayList<>();
  final Set<String> nodes = new HashSet<>();
  int statusReports;
  int preflightReports;
  private final Set<String> seen = new HashSet<>();
  private final JsonFactory json = new JsonFactory();
  /** Deeper than any report nests (4 levels): deeper input is no report, and must not exhaust the stack. */
  static final int MAX_DEPTH = 16;

  private static Set<String> names(Enum<?>[] values) {
    Set<String> s = new HashSet<>();
    for (Enum<?> v : values) {
      s.add(v.name().toLowerCase(Locale.ROOT));
    }
    return s;
  }

  /** Reads every *.json under each DIR (links are not followed); {@code onSkip} hears each file skipped as it happens. */
  static FleetReport read(List<Path> dirs, java.util.function.Consumer<Skipped> onSkip) throws BadInputException {
    FleetReport r = new FleetReport();
    for (Path dir : dirs) {
      if (!Files.isDirectory(dir)) {
        throw new BadInputException(dir.toString(), "is not a directory; give the directories the nodes' status --json / preflight --json files were gathered into");
      }
      List<Path> files = new ArrayList<>();
      try (Stream<Path> s = Files.walk(dir)) {
        s.filter(p -> p.getFileName().toString().endsWith(".json")).forEach(files::add);
      } catch (IOException | UncheckedIOException e) {
        throw new BadInputException(dir.toString(), "cannot be listed (" + e.getMessage() + ")");
      }
      files.sort(null);
      // files are parsed a chunk at a time on every core, then counted in file order: the same
      // report every run, and at most a chunk's parsed rows held at once
      for (int i = 0; i < files.size(); i += CHUNK) {
        List<Path> chunk = files.subList(i, Math.min(files.size(), i + CHUNK));
        List<Read> reads = chunk.parallelStream().map(f -> r.parse(dir, f)).toList();
        for (int j = 0; j < reads.size(); j++) {
          String problem = r.add(reads.get(j));
          if (problem != null) {
            Skipped s = new Skipped(chunk.get(j), problem);
            r.skipped.add(s);
            onSkip.accept(s);
          }
        }
      }
    }
    if (r.statusReports + r.preflightReports == 0) {
      throw new BadInputException(String.join(" ", dirs.stream().map(Path::toString).toList()), "holds no kmodkit status --json or preflight --json report; gather them first (e.g. ansible/roles/kmodkit)");
    }
    return r;
  }

  static String node(Path dir, Path file) {
    Path rel = dir.relativize(file);
    if (rel.getNameCount() > 1) {
      return rel.getName(0).toString();
    }
    String name = rel.toString();
    int dot = name.indexOf('.');
    return dot > 0 ? name.substring(0, dot) : name;
  }

  /** One cell's answer in one report: the state, and the first refusal in the kernel's words (null when it loads). */
  private record Row(Key key, String state, String reason) {}

  /** One file read: its node, schema, identity and rows, or why it is no report. */
  private record Read(String node, String schema, String id, List<Row> rows, String problem) {
    static Read skip(String problem) {
      return new Read(null, null, null, null, problem);
    }
  }

  /** Reads one file; touches nothing shared, so files are read in parallel. */
  private Read parse(Path dir, Path f) {
    Object parsed;
    try {
      BasicFileAttributes a = Files.readAttributes(f, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
      if (!a.isRegularFile()) {
        return Read.skip("not a regular file (links are not followed)");
      }
      if (a.size() > MAX_FILE) {
        return Read.skip("is " + a.size() + " bytes, more than any report (" + MAX_FILE + ")");
      }
      try (JsonParser p = json.createParser(f.toFile())) {
        parsed = value(p, p.nextToken(), 0);
        if (p.nextToken() != null) {
          return Read.skip("not JSON (more after the document)");
        }
      }
    } catch (IOException e) {
      return Read.skip("not JSON (" + e.getMessage().lines().findFirst().orElse("") + ")");
    }
    if (!(parsed instanceof Map<?, ?> doc)) {
      return Read.skip("not a JSON object");
    }
    String node = node(dir, f);
    String schema = doc.get("schema") instanceof String x ? x : "";
    if (!schema.equals("kmodkit.status/1") && !schema.equals("kmodkit.preflight/1")) {
      return Read.skip("schema '" + schema + "', not kmodkit.status/1 or kmodkit.preflight/1");
    }
    List<Row> rows = new ArrayList<>();
    String problem = schema.equals("kmodkit.status/1") ? status(doc, rows) : preflight(doc, rows);
    return problem != null ? Read.skip(problem) : new Read(node, schema, node + "\0" + schema + "\0" + doc.get("release"), rows, null);
  }

  /** Counts one file read; returns why it was skipped, or null. */
  private String add(Read read) {
    if (read.problem() != null) {
      return read.problem();
    }
    if (!seen.add(read.id())) {
      return "a second " + read.schema() + " report for node " + read.node() + "; the first one counts";
    }
    String node = read.node();
    nodes.add(node);
    if (read.schema().equals("kmodkit.status/1")) {
      statusReports++;
    } else {
      preflightReports++;
    }
    for (Row row : read.rows()) {
      Cell c = cells.computeIfAbsent(row.key(), k -> new Cell());
      c.nodes.computeIfAbsent(row.state(), s -> new ArrayList<>()).add(node);
      if (row.reason() != null) {
        int[] n = c.reasons.get(row.reason());
        if (n != null) {
          n[0]++;
        } else if (c.reasons.size() < MAX_REASONS) {
          c.reasons.put(row.reason(), new int[] {1});
        } else {
          c.otherReasons++;
        }
      }
    }
    return null;
  }

  /** The value starting at token {@code t}: a Map, a List, a String, or null for anything else (numbers, booleans, null). */
  private static Object value(JsonParser p, JsonToken t, int depth) throws IOException {
    if (t == null) {
      throw new IOException("empty file");
    }
    if ((t == JsonToken.START_OBJECT || t == JsonToken.START_ARRAY) && depth >= MAX_DEPTH) {
      throw new IOException("nested deeper than " + MAX_DEPTH + " levels");
    }
    switch (t) {
      case START_OBJECT: {
        Map<String, Object> m = new LinkedHashMap<>();
        for (JsonToken k = p.nextToken(); k != JsonToken.END_OBJECT; k = p.nextToken()) {
          String name = p.currentName();
          m.putIfAbsent(name, value(p, p.nextToken(), depth + 1));
        }
        return m;
      }
      case START_ARRAY: {
        List<Object> l = new ArrayList<>();
        for (JsonToken v = p.nextToken(); v != JsonToken.END_ARRAY; v = p.nextToken()) {
          l.add(value(p, v, depth + 1));
        }
        return l;
      }
      case VALUE_STRING:
        return p.getText();
      default:
        return null;
    }
  }

  /** Rows {key, state, reason-or-null} of a status report, or why it is none. */
  private static String status(Map<?, ?> doc, List<Row> rows) {
    if (!(doc.get("sets") instanceof List<?> sets)) {
      return "no 'sets' array";
    }
    for (Object o : sets) {
      if (!(o instanceof Map<?, ?> set) || !(set.get("name") instanceof String name) || !(set.get("kernels") instanceof Map<?, ?> kernels)) {
        return "a set without a 'name' or 'kernels'";
      }
      for (Map.Entry<?, ?> e : kernels.entrySet()) {
        String problem = row(rows, new Key(name, (String) e.getKey(), false), e.getValue(), "detail", STATUS_STATES);
        if (problem != null) {
          return problem;
        }
      }
    }
    return null;
  }

  private static String preflight(Map<?, ?> doc, List<Row> rows) {
    if (!(doc.get("release") instanceof String release) || !(doc.get("sets") instanceof List<?> sets)) {
      return "no 'release' or no 'sets' array";
    }
    for (Object d : sets) {
      if (!(d instanceof Map<?, ?> m) || !(m.get("set") instanceof String set)) {
        return "a decision without a 'set'";
      }
      String problem = row(rows, new Key(set, release, true), d, "reason", PREFLIGHT_STATES);
      if (problem != null) {
        return problem;
      }
    }
    return null;
  }

  private static String row(List<Row> rows, Key key, Object value, String reasonField, Set<String> states) {
    Map<?, ?> v = value instanceof Map<?, ?> m ? m : Map.of();
    String state = v.get("state") instanceof String x ? x : "";
    if (!states.contains(state)) {
      return "unknown state '" + state + "' for " + key.set() + " on " + key.kernel();
    }
    String reason = null;
    if (!ok(state) && v.get(reasonField) instanceof String text) {
      reason = text.length() > MAX_REASON_CHARS ? text.substring(0, MAX_REASON_CHARS) + "…" : text;
    }
    rows.add(new Row(key, state, reason));
    return null;
  }

  /** The driver loads (or, for an ABI kmodkit could not judge, nothing is known against it). */
  static boolean ok(String state) {
    return state.equals("native") || state.equals("linked") || state.equals("no_abi");
  }

  boolean needsAttention() {
    return !skipped.isEmpty() || cells.values().stream().anyMatch(c -> c.nodes.keySet().stream().anyMatch(s -> !ok(s)));
  }
}
