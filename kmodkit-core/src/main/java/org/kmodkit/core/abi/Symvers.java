package org.kmodkit.core.abi;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.kmodkit.core.BadInputException;

/**
 * Module.symvers: one exported symbol per line,
 * {@code 0x<crc>\t<symbol>\t<vmlinux | module path>\t<EXPORT_SYMBOL[_GPL]>[\t<namespace>]}. Also
 * reads the 5.4–5.8 layout, where the namespace was the third column.
 */
public final class Symvers {
  private Symvers() {}

  /** Parses {@code in} (already decompressed); {@code source} names it in errors. */
  public static List<KernelSymbol> parse(String source, InputStream in) throws BadInputException {
    try {
      return parse(source, in.readAllBytes());
    } catch (IOException e) {
      throw new BadInputException(source, "cannot read (" + e.getMessage() + ")");
    }
  }

  /**
   * Parses symvers bytes. The common line (tab-separated, CRC first, exporter repeated thousands
   * of times) is decoded straight from the bytes without regexes or splitting; anything else goes
   * through {@link #parseLine}, which also words the errors.
   */
  public static List<KernelSymbol> parse(String source, byte[] data) throws BadInputException {
    List<KernelSymbol> out = new ArrayList<>(Math.max(16, data.length / 60));
    Exporters exporters = new Exporters();
    int number = 0;
    int p = 0;
    int n = data.length;
    while (p < n) {
      int eol = p;
      while (eol < n && data[eol] != '\n') {
        eol++;
      }
      number++;
      int end = eol > p && data[eol - 1] == '\r' ? eol - 1 : eol;
      KernelSymbol s = fastLine(data, p, end, exporters);
      if (s == null && !blank(data, p, end)) {
        s = parseLine(source, number, new String(data, p, end - p, StandardCharsets.UTF_8));
      }
      if (s != null) {
        out.add(s);
      }
      p = eol + 1;
    }
    return out;
  }

  private static boolean blank(byte[] d, int from, int to) {
    for (int i = from; i < to; i++) {
      if (d[i] != ' ' && d[i] != '\t') {
        return false;
      }
    }
    return true;
  }

  /** "0x%08x\tsym\texporter\tEXPORT_...[\tns]", or null to take the general path. */
  private static KernelSymbol fastLine(byte[] d, int from, int to, Exporters exporters) {
    if (to - from < 13 || d[from] != '0' || d[from + 1] != 'x') {
      return null;
    }
    long crc = 0;
    int i = from + 2;
    for (; i < to && d[i] != '\t'; i++) {
      int v = Character.digit(d[i], 16);
      if (v < 0 || i - from > 10) {
        return null;
      }
      crc = (crc << 4) | v;
    }
    if (crc >>> 32 != 0) {
      return null; // nine digits: the general path accepts a leading zero and words the error
    }
    int t1 = i;
    int t2 = indexOf(d, t1 + 1, to);
    int t3 = t2 < 0 ? -1 : indexOf(d, t2 + 1, to);
    if (t1 >= to || t1 == from + 2 || t2 < 0 || t3 < 0 || t2 == t1 + 1 || t3 == t2 + 1) {
      return null;
    }
    int t4 = indexOf(d, t3 + 1, to);
    ExportType type = typeOf(d, t3 + 1, t4 < 0 ? to : t4);
    if (type == null) {
      return null; // the 5.4-5.8 column order, or a bad line: the general path decides
    }
    String exporter = exporters.of(d, t2 + 1, t3);
    String ns = t4 < 0 || t4 + 1 == to ? "" : new String(d, t4 + 1, to - t4 - 1, StandardCharsets.UTF_8).trim();
    return new KernelSymbol(new String(d, t1 + 1, t2 - t1 - 1, StandardCharsets.UTF_8), Crc.of(crc), exporter, type, ns);
  }

  /**
   * Exporter names by the module path a line gives: the lines of one exporter come together (931
   * runs for 931 exporters in a Debian amd64 symvers), so the last one is compared first.
   */
  private static final class Exporters {
    private final Map<String, String> byPath = new HashMap<>();
    private int lastFrom;
    private int lastTo;
    private String last;

    String of(byte[] d, int from, int to) {
      if (last == null || !java.util.Arrays.equals(d, from, to, d, lastFrom, lastTo)) {
        last = byPath.computeIfAbsent(new String(d, from, to - from, StandardCharsets.ISO_8859_1), Symvers::exporterName);
        lastFrom = from;
        lastTo = to;
      }
      return last;
    }
  }

  private static int indexOf(byte[] d, int from, int to) {
    for (int i = from; i < to; i++) {
      if (d[i] == '\t') {
        return i;
      }
    }
    return -1;
  }

  private static final byte[] EXPORT_SYMBOL = "EXPORT_SYMBOL".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] EXPORT_SYMBOL_GPL = "EXPORT_SYMBOL_GPL".getBytes(StandardCharsets.US_ASCII);

  private static ExportType typeOf(byte[] d, int from, int to) {
    if (java.util.Arrays.equals(d, from, to, EXPORT_SYMBOL_GPL, 0, EXPORT_SYMBOL_GPL.length)) {
      return ExportType.EXPORT_SYMBOL_GPL;
    }
    if (java.util.Arrays.equals(d, from, to, EXPORT_SYMBOL, 0, EXPORT_SYMBOL.length)) {
      return ExportType.EXPORT_SYMBOL;
    }
    return null;
  }

  static KernelSymbol parseLine(String source, int number, String line) throws BadInputException {
    String[] f = line.indexOf('\t') >= 0 ? line.split("\t", -1) : line.trim().split("\\s+");
    if (f.length < 4) {
      throw malformed(source, number, "has " + f.length + " fields");
    }
    Crc crc;
    try {
      crc = Crc.parse(f[0].trim());
    } catch (IllegalArgumentException e) {
      throw malformed(source, number, "starts with '" + abbreviate(f[0]) + "', not a 0x CRC");
    }
    String symbol = f[1].trim();
    if (symbol.isEmpty()) {
      throw malformed(source, number, "has an empty symbol name");
    }
    String where;
    String typeWord;
    String namespace = "";
    ExportType type = ExportType.ofSymvers(f[3].trim());
    if (type != null) {
      where = f[2].trim();
      typeWord = f[3].trim();
      if (f.length > 4) {
        namespace = f[4].trim();
      }
    } else if (f.length >= 5 && ExportType.ofSymvers(f[4].trim()) != null) {
      // Linux 5.4–5.8: crc, symbol, namespace, module, export type
      namespace = f[2].trim();
      where = f[3].trim();
      typeWord = f[4].trim();
      type = ExportType.ofSymvers(typeWord);
    } else {
      throw malformed(source, number, "has export type '" + abbreviate(f[3]) + "'");
    }
    if (where.isEmpty()) {
      throw malformed(source, number, "names no exporting module");
    }
    return new KernelSymbol(symbol, crc, exporterName(where), type, namespace);
  }

  /** {@code vmlinux}, or the module name of a path such as {@code drivers/net/foo/bar-baz}. */
  public static String exporterName(String where) {
    if (KernelSymbol.VMLINUX.equals(where)) {
      return where;
    }
    String base = where.substring(where.lastIndexOf('/') + 1);
    if (base.endsWith(".ko")) {
      base = base.substring(0, base.length() - 3);
    }
    return base.replace('-', '_');
  }

  private static BadInputException malformed(String source, int line, String why) {
    return new BadInputException(source + ":" + line, "malformed symvers line: " + why + " (expected 0xCRC<TAB>symbol<TAB>module<TAB>EXPORT_SYMBOL[_GPL][<TAB>namespace]); regenerate the file from the kernel build");
  }

  private static String abbreviate(String s) {
    return s.length() > 40 ? s.substring(0, 40) + "…" : s;
  }
}
