package org.kmodkit.core.build;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.kmodkit.core.EnvironmentException;

class ToolchainTest {
  @TempDir Path tmp;

  @Test
  void anSrpmWithoutRpmbuildOnPathNamesThePackageToInstallAndAKbuildTreeNeedsNone() throws Exception {
    Path bin = Files.createDirectories(tmp.resolve("bin"));
    DriverSource srpm = new DriverSource.Srpm("hello-kmod", "1.0", tmp, "SOURCES/hello-kmod.spec", "hello-kmod-1.0-1.src.rpm");
    DriverSource kbuild = new DriverSource.Kbuild("hello", "1.0", tmp, "hello");
    Toolchain without = new Toolchain(bin.toString());
    without.requireFor(List.of(kbuild));
    assertThatThrownBy(() -> without.requireFor(List.of(kbuild, srpm))).isInstanceOf(EnvironmentException.class)
        .hasMessage("rpmbuild is not installed (not on PATH): hello-kmod-1.0-1.src.rpm is a source RPM, which kmodkit builds with the real rpmbuild;"
            + " install it: apt-get install rpm (Debian), dnf install rpm-build (RHEL)");
    Files.createFile(bin.resolve("rpmbuild"), PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
    new Toolchain(bin.toString()).requireFor(List.of(kbuild, srpm));
  }
}
