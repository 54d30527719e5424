package org.kmodkit.core.weak;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.kmodkit.core.BadInputException;
import org.kmodkit.core.EnvironmentException;
import org.kmodkit.core.tree.Sysroot;
import org.kmodkit.testkit.FakeRoot;
import org.kmodkit.testkit.KoBuilder;
import org.kmodkit.testkit.TreeSnapshot;

class WeakUpdatesTest {
  static final String K1 = "5.14.0-1.el9.x86_64";
  static final String K2 = "5.14.0-2.el9.x86_64";
  static final String K3 = "5.14.0-3.el9.x86_64";
  static final String K10 = "5.14.0-10.el9.x86_64";

  @TempDir Path dir;
  /** A directory of "the host", outside the root: nothing may ever be written there. */
  @TempDir Path outside;
  FakeRoot root;
  Tools tools;

  /** Records what would run; depmod may be told to fail. */
  static class Tools implements SystemTools {
    final List<String> depmod = new ArrayList<>();
    boolean failDepmod;

    @Override
    public void depmod(Sysroot root, String release) throws EnvironmentException {
      if (failDepmod) {
        throw new EnvironmentException("depmod killed");
      }
      depmod.add(release);
    }

    @Override
    public Map<String, String> rpmOwners(Sysroot root, List<String> paths) {
      return Map.of();
    }

    @Override
    public List<String> initramfsModules(Sysroot root, String release) {
      return List.of();
    }

    @Override
    public void refreshInitramfs(Sysroot root, String release) {}
  }

  @BeforeEach
  void setUp() {
    root = FakeRoot.at(dir);
    tools = new Tools();
  }

  static KoBuilder mod(String name, String release, long layout) {
    return KoBuilder.module(name).vermagic(release + " SMP preempt mod_unload modversions ").version("module_layout", layout);
  }

  WeakUpdates weak() {
    return new WeakUpdates(new Sysroot(dir), tools);
  }

  /** weak-updates of {@code k} as seen through the live link: link path → target as the system sees it. */
  Map<String, String> links(String k) throws IOException {
    Map<String, String> out = new TreeMap<>();
    Path live = dir.resolve("lib/modules/" + k + "/weak-updates/kmodkit");
    if (!Files.exists(live)) {
      return out;
    }
    try (Stream<Path> s = Files.walk(live, java.nio.file.FileVisitOption.FOLLOW_LINKS)) {
      for (Path p : (Iterable<Path>) s::iterator) {
        if (p.toString().matches(".*\\.ko(\\.xz)?$")) {
          Path real = p.toRealPath();
          assertThat(real).as("a link must resolve inside the root").startsWith(dir.toRealPath());
          out.put(live.relativize(p).toString(), "/" + dir.toRealPath().relativize(real));
        }
      }
    }
    return out;
  }

  /** The mlx-like set: mlx5_core exports, mlx5_ib uses it; tools is independent. */
  void mlxSet(String release, long layout, long crc, String dirName) {
    root.module(release, "extra/" + dirName + "/mlx5_core.ko", mod("mlx5_core", release, layout).uses("_printk", crc).exportsGpl("mlx5_cmd_exec", 0x77L));
    root.module(release, "extra/" + dirName + "/mlx5_ib.ko", mod("mlx5_ib", release, layout).uses("ib_register", crc).uses("mlx5_cmd_exec", 0x77L).depends("mlx5_core"));
    root.module(release, "extra/" + dirName + "/mlx_tools.ko", mod("mlx_tools", release, layout).uses("_printk", crc));
  }

  @Test
  void aCompatibleKernelGetsTheWholeSetLinkedRelativeAndInsideTheRoot() throws Exception {
    root.kernel(K1, 0x1, 0xaa, "_printk", "ib_register").kernel(K2, 0x1, 0xaa, "_printk", "ib_register");
    mlxSet(K1, 0x1, 0xaa, "mlnx");
    WeakUpdates.Result r = weak().run(WeakUpdates.Request.addKernel(K2), false, true);
    assertThat(links(K2)).containsExactly(
        Map.entry("mlnx/mlx5_core.ko", "/lib/modules/" + K1 + "/extra/mlnx/mlx5_core.ko"),
        Map.entry("mlnx/mlx5_ib.ko", "/lib/modules/" + K1 + "/extra/mlnx/mlx5_ib.ko"),
        Map.entry("mlnx/mlx_tools.ko", "/lib/modules/" + K1 + "/extra/mlnx/mlx_tools.ko"));
    Path link = dir.resolve(".kmodkit-weak").getParent().resolve("lib/modules/.kmodkit-weak/" + K2);
    try (Stream<Path> s = Files.walk(link)) {
      s.filter(Files::isSymbolicLink).forEach(p -> {
        try {
          assertThat(Files.readSymbolicLink(p).isAbsolute()).isFalse();
        } catch (IOException e) {
          throw new AssertionError(e);
        }
      });
    }
    assertThat(tools.depmod).containsExactly(K2);
    assertThat(r.plan().kernels().get(0).decisions()).extracting(Plan.SetDecision::state).containsExactly(Plan.State.LINKED);
  }

  @Test
  void aGroupLinksAllOrNothingWhileIndependentModulesAreJudgedAlone() throws Exception {
    root.kernel(K1, 0x1, 0xaa, "_printk", "ib_register");
    root.kernel(K2, 0x1, Map.of("_printk", 0xaaL, "ib_register", 0xbbL)); // ib_register changed
    mlxSet(K1, 0x1, 0xaa, "mlnx");
    weak().run(WeakUpdates.Request.addKernel(K2), false, false);
    // mlx5_ib disagrees about ib_register, so its group (with mlx5_core) stays out; mlx_tools links
    assertThat(links(K2)).containsOnlyKeys("mlnx/mlx_tools.ko");
    Plan plan = weak().plan(weak().inventory(), WeakUpdates.Request.addKernel(K2));
    Plan.SetDecision d = plan.kernels().get(0).decisions().get(0);
    assertThat(d.state()).isEqualTo(Plan.State.PARTIAL);
    assertThat(d.reason()).contains("mlx5_core, mlx5_ib").contains("disagrees about version of symbol ib_register");
  }

  @Test
  void theNewestCompatibleBuildWinsAndAnIncompatibleNewestOneDoesNot() throws Exception {
    root.kernel(K1, 0x1, 0xaa, "_printk", "ib_register").kernel(K2, 0x1, 0xaa, "_printk", "ib_register").kernel(K3, 0x1, 0xaa, "_printk", "ib_register");
    mlxSet(K1, 0x1, 0xaa, "mlnx");
    mlxSet(K2, 0x1, 0xaa, "mlnx");
    weak().run(WeakUpdates.Request.addKernel(K3), false, false);
    assertThat(links(K3).values()).allMatch(t -> t.startsWith("/lib/modules/" + K2 + "/"));
    // now the newest build (for K10) is incompatible with K3: the K2 build still wins (rhbz 1643299)
    root.kernel(K10, 0x9, 0xcc, "_printk", "ib_register");
    mlxSet(K10, 0x9, 0xcc, "mlnx");
    weak().run(WeakUpdates.Request.all(), false, false);
    assertThat(links(K3).values()).hasSize(3).allMatch(t -> t.startsWith("/lib/modules/" + K2 + "/"));
    // K1 gets K2's build too (newest compatible), never K10's
    assertThat(links(K1)).isEmpty(); // K1 has its own (native) build
    assertThat(links(K10)).isEmpty(); // native too
  }

  @Test
  void runningTwiceChangesNothingAndRunsNoDepmod() throws Exception {
    root.kernel(K1, 0x1, 0xaa, "_printk", "ib_register").kernel(K2, 0x1, 0xaa, "_printk", "ib_register");
    mlxSet(K1, 0x1, 0xaa, "mlnx");
    weak().run(WeakUpdates.Request.all(), false, false);
    Map<String, String> before = links(K2);
    tools.depmod.clear();
    WeakUpdates.Result again = weak().run(WeakUpdates.Request.all(), false, false);
    assertThat(again.plan().changes()).isFalse();
    assertThat(tools.depmod).isEmpty();
    assertThat(links(K2)).isEqualTo(before);
  }

  @Test
  void linksGoAwayWithTheirTargetAndWithTheirKernel() throws Exception {
    root.kernel(K1, 0x1, 0xaa, "_printk", "ib_register").kernel(K2, 0x1, 0xaa, "_printk", "ib_register");
    mlxSet(K1, 0x1, 0xaa, "mlnx");
    weak().run(WeakUpdates.Request.all(), false, false);
    Files.delete(dir.resolve("lib/modules/" + K1 + "/extra/mlnx/mlx_tools.ko"));
    weak().run(WeakUpdates.Request.all(), false, false);
    assertThat(links(K2)).containsOnlyKeys("mlnx/mlx5_core.ko", "mlnx/mlx5_ib.ko");
    weak().run(WeakUpdates.Request.removeKernel(K2), false, false);
    assertThat(dir.resolve("lib/modules/" + K2 + "/weak-updates")).doesNotExist(); // kmodkit made it, kmodkit removes it
    assertThat(dir.resolve("lib/modules/.kmodkit-weak/" + K2)).doesNotExist();
    assertThat(dir.resolve("etc/depmod.d/kmodkit-weak-" + K2 + ".conf")).doesNotExist();
  }

  @Test
  void aVendorModuleReplacingAnInTreeOneGetsAnOverrideLine() throws Exception {
    root.kernel(K1, 0x1, 0xaa, "_printk", "ib_register").kernel(K2, 0x1, 0xaa, "_printk", "ib_register");
    root.module(K2, "kernel/drivers/net/mlx5_core.ko", mod("mlx5_core", K2, 0x1).uses("_printk", 0xaa));
    mlxSet(K1, 0x1, 0xaa, "mlnx");
    weak().run(WeakUpdates.Request.all(), false, false);
    Path conf = dir.resolve("etc/depmod.d/kmodkit-weak-" + K2 + ".conf");
    assertThat(Files.isSymbolicLink(conf)).isTrue();
    assertThat(Files.readString(conf)).contains("override mlx5_core " + K2 + " weak-updates/kmodkit/mlnx\n").doesNotContain("mlx_tools");
  }

  @Test
  void linksOthersMadeAreLeftAloneEvenWhenDangling() throws Exception {
    root.kernel(K1, 0x1, 0xaa, "_printk").kernel(K2, 0x1, 0xaa, "_printk");
    Path foreign = dir.resolve("lib/modules/" + K2 + "/weak-updates/vendor/old.ko");
    Files.createDirectories(foreign.getParent());
    Files.createSymbolicLink(foreign, Path.of("/lib/modules/" + K1 + "/extra/gone.ko"));
    Path regular = dir.resolve("lib/modules/" + K2 + "/weak-updates/vendor/copied.ko");
    Files.write(regular, KoBuilder.module("copied").build());
    root.module(K1, "extra/hello/hello.ko", mod("hello", K1, 0x1).uses("_printk", 0xaa));
    WeakUpdates.Result r = weak().run(WeakUpdates.Request.all(), false, false);
    assertThat(Files.isSymbolicLink(foreign)).isTrue();
    assertThat(regular).exists();
    assertThat(r.inventory().notes()).anyMatch(n -> n.contains("dangling")).anyMatch(n -> n.contains("regular file"));
    weak().run(WeakUpdates.Request.removeKernel(K2), false, false);
    assertThat(Files.isSymbolicLink(foreign)).isTrue(); // still not ours
    assertThat(dir.resolve("lib/modules/" + K2 + "/weak-updates")).exists();
  }

  @Test
  void aRunInterruptedBeforeDepmodIsFinishedByTheNext() throws Exception {
    root.kernel(K1, 0x1, 0xaa, "_printk").kernel(K2, 0x1, 0xaa, "_printk");
    root.module(K1, "extra/hello/hello.ko", mod("hello", K1, 0x1).uses("_printk", 0xaa));
    tools.failDepmod = true;
    assertThatThrownBy(() -> weak().run(WeakUpdates.Request.all(), false, false)).isInstanceOf(EnvironmentException.class);
    assertThat(links(K2)).containsOnlyKeys("hello/hello.ko"); // the switch happened; depmod did not
    tools.failDepmod = false;
    WeakUpdates.Result r = weak().run(WeakUpdates.Request.all(), false, false);
    assertThat(r.plan().kernels()).extracting(Plan.KernelPlan::change).contains(Plan.Change.DEPMOD_ONLY);
    assertThat(tools.depmod).containsExactly(K2);
  }

  @Test
  void aRemovalInterruptedBeforeDepmodIsFinishedByTheNextRunWhateverItsScope() throws Exception {
    root.kernel(K1, 0x1, 0xaa, "_printk").kernel(K2, 0x1, 0xaa, "_printk");
    Path hello = root.module(K1, "extra/hello/hello.ko", mod("hello", K1, 0x1).uses("_printk", 0xaa));
    weak().run(WeakUpdates.Request.all(), false, false);
    assertThat(links(K2)).containsOnlyKeys("hello/hello.ko");
    Files.delete(hello); // the package went away; its %postun runs weak-modules, killed before depmod
    tools.failDepmod = true;
    assertThatThrownBy(() -> weak().run(WeakUpdates.Request.all(), false, false)).isInstanceOf(EnvironmentException.class);
    assertThat(links(K2)).isEmpty();
    tools.failDepmod = false;
    tools.depmod.clear();
    // the next run is about another kernel, and still owes K2 its depmod (modules.dep names the gone links)
    WeakUpdates.Result r = weak().run(WeakUpdates.Request.addKernel(K1), false, false);
    assertThat(r.plan().kernels()).filteredOn(k -> k.release().equals(K2)).extracting(Plan.KernelPlan::change).containsExactly(Plan.Change.REMOVE);
    assertThat(tools.depmod).containsExactly(K2);
    assertThat(dir.resolve("lib/modules/.kmodkit-weak/" + K2)).doesNotExist();
    assertThat(dir.resolve("lib/modules/" + K2 + "/weak-updates")).doesNotExist();
    tools.depmod.clear();
    assertThat(weak().run(WeakUpdates.Request.all(), false, false).plan().changes()).isFalse();
    assertThat(tools.depmod).isEmpty();
  }

  @Test
  void aKillRightAfterTheSwitchLeavesTheOverrideLinkToTheNextRun() throws Exception {
    root.kernel(K1, 0x1, 0xaa, "_printk", "ib_register").kernel(K2, 0x1, 0xaa, "_printk", "ib_register");
    root.module(K2, "kernel/drivers/net/mlx5_core.ko", mod("mlx5_core", K2, 0x1).uses("_printk", 0xaa));
    mlxSet(K1, 0x1, 0xaa, "mlnx");
    weak().run(WeakUpdates.Request.all(), false, false);
    // what kill -9 just after the rename leaves: the new generation live, its depmod.d link and depmod still to come
    Path conf = dir.resolve("etc/depmod.d/kmodkit-weak-" + K2 + ".conf");
    Files.delete(conf);
    try (Stream<Path> s = Files.list(dir.resolve("lib/modules/.kmodkit-weak/" + K2))) {
      for (Path gen : s.filter(p -> p.getFileName().toString().startsWith("gen-")).toList()) {
        Files.delete(gen.resolve("depmod-done"));
      }
    }
    tools.depmod.clear();
    WeakUpdates.Result r = weak().run(WeakUpdates.Request.all(), false, false);
    assertThat(r.plan().kernels()).filteredOn(k -> k.release().equals(K2)).extracting(Plan.KernelPlan::change).containsExactly(Plan.Change.DEPMOD_ONLY);
    assertThat(Files.isSymbolicLink(conf)).isTrue();
    assertThat(Files.readString(conf)).contains("override mlx5_core " + K2 + " weak-updates/kmodkit/mlnx");
    assertThat(tools.depmod).containsExactly(K2);
  }

  /** Every entry under {@code top} (see TreeSnapshot), as a map the test may trim. */
  static Map<String, String> snapshot(Path top) {
    return TreeSnapshot.of(top);
  }

  /** The root without kmodkit's own state: what a run may not change when it refuses. */
  Map<String, String> rootWithoutState() throws IOException {
    Map<String, String> s = snapshot(dir);
    s.keySet().removeIf(k -> k.startsWith("lib/modules/.kmodkit-weak"));
    return s;
  }

  @Test
  void aWeakUpdatesDirectoryLinkedOutOfTheRootIsRefusedAndNothingIsWrittenThere() throws Exception {
    root.kernel(K1, 0x1, 0xaa, "_printk").kernel(K2, 0x1, 0xaa, "_printk");
    root.module(K1, "extra/hello/hello.ko", mod("hello", K1, 0x1).uses("_printk", 0xaa));
    // an image whose weak-updates/ is an absolute link: inside the image it means its own /srv/weak,
    // but followed from the host it is the host's directory
    Files.writeString(outside.resolve("host-file"), "the host's own\n");
    Files.createSymbolicLink(dir.resolve("lib/modules/" + K2 + "/weak-updates"), outside);
    Map<String, String> host = snapshot(outside);
    Map<String, String> before = rootWithoutState();
    assertThatThrownBy(() -> weak().run(WeakUpdates.Request.all(), false, false))
        .isInstanceOf(BadInputException.class)
        .hasMessageStartingWith(dir.resolve("lib/modules/" + K2 + "/weak-updates") + ": leads outside the root")
        .hasMessageContaining("nothing was changed");
    assertThat(snapshot(outside)).isEqualTo(host);
    assertThat(rootWithoutState()).isEqualTo(before);
    assertThat(tools.depmod).isEmpty();
  }

  @Test
  void anEtcDepmodDLinkedOutOfTheRootIsRefusedBeforeAnyLinkIsMade() throws Exception {
    root.kernel(K1, 0x1, 0xaa, "_printk").kernel(K2, 0x1, 0xaa, "_printk");
    root.module(K1, "extra/hello/hello.ko", mod("hello", K1, 0x1).uses("_printk", 0xaa));
    Files.createDirectories(dir.resolve("etc"));
    Files.createSymbolicLink(dir.resolve("etc/depmod.d"), outside);
    Map<String, String> host = snapshot(outside);
    Map<String, String> before = rootWithoutState();
    assertThatThrownBy(() -> weak().run(WeakUpdates.Request.all(), false, false)).isInstanceOf(BadInputException.class).hasMessageContaining("leads outside the root");
    assertThat(snapshot(outside)).isEqualTo(host);
    assertThat(rootWithoutState()).isEqualTo(before);
    assertThat(links(K2)).isEmpty();
  }

  @Test
  void aDanglingSymlinkWhereKmodkitMustWriteIsRefusedNotWrittenThrough() throws Exception {
    root.kernel(K1, 0x1, 0xaa, "_printk").kernel(K2, 0x1, 0xaa, "_printk");
    root.module(K1, "extra/hello/hello.ko", mod("hello", K1, 0x1).uses("_printk", 0xaa));
    Path gone = outside.resolve("not-there/weak");
    Files.createSymbolicLink(dir.resolve("lib/modules/" + K2 + "/weak-updates"), gone);
    assertThatThrownBy(() -> weak().run(WeakUpdates.Request.all(), false, false)).isInstanceOf(BadInputException.class).hasMessageContaining("is a dangling symlink");
    assertThat(outside.resolve("not-there")).doesNotExist();
  }

  @Test
  void aFileOfKmodkitsNameInWeakUpdatesIsNeitherReplacedNorDeleted() throws Exception {
    root.kernel(K1, 0x1, 0xaa, "_printk").kernel(K2, 0x1, 0xaa, "_printk");
    root.module(K1, "extra/hello/hello.ko", mod("hello", K1, 0x1).uses("_printk", 0xaa));
    Path mine = root.write("/lib/modules/" + K2 + "/weak-updates/kmodkit", "a user's notes\n".getBytes(java.nio.charset.StandardCharsets.UTF_8));
    assertThatThrownBy(() -> weak().run(WeakUpdates.Request.all(), false, false))
        .isInstanceOf(BadInputException.class)
        .hasMessage(mine + ": is a regular file kmodkit did not make, where kmodkit keeps its link; nothing was changed: move it away and run again");
    assertThatThrownBy(() -> weak().run(WeakUpdates.Request.removeKernel(K2), false, false)).isInstanceOf(BadInputException.class);
    assertThat(mine).hasContent("a user's notes");
  }

  @Test
  void foreignLinksThatEscapeTheRootOrDangleAreNamedLeftAloneAndNeverFollowed() throws Exception {
    root.kernel(K1, 0x1, 0xaa, "_printk").kernel(K2, 0x1, 0xaa, "_printk");
    root.module(K1, "extra/hello/hello.ko", mod("hello", K1, 0x1).uses("_printk", 0xaa));
    Path vendor = Files.createDirectories(dir.resolve("lib/modules/" + K2 + "/weak-updates/vendor"));
    Files.write(outside.resolve("host.ko"), mod("host", K1, 0x1).uses("_printk", 0xaa).build());
    String climb = "../".repeat(vendor.getNameCount() + 2) + outside.toString().substring(1) + "/host.ko";
    Files.createSymbolicLink(vendor.resolve("escape.ko"), Path.of(climb));
    Files.createSymbolicLink(vendor.resolve("gone.ko"), Path.of("/lib/modules/" + K1 + "/extra/gone.ko"));
    Map<String, String> host = snapshot(outside);
    Map<String, String> theirs = snapshot(vendor);
    WeakUpdates.Result r = weak().run(WeakUpdates.Request.all(), false, false);
    assertThat(links(K2)).containsOnlyKeys("hello/hello.ko");
    assertThat(r.inventory().notes())
        .anyMatch(n -> n.contains(vendor.resolve("escape.ko") + " → " + climb + " escapes the root"))
        .anyMatch(n -> n.contains(vendor.resolve("gone.ko") + " → /lib/modules/" + K1 + "/extra/gone.ko is dangling"));
    Status st = Status.of(r.inventory(), weak().plan(weak().inventory(), WeakUpdates.Request.all()));
    assertThat(st.sets()).containsExactly("extra/hello"); // the escaping module is nobody's set
    weak().run(WeakUpdates.Request.removeKernel(K2), false, false);
    assertThat(snapshot(vendor)).isEqualTo(theirs);
    assertThat(snapshot(outside)).isEqualTo(host);
  }

  @Test
  void aSetWhoseFilesVanishedLosesItsLinksAndNothingKmodkitDidNotMakeIsTouched() throws Exception {
    root.kernel(K1, 0x1, 0xaa, "_printk").kernel(K2, 0x1, 0xaa, "_printk");
    root.module(K1, "extra/hello/hello.ko", mod("hello", K1, 0x1).uses("_printk", 0xaa));
    root.module(K1, "extra/keep/keep.ko", mod("keep", K1, 0x1).uses("_printk", 0xaa));
    root.write("/lib/modules/" + K2 + "/weak-updates/vendor/copied.ko", mod("copied", K2, 0x1).build());
    root.write("/etc/depmod.d/vendor.conf", "override copied * weak-updates/vendor\n".getBytes(java.nio.charset.StandardCharsets.UTF_8));
    weak().run(WeakUpdates.Request.all(), false, false);
    assertThat(links(K2)).containsOnlyKeys("hello/hello.ko", "keep/keep.ko");
    Map<String, String> theirs = snapshot(dir.resolve("lib/modules/" + K2 + "/weak-updates/vendor"));
    Map<String, String> conf = snapshot(dir.resolve("etc/depmod.d/vendor.conf"));
    Map<String, String> k1 = snapshot(dir.resolve("lib/modules/" + K1 + "/extra/keep"));
    Applier.deleteTree(dir.resolve("lib/modules/" + K1 + "/extra/hello"));
    weak().run(WeakUpdates.Request.all(), false, false);
    assertThat(links(K2)).containsOnlyKeys("keep/keep.ko");
    Applier.deleteTree(dir.resolve("lib/modules/" + K1 + "/extra"));
    weak().run(WeakUpdates.Request.all(), false, false);
    assertThat(links(K2)).isEmpty();
    assertThat(dir.resolve("lib/modules/.kmodkit-weak/" + K2)).doesNotExist();
    assertThat(dir.resolve("etc/depmod.d/kmodkit-weak-" + K2 + ".conf")).doesNotExist();
    // weak-updates/ stays: it was there before kmodkit, and holds what another tool put there
    assertThat(snapshot(dir.resolve("lib/modules/" + K2 + "/weak-updates/vendor"))).isEqualTo(theirs);
    assertThat(snapshot(dir.resolve("etc/depmod.d/vendor.conf"))).isEqualTo(conf);
    assertThat(k1).isNotEmpty();
  }

  @Test
  void aDryRunWritesNothing() throws Exception {
    root.kernel(K1, 0x1, 0xaa, "_printk").kernel(K2, 0x1, 0xaa, "_printk");
    root.module(K1, "extra/hello/hello.ko", mod("hello", K1, 0x1).uses("_printk", 0xaa));
    WeakUpdates.Result r = weak().run(WeakUpdates.Request.all(), true, false);
    assertThat(r.plan().kernels()).extracting(Plan.KernelPlan::change).contains(Plan.Change.UPDATE);
    assertThat(dir.resolve("lib/modules/.kmodkit-weak")).doesNotExist();
    assertThat(dir.resolve("lib/modules/" + K2 + "/weak-updates")).doesNotExist();
  }

  @Test
  void aSetNeedingAnotherLinkedSetLinksOnALaterPass() throws Exception {
    root.kernel(K1, 0x1, 0xaa, "_printk").kernel(K2, 0x1, 0xaa, "_printk");
    root.module(K1, "extra/zz_base/base.ko", mod("base", K1, 0x1).uses("_printk", 0xaa).exports("base_api", 0x5));
    root.module(K1, "extra/aa_user/user.ko", mod("user", K1, 0x1).uses("base_api", 0x5).depends("base"));
    weak().run(WeakUpdates.Request.all(), false, false);
    assertThat(links(K2)).containsOnlyKeys("zz_base/base.ko", "aa_user/user.ko");
  }

  @Test
  void aKernelWithoutAnAbiSourceIsNamedAndNothingIsLinkedIntoIt() throws Exception {
    root.kernel(K1, 0x1, 0xaa, "_printk");
    Files.createDirectories(dir.resolve("lib/modules/" + K2 + "/kernel"));
    root.module(K1, "extra/hello/hello.ko", mod("hello", K1, 0x1).uses("_printk", 0xaa));
    Map<String, String> before = snapshot(dir.resolve("lib/modules/" + K2));
    WeakUpdates.Result r = weak().run(WeakUpdates.Request.all(), false, false);
    assertThat(r.inventory().notes()).anyMatch(n -> n.startsWith("kernel " + K2 + " has no symvers"));
    assertThatThrownBy(() -> weak().run(WeakUpdates.Request.addKernel(K2), false, false))
        .isInstanceOf(BadInputException.class)
        .hasMessage(dir.resolve("lib/modules/" + K2) + ": kernel " + K2 + " has no symvers, headers or image to judge modules against; install linux-headers-" + K2 + " or kernel-devel");
    assertThat(snapshot(dir.resolve("lib/modules/" + K2))).isEqualTo(before);
    assertThat(tools.depmod).isEmpty();
  }

  @Test
  void aBrokenSymversOfTheAddedKernelIsRefusedNamingItsLineAndNothingIsWritten() throws Exception {
    root.kernel(K1, 0x1, 0xaa, "_printk").kernel(K2, 0x1, 0xaa, "_printk");
    root.module(K1, "extra/hello/hello.ko", mod("hello", K1, 0x1).uses("_printk", 0xaa));
    root.symvers(K2, "0x000000aa\t_printk\tvmlinux\tEXPORT_SYMBOL\t\nnot a symvers line\n");
    Map<String, String> before = snapshot(dir.resolve("lib/modules/" + K2));
    assertThatThrownBy(() -> weak().run(WeakUpdates.Request.addKernel(K2), false, false))
        .isInstanceOf(BadInputException.class)
        .hasMessageStartingWith(dir.resolve("boot/symvers-" + K2 + ".gz") + ":2: malformed symvers line");
    assertThat(snapshot(dir.resolve("lib/modules/" + K2))).isEqualTo(before);
    assertThat(tools.depmod).isEmpty();
  }

  @Test
  void concurrentRunsQueueOnTheLockAndAgree() throws Exception {
    root.kernel(K1, 0x1, 0xaa, "_printk").kernel(K2, 0x1, 0xaa, "_printk").kernel(K3, 0x1, 0xaa, "_printk");
    root.module(K1, "extra/hello/hello.ko", mod("hello", K1, 0x1).uses("_printk", 0xaa));
    List<Thread> ts = new ArrayList<>();
    List<Throwable> errors = new java.util.concurrent.CopyOnWriteArrayList<>();
    for (int i = 0; i < 6; i++) {
      Thread t = new Thread(() -> {
        try {
          new WeakUpdates(new Sysroot(dir), tools).run(WeakUpdates.Request.all(), false, false);
        } catch (Exception e) {
          errors.add(e);
        }
      });
      ts.add(t);
      t.start();
    }
    for (Thread t : ts) {
      t.join();
    }
    assertThat(errors).isEmpty();
    assertThat(links(K2)).containsOnlyKeys("hello/hello.ko");
    assertThat(links(K3)).containsOnlyKeys("hello/hello.ko");
    try (Stream<Path> s = Files.list(dir.resolve("lib/modules/.kmodkit-weak/" + K2))) {
      assertThat(s.filter(p -> p.getFileName().toString().startsWith("gen-")).count()).isEqualTo(1);
    }
  }

  /** The root as a snapshot, without the lock a refused run may still have taken: nothing else may change. */
  Map<String, String> rootWithoutLock() throws IOException {
    Map<String, String> s = snapshot(dir);
    s.remove("lib/modules/.kmodkit-weak/lock");
    if (!Files.exists(dir.resolve("lib/modules/.kmodkit-weak/" + K2), java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
      s.remove("lib/modules/.kmodkit-weak");
    }
    return s;
  }

  /** A canary in the host directory: a refused run must leave it, and everything beside it, as it was. */
  Map<String, String> canary() throws IOException {
    Files.writeString(outside.resolve("canary"), "the host's own\n");
    return snapshot(outside);
  }

  void helloRoot() {
    root.kernel(K1, 0x1, 0xaa, "_printk").kernel(K2, 0x1, 0xaa, "_printk");
    root.module(K1, "extra/hello/hello.ko", mod("hello", K1, 0x1).uses("_printk", 0xaa));
  }

  /**
   * Every run, for all kernels and for K2's removal, is refused with a message starting with
   * {@code start}: nothing in the root or beside the {@code host} canary changes, no depmod runs.
   */
  void assertRefusedChangingNothing(Map<String, String> host, String start) throws IOException {
    Map<String, String> before = rootWithoutLock();
    tools.depmod.clear();
    for (WeakUpdates.Request r : List.of(WeakUpdates.Request.all(), WeakUpdates.Request.removeKernel(K2))) {
      assertThatThrownBy(() -> weak().run(r, false, false)).isInstanceOf(BadInputException.class).hasMessageStartingWith(start).hasMessageContaining("nothing was changed");
    }
    assertThat(rootWithoutLock()).isEqualTo(before);
    assertThat(snapshot(outside)).isEqualTo(host);
    assertThat(tools.depmod).isEmpty();
  }

  @Test
  void aDepmodConfLinkKmodkitDidNotMakeIsRefusedAndNothingIsWrittenOrDeleted() throws Exception {
    helloRoot();
    Map<String, String> host = canary();
    Path conf = dir.resolve("etc/depmod.d/kmodkit-weak-" + K2 + ".conf");
    Files.createDirectories(conf.getParent());
    Files.createSymbolicLink(conf, outside.resolve("canary"));
    String refusal = conf + ": is a link kmodkit did not make (to " + outside.resolve("canary") + "), where kmodkit keeps its depmod.d link";
    assertThat(weak().run(WeakUpdates.Request.all(), true, false).inventory().notes()).anyMatch(n -> n.startsWith(refusal)); // a dry run says so
    assertRefusedChangingNothing(host, refusal);
    // after a good run, the same link put in place of kmodkit's own
    Files.delete(conf);
    weak().run(WeakUpdates.Request.all(), false, false);
    Files.delete(conf);
    Files.createSymbolicLink(conf, outside.resolve("canary"));
    assertRefusedChangingNothing(host, conf + ": is a link kmodkit did not make");
  }

  @Test
  void aForeignLinkWhereKmodkitKeepsItsLiveLinkIsNeitherFollowedNorReplaced() throws Exception {
    helloRoot();
    // what it points at looks like a generation of kmodkit's: a manifest naming a link, depmod done
    Files.writeString(outside.resolve("manifest"), Manifest.HEADER + "\nrelease " + K2 + "\nlink hello/hello.ko\t" + K1 + "\textra/hello/hello.ko\textra/hello\n");
    Files.writeString(outside.resolve("depmod-done"), "");
    Map<String, String> host = canary();
    Path live = dir.resolve("lib/modules/" + K2 + "/weak-updates/kmodkit");
    Files.createDirectories(live.getParent());
    Files.createSymbolicLink(live, outside);
    Inventory inv = weak().inventory();
    assertThat(inv.current()).doesNotContainKey(K2);
    assertThat(inv.notes()).anyMatch(n -> n.startsWith(live + ": is a link kmodkit did not make (to " + outside + ")"));
    assertRefusedChangingNothing(host, live + ": is a link kmodkit did not make (to " + outside + "), where kmodkit keeps its link; nothing was changed: move it away and run again");
    assertThat(Files.readSymbolicLink(live)).isEqualTo(outside);
  }

  @Test
  void linkChainsAreResolvedAsTheFilesystemDoesAndOneLeadingOutIsRefused() throws Exception {
    helloRoot();
    Map<String, String> host = canary();
    // /etc/depmod.d -> ../srv/d, a link inside the root, which is itself a link to the host
    Files.createDirectories(dir.resolve("etc"));
    Files.createDirectories(dir.resolve("srv"));
    Files.createSymbolicLink(dir.resolve("srv/d"), outside);
    Files.createSymbolicLink(dir.resolve("etc/depmod.d"), Path.of("../srv/d"));
    assertRefusedChangingNothing(host, dir.resolve("etc/depmod.d") + ": leads outside the root");
    Files.delete(dir.resolve("etc/depmod.d"));
    // the lock file kmodkit would open, a link to a link to a file of the host that does not exist yet
    Files.deleteIfExists(dir.resolve("lib/modules/.kmodkit-weak/lock"));
    Files.createSymbolicLink(dir.resolve("lib/modules/hop"), outside.resolve("lock"));
    Files.createSymbolicLink(dir.resolve("lib/modules/.kmodkit-weak/lock"), Path.of("../hop"));
    assertThatThrownBy(() -> weak().run(WeakUpdates.Request.all(), false, false))
        .isInstanceOf(BadInputException.class)
        .hasMessageStartingWith(dir.resolve("lib/modules/.kmodkit-weak/lock") + ": is a link kmodkit did not make");
    assertThat(snapshot(outside)).isEqualTo(host);
    Files.delete(dir.resolve("lib/modules/.kmodkit-weak/lock"));
    // a good run, then a link inside the live generation turned to the host: depmod would read it
    weak().run(WeakUpdates.Request.all(), false, false);
    Path gen = dir.resolve("lib/modules/.kmodkit-weak/" + K2 + "/gen-1/hello/hello.ko");
    Files.delete(gen);
    Files.createSymbolicLink(gen, outside.resolve("canary"));
    assertRefusedChangingNothing(host, gen + ": is a link kmodkit did not make (to " + outside.resolve("canary") + "), where kmodkit keeps a generation of its links");
    Files.delete(gen);
    Files.createSymbolicLink(gen, Path.of("../../../../" + K1 + "/extra/hello/hello.ko"));
    Path marker = dir.resolve("lib/modules/.kmodkit-weak/" + K2 + "/created-weak-updates");
    Files.delete(marker); // the marker that lets kmodkit remove the weak-updates/ it made, now a link to the host
    Files.createSymbolicLink(marker, outside.resolve("canary"));
    assertRefusedChangingNothing(host, marker + ": is a link kmodkit did not make");
  }

  @Test
  void namesWithControlCharactersAreLeftOutWithANoteAndASecondRunChangesNothing() throws Exception {
    helloRoot();
    root.module(K1, "extra/ven\tdor/tabbed.ko", mod("tabbed", K1, 0x1).uses("_printk", 0xaa));
    root.module(K1, "extra/nl/new\nline.ko", mod("newline", K1, 0x1).uses("_printk", 0xaa));
    root.module(K1, "extra/esc/\u001b[31mred.ko", mod("red", K1, 0x1).uses("_printk", 0xaa));
    WeakUpdates.Result r = weak().run(WeakUpdates.Request.all(), false, false);
    assertThat(links(K2)).containsOnlyKeys("hello/hello.ko");
    assertThat(r.inventory().sets()).containsExactly("extra/hello");
    assertThat(r.inventory().notes()).filteredOn(n -> n.contains("a control character")).hasSize(3);
    tools.depmod.clear();
    WeakUpdates.Result again = weak().run(WeakUpdates.Request.all(), false, false);
    assertThat(again.plan().changes()).isFalse();
    assertThat(tools.depmod).isEmpty();
    try (Stream<Path> s = Files.list(dir.resolve("lib/modules/.kmodkit-weak/" + K2))) {
      assertThat(s.filter(p -> p.getFileName().toString().startsWith("gen-")).map(p -> p.getFileName().toString())).containsExactly("gen-1");
    }
  }

  @Test
  void anUnexpectedExceptionInsideApplyIsReportedAsItselfAndTheLockIsReleased() throws Exception {
    helloRoot();
    IllegalStateException boom = new IllegalStateException("depmod exploded");
    SystemTools exploding = new Tools() {
      @Override
      public void depmod(Sysroot root, String release) {
        throw boom;
      }
    };
    assertThatThrownBy(() -> new WeakUpdates(new Sysroot(dir), exploding).run(WeakUpdates.Request.all(), false, false)).isSameAs(boom);
    WeakUpdates.Result r = org.junit.jupiter.api.Assertions.assertTimeoutPreemptively(java.time.Duration.ofSeconds(30), () -> weak().run(WeakUpdates.Request.all(), false, false));
    assertThat(r.plan().kernels()).extracting(Plan.KernelPlan::change).contains(Plan.Change.DEPMOD_ONLY);
    assertThat(tools.depmod).containsExactly(K2);
  }

  @Test
  void releasesSortAsRpmDoes() {
    List<String> r = new ArrayList<>(List.of(K10, K1, K3, K2, "5.14.0-2.el9_1.x86_64"));
    r.sort(ReleaseOrder.newestFirst());
    assertThat(r).containsExactly(K10, K3, "5.14.0-2.el9_1.x86_64", K2, K1);
    assertThat(ReleaseOrder.INSTANCE.compare("6.1.0-56-cloud-amd64", "6.1.0-6-cloud-amd64")).isPositive();
    assertThat(Set.of()).isEmpty();
  }
}
