package org.kmodkit.core.abi;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
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
    List<KernelSymbol> out = new ArrayList<>(16384);
    try (BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8), 1 << 16)) {
      String line;
      int number = 0;
      while ((line = r.readLine()) != null) {
        number++;
        if (line.isBlank()) {
          continue;
        }
        out.add(parseLine(source, number, line));
      }
    } catch (IOException e) {
      throw new BadInputException(source, "cannot read (" + e.getMessage() + ")");
    }
    return out;
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
