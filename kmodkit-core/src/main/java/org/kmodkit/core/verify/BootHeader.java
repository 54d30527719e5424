package org.kmodkit.core.verify;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.kmodkit.core.BadInputException;

/**
 * An x86 bzImage (vmlinuz), as far as booting it needs: the boot protocol's setup header
 * (Documentation/arch/x86/boot.rst) says it is one, and its kernel_version string gives the release.
 */
public final class BootHeader {
  private BootHeader() {}

  /** The release (uname -r) {@code vmlinuz} was built as, read from its setup header. */
  public static String release(Path vmlinuz) throws BadInputException {
    byte[] head;
    try (InputStream in = Files.newInputStream(vmlinuz)) {
      head = in.readNBytes(0x10000);
    } catch (IOException e) {
      throw new BadInputException(vmlinuz.toString(), "cannot read (" + e.getClass().getSimpleName() + ": " + e.getMessage() + "); check the path and permissions");
    }
    return release(vmlinuz.toString(), head);
  }

  static String release(String source, byte[] head) throws BadInputException {
    ByteBuffer b = ByteBuffer.wrap(head).order(ByteOrder.LITTLE_ENDIAN);
    if (head.length < 0x210 || b.getInt(0x202) != 0x53726448) { // "HdrS"
      throw new BadInputException(source, "is not an x86 kernel image (no bzImage setup header 'HdrS' at 0x202); pass a vmlinuz, the kernel's image package, or a release with --root");
    }
    int version = Short.toUnsignedInt(b.getShort(0x206));
    int pointer = Short.toUnsignedInt(b.getShort(0x20e));
    if (version < 0x0200 || pointer == 0 || pointer + 0x200 >= head.length) {
      throw new BadInputException(source, "x86 kernel image without a kernel_version string (boot protocol " + Integer.toHexString(version) + "); pass the release with --root DIR --kernel RELEASE");
    }
    int start = pointer + 0x200;
    int end = start;
    while (end < head.length && head[end] != 0 && head[end] != ' ') {
      end++;
    }
    String release = new String(head, start, end - start, StandardCharsets.US_ASCII);
    if (release.isEmpty() || !release.matches("[A-Za-z0-9._+~-]+")) {
      throw new BadInputException(source, "x86 kernel image with an unreadable kernel_version string at 0x" + Integer.toHexString(start) + "; pass the release with --root DIR --kernel RELEASE");
    }
    return release;
  }
}
