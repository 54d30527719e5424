package org.kmodkit.core.verify;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.kmodkit.core.BadInputException;

class BootHeaderTest {
  @TempDir Path dir;

  /** The start of an x86 bzImage: setup header with "HdrS", protocol 2.15, kernel_version at 0x42c0 + 0x200 (as Debian 6.1's). */
  static byte[] bzImage(String version) {
    byte[] b = new byte[0x5000];
    ByteBuffer h = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
    b[0x1f1] = 39;
    h.putInt(0x202, 0x53726448);
    h.putShort(0x206, (short) 0x020f);
    h.putShort(0x20e, (short) 0x42c0);
    byte[] v = version.getBytes(StandardCharsets.US_ASCII);
    System.arraycopy(v, 0, b, 0x44c0, v.length);
    return b;
  }

  @Test
  void theReleaseIsTheFirstWordOfTheKernelVersionString() throws Exception {
    Path f = Files.write(dir.resolve("vmlinuz"), bzImage("6.1.0-56-cloud-amd64 (debian-kernel@lists.debian.org) #1 SMP PREEMPT_DYNAMIC Debian 6.1.192-2 (2026-11-16)\0"));
    assertThat(BootHeader.release(f)).isEqualTo("6.1.0-56-cloud-amd64");
  }

  @Test
  void aFileThatIsNotABzImageIsRefusedWithTheNextStep() throws Exception {
    Path f = Files.write(dir.resolve("vmlinux"), new byte[] {0x7f, 'E', 'L', 'F', 2, 1, 1, 0});
    assertThatThrownBy(() -> BootHeader.release(f))
        .isInstanceOf(BadInputException.class)
        .hasMessage(f + ": is not an x86 kernel image (no bzImage setup header 'HdrS' at 0x202); pass a vmlinuz, the kernel's image package, or a release with --root");
  }

  @Test
  void aVersionPointerOutsideTheFileIsRefusedNotFollowed() throws Exception {
    byte[] b = bzImage("x");
    ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putShort(0x20e, (short) 0x7fff);
    Path f = Files.write(dir.resolve("vmlinuz"), b);
    assertThatThrownBy(() -> BootHeader.release(f)).isInstanceOf(BadInputException.class).hasMessageContaining("without a kernel_version string");
  }
}
