package org.kmodkit.core.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.kmodkit.core.BadInputException;

/** What a module path may lead to: requireRegular follows links as open(2) does, through chains of them. */
class InputFilesTest {
  @TempDir Path tmp;

  /** {@code name} → {@code name}.1 → {@code target}: a link through a link. */
  private Path chain(String name, Path target) throws Exception {
    Path middle = Files.createSymbolicLink(tmp.resolve(name + ".1"), target);
    return Files.createSymbolicLink(tmp.resolve(name), middle);
  }

  @Test
  void aLinkThroughALinkToAFileIsTheFile() throws Exception {
    Path file = Files.write(tmp.resolve("hello.ko"), new byte[] {0x7f, 'E', 'L', 'F'});
    Path link = chain("via.ko", file);
    InputFiles.requireRegular(link, "via.ko");
    try (FileRanges in = FileRanges.open(link, "via.ko")) {
      assertThat(in.size()).isEqualTo(4);
    }
  }

  @Test
  void aLinkThroughALinkToADirectoryAPipeNothingOrItselfIsRefusedNamingIt() throws Exception {
    Path dir = Files.createDirectories(tmp.resolve("dir"));
    Path fifo = tmp.resolve("pipe");
    assertThat(new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor()).isZero();
    Files.createSymbolicLink(tmp.resolve("loop.ko"), tmp.resolve("loop.ko.1"));
    Files.createSymbolicLink(tmp.resolve("loop.ko.1"), tmp.resolve("loop.ko"));
    assertThatThrownBy(() -> InputFiles.requireRegular(chain("d.ko", dir), "d.ko")).isInstanceOf(BadInputException.class).hasMessage("d.ko: is a directory, not a file");
    assertThatThrownBy(() -> InputFiles.requireRegular(chain("p.ko", fifo), "p.ko")).isInstanceOf(BadInputException.class).hasMessageStartingWith("p.ko: not a regular file");
    assertThatThrownBy(() -> InputFiles.requireRegular(chain("gone.ko", tmp.resolve("absent.ko")), "gone.ko")).isInstanceOf(BadInputException.class).hasMessage("gone.ko: no such file; check the path");
    assertThatThrownBy(() -> InputFiles.requireRegular(tmp.resolve("loop.ko"), "loop.ko")).isInstanceOf(BadInputException.class).hasMessageStartingWith("loop.ko: cannot read (").hasMessageEndingWith("; check the path and permissions");
  }
}
