package org.kmodkit.formats;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.kmodkit.core.BadInputException;
import org.kmodkit.formats.ShipFixtures;
import org.kmodkit.formats.deb.DebArchive;
import org.kmodkit.formats.deb.DebWriter;
import org.kmodkit.formats.rpm.RpmHeaders;
import org.kmodkit.formats.rpm.RpmWriter;

/** Every command reads a package through one range-checked reader per format: a bad package is bad everywhere. */
class PackageReaderTest {
  @TempDir Path dir;

  private Path deb() throws Exception {
    return new DebWriter().write(ShipFixtures.spec(dir, "hello-kmod", "1.2"), dir, null);
  }

  private Path rpm() throws Exception {
    return new RpmWriter().write(ShipFixtures.spec(dir, "hello-kmod", "1.2"), dir, null);
  }

  private static List<String> paths(Path pkg) throws BadInputException {
    List<String> out = new ArrayList<>();
    PackageReader.read(pkg, (entry, data) -> {
      data.transferTo(OutputStream.nullOutputStream());
      out.add(entry.path());
    });
    return out;
  }

  /** {@code deb} with its last member's ar size field claiming {@code extra} more bytes than the file holds. */
  private static Path pastTheEnd(Path deb, int extra) throws Exception {
    byte[] b = Files.readAllBytes(deb);
    String text = new String(b, StandardCharsets.ISO_8859_1);
    int header = text.lastIndexOf("data.tar.xz");
    long size = Long.parseLong(text.substring(header + 48, header + 58).trim());
    byte[] field = String.format("%-10d", size + extra).getBytes(StandardCharsets.US_ASCII);
    System.arraycopy(field, 0, b, header + 48, 10);
    Path out = deb.resolveSibling("past-the-end.deb");
    Files.write(out, b);
    return out;
  }

  @Test
  void readsWhatTheWritersWrote() throws Exception {
    assertThat(paths(deb())).contains("/lib/modules/6.1.0-56-cloud-amd64/updates/dkms/hello.ko", "/etc/modprobe.d/hello.conf");
    assertThat(paths(rpm())).contains("/lib/modules/6.1.0-56-cloud-amd64/updates/dkms/hello.ko", "/etc/modprobe.d/hello.conf");
  }

  @Test
  void anArMemberRunningPastTheEndOfTheFileIsTruncatedForEveryCommand() throws Exception {
    Path bad = pastTheEnd(deb(), 4096);
    assertThatThrownBy(() -> paths(bad)).isInstanceOf(BadInputException.class)
        .hasMessageStartingWith(bad + ": is truncated").hasMessageContaining("data.tar.xz");
    assertThatThrownBy(() -> DebArchive.contents(bad)).isInstanceOf(BadInputException.class)
        .hasMessageStartingWith(bad + ": is truncated").hasMessageContaining("data.tar.xz");
  }

  @Test
  void aDebCutAnywhereIsRefusedWithItsName() throws Exception {
    byte[] whole = Files.readAllBytes(deb());
    for (int len = 8; len < whole.length; len += Math.max(1, whole.length / 40)) {
      Path cut = dir.resolve("cut.deb");
      Files.write(cut, Arrays.copyOf(whole, len));
      assertThatThrownBy(() -> paths(cut)).as("cut at %d of %d", len, whole.length)
          .isInstanceOf(BadInputException.class).hasMessageStartingWith(cut + ": ");
    }
  }

  @Test
  void anRpmCutInItsPayloadIsTruncatedForEveryCommand() throws Exception {
    byte[] whole = Files.readAllBytes(rpm());
    Path cut = dir.resolve("cut.rpm");
    Files.write(cut, Arrays.copyOf(whole, whole.length - 10));
    assertThatThrownBy(() -> paths(cut)).isInstanceOf(BadInputException.class).hasMessageStartingWith(cut + ": is a truncated");
    assertThatThrownBy(() -> RpmHeaders.read(cut)).isInstanceOf(BadInputException.class).hasMessageStartingWith(cut + ": is a truncated");
  }

  @Test
  void anRpmHeaderIndexReachingPastTheFileIsTruncatedNotSkipped() throws Exception {
    byte[] whole = Files.readAllBytes(rpm());
    // the main header's data length (after the 96-byte lead and the padded signature header) made huge
    ByteBuffer b = ByteBuffer.wrap(whole);
    int sigEnd = 96 + 16 + b.getInt(96 + 8) * 16 + b.getInt(96 + 12);
    int main = sigEnd + (8 - (sigEnd - 96) % 8) % 8;
    b.putInt(main + 12, 0x0ffffff0);
    Path bad = dir.resolve("long-header.rpm");
    Files.write(bad, whole);
    assertThatThrownBy(() -> paths(bad)).isInstanceOf(BadInputException.class).hasMessageStartingWith(bad + ": is a truncated RPM (its header at byte " + main);
  }

  @Test
  @Timeout(value = 30, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD) // opening a FIFO blocks: fail, never hang
  void aFifoGivenAsAPackageIsNotARegularFileAndIsNeverOpened() throws Exception {
    Path fifo = dir.resolve("pipe.deb");
    Process p = new ProcessBuilder("mkfifo", fifo.toString()).start();
    assertThat(p.waitFor(10, TimeUnit.SECONDS) && p.exitValue() == 0).isTrue();
    assertThat(PackageReader.detect(fifo)).isNull();
    assertThatThrownBy(() -> paths(fifo)).isInstanceOf(BadInputException.class).hasMessageStartingWith(fifo + ": not a regular file");
    assertThatThrownBy(() -> DebArchive.contents(fifo)).isInstanceOf(BadInputException.class).hasMessageStartingWith(fifo + ": not a regular file");
    assertThatThrownBy(() -> RpmHeaders.read(fifo)).isInstanceOf(BadInputException.class).hasMessageStartingWith(fifo + ": not a regular file");
  }
}
