package org.kmodkit.formats.rpm;


import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.commons.compress.archivers.cpio.CpioArchiveEntry;
import org.apache.commons.compress.archivers.cpio.CpioArchiveOutputStream;
import org.apache.commons.compress.archivers.cpio.CpioConstants;
import org.apache.commons.compress.compressors.gzip.GzipCompressorOutputStream;

/**
 * Writes source RPMs entry by entry, hostile ones included, for the tests: a lead of type source,
 * a signature header, a main header without SOURCERPM (what marks a source package), and a gzip
 * newc cpio whose names are bare, as rpmbuild -bs writes them.
 */
public final class SrpmForTests {
  private final ByteArrayOutputStream cpioBytes = new ByteArrayOutputStream();
  private final CpioArchiveOutputStream cpio = new CpioArchiveOutputStream(cpioBytes, CpioConstants.FORMAT_NEW);

  public SrpmForTests file(String name, String content) throws IOException {
    return entry(name, CpioConstants.C_ISREG | 0644, content.getBytes(StandardCharsets.UTF_8));
  }

  public SrpmForTests symlink(String name, String target) throws IOException {
    return entry(name, CpioConstants.C_ISLNK | 0777, target.getBytes(StandardCharsets.UTF_8));
  }

  private SrpmForTests entry(String name, int mode, byte[] data) throws IOException {
    CpioArchiveEntry e = new CpioArchiveEntry(CpioConstants.FORMAT_NEW, name, data.length);
    e.setMode(mode);
    cpio.putArchiveEntry(e);
    cpio.write(data);
    cpio.closeArchiveEntry();
    return this;
  }

  /** Writes {@code name}-{@code version}-1.src.rpm into {@code dir}. */
  public Path write(Path dir, String name, String version) throws IOException {
    cpio.finish();
    ByteArrayOutputStream payload = new ByteArrayOutputStream();
    try (OutputStream gz = new GzipCompressorOutputStream(payload)) {
      gz.write(cpioBytes.toByteArray());
    }
    byte[] header = new HeaderBlob().string(RpmTag.NAME, name).string(RpmTag.VERSION, version).string(RpmTag.RELEASE, "1")
        .string(RpmTag.OS, "linux").string(RpmTag.ARCH, "x86_64").build(RpmTag.HEADERIMMUTABLE);
    byte[] signature = new HeaderBlob().int32(RpmTag.SIG_SIZE, header.length + payload.size()).build(RpmTag.HEADERSIGNATURES);
    ByteBuffer lead = ByteBuffer.allocate(96);
    lead.put(new byte[] {(byte) 0xed, (byte) 0xab, (byte) 0xee, (byte) 0xdb, 3, 0}).putShort((short) 1).putShort((short) 1);
    lead.position(78);
    lead.putShort((short) 1).putShort((short) 5);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(lead.array());
    out.writeBytes(signature);
    out.writeBytes(new byte[(8 - signature.length % 8) % 8]);
    out.writeBytes(header);
    out.writeBytes(payload.toByteArray());
    return Files.write(dir.resolve(name + "-" + version + "-1.src.rpm"), out.toByteArray());
  }
}
