package org.kmodkit.core.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.kmodkit.core.EnvironmentException;

class OutputFilesTest {
  @TempDir Path tmp;

  private long entries(Path dir) throws Exception {
    try (Stream<Path> s = Files.list(dir)) {
      return s.count();
    }
  }

  @Test
  void aFileWrittenAtomicallyIsWholeAndReadableByAll() throws Exception {
    Path f = OutputFiles.writeAtomically(tmp.resolve("a.txt"), new byte[] {1, 2, 3}, "rw-r--r--");
    assertThat(f).hasBinaryContent(new byte[] {1, 2, 3});
    assertThat(java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(f))).isEqualTo("rw-r--r--");
    assertThat(entries(tmp)).isEqualTo(1);
  }

  @Test
  void aDirectoryInTheWayIsAnEnvironmentErrorNamingTheTargetAndNothingIsLeftBehind() throws Exception {
    Path target = Files.createDirectories(tmp.resolve("a.rpm/inside"));
    assertThatThrownBy(() -> OutputFiles.writeAtomically(target.getParent(), new byte[] {1}, "rw-r--r--"))
        .isInstanceOf(EnvironmentException.class)
        .hasMessage(target.getParent() + ": cannot write (is a directory); move it away or choose another output directory");
    assertThat(entries(tmp)).isEqualTo(1);
  }

  @Test
  void anEdgeNamesTheFileTheFailureNamesTheRenameTargetFirstElseTheDirectory() {
    Path dir = tmp.resolve("repo");
    assertThatThrownBy(() -> OutputFiles.under(dir, () -> {
      throw new FileSystemException(dir + "/.x.tmp", dir + "/x", "No space left on device");
    })).isInstanceOf(EnvironmentException.class).hasMessage(dir + "/x: cannot write (no space left on device); free space there or choose another output directory");
    assertThatThrownBy(() -> OutputFiles.under(dir, () -> {
      throw new java.io.IOException("disk on fire");
    })).isInstanceOf(EnvironmentException.class).hasMessageStartingWith(dir + ": cannot write (disk on fire); ");
  }
}
