package org.kmodkit.core.build;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.kmodkit.core.EnvironmentException;
import org.kmodkit.core.cache.Cache;
import org.kmodkit.core.tree.Sysroot;
import org.kmodkit.testkit.TreeSnapshot;

class KernelTargetsTest {
  static final String R = "6.1.0-56-cloud-amd64";
  @TempDir Path tmp;

  /** Debian's layout, unpacked under {@code root}: flavour headers, -common, linux-kbuild. */
  static Path debianHeaders(Path root) throws Exception {
    Path src = Files.createDirectories(root.resolve("usr/src"));
    Path flavour = Files.createDirectories(src.resolve("linux-headers-" + R + "/include/generated"));
    flavour = flavour.getParent().getParent();
    Files.writeString(flavour.resolve("Makefile"), "include /usr/src/linux-headers-6.1.0-56-common/Makefile\n");
    Files.writeString(flavour.resolve("Module.symvers"), "0x92997ed8\t_printk\tvmlinux\tEXPORT_SYMBOL\t\n");
    Files.writeString(flavour.resolve(".config"), "CONFIG_X86_64=y\nCONFIG_CC_VERSION_TEXT=\"gcc-12 (Debian 12.2.0-14+deb12u1) 12.2.0\"\n");
    Files.writeString(flavour.resolve("include/generated/utsrelease.h"), "#define UTS_RELEASE \"" + R + "\"\n");
    Files.createSymbolicLink(flavour.resolve("scripts"), Path.of("../../lib/linux-kbuild-6.1/scripts"));
    Files.createDirectories(src.resolve("linux-headers-6.1.0-56-common"));
    Files.writeString(src.resolve("linux-headers-6.1.0-56-common/Makefile"), "# the real Makefile\n");
    Path modpost = Files.createDirectories(root.resolve("usr/lib/linux-kbuild-6.1/scripts/mod")).resolve("modpost");
    Files.writeString(modpost, "#!/bin/sh\n");
    Files.setPosixFilePermissions(modpost, PosixFilePermissions.fromString("rwxr-xr-x"));
    Files.createDirectories(root.resolve("lib/modules/" + R));
    Files.createSymbolicLink(root.resolve("lib/modules/" + R + "/build"), Path.of("/usr/src/linux-headers-" + R));
    return flavour;
  }

  @Test
  void headersMovedAwayFromUsrSrcAreBuiltFromACacheCopyWhoseIncludePointsAtTheirCommonPart() throws Exception {
    Path flavour = debianHeaders(tmp.resolve("extracted"));
    KernelTarget k = new KernelTargets(new Cache(tmp.resolve("cache"))).headers(flavour, "headers");
    assertThat(k.release()).isEqualTo(R);
    assertThat(k.arch()).isEqualTo("x86_64");
    assertThat(k.compiler()).isEqualTo("gcc-12");
    assertThat(k.buildDir()).startsWith(tmp.resolve("cache/headers"));
    assertThat(k.buildDir().resolve("Makefile")).hasContent("include " + tmp.resolve("extracted/usr/src/linux-headers-6.1.0-56-common/Makefile"));
    assertThat(k.buildDir().resolve("scripts/mod/modpost")).isExecutable();
    assertThat(flavour.resolve("Makefile")).as("the user's tree is never changed").hasContent("include /usr/src/linux-headers-6.1.0-56-common/Makefile");
  }

  @Test
  void aReleaseInstalledUnderARootIsFoundThroughItsBuildLinkInsideTheRoot() throws Exception {
    debianHeaders(tmp.resolve("image"));
    KernelTarget k = new KernelTargets(new Cache(tmp.resolve("cache"))).installed(new Sysroot(tmp.resolve("image")), R);
    assertThat(k.root()).hasValue(new Sysroot(tmp.resolve("image")));
    assertThat(k.buildDir().resolve("Makefile")).hasContent("include " + tmp.resolve("image/usr/src/linux-headers-6.1.0-56-common/Makefile"));
  }

  @Test
  void headersUnpackedByKmodkitAreFixedInPlace() throws Exception {
    Path flavour = debianHeaders(tmp.resolve("cache/kernels/x"));
    KernelTarget k = new KernelTargets(new Cache(tmp.resolve("cache"))).extracted(new Sysroot(tmp.resolve("cache/kernels/x")), flavour, "packages");
    assertThat(k.buildDir()).isEqualTo(flavour);
    assertThat(flavour.resolve("Makefile")).hasContent("include " + tmp.resolve("cache/kernels/x/usr/src/linux-headers-6.1.0-56-common/Makefile"));
  }

  @Test
  void missingKbuildToolsNameTheDebianPackage() throws Exception {
    Path flavour = debianHeaders(tmp.resolve("extracted"));
    Files.delete(tmp.resolve("extracted/usr/lib/linux-kbuild-6.1/scripts/mod/modpost"));
    assertThatThrownBy(() -> new KernelTargets(new Cache(tmp.resolve("cache"))).headers(flavour, "headers"))
        .isInstanceOf(EnvironmentException.class).hasMessageContaining("install linux-kbuild-6.1 (Debian");
  }

  @Test
  void aReleaseWithoutHeadersSaysWhichPackageToInstall() throws Exception {
    Files.createDirectories(tmp.resolve("image/lib/modules/" + R));
    assertThatThrownBy(() -> new KernelTargets(new Cache(tmp.resolve("cache"))).installed(new Sysroot(tmp.resolve("image")), R))
        .isInstanceOf(EnvironmentException.class).hasMessageContaining("apt-get install linux-headers-" + R).hasMessageContaining("dnf install kernel-devel-" + R);
  }

  @Test
  void aDirectoryThatIsNoKernelBuildDirectoryIsBadInput() {
    assertThatThrownBy(() -> new KernelTargets(new Cache(tmp.resolve("cache"))).headers(tmp, "some dir"))
        .hasMessageStartingWith("some dir: is not a kernel build directory (no Makefile");
  }

  @Test
  void aHeadersTreeWhoseMakefileIsALinkIsLeftByteIdentical() throws Exception {
    Path flavour = debianHeaders(tmp.resolve("extracted"));
    Files.move(flavour.resolve("Makefile"), flavour.resolve("Makefile.debian"));
    Files.createSymbolicLink(flavour.resolve("Makefile"), Path.of("Makefile.debian"));
    var before = TreeSnapshot.of(tmp.resolve("extracted"));
    KernelTarget k = new KernelTargets(new Cache(tmp.resolve("cache"))).headers(flavour, "headers");
    assertThat(TreeSnapshot.of(tmp.resolve("extracted"))).as("the user's headers tree is never changed").isEqualTo(before);
    assertThat(k.buildDir().resolve("Makefile")).isRegularFile().hasContent("include " + tmp.resolve("extracted/usr/src/linux-headers-6.1.0-56-common/Makefile"));
  }

  @Test
  void headersNamedThroughALinkAreCopiedNotWrittenThrough() throws Exception {
    // as /lib/modules/<release>/build names /usr/src/linux-headers-<release>
    Path flavour = debianHeaders(tmp.resolve("extracted"));
    Path build = Files.createSymbolicLink(tmp.resolve("build"), flavour);
    Files.writeString(Files.createDirectories(tmp.resolve("linux-headers-6.1.0-56-common")).resolve("Makefile"), "# beside the link, not the tree\n");
    var before = TreeSnapshot.of(tmp.resolve("extracted"));
    KernelTarget k = new KernelTargets(new Cache(tmp.resolve("cache"))).headers(build, "headers");
    assertThat(TreeSnapshot.of(tmp.resolve("extracted"))).as("the user's headers tree is never changed").isEqualTo(before);
    assertThat(k.buildDir()).startsWith(tmp.resolve("cache/headers"));
    assertThat(k.buildDir().resolve("Makefile")).isRegularFile().hasContent("include " + tmp.resolve("extracted/usr/src/linux-headers-6.1.0-56-common/Makefile"));
  }

  @Test
  void aMarkerNameInTheHeadersTreeIsNotWrittenThrough() throws Exception {
    Path flavour = debianHeaders(tmp.resolve("extracted"));
    Path outside = Files.writeString(tmp.resolve("outside"), "untouched\n");
    Files.createSymbolicLink(flavour.resolve(".kmodkit-prepared"), outside);
    KernelTarget k = new KernelTargets(new Cache(tmp.resolve("cache"))).headers(flavour, "headers");
    assertThat(outside).hasContent("untouched");
    assertThat(k.buildDir().resolve(".kmodkit-prepared")).isRegularFile();
  }
}
