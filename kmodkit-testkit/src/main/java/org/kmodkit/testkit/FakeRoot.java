package org.kmodkit.testkit;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.GZIPOutputStream;

/**
 * A system root built in code for weak-updates tests: kernels with a RHEL-style
 * /boot/symvers-K.gz and config, in-tree and out-of-tree modules written with {@link KoBuilder}.
 */
public final class FakeRoot {
  public static final String CONFIG = "CONFIG_X86_64=y\nCONFIG_SMP=y\nCONFIG_PREEMPT_BUILD=y\nCONFIG_MODULE_UNLOAD=y\nCONFIG_MODVERSIONS=y\nCONFIG_MODULE_FORCE_LOAD=y\n";

  private final Path root;

  private FakeRoot(Path root) {
    this.root = root;
  }

  public static FakeRoot at(Path root) {
    return new FakeRoot(root);
  }

  public Path path() {
    return root;
  }

  public Path resolve(String absolute) {
    return root.resolve(absolute.startsWith("/") ? absolute.substring(1) : absolute);
  }

  /** A kernel exporting {@code vmlinux} symbols (name → CRC) and {@code module_layout} = {@code layout}. */
  public FakeRoot kernel(String release, long layout, Map<String, Long> vmlinux) {
    StringBuilder sb = new StringBuilder();
    sb.append(String.format("0x%08x\tmodule_layout\tvmlinux\tEXPORT_SYMBOL\t%n", layout));
    for (Map.Entry<String, Long> e : vmlinux.entrySet()) {
      sb.append(String.format("0x%08x\t%s\tvmlinux\tEXPORT_SYMBOL\t%n", e.getValue(), e.getKey()));
    }
    symvers(release, sb.toString());
    try {
      write("/boot/config-" + release, CONFIG.getBytes(StandardCharsets.UTF_8));
      Files.createDirectories(resolve("/lib/modules/" + release + "/kernel"));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return this;
  }

  /** Writes {@code /boot/symvers-<release>.gz} holding {@code lines} (Module.symvers lines), as RHEL ships it. */
  public FakeRoot symvers(String release, String lines) {
    ByteArrayOutputStream gz = new ByteArrayOutputStream();
    try (GZIPOutputStream out = new GZIPOutputStream(gz)) {
      out.write(lines.getBytes(StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    write("/boot/symvers-" + release + ".gz", gz.toByteArray());
    return this;
  }

  /** A kernel with the given vmlinux exports, all CRCs {@code crc}. */
  public FakeRoot kernel(String release, long layout, long crc, String... symbols) {
    Map<String, Long> m = new LinkedHashMap<>();
    for (String s : symbols) {
      m.put(s, crc);
    }
    return kernel(release, layout, m);
  }

  /** Writes a module under {@code /lib/modules/<release>/<rel>}. */
  public Path module(String release, String rel, KoBuilder b) {
    return write("/lib/modules/" + release + "/" + rel, b.build());
  }

  public Path write(String absolute, byte[] data) {
    Path p = resolve(absolute);
    try {
      Files.createDirectories(p.getParent());
      Files.write(p, data);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return p;
  }
}
