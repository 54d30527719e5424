package org.kmodkit.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.kmodkit.core.host.SystemProcessRunner;
import org.kmodkit.core.tree.ModuleTree;
import org.kmodkit.core.tree.ModulesDep;
import org.kmodkit.core.tree.Sysroot;
import org.kmodkit.core.weak.HostSystemTools;
import org.kmodkit.testkit.FakeRoot;
import org.kmodkit.testkit.KoBuilder;

/**
 * kmodkit's reading of a tree depmod never ran on against kmod's depmod, the referee: one tree
 * with several files of most names, one depmod.d at a time; kmodkit reads the tree, then depmod
 * (given the root's depmod.d directories, as kmodkit runs it) writes modules.dep, and every name
 * must be at the same file in both. Each name has at most one file no search line names, so
 * depmod never falls back to the order its directory walk meets files in.
 */
class DepmodSearchIT {
  static final String R = "6.1.0-99-amd64";
  static final List<String> TREE = List.of(
      "kernel/drivers/foo.ko", "extra/foo.ko", "weak-updates/foo.ko",
      "kernel/bar.ko", "updates/bar.ko", "extra/bar.ko",
      "kernel/net/baz.ko", "updates/baz.ko",
      "updates/qux.ko", "weak-updates/qux.ko", "extra/vendor/qux.ko",
      "kernel/drivers/only.ko", "extra/vendor/mine.ko");

  @TempDir Path dir;

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', value = {
      "RHEL's dist.conf | search updates extra built-in weak-updates | ",
      "built-in in the middle | search weak-updates updates built-in extra | ",
      "no built-in: the kernel's own last | search extra updates weak-updates | ",
      "overrides, one for another kernel | search extra updates built-in weak-updates\\noverride foo * kernel/drivers\\noverride bar 0\\.0\\.0 kernel | ",
      "the later override wins | search built-in extra updates weak-updates\\noverride qux * weak-updates\\noverride qux * extra/vendor | ",
      "etc hides usr/lib's dist.conf | search weak-updates extra updates built-in | search updates extra built-in weak-updates",
      "a subdirectory before its parent, and 'external' | search extra/vendor external updates built-in extra weak-updates | ",
      "excluded directories | search extra updates weak-updates built-in\\nexclude vendor weak-updates | ",
  })
  void everyNameIsTheFileDepmodListsInModulesDep(String what, String etc, String usrLib) throws Exception {
    FakeRoot f = FakeRoot.at(dir);
    for (String rel : TREE) {
      String file = rel.substring(rel.lastIndexOf('/') + 1);
      f.module(R, rel, KoBuilder.module(file.substring(0, file.indexOf('.'))));
    }
    f.write("/etc/depmod.d/dist.conf", conf(etc));
    f.write("/usr/lib/depmod.d/zz-regex.conf", conf("override baz ^6\\.[[:digit:]]\\. kernel/net\\noverride qux ^[[:alpha:]] weak-updates"));
    if (usrLib != null) {
      f.write("/usr/lib/depmod.d/dist.conf", conf(usrLib));
    }
    Sysroot root = new Sysroot(dir);
    Map<String, String> kmodkit = new TreeMap<>();
    ModuleTree tree = ModuleTree.read(root, R);
    assertThat(tree.unreadable()).isEmpty();
    tree.modules().forEach((name, m) -> kmodkit.put(name, m.relativePath()));

    new HostSystemTools(new SystemProcessRunner()).depmod(root, R);
    Map<String, String> depmod = new TreeMap<>();
    ModulesDep.read(root, R).orElseThrow().modules().forEach((name, e) -> depmod.put(name, e.path()));
    assertThat(depmod).as("depmod's modules.dep").hasSizeGreaterThanOrEqualTo(5);
    assertThat(kmodkit).as(what).isEqualTo(depmod);
  }

  static byte[] conf(String text) {
    return (text.replace("\\n", "\n") + "\n").getBytes(StandardCharsets.UTF_8);
  }
}
