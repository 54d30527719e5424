package org.kmodkit.core.verify;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.commons.compress.archivers.cpio.CpioArchiveEntry;
import org.apache.commons.compress.archivers.cpio.CpioArchiveInputStream;
import org.apache.commons.compress.archivers.cpio.CpioConstants;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CpioWriterTest {
  @TempDir Path dir;

  static byte[] sample() throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (CpioWriter w = new CpioWriter(out)) {
      w.directory("bin", 0755);
      w.file("bin/tool", 0755, "#!/bin/sh\necho hi\n".getBytes(StandardCharsets.UTF_8));
      w.directory("dev", 0755);
      w.charDevice("dev/console", 0600, 5, 1);
      w.symlink("sh", "bin/tool");
      w.file("odd", 0644, new byte[] {1, 2, 3}); // a size that needs padding
      w.file("empty", 0644, new byte[0]);
    }
    return out.toByteArray();
  }

  @Test
  void anArchiveReadBackByCommonsCompressHoldsEveryEntryWithItsModeSizeAndBytes() throws IOException {
    Map<String, CpioArchiveEntry> entries = new LinkedHashMap<>();
    Map<String, byte[]> data = new LinkedHashMap<>();
    try (CpioArchiveInputStream in = new CpioArchiveInputStream(new ByteArrayInputStream(sample()))) {
      for (CpioArchiveEntry e; (e = in.getNextCPIOEntry()) != null; ) {
        entries.put(e.getName(), e);
        data.put(e.getName(), in.readAllBytes());
        assertThat(e.getFormat()).isEqualTo(CpioConstants.FORMAT_NEW);
      }
    }
    assertThat(entries.keySet()).containsExactly("bin", "bin/tool", "dev", "dev/console", "sh", "odd", "empty");
    assertThat(entries.get("bin").isDirectory()).isTrue();
    assertThat(entries.get("bin/tool").getMode()).isEqualTo(0100755);
    assertThat(new String(data.get("bin/tool"), StandardCharsets.UTF_8)).isEqualTo("#!/bin/sh\necho hi\n");
    assertThat(entries.get("dev/console").isCharacterDevice()).isTrue();
    assertThat(entries.get("dev/console").getRemoteDeviceMaj()).isEqualTo(5);
    assertThat(entries.get("dev/console").getRemoteDeviceMin()).isEqualTo(1);
    assertThat(entries.get("sh").isSymbolicLink()).isTrue();
    assertThat(new String(data.get("sh"), StandardCharsets.UTF_8)).isEqualTo("bin/tool");
    assertThat(data.get("odd")).containsExactly(1, 2, 3);
    assertThat(data.get("empty")).isEmpty();
    assertThat(entries.values()).allSatisfy(e -> {
      assertThat(e.getUID()).isZero();
      assertThat(e.getGID()).isZero();
      assertThat(e.getTime()).isZero();
    });
    assertThat(entries.values().stream().map(CpioArchiveEntry::getInode).distinct().count()).as("inodes are unique").isEqualTo(entries.size());
  }

  @Test
  void gnuCpioListsTheArchiveAndExtractsTheSameBytes() throws Exception {
    Path archive = dir.resolve("a.cpio");
    Files.write(archive, sample());
    Path out = Files.createDirectories(dir.resolve("x"));
    // --no-absolute-filenames and no device creation: an unprivileged extract of what matters here
    List<String> listing = run(out, "cpio", "-t", "--quiet", "-F", archive.toString());
    assertThat(listing).containsExactly("bin", "bin/tool", "dev", "dev/console", "sh", "odd", "empty");
    run(out, "cpio", "-i", "--quiet", "-d", "--no-absolute-filenames", "-F", archive.toString(), "bin/tool", "sh", "odd", "empty");
    assertThat(Files.readString(out.resolve("bin/tool"))).isEqualTo("#!/bin/sh\necho hi\n");
    assertThat(Files.isExecutable(out.resolve("bin/tool"))).isTrue();
    assertThat(Files.readSymbolicLink(out.resolve("sh")).toString()).isEqualTo("bin/tool");
    assertThat(Files.readAllBytes(out.resolve("odd"))).containsExactly(1, 2, 3);
  }

  @Test
  void headersNamesAndDataAreAlignedToFourBytesAndTheTrailerEndsIt() throws IOException {
    byte[] a = sample();
    String text = new String(a, StandardCharsets.ISO_8859_1);
    List<String> names = new ArrayList<>();
    int at = 0;
    while (true) {
      assertThat(at % 4).as("header at " + at).isZero();
      assertThat(text.substring(at, at + 6)).isEqualTo("070701");
      long size = Long.parseLong(text.substring(at + 6 + 6 * 8, at + 6 + 7 * 8), 16);
      int nameSize = Integer.parseInt(text.substring(at + 6 + 11 * 8, at + 6 + 12 * 8), 16);
      String name = text.substring(at + 110, at + 110 + nameSize - 1);
      assertThat(a[at + 110 + nameSize - 1]).as("name is NUL-terminated").isZero();
      names.add(name);
      int data = align(at + 110 + nameSize);
      at = align(data + (int) size);
      if (name.equals("TRAILER!!!")) {
        break;
      }
    }
    assertThat(at).as("the trailer ends the archive").isEqualTo(a.length);
    assertThat(names).endsWith("empty", "TRAILER!!!");
  }

  static int align(int n) {
    return (n + 3) & ~3;
  }

  @Test
  void theSameEntriesGiveTheSameBytes() throws IOException {
    assertThat(sample()).isEqualTo(sample());
  }

  @Test
  void absoluteEscapingAndDuplicatePathsAreRefused() throws IOException {
    CpioWriter w = new CpioWriter(new ByteArrayOutputStream());
    w.file("a", 0644, new byte[0]);
    assertThatThrownBy(() -> w.file("a", 0644, new byte[0])).hasMessageContaining("duplicate archive path: a");
    assertThatThrownBy(() -> w.file("/etc/passwd", 0644, new byte[0])).hasMessageContaining("not a relative archive path");
    assertThatThrownBy(() -> w.file("../up", 0644, new byte[0])).hasMessageContaining("not a relative archive path");
    assertThatThrownBy(() -> w.file("TRAILER!!!", 0644, new byte[0])).hasMessageContaining("not a relative archive path");
    w.finish();
    assertThatThrownBy(() -> w.file("b", 0644, new byte[0])).hasMessageContaining("already finished");
  }

  static List<String> run(Path cwd, String... cmd) throws Exception {
    Process p = new ProcessBuilder(cmd).directory(cwd.toFile()).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(String.join(" ", cmd) + ": " + out).isZero();
    List<String> lines = new ArrayList<>();
    for (String l : out.split("\n")) {
      if (!l.isBlank()) {
        lines.add(l);
      }
    }
    return lines;
  }
}
