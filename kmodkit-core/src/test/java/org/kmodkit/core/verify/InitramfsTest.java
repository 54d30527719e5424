package org.kmodkit.core.verify;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.GZIPInputStream;
import org.apache.commons.compress.archivers.cpio.CpioArchiveEntry;
import org.apache.commons.compress.archivers.cpio.CpioArchiveInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.kmodkit.core.BadInputException;
import org.kmodkit.testkit.KoBuilder;

class InitramfsTest {
  @TempDir Path dir;

  record Entry(CpioArchiveEntry entry, byte[] data) {}

  static Map<String, Entry> read(byte[] gz) throws Exception {
    Map<String, Entry> out = new LinkedHashMap<>();
    try (CpioArchiveInputStream in = new CpioArchiveInputStream(new GZIPInputStream(new ByteArrayInputStream(gz)))) {
      for (CpioArchiveEntry e; (e = in.getNextCPIOEntry()) != null; ) {
        out.put(e.getName(), new Entry(e, in.readAllBytes()));
      }
    }
    return out;
  }

  @Test
  void theGuestRootHoldsBusyboxTheInitTheDeviceNodesAndTheModulesDecompressed() throws Exception {
    KoBuilder plain = KoBuilder.module("hello").vermagic("6.1.0-56-cloud-amd64 SMP ");
    KoBuilder packed = KoBuilder.module("mlx5_core").vermagic("6.1.0-56-cloud-amd64 SMP ").compressed("xz");
    Path a = plain.writeTo(dir.resolve("set"));
    Path b = packed.writeTo(dir.resolve("tree"));
    Map<String, Path> files = new LinkedHashMap<>();
    files.put("/m/1/hello.ko", a);
    files.put("/k/mlx5_core.ko", b);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    new Initramfs("BUSYBOX".getBytes(StandardCharsets.US_ASCII)).write(out, "#!/bin/busybox sh\npoweroff -f\n", files);

    Map<String, Entry> e = read(out.toByteArray());
    assertThat(e.keySet()).contains("bin", "dev", "proc", "sys", "tmp", "m", "m/1", "k", "dev/console", "dev/kmsg", "dev/null", "bin/busybox", "init", "m/1/hello.ko", "k/mlx5_core.ko");
    assertThat(e.get("init").entry().getMode()).isEqualTo(0100755);
    assertThat(new String(e.get("init").data(), StandardCharsets.UTF_8)).startsWith("#!/bin/busybox sh");
    assertThat(e.get("bin/busybox").entry().getMode()).isEqualTo(0100755);
    assertThat(e.get("bin/busybox").data()).isEqualTo("BUSYBOX".getBytes(StandardCharsets.US_ASCII));
    assertThat(e.get("dev/console").entry().isCharacterDevice()).isTrue();
    assertThat(e.get("dev/kmsg").entry().getRemoteDeviceMaj()).isEqualTo(1);
    assertThat(e.get("dev/kmsg").entry().getRemoteDeviceMin()).isEqualTo(11);
    assertThat(e.get("m/1/hello.ko").data()).isEqualTo(plain.build());
    byte[] inflated = e.get("k/mlx5_core.ko").data();
    assertThat(inflated).as("the xz module goes in as its ELF").startsWith(0x7f, 'E', 'L', 'F');
    assertThat(inflated).isEqualTo(packed.compressed("none").build());
    // directories come before what they hold, as the kernel's unpacker needs
    assertThat(e.keySet()).containsSubsequence("m", "m/1", "m/1/hello.ko");
  }

  @Test
  void aModuleFileThatVanishedIsNamed() {
    Map<String, Path> files = Map.of("/m/1/gone.ko", dir.resolve("gone.ko"));
    assertThatThrownBy(() -> new Initramfs(new byte[1]).write(new ByteArrayOutputStream(), "", files))
        .isInstanceOf(BadInputException.class)
        .hasMessageStartingWith(dir.resolve("gone.ko") + ": cannot read (NoSuchFileException");
  }
}
