package org.kmodkit.cli.input;

import org.kmodkit.formats.PackageReader;

import java.io.InputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.kmodkit.core.BadInputException;
import org.kmodkit.core.abi.KernelAbi;
import org.kmodkit.core.image.KernelImage;
import org.kmodkit.core.image.KernelImageReader;
import org.kmodkit.core.io.Compression;
import org.kmodkit.core.io.ExpansionLimit;
import org.kmodkit.core.io.MemoryBudget;
import org.kmodkit.core.tree.KernelAbiLoader;
import org.kmodkit.core.tree.ModuleFiles;

/**
 * A kernel's ABI from its packages, read without installing them: Debian linux-image-* and
 * linux-headers-* .debs, RHEL kernel-core / kernel-modules* / kernel-devel .rpms.
 */
public final class KernelPackages {
  private static final Pattern MODULES = Pattern.compile("^/lib/modules/([^/]+)/(.+)$");
  private static final Pattern BOOT_SYMVERS = Pattern.compile("^/boot/symvers-(.+)\\.(gz|xz|zst)$");
  private static final Pattern BOOT_CONFIG = Pattern.compile("^/boot/config-(.+)$");
  private static final Pattern BOOT_IMAGE = Pattern.compile("^/boot/vmlinu[xz]-(.+)$");
  private static final Pattern HEADERS = Pattern.compile("^/usr/src/(?:linux-headers-|kernels/)([^/]+)/(.+)$");

  private KernelPackages() {}

  /** True when {@code file} looks like a package (by magic), so a KERNEL argument means packages. */
  public static boolean isPackage(Path file) {
    return PackageReader.detect(file) != null;
  }

  public static KernelAbi load(List<Path> packages) throws BadInputException {
    KernelAbi.Builder b = KernelAbi.builder();
    Set<String> releases = new LinkedHashSet<>();
    List<Future<ModuleFiles.Read>> modules = new ArrayList<>();
    List<Future<KernelImage>> images = new ArrayList<>();
    ExecutorService pool = Executors.newFixedThreadPool(Runtime.getRuntime().availableProcessors());
    MemoryBudget queue = queueBudget();
    try {
      for (Path pkg : packages) {
        String name = pkg.toString();
        int[] counts = new int[1];
        PackageReader.read(pkg, (entry, data) -> {
          if (!entry.regular()) {
            return;
          }
          String p = entry.path();
          String src = name + ":" + p;
          Matcher m;
          if ((m = BOOT_SYMVERS.matcher(p)).matches()) {
            releases.add(m.group(1));
            KernelAbiLoader.addSymvers(b, src, readAll(src, data, ExpansionLimit.SYMVERS));
          } else if ((m = BOOT_IMAGE.matcher(p)).matches()) {
            releases.add(m.group(1));
            images.add(parseLater(pool, queue, src, data, ExpansionLimit.KERNEL_IMAGE, bytes -> KernelImageReader.parse(src, bytes)));
          } else if ((m = BOOT_CONFIG.matcher(p)).matches()) {
            KernelAbiLoader.addConfig(b, src, readAll(src, data, ExpansionLimit.CONFIG));
          } else if ((m = HEADERS.matcher(p)).matches()) {
            String rest = m.group(2);
            if (rest.equals("Module.symvers")) {
              releases.add(m.group(1));
              KernelAbiLoader.addSymvers(b, src, readAll(src, data, ExpansionLimit.SYMVERS));
            } else if (rest.equals(".config")) {
              KernelAbiLoader.addConfig(b, src, readAll(src, data, ExpansionLimit.CONFIG));
            } else if (rest.equals("include/generated/utsrelease.h")) {
              KernelAbiLoader.releaseFromUtsHeader(b, readAll(src, data, ExpansionLimit.CONFIG));
            }
          } else if ((m = MODULES.matcher(p)).matches()) {
            String rest = m.group(2);
            releases.add(m.group(1));
            if (ModuleFiles.isModuleFileName(rest)) {
              counts[0]++;
              modules.add(parseLater(pool, queue, src, data, ExpansionLimit.MODULE, bytes -> ModuleFiles.parse(Path.of(rest), src, bytes)));
            } else if (rest.equals("vmlinuz")) {
              images.add(parseLater(pool, queue, src, data, ExpansionLimit.KERNEL_IMAGE, bytes -> KernelImageReader.parse(src, bytes)));
            } else if (rest.equals("symvers.gz") || rest.equals("symvers.xz")) {
              KernelAbiLoader.addSymvers(b, src, readAll(src, data, ExpansionLimit.SYMVERS));
            } else if (rest.equals("config")) {
              KernelAbiLoader.addConfig(b, src, readAll(src, data, ExpansionLimit.CONFIG));
            } else if (rest.equals("modules.builtin")) {
              KernelAbiLoader.addBuiltin(b, readAll(src, data, ExpansionLimit.CONFIG));
            }
          }
        });
        b.source("package: " + name);
      }
      for (Future<KernelImage> f : images) {
        KernelAbiLoader.addImage(b, () -> getImage(f)); // after the symvers: cross-checked against them
      }
      int ok = 0;
      for (Future<ModuleFiles.Read> f : modules) {
        ModuleFiles.Read r = get(f);
        if (r.ok()) {
          KernelAbiLoader.addTreeModule(b, r.module(), r.file().toString());
          ok++;
        }
      }
      if (!modules.isEmpty()) {
        b.source("modules in packages: " + ok + " of " + modules.size() + " read");
      }
    } finally {
      pool.shutdownNow();
    }
    if (releases.size() > 1) {
      throw new BadInputException(String.join(", ", packages.stream().map(Path::toString).toList()), "hold files of different kernels (" + String.join(", ", releases) + "); pass the packages of one kernel");
    }
    if (!releases.isEmpty()) {
      b.release(releases.iterator().next());
    }
    if (!b.hasSymbols()) {
      throw new BadInputException(String.join(", ", packages.stream().map(Path::toString).toList()), "give no vmlinux exports (no Module.symvers, symvers.gz or kernel image inside); add the kernel's image or headers package (Debian linux-image-<release>, linux-headers-<release>; RHEL kernel-core, kernel-devel)");
    }
    return b.build();
  }

  private static KernelImage getImage(Future<KernelImage> f) throws BadInputException {
    try {
      return f.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new BadInputException("package", "interrupted while reading");
    } catch (ExecutionException e) {
      if (e.getCause() instanceof BadInputException b) {
        throw b;
      }
      throw new IllegalStateException(e.getCause());
    }
  }

  static ModuleFiles.Read get(Future<ModuleFiles.Read> f) throws BadInputException {
    try {
      return f.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new BadInputException("package", "interrupted while reading");
    } catch (ExecutionException e) {
      throw new IllegalStateException(e.getCause());
    }
  }

  static byte[] readAll(String source, InputStream data, ExpansionLimit limit) throws java.io.IOException, BadInputException {
    return Compression.readAll(source, data, limit);
  }

  /** What parsing one entry's bytes gives. */
  interface Parse<T> {
    T apply(byte[] bytes) throws Exception;
  }

  /**
   * Entries read ahead of the parsers wait in memory: bound them by a budget of their own, so the
   * reader pauses while the pool catches up. Their own, apart from the heap budget that the parsers
   * decompress from, so that a parser never waits on bytes only the paused reader could release.
   */
  static MemoryBudget queueBudget() {
    return new MemoryBudget(Math.max(1, MemoryBudget.heap().capacity() / 2));
  }

  /** Reads one entry into memory (held from {@code queue}) and parses it in {@code pool}, then lets it go. */
  static <T> Future<T> parseLater(ExecutorService pool, MemoryBudget queue, String src, InputStream data, ExpansionLimit limit, Parse<T> parse)
      throws java.io.IOException, BadInputException {
    Compression.Expanded entry = Compression.readAll(src, data, limit, queue);
    try {
      return pool.submit(() -> {
        try (entry) {
          return parse.apply(entry.bytes());
        }
      });
    } catch (RuntimeException e) {
      entry.close();
      throw e;
    }
  }
}
