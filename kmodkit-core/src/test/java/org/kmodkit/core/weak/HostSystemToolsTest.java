package org.kmodkit.core.weak;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.kmodkit.core.tree.Sysroot;

class HostSystemToolsTest {
  @TempDir Path dir;
  @TempDir Path outside;

  @Test
  void depmodIsGivenTheImagesConfigurationNeverOneALinkLeadsToOnTheHost() throws Exception {
    Files.createDirectories(dir.resolve("etc/depmod.d"));
    Files.createDirectories(dir.resolve("usr/lib/depmod.d"));
    Files.createSymbolicLink(dir.resolve("lib"), Path.of("usr/lib")); // merged /usr, relative: inside the image
    Files.createDirectories(dir.resolve("run"));
    Files.createSymbolicLink(dir.resolve("run/depmod.d"), outside); // absolute: the host's directory, followed from the host
    assertThat(HostSystemTools.depmodCommand(new Sysroot(dir), "6.1.0-56-cloud-amd64")).containsExactly(
        "depmod", "-a", "-b", dir.toString(),
        "-C", dir.resolve("etc/depmod.d").toString(),
        "-C", dir.resolve("usr/lib/depmod.d").toString(),
        "6.1.0-56-cloud-amd64");
  }
}
