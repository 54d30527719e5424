package org.kmodkit.core.tree;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.kmodkit.core.BadInputException;
import org.kmodkit.testkit.FakeRoot;
import org.kmodkit.testkit.KoBuilder;

class ModuleTreeTest {
  static final String R = "6.1.0-56-cloud-amd64";
  @TempDir Path dir;

  FakeRoot root() {
    FakeRoot f = FakeRoot.at(dir);
    f.module(R, "kernel/drivers/uio/uio.ko", KoBuilder.module("uio").exportsGpl("__uio_register_device", 0x10L));
    f.module(R, "updates/uio.ko", KoBuilder.module("uio").exportsGpl("__uio_register_device", 0x11L));
    return f;
  }

  void modulesDep(String text) {
    FakeRoot.at(dir).write("/lib/modules/" + R + "/modules.dep", text.getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void withoutModulesDepTheTreeIsSearchedInDepmodsDefaultOrder() throws Exception {
    root();
    assertThat(ModuleTree.read(new Sysroot(dir), R).module("uio")).get().extracting(ModuleTree.TreeModule::relativePath).isEqualTo("updates/uio.ko");
  }

  @Test
  void withoutModulesDepTheSearchLeavesOutTheBuildAndSourceLinksAsDepmodDoes() throws Exception {
    root();
    FakeRoot.at(dir).write("/usr/src/linux-headers-" + R + "/drivers/uio/uio.ko", KoBuilder.module("uio").build());
    FakeRoot.at(dir).write("/usr/src/linux-headers-" + R + "/drivers/stale/stale.ko", KoBuilder.module("stale").build());
    Files.createSymbolicLink(dir.resolve("lib/modules/" + R + "/build"), Path.of("../../../usr/src/linux-headers-" + R));
    Files.createSymbolicLink(dir.resolve("lib/modules/" + R + "/kernel/source"), Path.of("../build"));
    ModuleTree tree = ModuleTree.read(new Sysroot(dir), R);
    assertThat(tree.modules().keySet()).containsExactly("uio");
    assertThat(tree.module("uio")).get().extracting(ModuleTree.TreeModule::relativePath).isEqualTo("updates/uio.ko");
  }

  @Test
  void modulesDepDecidesWhichFileANameIsAndWhatItNeedsAndAFileItDoesNotListIsNotLoadable() throws Exception {
    root();
    FakeRoot.at(dir).module(R, "extra/uio_pci.ko", KoBuilder.module("uio_pci").uses("__uio_register_device", 0x10L));
    modulesDep("/lib/modules/" + R + "/kernel/drivers/uio/uio.ko:\nextra/uio_pci.ko: kernel/drivers/uio/uio.ko\n");
    ModuleTree tree = ModuleTree.read(new Sysroot(dir), R);
    assertThat(tree.module("uio")).get().extracting(ModuleTree.TreeModule::relativePath).isEqualTo("kernel/drivers/uio/uio.ko");
    assertThat(tree.module("uio_pci")).get().extracting(ModuleTree.TreeModule::needs).isEqualTo(List.of("uio"));
    assertThat(tree.modules()).hasSize(2);
  }

  @Test
  void aModulesDepPathOutsideTheReleasesTreeIsRefusedNamingTheLineAndDepmod() {
    for (String bad : List.of("../../../etc/shadow.ko:", "kernel/../../" + R + "x/a.ko:", "/lib/modules/6.1.0-55-cloud-amd64/extra/a.ko:", "kernel/a.ko: /etc/b.ko", "kernel/a.ko", "kernel/passwd:")) {
      modulesDep("kernel/drivers/uio/uio.ko:\n" + bad + "\n");
      assertThatThrownBy(() -> ModuleTree.read(new Sysroot(dir), R)).as(bad).isInstanceOf(BadInputException.class)
          .hasMessageContaining("modules.dep").hasMessageContaining("line 2").hasMessageContaining("run depmod " + R);
    }
  }

  @Test
  void aListedModuleWhoseLinkLeadsOutOfTheRootIsLeftOutAndNoted() throws Exception {
    root();
    Files.writeString(dir.getParent().resolve("outside.ko"), "not ours");
    Path link = dir.resolve("lib/modules/" + R + "/weak-updates/evil.ko");
    Files.createDirectories(link.getParent());
    Files.createSymbolicLink(link, Path.of("../../../../../outside.ko"));
    modulesDep("weak-updates/evil.ko:\nkernel/drivers/uio/uio.ko:\n");
    ModuleTree tree = ModuleTree.read(new Sysroot(dir), R);
    assertThat(tree.module("evil")).isEmpty();
    assertThat(tree.module("uio")).isPresent();
    assertThat(tree.unreadable()).singleElement().satisfies(e -> assertThat(e.getMessage()).contains("weak-updates/evil.ko").contains("listed in modules.dep but missing"));
  }

  @Test
  void aModulesDepLargerThanDepmodWritesIsRefusedBeforeItIsParsed() {
    root();
    modulesDep("kernel/drivers/uio/uio.ko:\n".repeat(100));
    assertThatThrownBy(() -> ModulesDep.read(new Sysroot(dir), R, 1000)).isInstanceOf(BadInputException.class).hasMessageContaining("modules.dep").hasMessageContaining("run depmod");
  }
}
