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
  /** kernel/ and extra/ foo, and the conf files given (absolute path inside the root to text); no modules.dep. */
  ModuleTree fooIn(String... confs) throws Exception {
    FakeRoot f = FakeRoot.at(dir);
    f.module(R, "kernel/drivers/net/foo.ko", KoBuilder.module("foo"));
    f.module(R, "extra/foo.ko", KoBuilder.module("foo"));
    for (int i = 0; i < confs.length; i += 2) {
      f.write(confs[i], confs[i + 1].getBytes(StandardCharsets.ISO_8859_1));
    }
    return ModuleTree.read(new Sysroot(dir), R);
  }

  static String chosen(ModuleTree t, String name) {
    return t.module(name).orElseThrow().relativePath();
  }

  @Test
  void withoutModulesDepOrDepmodDTheKernelsOwnModuleWinsOverExtra() throws Exception {
    assertThat(chosen(fooIn(), "foo")).isEqualTo("kernel/drivers/net/foo.ko");
  }

  @Test
  void withoutModulesDepRhelsDistConfPutsExtraBeforeTheKernelsOwnModules() throws Exception {
    ModuleTree t = fooIn("/etc/depmod.d/dist.conf", "#\n# depmod.conf\n#\n\n# override default search ordering for kmod packaging\nsearch updates extra built-in weak-updates\n");
    assertThat(chosen(t, "foo")).isEqualTo("extra/foo.ko");
    assertThat(t.unreadable()).isEmpty();
  }

  @Test
  void builtInInTheMiddleRanksEveryPathNoSearchLineNames() throws Exception {
    FakeRoot.at(dir).module(R, "weak-updates/foo.ko", KoBuilder.module("foo"));
    FakeRoot.at(dir).module(R, "updates/foo.ko", KoBuilder.module("foo"));
    // updates/ is named by no search line here: it ranks as built-in, after weak-updates/
    assertThat(chosen(fooIn("/usr/lib/depmod.d/order.conf", "search weak-updates built-in extra\n"), "foo")).isEqualTo("weak-updates/foo.ko");
  }

  @Test
  void anOverrideForAnyKernelPicksTheDirectoryOneForAnotherKernelIsNotApplied() throws Exception {
    FakeRoot f = FakeRoot.at(dir);
    f.module(R, "updates/foo.ko", KoBuilder.module("foo"));
    f.module(R, "kernel/net/bar.ko", KoBuilder.module("bar"));
    f.module(R, "extra/bar.ko", KoBuilder.module("bar"));
    f.module(R, "kernel/net/baz.ko", KoBuilder.module("baz"));
    f.module(R, "updates/baz.ko", KoBuilder.module("baz"));
    ModuleTree t = fooIn("/etc/depmod.d/o.conf", "override foo * extra\noverride bar 5\\.10\\..* extra\noverride baz ^6\\.1\\. kernel/net\n");
    assertThat(chosen(t, "foo")).isEqualTo("extra/foo.ko");
    assertThat(chosen(t, "bar")).isEqualTo("kernel/net/bar.ko");
    assertThat(chosen(t, "baz")).isEqualTo("kernel/net/baz.ko");
  }

  @Test
  void anOverridesKernelIsAPosixExtendedExpressionItsBracketClassesIncluded() throws Exception {
    FakeRoot.at(dir).module(R, "updates/foo.ko", KoBuilder.module("foo"));
    ModuleTree t = fooIn("/etc/depmod.d/o.conf", "override foo ^6\\.[[:digit:]]+\\.[[:digit:]]-[[:digit:]]+-cloud extra\n");
    assertThat(chosen(t, "foo")).isEqualTo("extra/foo.ko");
  }

  @Test
  void anExcludedDirectoryIsNotSearchedAtAnyDepth() throws Exception {
    FakeRoot.at(dir).module(R, "updates/foo.ko", KoBuilder.module("foo"));
    FakeRoot.at(dir).module(R, "extra/old/bar.ko", KoBuilder.module("bar"));
    ModuleTree t = fooIn("/etc/depmod.d/x.conf", "exclude updates old\n");
    assertThat(chosen(t, "foo")).isEqualTo("kernel/drivers/net/foo.ko");
    assertThat(t.module("bar")).isEmpty();
  }

  @Test
  void aConfInEtcHidesTheSameNamedOneInUsrLibAndTheOthersAreStillRead() throws Exception {
    FakeRoot.at(dir).module(R, "weak-updates/foo.ko", KoBuilder.module("foo"));
    FakeRoot.at(dir).module(R, "kernel/bar.ko", KoBuilder.module("bar"));
    FakeRoot.at(dir).module(R, "updates/bar.ko", KoBuilder.module("bar"));
    ModuleTree t = fooIn("/etc/depmod.d/dist.conf", "search extra built-in\n", "/usr/lib/depmod.d/dist.conf", "search weak-updates built-in\n",
        "/usr/lib/depmod.d/zz.conf", "override bar * kernel\n", "/usr/lib/depmod.d/notes.txt", "search weak-updates\n");
    assertThat(chosen(t, "foo")).isEqualTo("extra/foo.ko");
    assertThat(chosen(t, "bar")).isEqualTo("kernel/bar.ko");
  }

  @Test
  void aConfLinkingOutOfTheRootIsNotReadAndIsNamed() throws Exception {
    Path outside = Files.writeString(dir.resolveSibling(dir.getFileName() + "-host.conf"), "search extra built-in\n");
    Files.createDirectories(dir.resolve("etc/depmod.d"));
    Files.createSymbolicLink(dir.resolve("etc/depmod.d/evil.conf"), Path.of("../../..").resolve(outside.getFileName()));
    ModuleTree t = fooIn();
    assertThat(chosen(t, "foo")).isEqualTo("kernel/drivers/net/foo.ko");
    assertThat(t.unreadable()).singleElement().satisfies(e -> assertThat(e.getMessage()).contains("etc/depmod.d/evil.conf").contains("out of"));
  }

  @Test
  void aHugeConfIsRefusedNamingItBeforeItIsRead() {
    assertThatThrownBy(() -> fooIn("/etc/depmod.d/huge.conf", "#".repeat(2 << 20)))
        .isInstanceOf(BadInputException.class).hasMessageContaining("etc/depmod.d/huge.conf").hasMessageContaining("MiB");
  }

  @Test
  void manyConfsTogetherLargerThanAnyRealDepmodDAreRefusedNamingTheOneThatPassesTheBound() {
    String part = "search " + "extra ".repeat(70_000) + "\n"; // ~410 KiB each
    assertThatThrownBy(() -> fooIn("/etc/depmod.d/a.conf", part, "/etc/depmod.d/b.conf", part, "/etc/depmod.d/c.conf", part))
        .isInstanceOf(BadInputException.class).hasMessageContaining("etc/depmod.d/c.conf").hasMessageContaining("MiB");
  }

  @Test
  void binaryGarbageLinesAreIgnoredAsDepmodIgnoresThemAndTheRestIsRead() throws Exception {
    StringBuilder junk = new StringBuilder();
    for (int i = 0; i < 4096; i++) {
      junk.append((char) ((i * 131 + 7) % 256));
    }
    String text = junk.toString().replace('\n', 'x') + "\n\0search kernel\nsearch \\\nextra built-in\n" + junk + "\\";
    ModuleTree t = fooIn("/etc/depmod.d/junk.conf", text);
    assertThat(chosen(t, "foo")).isEqualTo("extra/foo.ko");
  }
}
