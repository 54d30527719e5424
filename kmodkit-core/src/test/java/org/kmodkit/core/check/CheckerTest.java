package org.kmodkit.core.check;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.kmodkit.core.BadInputException;
import org.kmodkit.core.abi.Crc;
import org.kmodkit.core.abi.ExportType;
import org.kmodkit.core.abi.KernelAbi;
import org.kmodkit.core.abi.KernelConfig;
import org.kmodkit.core.abi.KernelSymbol;
import org.kmodkit.core.elf.ModuleFile;
import org.kmodkit.core.elf.ModuleReader;
import org.kmodkit.testkit.KoBuilder;

class CheckerTest {
  static final String MAGIC = "6.1.0-56-cloud-amd64 SMP preempt mod_unload modversions ";
  static final Map<String, String> DEBIAN = Map.of("X86_64", "y", "SMP", "y", "PREEMPT_BUILD", "y", "MODULE_UNLOAD", "y", "MODVERSIONS", "y", "MODULE_FORCE_LOAD", "y");

  static KernelAbi.Builder kernel() {
    return KernelAbi.builder().release("6.1.0-56-cloud-amd64").config(new KernelConfig(DEBIAN))
        .symbols(List.of(
            vmlinux("module_layout", 0x11110000L, ExportType.EXPORT_SYMBOL, ""),
            vmlinux("_printk", 0x92997ed8L, ExportType.EXPORT_SYMBOL, ""),
            vmlinux("netif_rx", 0x22220000L, ExportType.EXPORT_SYMBOL, ""),
            vmlinux("gpl_thing", 0x33330000L, ExportType.EXPORT_SYMBOL_GPL, ""),
            vmlinux("cxl_thing", 0x44440000L, ExportType.EXPORT_SYMBOL_GPL, "CXL"),
            new KernelSymbol("uio_register", Crc.of(0x55550000L), "uio", ExportType.EXPORT_SYMBOL_GPL, "")));
  }

  static KernelSymbol vmlinux(String name, long crc, ExportType t, String ns) {
    return new KernelSymbol(name, Crc.of(crc), "vmlinux", t, ns);
  }

  static ModuleFile ko(KoBuilder b) throws Exception {
    return ModuleReader.parse(b.build().length + ".ko", b.build());
  }

  static KoBuilder mod(String name) {
    return KoBuilder.module(name).vermagic(MAGIC).version("module_layout", 0x11110000L);
  }

  static ModuleVerdict one(KernelAbi k, KoBuilder b) throws Exception {
    return new Checker(k).check("t", List.of(ko(b))).modules().get(0);
  }

  static List<String> kinds(ModuleVerdict v) {
    List<String> out = new ArrayList<>();
    for (Problem p : v.problems()) {
      out.add(p.kind() + (p.symbol() == null ? "" : ":" + p.symbol()));
    }
    return out;
  }

  @Test
  void aModuleWhoseCrcsAllMatchLoads() throws Exception {
    ModuleVerdict v = one(kernel().build(), mod("good").uses("_printk", 0x92997ed8L).uses("netif_rx", 0x22220000L));
    assertThat(v.loads()).isTrue();
    assertThat(v.problems()).isEmpty();
    assertThat(v.symbols()).isEqualTo(3); // module_layout is checked too
    assertThat(v.crcsCompared()).isTrue();
  }

  @Test
  void aDifferentCrcIsTheKernelsDisagreement() throws Exception {
    ModuleVerdict v = one(kernel().build(), mod("old").uses("_printk", 0x92997ed8L).uses("netif_rx", 0x99990000L));
    assertThat(v.loads()).isFalse();
    Problem.CrcMismatch p = (Problem.CrcMismatch) v.problems().get(0);
    assertThat(p.moduleCrc()).isEqualTo(Crc.of(0x99990000L));
    assertThat(p.kernelCrc()).isEqualTo(Crc.of(0x22220000L));
    assertThat(p.kernelMessage("old")).isEqualTo("old: disagrees about version of symbol netif_rx");
    assertThat(v.differing()).isEqualTo(1);
    assertThat(v.symbols()).isEqualTo(3);
    assertThat(v.kernel()).isEqualTo("6.1.0-56-cloud-amd64");
  }

  @Test
  void aSymbolNobodyExportsIsUnknownButAWeakOneIsFine() throws Exception {
    ModuleVerdict v = one(kernel().build(), mod("m").uses("gone_symbol", 1).usesWeak("also_gone", 2));
    assertThat(kinds(v)).containsExactly("unknown_symbol:gone_symbol");
    assertThat(v.problems().get(0).kernelMessage("m")).isEqualTo("m: Unknown symbol gone_symbol (err -2)");
  }

  @Test
  void aMissingVersionIsOnlyAWarning() throws Exception {
    ModuleVerdict v = one(kernel().build(), mod("m").usesUnversioned("_printk"));
    assertThat(v.loads()).isTrue();
    assertThat(kinds(v)).containsExactly("no_symbol_version:_printk");
    assertThat(v.warnings()).hasSize(1);
  }

  @Test
  void moduleLayoutIsCheckedFirstAndNamed() throws Exception {
    ModuleVerdict v = one(kernel().build(), KoBuilder.module("m").vermagic(MAGIC).version("module_layout", 0x1L).uses("_printk", 0x92997ed8L));
    assertThat(kinds(v)).containsExactly("module_layout:module_layout");
    assertThat(((Problem.ModuleLayoutMismatch) v.problems().get(0)).moduleCrc()).isEqualTo(Crc.of(0x1L));
  }

  @Test
  void vermagicIgnoresTheReleaseWhenTheModuleHasCrcsButNotTheFlags() throws Exception {
    assertThat(one(kernel().build(), mod("a").vermagic("6.1.0-53-cloud-amd64 SMP preempt mod_unload modversions ").uses("_printk", 0x92997ed8L)).loads()).isTrue();
    ModuleVerdict v = one(kernel().build(), mod("b").vermagic("6.1.0-53-cloud-amd64 SMP mod_unload modversions ").uses("_printk", 0x92997ed8L));
    assertThat(kinds(v)).containsExactly("vermagic");
    assertThat(v.problems().get(0).kernelMessage("b")).isEqualTo("b: version magic '6.1.0-53-cloud-amd64 SMP mod_unload modversions ' should be '" + MAGIC + "'");
  }

  @Test
  void withoutVersionsTheWholeVermagicMustMatchAndTheLoadIsForced() throws Exception {
    KoBuilder noVers = KoBuilder.module("nv").vermagic(MAGIC).usesUnversioned("_printk").withoutVersions();
    ModuleVerdict sameRelease = one(kernel().build(), noVers);
    assertThat(sameRelease.loads()).isTrue();
    assertThat(kinds(sameRelease)).containsExactly("forced_taint");
    ModuleVerdict other = one(kernel().build(), KoBuilder.module("nv").vermagic("6.1.0-53-cloud-amd64 SMP preempt mod_unload modversions ").usesUnversioned("_printk").withoutVersions());
    assertThat(kinds(other)).containsExactly("forced_taint", "vermagic");
    KernelAbi noForce = KernelAbi.builder().release("6.1.0-56-cloud-amd64").config(new KernelConfig(Map.of("X86_64", "y", "MODVERSIONS", "y", "SMP", "y", "PREEMPT_BUILD", "y", "MODULE_UNLOAD", "y"))).symbols(kernel().build().vmlinuxSymbols().values().stream().toList()).build();
    ModuleVerdict refused = one(noForce, noVers);
    assertThat(refused.loads()).isFalse();
    assertThat(kinds(refused)).containsExactly("needs_force");
  }

  @Test
  void extendedVersionsAreUsedAloneAndWithoutVersionsTheReleaseCounts() throws Exception {
    // only the extended tables: CRCs are checked from them, but vermagic is compared whole (6.14 same_magic)
    KoBuilder extOnly = KoBuilder.module("rusty").vermagic("6.1.0-53-cloud-amd64 SMP preempt mod_unload modversions ").usesExtended("_printk", 0x92997ed8L);
    assertThat(kinds(one(kernel().build(), extOnly))).containsExactly("no_symbol_version:module_layout", "vermagic");
    KoBuilder both = KoBuilder.module("rusty").vermagic("6.1.0-53-cloud-amd64 SMP preempt mod_unload modversions ").version("module_layout", 0x1L).usesExtended("_printk", 0x1L);
    // module_layout sits only in __versions, which the loader no longer consults: a missing version, a warning
    assertThat(kinds(one(kernel().build(), both))).containsExactly("no_symbol_version:module_layout", "crc_mismatch:_printk");
  }

  @Test
  void gplOnlySymbolsAreInvisibleToProprietaryModules() throws Exception {
    ModuleVerdict v = one(kernel().build(), mod("nvidia_like").license("NVIDIA").uses("gpl_thing", 0x33330000L).uses("_printk", 0x92997ed8L));
    assertThat(kinds(v)).containsExactly("gpl_only:gpl_thing");
    assertThat(v.problems().get(0).kernelMessage("nvidia_like")).isEqualTo("nvidia_like: Unknown symbol gpl_thing (err -2)");
    assertThat(one(kernel().build(), mod("dual").license("Dual MIT/GPL").uses("gpl_thing", 0x33330000L)).loads()).isTrue();
  }

  @Test
  void aNamespacedSymbolNeedsTheImport() throws Exception {
    ModuleVerdict v = one(kernel().build(), mod("m").uses("cxl_thing", 0x44440000L));
    assertThat(kinds(v)).containsExactly("namespace_not_imported:cxl_thing");
    assertThat(v.problems().get(0).kernelMessage("m")).isEqualTo("m: module uses symbol (cxl_thing) from namespace CXL, but does not import it.");
    assertThat(((Problem.NamespaceNotImported) v.problems().get(0)).namespace()).isEqualTo("CXL");
    assertThat(one(kernel().build(), mod("m").importNs("CXL").uses("cxl_thing", 0x44440000L)).loads()).isTrue();
  }

  @Test
  void symbolsOfTheKernelsOwnModulesResolveWithTheirCrcs() throws Exception {
    assertThat(one(kernel().build(), mod("igb").uses("uio_register", 0x55550000L).depends("uio")).loads()).isTrue();
    ModuleVerdict v = one(kernel().build(), mod("igb").uses("uio_register", 0x1L).depends("uio"));
    Problem.CrcMismatch p = (Problem.CrcMismatch) v.problems().get(0);
    assertThat(p.exporter()).isEqualTo("uio");
    assertThat(p.kernelCrc()).isEqualTo(Crc.of(0x55550000L));
    assertThat(v.needs()).containsExactly("uio");
  }

  @Test
  void aSetsOwnModuleOverridesTheKernelsModuleOfTheSameName() throws Exception {
    // the vendor uio exports uio_register with another CRC; igb in the same set was built against it
    KoBuilder vendorUio = mod("uio").exportsGpl("uio_register", 0x77770000L).uses("_printk", 0x92997ed8L);
    KoBuilder igb = mod("igb").uses("uio_register", 0x77770000L).depends("uio");
    SetVerdict s = new Checker(kernel().build()).check("vendor", List.of(ko(vendorUio), ko(igb)));
    assertThat(s.loads()).isTrue();
    // without the vendor uio the same igb disagrees with the kernel's uio
    assertThat(one(kernel().build(), igb).loads()).isFalse();
  }

  @Test
  void aModuleWhoseProviderCannotLoadCannotLoadEitherAndTheVerdictNamesIt() throws Exception {
    KoBuilder core = mod("mlx5_core").exports("mlx5_cmd_exec", 0x1234L).uses("netif_rx", 0xbad0L);
    KoBuilder ib = mod("mlx5_ib").uses("mlx5_cmd_exec", 0x1234L).uses("_printk", 0x92997ed8L).depends("mlx5_core");
    KoBuilder top = mod("rdma_user").uses("_printk", 0x92997ed8L).depends("mlx5_ib");
    SetVerdict s = new Checker(kernel().build()).check("mlnx", List.of(ko(core), ko(ib), ko(top)));
    assertThat(s.loads()).isFalse();
    ModuleVerdict vIb = s.modules().get(1);
    assertThat(vIb.loads()).isFalse();
    assertThat(kinds(vIb)).containsExactly("provider_unloadable:mlx5_cmd_exec");
    assertThat(((Problem.ProviderUnloadable) vIb.problems().get(0)).provider()).isEqualTo("mlx5_core");
    ModuleVerdict vTop = s.modules().get(2);
    assertThat(vTop.loads()).isFalse();
    assertThat(((Problem.ProviderUnloadable) vTop.problems().get(0)).provider()).isEqualTo("mlx5_ib");
    // rdma_user takes no symbol from mlx5_ib: depends= alone ties them
    assertThat(vTop.problems().get(0).symbol()).isNull();
  }

  @Test
  void aLongChainJudgedOnSeveralThreadsKeepsInputOrderAndPropagatesToItsEnd() throws Exception {
    // modules are judged in parallel: verdicts must still come in input order, each with its own problems
    List<ModuleFile> chain = new ArrayList<>();
    chain.add(ModuleReader.parse("link0.ko", mod("link0").exports("sym0", 0x10L).uses("netif_rx", 0xbad0L).build()));
    for (int i = 1; i < 300; i++) {
      chain.add(ModuleReader.parse("link" + i + ".ko", mod("link" + i).exports("sym" + i, 0x10L + i).uses("sym" + (i - 1), 0x10L + i - 1).uses("_printk", 0x92997ed8L).build()));
    }
    SetVerdict s = new Checker(kernel().build()).check("chain", chain);
    assertThat(s.modules()).extracting(ModuleVerdict::name).containsExactlyElementsOf(chain.stream().map(ModuleFile::name).toList());
    assertThat(kinds(s.modules().get(0))).containsExactly("crc_mismatch:netif_rx");
    for (int i = 1; i < 300; i++) {
      ModuleVerdict v = s.modules().get(i);
      assertThat(v.loads()).as(v.name()).isFalse();
      assertThat(kinds(v)).as(v.name()).containsExactly("provider_unloadable:sym" + (i - 1));
      assertThat(v.symbols()).as(v.name()).isEqualTo(3);
    }
  }

  @Test
  void everySymbolTakenFromAnUnloadableProviderIsNamedAsTheKernelNamesEach() throws Exception {
    // the booted kernel logs "Unknown symbol X (err -2)" for each of them (seen for 53's ib_uverbs on 54)
    KoBuilder core = mod("ib_core").exports("ib_register_client", 0x1L).exports("ib_unregister_client", 0x2L).uses("netif_rx", 0xbad0L);
    KoBuilder uverbs = mod("ib_uverbs").uses("ib_register_client", 0x1L).uses("ib_unregister_client", 0x2L).depends("ib_core");
    ModuleVerdict v = new Checker(kernel().build()).check("rdma", List.of(ko(core), ko(uverbs))).modules().get(1);
    assertThat(kinds(v)).containsExactly("provider_unloadable:ib_register_client", "provider_unloadable:ib_unregister_client");
    assertThat(v.problems()).extracting(p -> p.kernelMessage("ib_uverbs"))
        .containsExactly("ib_uverbs: Unknown symbol ib_register_client (err -2)", "ib_uverbs: Unknown symbol ib_unregister_client (err -2)");
  }

  @Test
  void exportingWhatTheKernelAlreadyExportsIsRefused() throws Exception {
    ModuleVerdict v = one(kernel().build(), mod("compat").exports("netif_rx", 0x1L));
    assertThat(kinds(v)).containsExactly("duplicate_export:netif_rx");
    assertThat(v.problems().get(0).kernelMessage("compat")).isEqualTo("compat: exports duplicate symbol netif_rx (owned by kernel)");
  }

  @Test
  void aKernelWithoutModversionsComparesNoCrcsButTheWholeVermagic() throws Exception {
    KernelAbi k = KernelAbi.builder().release("6.1.0-56-cloud-amd64").config(new KernelConfig(Map.of("X86_64", "y", "SMP", "y", "PREEMPT_BUILD", "y", "MODULE_UNLOAD", "y")))
        .symbols(List.of(vmlinux("_printk", 0, ExportType.EXPORT_SYMBOL, ""))).build();
    assertThat(k.modversions()).isFalse();
    ModuleVerdict v = one(k, KoBuilder.module("m").vermagic("6.1.0-56-cloud-amd64 SMP preempt mod_unload ").uses("_printk", 0x5L));
    assertThat(v.loads()).isTrue();
    assertThat(kinds(one(k, KoBuilder.module("m").vermagic("6.1.0-55-cloud-amd64 SMP preempt mod_unload ").uses("_printk", 0x5L)))).containsExactly("vermagic");
  }

  @Test
  void aDependsEntryTheKernelLacksIsAWarning() throws Exception {
    ModuleVerdict v = one(kernel().build(), mod("m").uses("_printk", 0x92997ed8L).depends("nonexistent_mod"));
    assertThat(v.loads()).isTrue();
    assertThat(kinds(v)).containsExactly("missing_dependency");
  }

  @Test
  void aWeakUndefinedSymbolExportedWithAnotherCrcIsRefusedAsTheKernelRefusesIt() throws Exception {
    // resolve_symbol checks the version of every symbol it finds, weak or not (depmod says nothing)
    ModuleVerdict v = one(kernel().build(), mod("m").uses("_printk", 0x92997ed8L).usesWeak("netif_rx", 0x1L));
    assertThat(v.loads()).isFalse();
    assertThat(kinds(v)).containsExactly("crc_mismatch:netif_rx");
  }

  @Test
  void aModuleOfAnotherArchitectureIsRefusedWhenOnlyTheConfigSaysTheKernelsArchitecture() throws Exception {
    KernelAbi amd64 = kernel().build();
    assertThat(amd64.arch()).hasToString("x86_64 (ELF64, little endian)");
    ModuleFile arm = ko(KoBuilder.module("armmod").machine(KoBuilder.EM_AARCH64).vermagic("6.1.0-56-arm64 SMP mod_unload modversions aarch64").uses("_printk", 0x92997ed8L));
    assertThatThrownBy(() -> Checker.requireSameArch(arm, amd64)).isInstanceOf(BadInputException.class)
        .hasMessageContaining("is built for aarch64 (ELF64, little endian) but the kernel 6.1.0-56-cloud-amd64 is x86_64 (ELF64, little endian) (the kernel would refuse it: Invalid architecture in ELF header: 183)");
    ModuleFile bigEndian = ko(mod("be").bigEndian().uses("_printk", 0x92997ed8L));
    assertThatThrownBy(() -> Checker.requireSameArch(bigEndian, amd64)).hasMessageContaining("x86_64 (ELF64, big endian)");
    ModuleFile thirtyTwo = ko(mod("i386").bits(32).uses("_printk", 0x92997ed8L));
    assertThatThrownBy(() -> Checker.requireSameArch(thirtyTwo, amd64)).hasMessageContaining("(ELF32, little endian)");
  }

  @Test
  void aBareSymversSaysTheArchitectureAndVermagicWentUnchecked() throws Exception {
    KernelAbi bare = KernelAbi.builder().release("6.1.0-56-cloud-amd64").symbols(kernel().build().vmlinuxSymbols().values().stream().toList()).build();
    assertThat(bare.arch()).isNull();
    assertThat(bare.notes()).anyMatch(n -> n.startsWith("vermagic not derived: no .config"))
        .anyMatch(n -> n.startsWith("architecture unknown"));
    assertThat(kernel().build().notes()).isEmpty();
    KernelAbi unknownCpu = KernelAbi.builder().release("6.1.0-56-686").config(new KernelConfig(Map.of("X86_32", "y", "MODVERSIONS", "y", "MNEWCPU", "y"))).build();
    assertThat(unknownCpu.vermagic()).isNull();
    assertThat(unknownCpu.notes()).containsExactly("vermagic not derived for i386: its processor family (MODULE_PROC_FAMILY: CONFIG_M486SX, …) is none kmodkit knows; the vermagic check is skipped");
    assertThat(one(unknownCpu, KoBuilder.module("m").bits(32).machine(KoBuilder.EM_386).vermagic("6.1.0-56-686 SMP mod_unload modversions NEWCPU ").withoutVersions()).problems())
        .noneMatch(p -> p instanceof Problem.VermagicMismatch);
  }

  /**
   * Version names made to collide (every one has the same String hash, as "Aa" and "BB" do): each
   * import still meets its own CRC, and a mismatch is found among them. A hostile module can hold any number of such names; the index of a module's
   * versions must not degrade to a list.
   */
  @Test
  void versionNamesMadeToCollideAreEachJudgedByTheirOwnCrc() throws Exception {
    List<String> names = collidingNames(11);
    assertThat(names).hasSize(2048).allMatch(n -> n.hashCode() == "Aa".repeat(11).hashCode());
    List<KernelSymbol> symbols = new ArrayList<>(List.of(vmlinux("module_layout", 0x11110000L, ExportType.EXPORT_SYMBOL, "")));
    KoBuilder b = mod("collide");
    for (int i = 0; i < names.size(); i++) {
      symbols.add(vmlinux(names.get(i), 0x1000L + i, ExportType.EXPORT_SYMBOL, ""));
      b.uses(names.get(i), i == 700 ? 0xbadL : 0x1000L + i);
    }
    KernelAbi k = KernelAbi.builder().release("6.1.0-56-cloud-amd64").config(new KernelConfig(DEBIAN)).symbols(symbols).build();
    ModuleVerdict v = one(k, b);
    assertThat(kinds(v)).containsExactly("crc_mismatch:" + names.get(700));
  }

  /** The 2^blocks names of that many "Aa" or "BB" blocks: all of one String hash. */
  private static List<String> collidingNames(int blocks) {
    List<String> names = new ArrayList<>(List.of(""));
    for (int round = 0; round < blocks; round++) {
      List<String> next = new ArrayList<>();
      for (String n : names) {
        next.add(n + "Aa");
        next.add(n + "BB");
      }
      names = next;
    }
    return names;
  }
}
