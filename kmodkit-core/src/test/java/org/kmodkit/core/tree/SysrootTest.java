package org.kmodkit.core.tree;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SysrootTest {
  @TempDir Path tmp;

  @Test
  void aPathIsFollowedThroughLinksOfLinksAndRefusedWhenItReallyLeavesTheRoot() throws Exception {
    Path root = Files.createDirectories(tmp.resolve("root"));
    Path h = Files.createDirectories(root.resolve("x/y"));
    Files.createSymbolicLink(h.resolve("top"), Path.of("../.."));
    Files.createSymbolicLink(h.resolve("abs"), Path.of("/x"));
    Sysroot s = new Sysroot(root);
    assertThat(s.locate(h, "top/x/y")).hasValue(h);
    assertThat(s.locate(h, "abs/y/later/file")).as("parts not there yet are taken as named").hasValue(h.resolve("later/file"));
    assertThat(s.locate(h, "top/..")).as("its text says x/y, the link says above the root").isEmpty();
    assertThat(s.locate(root, "/..")).isEmpty();
  }

  @Test
  void climbingOutOfWhatIsNotThereYetAndLoopsAreRefused() throws Exception {
    Path root = Files.createDirectories(tmp.resolve("root"));
    Files.writeString(root.resolve("file"), "x");
    Files.createSymbolicLink(root.resolve("a"), Path.of("b"));
    Files.createSymbolicLink(root.resolve("b"), Path.of("a"));
    Sysroot s = new Sysroot(root);
    assertThat(s.locate(root, "later/..")).as("what lands at 'later' decides where '..' goes").isEmpty();
    assertThat(s.locate(root, "file/..")).isEmpty();
    assertThat(s.locate(root, "a")).isEmpty();
    assertThat(s.resolve("/later")).as("resolve wants it there").isEmpty();
  }

  @Test
  void theLayoutIsNamedAsTheSystemNamesItAndFoundUnderTheRoot() {
    Sysroot s = new Sysroot(tmp);
    assertThat(Sysroot.modulesPath("6.1.0-56-cloud-amd64", "build")).isEqualTo("/lib/modules/6.1.0-56-cloud-amd64/build");
    assertThat(Sysroot.bootPath("config-6.1.0-56-cloud-amd64")).isEqualTo("/boot/config-6.1.0-56-cloud-amd64");
    assertThat(s.path(Sysroot.modulesPath("6.1.0-56-cloud-amd64"))).isEqualTo(s.modulesDir("6.1.0-56-cloud-amd64")).isEqualTo(tmp.resolve("lib/modules/6.1.0-56-cloud-amd64"));
    assertThat(s.path(Sysroot.bootPath("vmlinuz-6.1.0-56-cloud-amd64"))).isEqualTo(s.boot().resolve("vmlinuz-6.1.0-56-cloud-amd64"));
  }
}
