package org.kmodkit.cli.input;

import org.kmodkit.testkit.ArchivesForTests;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.commons.compress.archivers.ar.ArArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.kmodkit.core.BadInputException;
import org.kmodkit.core.tree.ModuleFiles;
import org.kmodkit.testkit.Bombs;
import org.kmodkit.testkit.KoBuilder;

/** Package entries that expand past what their kind may: refused, naming package and entry. */
class BombPackagesTest {
  static final String K = "6.1.0-56-cloud-amd64";
  static final long OVER_64_MIB = 80L << 20;

  @TempDir Path dir;

  /** A .deb whose data.tar.zst holds {@code good} as given and {@code zeros} bytes of zeros at {@code bomb}. */
  Path deb(String goodPath, byte[] good, String bomb, long zeros) throws IOException {
    ByteArrayOutputStream payload = new ByteArrayOutputStream();
    try (TarArchiveOutputStream tar = new TarArchiveOutputStream(Bombs.compressor("zstd", payload))) {
      tar.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
      TarArchiveEntry g = new TarArchiveEntry("." + goodPath);
      g.setSize(good.length);
      tar.putArchiveEntry(g);
      tar.write(good);
      tar.closeArchiveEntry();
      TarArchiveEntry b = new TarArchiveEntry("." + bomb);
      b.setSize(zeros);
      tar.putArchiveEntry(b);
      Bombs.writeZeros(tar, zeros);
      tar.closeArchiveEntry();
    }
    Path file = dir.resolve("bomb.deb");
    try (OutputStream out = Files.newOutputStream(file); ArArchiveOutputStream ar = new ArArchiveOutputStream(out)) {
      ArchivesForTests.member(ar, "debian-binary", "2.0\n".getBytes(StandardCharsets.US_ASCII));
      ArchivesForTests.member(ar, "data.tar.zst", payload.toByteArray());
    }
    return file;
  }

  @Test
  void aDriverPackageWhoseModuleExpandsBeyond64MiBIsRefusedNamingTheEntry() throws Exception {
    String bomb = "/lib/modules/" + K + "/extra/bomb.ko";
    Path deb = deb("/lib/modules/" + K + "/extra/good.ko", KoBuilder.module("good").build(), bomb, OVER_64_MIB);
    assertThatThrownBy(() -> PackageModules.read(deb))
        .isInstanceOf(BadInputException.class)
        .hasMessage(deb + ":" + bomb + ": expands beyond 64 MiB, more than any real kernel module (the largest Debian module, amdgpu.ko, is ~19 MiB); refusing it as corrupt or hostile");
  }

  @Test
  void aCompressedModuleInAPackageIsBoundedWhenItIsParsed() throws Exception {
    String bomb = "/lib/modules/" + K + "/extra/bomb.ko.xz";
    byte[] packed = Bombs.zeros("xz", OVER_64_MIB);
    Path deb = deb(bomb, packed, "/usr/share/doc/x/zeros", 1);
    List<ModuleFiles.Read> reads = PackageModules.read(deb);
    assertThat(reads).hasSize(1);
    assertThat(reads.get(0).error()).hasMessage(deb + ":" + bomb + ": expands beyond 64 MiB, more than any real kernel module (the largest Debian module, amdgpu.ko, is ~19 MiB); refusing it as corrupt or hostile");
  }

  @Test
  void aKernelPackageWhoseSymversExpandsBeyond64MiBIsRefused() throws Exception {
    String bomb = "/usr/src/linux-headers-" + K + "/Module.symvers";
    Path deb = deb("/usr/src/linux-headers-" + K + "/.config", "CONFIG_MODVERSIONS=y\n".getBytes(StandardCharsets.US_ASCII), bomb, OVER_64_MIB);
    assertThatThrownBy(() -> KernelPackages.load(List.of(deb)))
        .isInstanceOf(BadInputException.class)
        .hasMessageStartingWith(deb + ":" + bomb + ": expands beyond 64 MiB, more than any kernel's symbol list");
  }
}
