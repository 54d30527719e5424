package org.kmodkit.formats;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.compressors.gzip.GzipCompressorInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TarballTest {
  @TempDir Path tmp;

  @Test
  void aRepositoryLinkStaysALinkSkippedEntriesAreLeftOutAndNoTemporaryFileRemains() throws Exception {
    Path dir = Files.createDirectories(tmp.resolve("b-1-ext/RPMS/.kmodkit/repodata-1"));
    Files.writeString(dir.resolve("repomd.xml"), "<repomd/>");
    Files.createSymbolicLink(tmp.resolve("b-1-ext/RPMS/repodata"), Path.of(".kmodkit/repodata-1"));
    Files.createDirectories(tmp.resolve("b-1-ext/.work/x"));
    Files.writeString(tmp.resolve("b-1-ext/install.sh"), "#!/bin/sh\n");
    tmp.resolve("b-1-ext/install.sh").toFile().setExecutable(true);
    Path tgz = tmp.resolve("b-1-ext.tgz");
    Tarball.write(tmp.resolve("b-1-ext"), tgz, Set.of(".work"));
    Map<String, TarArchiveEntry> entries = new LinkedHashMap<>();
    try (InputStream in = new TarArchiveInputStream(new GzipCompressorInputStream(Files.newInputStream(tgz)))) {
      TarArchiveInputStream tar = (TarArchiveInputStream) in;
      for (TarArchiveEntry e = tar.getNextEntry(); e != null; e = tar.getNextEntry()) {
        entries.put(e.getName(), e);
      }
    }
    assertThat(entries.get("b-1-ext/RPMS/repodata").isSymbolicLink()).isTrue();
    assertThat(entries.get("b-1-ext/RPMS/repodata").getLinkName()).isEqualTo(".kmodkit/repodata-1");
    assertThat(entries.get("b-1-ext/RPMS/.kmodkit/repodata-1/repomd.xml").getSize()).isEqualTo(9);
    assertThat(entries.get("b-1-ext/install.sh").getMode() & 0777).isEqualTo(0755);
    assertThat(entries.keySet()).noneMatch(n -> n.contains(".work"));
    assertThat(tmp.resolve(".b-1-ext.tgz.tmp")).doesNotExist();
  }
}
