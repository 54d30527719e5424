package org.kmodkit.testkit;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.commons.compress.archivers.ar.ArArchiveEntry;
import org.apache.commons.compress.archivers.ar.ArArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;
import org.apache.commons.compress.compressors.gzip.GzipCompressorOutputStream;

/** Writes tarballs and .debs entry by entry, hostile ones included, for the tests. */
public final class ArchivesForTests {
  private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
  private final TarArchiveOutputStream tar;
  private String control;

  public ArchivesForTests() {
    tar = new TarArchiveOutputStream(bytes);
    tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
  }

  public ArchivesForTests file(String name, String content) throws IOException {
    return file(name, content.getBytes(StandardCharsets.UTF_8));
  }

  public ArchivesForTests file(String name, byte[] b) throws IOException {
    return file(name, b, 0644);
  }

  public ArchivesForTests executable(String name, String content) throws IOException {
    return file(name, content.getBytes(StandardCharsets.UTF_8), 0755);
  }

  private ArchivesForTests file(String name, byte[] b, int mode) throws IOException {
    TarArchiveEntry e = new TarArchiveEntry(name, true); // preserve the name as given: '..' and '/' included
    e.setSize(b.length);
    e.setMode(0100000 | mode);
    tar.putArchiveEntry(e);
    tar.write(b);
    tar.closeArchiveEntry();
    return this;
  }

  public ArchivesForTests dir(String name) throws IOException {
    TarArchiveEntry e = new TarArchiveEntry(name.endsWith("/") ? name : name + "/", true);
    tar.putArchiveEntry(e);
    tar.closeArchiveEntry();
    return this;
  }

  public ArchivesForTests symlink(String name, String target) throws IOException {
    TarArchiveEntry e = new TarArchiveEntry(name, TarConstants.LF_SYMLINK, true);
    e.setLinkName(target);
    tar.putArchiveEntry(e);
    tar.closeArchiveEntry();
    return this;
  }

  public ArchivesForTests hardlink(String name, String target) throws IOException {
    TarArchiveEntry e = new TarArchiveEntry(name, TarConstants.LF_LINK, true);
    e.setLinkName(target);
    tar.putArchiveEntry(e);
    tar.closeArchiveEntry();
    return this;
  }

  /** The control file of the .deb written (without one, the .deb has no control.tar, as no real .deb lacks). */
  public ArchivesForTests control(String paragraph) {
    this.control = paragraph.endsWith("\n") ? paragraph : paragraph + "\n";
    return this;
  }

  public byte[] tarBytes() throws IOException {
    tar.finish();
    return bytes.toByteArray();
  }

  public Path writeTgz(Path file) throws IOException {
    return Files.write(file, gzip(tarBytes()));
  }

  /** A .deb whose data.tar.gz is this archive. */
  public Path writeDeb(Path file) throws IOException {
    byte[] data = gzip(tarBytes());
    try (ArArchiveOutputStream ar = new ArArchiveOutputStream(Files.newOutputStream(file))) {
      member(ar, "debian-binary", "2.0\n".getBytes(StandardCharsets.US_ASCII));
      if (control != null) {
        member(ar, "control.tar.gz", gzip(new ArchivesForTests().file("./control", control).tarBytes()));
      }
      member(ar, "data.tar.gz", data);
    }
    return file;
  }

  public static byte[] gzip(byte[] b) throws IOException {
    ByteArrayOutputStream gz = new ByteArrayOutputStream();
    try (OutputStream out = new GzipCompressorOutputStream(gz)) {
      out.write(b);
    }
    return gz.toByteArray();
  }

  public static void member(ArArchiveOutputStream ar, String name, byte[] b) throws IOException {
    ar.putArchiveEntry(new ArArchiveEntry(name, b.length));
    ar.write(b);
    ar.closeArchiveEntry();
  }
}
