package org.kmodkit.formats.deb;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.kmodkit.core.io.ExpansionLimit;
import org.kmodkit.testkit.Bombs;

class DebArchiveBombTest {
  @ParameterizedTest
  @CsvSource({"gzip,data.tar.gz", "xz,data.tar.xz", "zstd,data.tar.zst", "xz,control.tar.xz"})
  void aMemberIsDecompressedThroughTheOneBoundedReader(String how, String member) {
    byte[] bomb = Bombs.zeros(how, 16L << 20);
    ExpansionLimit limit = new ExpansionLimit(1 << 20, "more than this test allows");
    assertThatThrownBy(() -> {
      try (InputStream in = DebArchive.decompressed("x.deb", member, new ByteArrayInputStream(bomb), limit)) {
        in.transferTo(java.io.OutputStream.nullOutputStream());
      }
    }).isInstanceOf(ExpansionLimit.Exceeded.class).hasMessage("expands beyond 1 MiB, more than this test allows; refusing it as corrupt or hostile");
  }

  @Test
  void aTarReaderThatOnlySkipsEntriesStillStopsAtTheLimitWithTheRefusalUnwrapped() throws Exception {
    ByteArrayOutputStream packed = new ByteArrayOutputStream();
    try (TarArchiveOutputStream tar =
        new TarArchiveOutputStream(Bombs.compressor("gzip", packed))) {
      TarArchiveEntry e = new TarArchiveEntry("./zeros");
      e.setSize(4L << 20);
      tar.putArchiveEntry(e);
      Bombs.writeZeros(tar, 4L << 20);
      tar.closeArchiveEntry();
    }
    ExpansionLimit limit = new ExpansionLimit(1 << 20, "more than this test allows");
    assertThatThrownBy(() -> {
      try (TarArchiveInputStream tar =
          new TarArchiveInputStream(DebArchive.decompressed("x.deb", "data.tar.gz", new ByteArrayInputStream(packed.toByteArray()), limit))) {
        while (tar.getNextEntry() != null) {
          // entries skipped, never read
        }
      }
    }).isInstanceOf(ExpansionLimit.Exceeded.class);
  }
}
