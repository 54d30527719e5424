package org.kmodkit.core.verify;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.kmodkit.core.BadInputException;
import org.kmodkit.core.abi.KernelAbi;
import org.kmodkit.core.elf.ModuleFile;
import org.kmodkit.core.elf.ModuleReader;
import org.kmodkit.core.tree.KernelAbiLoader;
import org.kmodkit.core.tree.ModuleTree;
import org.kmodkit.core.tree.Sysroot;
import org.kmodkit.testkit.FakeRoot;
import org.kmodkit.testkit.KoBuilder;

class LoadPlannerTest {
  static final String R = "6.1.0-56-cloud-amd64";
  static final String MAGIC = R + " SMP preempt mod_unload modversions ";

  static KoBuilder mod(String name) {
    return KoBuilder.module(name).vermagic(MAGIC).version("module_layout", 0x1L);
  }

  static ModuleFile ko(KoBuilder b, String path) throws Exception {
    return ModuleReader.parse(path, b.build());
  }

  /** A kernel tree of the given modules (by path below lib/modules/R) and built-in names. */
  static ModuleTree tree(Map<String, KoBuilder> modules, Set<String> builtin) throws Exception {
    Map<String, ModuleTree.TreeModule> byName = new HashMap<>();
    for (Map.Entry<String, KoBuilder> e : modules.entrySet()) {
      ModuleFile m = ko(e.getValue(), "/lib/modules/" + R + "/" + e.getKey());
      byName.put(m.name(), new ModuleTree.TreeModule(e.getKey(), Path.of("/tree/" + e.getKey()), m));
    }
    return new ModuleTree(R, Path.of("/tree"), byName, builtin, List.of());
  }

  static KernelAbi abi(ModuleTree tree) {
    KernelAbi.Builder b = KernelAbi.builder().release(R);
    for (ModuleTree.TreeModule t : tree.modules().values()) {
      KernelAbiLoader.addTreeModule(b, t.module(), t.relativePath());
    }
    tree.builtin().forEach(b::builtin);
    return b.build();
  }

  static VerifySet set(String name, KoBuilder... modules) throws Exception {
    List<ModuleSource> sources = new java.util.ArrayList<>();
    for (KoBuilder k : modules) {
      ModuleFile m = ko(k, "/given/" + name + "/" + k.build().length + ".ko");
      sources.add(new ModuleSource(m, Path.of("/given/" + name + "/" + m.name() + ".ko")));
    }
    return new VerifySet(name, sources);
  }

  static BootPlan plan(ModuleTree tree, List<VerifySet> sets, String... load) throws BadInputException {
    return new LoadPlanner(tree, abi(tree)).plan(sets, List.of(load));
  }

  static List<String> order(BootPlan.Unit u) {
    return u.steps().stream().map(s -> s.name() + (s.origin() == BootPlan.Origin.TREE ? "@tree" : "") + (s.requested() ? "" : "(dep)")).toList();
  }

  static ModuleTree kernelTree() throws Exception {
    Map<String, KoBuilder> t = new HashMap<>();
    t.put("kernel/drivers/uio/uio.ko", mod("uio").exportsGpl("__uio_register_device", 0x10L));
    t.put("kernel/drivers/infiniband/core/ib_core.ko", mod("ib_core").exportsGpl("ib_register_client", 0x20L));
    t.put("kernel/drivers/infiniband/core/ib_uverbs.ko", mod("ib_uverbs").exportsGpl("ib_uverbs_get_ucontext", 0x21L).uses("ib_register_client", 0x20L).depends("ib_core"));
    t.put("kernel/drivers/net/ethernet/mellanox/mlxfw/mlxfw.ko", mod("mlxfw").exportsGpl("mlxfw_firmware_flash", 0x30L));
    t.put("kernel/drivers/net/ethernet/mellanox/mlx5/core/mlx5_core.ko", mod("mlx5_core").exportsGpl("mlx5_cmd_exec", 0x31L).uses("mlxfw_firmware_flash", 0x30L).depends("mlxfw"));
    t.put("kernel/drivers/infiniband/hw/mlx5/mlx5_ib.ko", mod("mlx5_ib").uses("mlx5_cmd_exec", 0x31L).uses("ib_register_client", 0x20L).uses("ib_uverbs_get_ucontext", 0x21L).depends("mlx5_core,ib_uverbs,ib_core"));
    return tree(t, Set.of("crc32c_generic"));
  }

  @Test
  void aSetsModulesLoadAfterWhatTheyNeedFromTheSetAndTheKernelsTree() throws Exception {
    // app needs igb (same set), igb needs uio (kernel): modprobe would insmod uio, igb, app
    KoBuilder igb = mod("igb_uio").exportsGpl("igb_thing", 0x40L).uses("__uio_register_device", 0x10L).depends("uio");
    KoBuilder app = mod("app").uses("igb_thing", 0x40L).depends("igb_uio");
    BootPlan p = plan(kernelTree(), List.of(set("vendor", app, igb)));
    assertThat(p.units()).hasSize(1);
    assertThat(order(p.units().get(0))).containsExactly("uio@tree(dep)", "igb_uio", "app");
    assertThat(p.missing()).isEmpty();
  }

  @Test
  void aModuleWhoseDependsIsSilentStillGetsTheExporterOfTheSymbolsItUses() throws Exception {
    // no depends= at all (a stale or hand-made module): the symbol's exporter in the tree is loaded first
    BootPlan p = plan(kernelTree(), List.of(set("s", mod("quiet").uses("ib_register_client", 0x20L))));
    assertThat(order(p.units().get(0))).containsExactly("ib_core@tree(dep)", "quiet");
  }

  @Test
  void theWholeStackComesFromTheTreeInDependencyOrderForALoadOfTheTopModule() throws Exception {
    BootPlan p = plan(kernelTree(), List.of(), "mlx5_ib");
    assertThat(p.units()).singleElement().satisfies(u -> assertThat(u.set()).isEqualTo("kernel " + R));
    assertThat(order(p.units().get(0))).containsExactly("mlxfw@tree(dep)", "mlx5_core@tree(dep)", "ib_core@tree(dep)", "ib_uverbs@tree(dep)", "mlx5_ib@tree");
  }

  @Test
  void aSetsOwnModuleOverridesTheTreesModuleOfTheSameNameForEveryoneInTheSet() throws Exception {
    // the vendor's mlx5_core and mlx5_ib replace the in-tree ones; mlxfw and ib_* still come from the tree
    KoBuilder core = mod("mlx5_core").exportsGpl("mlx5_cmd_exec", 0x99L).uses("mlxfw_firmware_flash", 0x30L).depends("mlxfw");
    KoBuilder ib = mod("mlx5_ib").uses("mlx5_cmd_exec", 0x99L).uses("ib_register_client", 0x20L).depends("mlx5_core,ib_core");
    BootPlan p = plan(kernelTree(), List.of(set("mlnx", ib, core)));
    assertThat(order(p.units().get(0))).containsExactly("mlxfw@tree(dep)", "mlx5_core", "ib_core@tree(dep)", "mlx5_ib");
    assertThat(p.units().get(0).steps().get(1).file()).isEqualTo(Path.of("/given/mlnx/mlx5_core.ko"));
  }

  @Test
  void aDependencyNobodyProvidesIsReportedAndTheModuleIsStillLoadedForTheKernelToJudge() throws Exception {
    BootPlan p = plan(kernelTree(), List.of(set("alone", mod("hello_user").uses("hello_api", 0x5L).depends("hello"))));
    assertThat(order(p.units().get(0))).containsExactly("hello_user");
    assertThat(p.missing()).containsExactly(new BootPlan.MissingDependency("alone", "hello_user", "hello"));
  }

  @Test
  void aBuiltInDependencyIsNeitherLoadedNorMissing() throws Exception {
    BootPlan p = plan(kernelTree(), List.of(set("s", mod("fs").depends("crc32c_generic"))));
    assertThat(order(p.units().get(0))).containsExactly("fs");
    assertThat(p.missing()).isEmpty();
  }

  @Test
  void loadPicksModulesInItsOrderAndANameOnlyTheTreeHasIsLoadedFromTheTreeInAUnitOfItsOwn() throws Exception {
    BootPlan p = plan(kernelTree(), List.of(set("s", mod("a"), mod("b"), mod("c"))), "c", "a", "uio");
    assertThat(p.units()).hasSize(2);
    assertThat(order(p.units().get(0))).containsExactly("c", "a");
    assertThat(order(p.units().get(1))).containsExactly("uio@tree");
  }

  @Test
  void dashesAndUnderscoresNameTheSameModuleInLoad() throws Exception {
    BootPlan p = plan(kernelTree(), List.of(set("s", mod("pci_hyperv_intf"))), "pci-hyperv-intf");
    assertThat(order(p.units().get(0))).containsExactly("pci_hyperv_intf");
  }

  @Test
  void aLoadNameNobodyHasIsRefusedWithTheNextStep() throws Exception {
    assertThatThrownBy(() -> plan(kernelTree(), List.of(set("s", mod("a"))), "nosuch"))
        .isInstanceOf(BadInputException.class)
        .hasMessage("--load nosuch: no module nosuch in the given modules nor in /tree; check the name (modinfo -F name FILE)");
    assertThatThrownBy(() -> plan(kernelTree(), List.of(), "crc32c_generic"))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("crc32c_generic is built into kernel " + R + ": there is nothing to load");
  }

  @Test
  void stepIdsRunAcrossUnitsAndATreeModuleTwoUnitsNeedIsCopiedOnce() throws Exception {
    KoBuilder igb = mod("igb_uio").uses("__uio_register_device", 0x10L).depends("uio");
    KoBuilder other = mod("uio_pdrv").uses("__uio_register_device", 0x10L).depends("uio");
    BootPlan p = plan(kernelTree(), List.of(set("one", igb), set("two", other)));
    assertThat(p.steps()).extracting(BootPlan.Step::id).containsExactly(1, 2, 3, 4);
    assertThat(p.steps()).extracting(BootPlan.Step::guestPath).containsExactly("/k/uio.ko", "/m/1/igb_uio.ko", "/k/uio.ko", "/m/2/uio_pdrv.ko");
    assertThat(p.guestFiles()).containsOnlyKeys("/k/uio.ko", "/m/1/igb_uio.ko", "/m/2/uio_pdrv.ko");
  }

  @Test
  void aDependencyCycleIsPlannedOnceAndLeftToTheKernel() throws Exception {
    BootPlan p = plan(kernelTree(), List.of(set("s", mod("a").depends("b"), mod("b").depends("a"))));
    assertThat(order(p.units().get(0))).containsExactly("b", "a");
  }

  /**
   * A node after kmodkit's weak-modules linked the vendor stack of kernel 55 into 56's weak-updates
   * and depmod (honouring the depmod.d override) wrote modules.dep naming the linked mlx5_core.
   */
  static ModuleTree linkedNode(Path dir) throws Exception {
    FakeRoot root = FakeRoot.at(dir);
    String k55 = "6.1.0-55-cloud-amd64";
    root.module(R, "kernel/drivers/net/ethernet/mellanox/mlxfw/mlxfw.ko", mod("mlxfw").exportsGpl("mlxfw_firmware_flash", 0x30L));
    root.module(R, "kernel/drivers/net/ethernet/mellanox/mlx5/core/mlx5_core.ko", mod("mlx5_core").exportsGpl("mlx5_cmd_exec", 0x31L).uses("mlxfw_firmware_flash", 0x30L).depends("mlxfw"));
    // the vendor's: its depends= is stale (empty); depmod saw the symbol and listed mlxfw all the same
    root.module(k55, "extra/mlnx/mlx5_core.ko", mod("mlx5_core").exportsGpl("mlx5_cmd_exec", 0x99L).uses("mlxfw_firmware_flash", 0x30L));
    Path link = root.resolve("/lib/modules/" + R + "/weak-updates/mlnx/mlx5_core.ko");
    Files.createDirectories(link.getParent());
    Files.createSymbolicLink(link, Path.of("../../../" + k55 + "/extra/mlnx/mlx5_core.ko"));
    root.write("/lib/modules/" + R + "/modules.dep", ("weak-updates/mlnx/mlx5_core.ko: kernel/drivers/net/ethernet/mellanox/mlxfw/mlxfw.ko\n"
        + "kernel/drivers/net/ethernet/mellanox/mlxfw/mlxfw.ko:\n").getBytes(StandardCharsets.UTF_8));
    return ModuleTree.read(new Sysroot(dir), R);
  }

  @Test
  void aLoadNameIsResolvedAsModprobeResolvesItThroughModulesDepToTheLinkedVendorModule(@TempDir Path dir) throws Exception {
    ModuleTree tree = linkedNode(dir);
    BootPlan p = new LoadPlanner(tree, KernelAbiLoader.fromTree(new Sysroot(dir), tree)).plan(List.of(), List.of("mlx5_core"));
    assertThat(order(p.units().get(0))).containsExactly("mlxfw@tree(dep)", "mlx5_core@tree");
    BootPlan.Step core = p.units().get(0).steps().get(1);
    assertThat(core.source()).isEqualTo("weak-updates/mlnx/mlx5_core.ko");
    assertThat(core.file().toRealPath()).isEqualTo(dir.resolve("lib/modules/6.1.0-55-cloud-amd64/extra/mlnx/mlx5_core.ko").toRealPath());
  }
}
