package org.kmodkit.cli.input;

import org.kmodkit.testkit.ArchivesForTests;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.kmodkit.core.abi.KernelAbi;
import org.kmodkit.core.elf.ModuleReader;

/** A kernel given as its packages: what each package adds, and what an unreadable image costs. */
class KernelPackagesTest {
  static final Path ARM64 = Path.of("../kmodkit-core/src/test/resources/real/arch/arm64").toAbsolutePath().normalize();
  static final String REL = "6.1.0-57-arm64";

  @TempDir Path dir;

  /** An arm64 Image's header: "ARM\x64" at 0x38, no ELF inside (Debian gzips it as vmlinuz). */
  static byte[] arm64Image() {
    byte[] b = new byte[4096];
    b[0x38] = 'A';
    b[0x39] = 'R';
    b[0x3a] = 'M';
    b[0x3b] = 0x64;
    return b;
  }

  Path headersDeb() throws Exception {
    String h = "./usr/src/linux-headers-" + REL + "/";
    return new ArchivesForTests()
        .file(h + "Module.symvers", Files.readAllBytes(ARM64.resolve("headers/Module.symvers")))
        .file(h + ".config", Files.readAllBytes(ARM64.resolve("headers/.config")))
        .file(h + "include/generated/utsrelease.h", Files.readAllBytes(ARM64.resolve("headers/include/generated/utsrelease.h")))
        .writeDeb(dir.resolve("linux-headers-" + REL + "_arm64.deb"));
  }

  Path imageDeb() throws Exception {
    return new ArchivesForTests()
        .file("./boot/vmlinuz-" + REL, arm64Image())
        .file("./lib/modules/" + REL + "/kernel/fs/nls/nls_ascii.ko", Files.readAllBytes(ARM64.resolve("nls_ascii.ko")))
        .writeDeb(dir.resolve("linux-image-" + REL + "_arm64.deb"));
  }

  @Test
  void anArm64ImageBesideItsHeadersIsNotedAsNotCrossCheckedInsteadOfRefusingTheKernel() throws Exception {
    KernelAbi k = KernelPackages.load(List.of(headersDeb(), imageDeb()));
    String magic = ModuleReader.read(ARM64.resolve("nls_ascii.ko")).vermagic();
    assertThat(k.vermagic()).isEqualTo(magic).endsWith(" aarch64");
    assertThat(k.arch().machineName()).isEqualTo("aarch64");
    assertThat(k.notes()).singleElement().asString()
        .startsWith("vmlinuz not cross-checked with the symvers: " + imageDeb() + ":/boot/vmlinuz-" + REL + ": is an arm64 Image");
  }

  @Test
  void anArm64ImageAloneStillSaysWhatToPassInstead() throws Exception {
    assertThatThrownBy(() -> KernelPackages.load(List.of(imageDeb()))).hasMessageContaining("is an arm64 Image").hasMessageContaining("Module.symvers");
  }
}
