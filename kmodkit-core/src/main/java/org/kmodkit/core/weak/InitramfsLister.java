package org.kmodkit.core.weak;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.kmodkit.core.BadInputException;
import org.kmodkit.core.io.Compression;
import org.kmodkit.core.io.ExpansionLimit;
import org.kmodkit.core.io.MemoryBudget;
import org.kmodkit.core.tree.ModuleFiles;

/**
 * Lists the kernel modules inside an initramfs: one or more cpio "newc" archives, each maybe
 * compressed (an uncompressed early-microcode archive often precedes the compressed main one).
 */
public final class InitramfsLister {
  private InitramfsLister() {}

  public static List<String> modules(String source, byte[] data) throws BadInputException {
    List<String> out = new ArrayList<>();
    list(source, data, out, 0);
    return out;
  }

  private static void list(String source, byte[] d, List<String> out, int depth) throws BadInputException {
    int p = 0;
    while (p < d.length) {
      while (p < d.length && d[p] == 0) {
        p++; // padding between concatenated archives
      }
      if (p >= d.length) {
        return;
      }
      if (p + 6 <= d.length && d[p] == '0' && d[p + 1] == '7' && d[p + 2] == '0' && d[p + 3] == '7' && d[p + 4] == '0' && (d[p + 5] == '1' || d[p + 5] == '2')) {
        p = cpio(source, d, p, out);
        continue;
      }
      Compression c = Compression.detect(java.util.Arrays.copyOfRange(d, p, Math.min(d.length, p + 6)));
      if (c == Compression.NONE || depth > 2) {
        throw new BadInputException(source, "unknown data at offset " + p + " (neither cpio nor a known compression)");
      }
      int from = p;
      byte[] rest;
      try (Compression.Expanded e = c.expand(source, () -> new ByteArrayInputStream(d, from, d.length - from), d.length - from, ExpansionLimit.INITRAMFS, MemoryBudget.heap())) {
        rest = e.bytes();
      } // not held while its contents are listed: a nested archive reserves its own
      list(source, rest, out, depth + 1);
      return; // a compressed archive runs to the end of the file
    }
  }

  /** Parses one newc archive at {@code p}; returns the offset after its trailer. */
  private static int cpio(String source, byte[] d, int p, List<String> out) throws BadInputException {
    while (true) {
      if (p + 110 > d.length) {
        throw new BadInputException(source, "cpio header truncated at offset " + p);
      }
      long fileSize = hex(d, p + 54);
      int nameSize = (int) hex(d, p + 94);
      int nameAt = p + 110;
      if (nameSize <= 0 || nameAt + nameSize > d.length) {
        throw new BadInputException(source, "cpio name overruns the archive at offset " + p);
      }
      String name = new String(d, nameAt, nameSize - 1, StandardCharsets.UTF_8);
      int dataAt = align(nameAt + nameSize);
      long next = align4(dataAt + fileSize);
      if (next > d.length + 3L) {
        throw new BadInputException(source, "cpio entry " + name + " overruns the archive");
      }
      if (name.equals("TRAILER!!!")) {
        return (int) Math.min(next, d.length);
      }
      String base = name.substring(name.lastIndexOf('/') + 1);
      if (ModuleFiles.isModuleFileName(base)) {
        out.add(org.kmodkit.core.elf.ModuleReader.nameFromPath(base));
      }
      p = (int) next;
    }
  }

  private static int align(int x) {
    return (x + 3) & ~3;
  }

  private static long align4(long x) {
    return (x + 3) & ~3L;
  }

  private static long hex(byte[] d, int at) throws BadInputException {
    long v = 0;
    for (int i = 0; i < 8; i++) {
      int c = Character.digit(d[at + i], 16);
      if (c < 0) {
        throw new BadInputException("initramfs", "bad cpio header at offset " + at);
      }
      v = (v << 4) | c;
    }
    return v;
  }
}
