package org.kmodkit.core.verify;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeSet;
import java.util.zip.Deflater;
import java.util.zip.GZIPOutputStream;
import org.kmodkit.core.BadInputException;
import org.kmodkit.core.io.Compression;
import org.kmodkit.core.io.ExpansionLimit;

/**
 * The guest's whole root: busybox (static), the generated /init, the device nodes init needs
 * before devtmpfs is mounted, and the modules (decompressed, so insmod needs no decompressor), as
 * a gzip'd newc cpio. Nothing else from the host goes in.
 */
public final class Initramfs {
  private final byte[] busybox;

  /** {@code busybox}: the bytes of a statically linked busybox (it runs with no libc in the guest). */
  public Initramfs(byte[] busybox) {
    this.busybox = busybox.clone();
  }

  /** Writes the archive for {@code files} (guest path to host file) and {@code init} to {@code out}. */
  public void write(OutputStream out, String init, Map<String, Path> files) throws IOException, BadInputException {
    // speed over size: the kernel inflates it under emulation, and the file lives for one boot
    GZIPOutputStream gz = new GZIPOutputStream(out, 1 << 16) {
      {
        def.setLevel(Deflater.BEST_SPEED);
      }
    };
    CpioWriter cpio = new CpioWriter(gz);
    TreeSet<String> dirs = new TreeSet<>();
    for (String d : new String[] {"bin", "dev", "proc", "sys", "tmp", "m", "k"}) {
      dirs.add(d);
    }
    for (String guest : files.keySet()) {
      String rel = guest.substring(1);
      for (int i = rel.indexOf('/'); i > 0; i = rel.indexOf('/', i + 1)) {
        dirs.add(rel.substring(0, i));
      }
    }
    for (String d : dirs) {
      cpio.directory(d, 0755);
    }
    cpio.charDevice("dev/console", 0600, 5, 1);
    cpio.charDevice("dev/kmsg", 0644, 1, 11);
    cpio.charDevice("dev/null", 0666, 1, 3);
    cpio.file("bin/busybox", 0755, busybox);
    cpio.file("init", 0755, init.getBytes(StandardCharsets.UTF_8));
    for (Map.Entry<String, Path> f : files.entrySet()) {
      cpio.file(f.getKey().substring(1), 0644, moduleBytes(f.getValue()));
    }
    cpio.finish();
    gz.finish();
  }

  private static byte[] moduleBytes(Path file) throws BadInputException {
    byte[] raw;
    try {
      raw = Files.readAllBytes(file);
    } catch (IOException e) {
      throw new BadInputException(file.toString(), "cannot read (" + e.getClass().getSimpleName() + ": " + e.getMessage() + "); check the path and permissions");
    }
    byte[] head = raw.length >= 6 ? java.util.Arrays.copyOf(raw, 6) : raw;
    return Compression.detect(head).decompress(file.toString(), raw, ExpansionLimit.MODULE);
  }
}
