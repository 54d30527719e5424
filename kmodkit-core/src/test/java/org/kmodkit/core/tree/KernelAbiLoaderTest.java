package org.kmodkit.core.tree;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.kmodkit.core.BadInputException;
import org.kmodkit.core.abi.KernelAbi;
import org.kmodkit.testkit.Bombs;
import org.kmodkit.testkit.FakeRoot;
import org.kmodkit.testkit.KoBuilder;

class KernelAbiLoaderTest {
  static final String K = "5.14.0-1.el9.x86_64";

  @TempDir Path dir;

  static KoBuilder mod(String name) {
    return KoBuilder.module(name).vermagic(K + " SMP preempt mod_unload modversions ").version("module_layout", 0x1);
  }

  @Test
  void planningTakesTheSameAbiFromSymversAsFromReadingEveryModuleOfTheTree() throws Exception {
    FakeRoot root = FakeRoot.at(dir);
    root.kernel(K, 0x1, 0xaa, "_printk");
    // the kernel's symvers as a distribution ships it: vmlinux and the in-tree modules' exports
    root.symvers(K, "0x00000001\tmodule_layout\tvmlinux\tEXPORT_SYMBOL\t\n0x000000aa\t_printk\tvmlinux\tEXPORT_SYMBOL\t\n"
        + "0x00000077\tmlx5_cmd_exec\tdrivers/net/mlx5_core\tEXPORT_SYMBOL_GPL\t\n0x00000078\tmlxfw_flash\tdrivers/net/mlxfw\tEXPORT_SYMBOL_GPL\t\n");
    root.module(K, "kernel/drivers/net/mlx5_core.ko", mod("mlx5_core").uses("_printk", 0xaa).exportsGpl("mlx5_cmd_exec", 0x77));
    root.module(K, "kernel/drivers/net/mlxfw.ko", mod("mlxfw").uses("_printk", 0xaa).exportsGpl("mlxfw_flash", 0x78));
    root.module(K, "extra/vendor/vendor_api.ko", mod("vendor_api").uses("_printk", 0xaa).exports("vendor_call", 0x99));
    Sysroot sys = new Sysroot(dir);
    KernelAbi full = KernelAbiLoader.fromTree(sys, K, p -> true);
    KernelAbi quick = KernelAbiLoader.fromInstalledTree(sys, K, p -> true);
    assertThat(quick.vmlinuxSymbols()).isEqualTo(full.vmlinuxSymbols());
    assertThat(quick.moduleSymbols().keySet()).isEqualTo(full.moduleSymbols().keySet()).contains("mlx5_cmd_exec", "mlxfw_flash", "vendor_call");
    quick.moduleSymbols().forEach((name, s) -> assertThat(s.crc()).as(name).isEqualTo(full.moduleSymbols().get(name).crc()));
    assertThat(quick.moduleNames()).isEqualTo(full.moduleNames());
    for (String m : full.moduleNames()) {
      assertThat(quick.modulePath(m)).as(m).isEqualTo(full.modulePath(m));
    }
    assertThat(quick.vermagic()).isEqualTo(full.vermagic());
    assertThat(quick.arch()).isEqualTo(full.arch()).isNotNull();
    assertThat(quick.modversions()).isEqualTo(full.modversions());
  }

  @Test
  void theBuildAndSourceLinksOfAnInstalledTreeLeadOutOfItAsForDepmod() throws Exception {
    FakeRoot root = FakeRoot.at(dir);
    root.kernel(K, 0x1, 0xaa, "_printk");
    root.module(K, "kernel/drivers/net/mlxfw.ko", mod("mlxfw").uses("_printk", 0xaa));
    // the kernel's build tree, where its links lead: compiled modules that are not installed, and thousands of header files
    root.write("/usr/src/kernels/" + K + "/drivers/net/mlxfw.ko", mod("mlxfw").uses("_printk", 0xaa).build());
    root.write("/usr/src/kernels/" + K + "/drivers/staging/stale.ko", mod("stale").uses("_printk", 0xaa).build());
    Path tree = dir.resolve("lib/modules/" + K);
    Files.createSymbolicLink(tree.resolve("build"), Path.of("../../../usr/src/kernels/" + K));
    Files.createSymbolicLink(tree.resolve("source"), Path.of("build"));
    Sysroot sys = new Sysroot(dir);
    for (KernelAbi abi : java.util.List.of(KernelAbiLoader.fromTree(sys, K), KernelAbiLoader.fromInstalledTree(sys, K, p -> true))) {
      assertThat(abi.moduleNames()).containsExactly("mlxfw");
      assertThat(abi.modulePath("mlxfw")).contains("kernel/drivers/net/mlxfw.ko");
    }
  }

  @Test
  void anInstalledArm64KernelWithSymversIsReadThoughItsImageHoldsNoExportTables() throws Exception {
    String k = "6.1.0-57-arm64";
    FakeRoot root = FakeRoot.at(dir);
    root.kernel(k, 0x1, 0xaa, "_printk");
    root.write("/boot/config-" + k, "CONFIG_ARM64=y\nCONFIG_SMP=y\nCONFIG_MODULE_UNLOAD=y\nCONFIG_MODVERSIONS=y\n".getBytes(StandardCharsets.UTF_8));
    byte[] image = new byte[4096];
    System.arraycopy("ARM\u0064".getBytes(StandardCharsets.ISO_8859_1), 0, image, 0x38, 4);
    root.write("/boot/vmlinuz-" + k, image);
    KernelAbi abi = KernelAbiLoader.fromTree(new Sysroot(dir), k);
    assertThat(abi.vermagic()).isEqualTo(k + " SMP mod_unload modversions aarch64");
    assertThat(abi.notes()).singleElement().asString().contains("vmlinuz not cross-checked with the symvers: ").contains("is an arm64 Image");
  }

  @ParameterizedTest
  @ValueSource(strings = {"gzip", "xz"})
  void aSymversFileThatExpandsBeyond64MiBIsRefusedAsABomb(String how) {
    byte[] bomb = Bombs.zeros(how, 80L << 20);
    assertThatThrownBy(() -> KernelAbiLoader.addSymvers(KernelAbi.builder(), "symvers-6.1.gz", bomb))
        .isInstanceOf(BadInputException.class)
        .hasMessage("symvers-6.1.gz: expands beyond 64 MiB, more than any kernel's symbol list (Debian's cloud kernel Module.symvers is ~1 MiB); refusing it as corrupt or hostile");
  }

  @Test
  void aBinaryFileOfAnUnknownKindIsNotParsedAsSymvers() throws Exception {
    Path blob = dir.resolve("vmlinuz-unknown");
    byte[] b = new byte[8192];
    new java.util.Random(7).nextBytes(b);
    b[100] = 0;
    b[0] = 'x';
    Files.write(blob, b);
    assertThatThrownBy(() -> KernelAbiLoader.load(blob))
        .isInstanceOf(BadInputException.class)
        .hasMessageStartingWith(blob + ": holds binary data")
        .hasMessageEndingWith("pass the kernel's Module.symvers or headers package instead")
        .hasMessageNotContaining("malformed symvers line");
  }

  @Test
  void anArmZImageGivenAsTheKernelIsNamed() throws Exception {
    Path zimage = dir.resolve("vmlinuz-6.1.0-56-armmp");
    byte[] b = new byte[8192];
    java.nio.ByteBuffer.wrap(b).order(java.nio.ByteOrder.LITTLE_ENDIAN).putInt(0x24, 0x016f2818);
    Files.write(zimage, b);
    assertThatThrownBy(() -> KernelAbiLoader.load(zimage))
        .isInstanceOf(BadInputException.class)
        .hasMessage(zimage + ": is an ARM zImage; kmodkit reads x86 bzImage and ELF vmlinux; pass the kernel's Module.symvers or headers package instead");
  }

  @Test
  @org.junit.jupiter.api.Timeout(value = 30, unit = java.util.concurrent.TimeUnit.SECONDS, threadMode = org.junit.jupiter.api.Timeout.ThreadMode.SEPARATE_THREAD)
  void aFifoGivenAsTheKernelOrFoundAmongTheModulesIsNotARegularFileAndIsNeverOpened() throws Exception {
    Path fifo = dir.resolve("Module.symvers");
    Process p = new ProcessBuilder("mkfifo", fifo.toString(), dir.resolve("pipe.ko").toString()).start();
    assertThat(p.waitFor(10, java.util.concurrent.TimeUnit.SECONDS) && p.exitValue() == 0).isTrue();
    assertThatThrownBy(() -> KernelAbiLoader.load(fifo)).isInstanceOf(BadInputException.class).hasMessageStartingWith(fifo + ": not a regular file");
    assertThat(ModuleFiles.find(dir)).containsExactly(dir.resolve("pipe.ko"));
    assertThat(ModuleFiles.read(dir.resolve("pipe.ko"), "pipe.ko").error()).hasMessageStartingWith("pipe.ko: not a regular file");
  }
}
