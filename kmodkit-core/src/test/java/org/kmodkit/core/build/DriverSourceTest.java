package org.kmodkit.core.build;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DriverSourceTest {
  @TempDir Path tmp;

  DriverSource kbuild(String dirName) throws Exception {
    Path d = Files.createDirectories(tmp.resolve(dirName));
    Files.writeString(d.resolve("Kbuild"), "obj-m := x.o\n");
    return DriverSource.of(d, dirName);
  }

  @Test
  void aKbuildTreeIsNamedAfterItsDirectoryWithTheVersionFromTheFirstDashDigit() throws Exception {
    assertThat(kbuild("hello-1.2")).extracting(DriverSource::name, DriverSource::version).containsExactly("hello", "1.2");
    assertThat(kbuild("mellanox-6.1.192-2")).extracting(DriverSource::name, DriverSource::version).containsExactly("mellanox", "6.1.192-2");
    assertThat(kbuild("mlx5-core-2")).extracting(DriverSource::name, DriverSource::version).containsExactly("mlx5-core", "2");
    assertThat(kbuild("hello")).extracting(DriverSource::name, DriverSource::version).containsExactly("hello", "0");
  }

  @Test
  void aDkmsTreeIsNamedByItsDkmsConfWhateverItsDirectory() throws Exception {
    Path d = Files.createDirectories(tmp.resolve("checkout"));
    Files.writeString(d.resolve("dkms.conf"), "PACKAGE_NAME=vpoll\nPACKAGE_VERSION=0.1\nBUILT_MODULE_NAME[0]=vpoll\nDEST_MODULE_LOCATION[0]=/extra\n");
    Files.writeString(d.resolve("Makefile"), "obj-m := vpoll.o\n");
    assertThat(DriverSource.of(d, "checkout")).isInstanceOf(DriverSource.Dkms.class).extracting(DriverSource::name, DriverSource::version).containsExactly("vpoll", "0.1");
  }
}
