package org.kmodkit.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.kmodkit.core.abi.Crc;
import org.kmodkit.core.abi.ExportType;
import org.kmodkit.core.abi.KernelAbi;
import org.kmodkit.core.abi.KernelConfig;
import org.kmodkit.core.abi.KernelSymbol;
import org.kmodkit.core.check.Checker;
import org.kmodkit.core.check.ModuleVerdict;
import org.kmodkit.core.elf.ModuleFile;
import org.kmodkit.core.elf.ModuleReader;
import org.kmodkit.testkit.KoBuilder;

class ProblemWordsTest {
  static final String RELEASE = "6.1.0-56-cloud-amd64";
  static final String MAGIC = RELEASE + " SMP preempt mod_unload modversions ";

  static KernelAbi kernel(String release) {
    List<KernelSymbol> symbols = new ArrayList<>();
    symbols.add(new KernelSymbol("module_layout", Crc.of(0x11110000L), "vmlinux", ExportType.EXPORT_SYMBOL, ""));
    symbols.add(new KernelSymbol("netif_rx", Crc.of(0x22220000L), "vmlinux", ExportType.EXPORT_SYMBOL, ""));
    symbols.add(new KernelSymbol("gpl_thing", Crc.of(0x33330000L), "vmlinux", ExportType.EXPORT_SYMBOL_GPL, ""));
    symbols.add(new KernelSymbol("cxl_thing", Crc.of(0x44440000L), "vmlinux", ExportType.EXPORT_SYMBOL, "CXL"));
    symbols.add(new KernelSymbol("uio_register", Crc.of(0x55550000L), "uio", ExportType.EXPORT_SYMBOL, ""));
    Map<String, String> config = Map.of("X86_64", "y", "SMP", "y", "PREEMPT_BUILD", "y", "MODULE_UNLOAD", "y", "MODVERSIONS", "y");
    return KernelAbi.builder().release(release).config(new KernelConfig(config)).symbols(symbols).build();
  }

  static KoBuilder mod(String name) {
    return KoBuilder.module(name).vermagic(MAGIC).version("module_layout", 0x11110000L);
  }

  static List<ModuleVerdict> check(KernelAbi k, KoBuilder... modules) throws Exception {
    List<ModuleFile> files = new ArrayList<>();
    for (KoBuilder b : modules) {
      byte[] bytes = b.build();
      files.add(ModuleReader.parse(bytes.length + ".ko", bytes));
    }
    return new Checker(k).check("t", files).modules();
  }

  static ModuleVerdict one(KoBuilder b) throws Exception {
    return check(kernel(RELEASE), b).get(0);
  }

  @Test
  void aModuleThatLoadsSaysHowManySymbolsMatchAndItsFirstWarning() throws Exception {
    assertThat(ProblemWords.summary(one(mod("good").uses("netif_rx", 0x22220000L)))).isEqualTo("good: loads (2 symbols match)");
    assertThat(ProblemWords.summary(one(mod("nover").usesUnversioned("netif_rx").usesUnversioned("uio_register"))))
        .isEqualTo("nover: loads (3 symbols match); 2 warnings, first: nover: no symbol version for netif_rx");
  }

  @Test
  void aCrcMismatchCountsTheDifferingSymbolsNamesTheFirstAndSaysRebuildAgainstTheRelease() throws Exception {
    ModuleVerdict v = one(mod("old").uses("netif_rx", 0x99990000L).uses("uio_register", 0x1L).depends("uio"));
    assertThat(ProblemWords.summary(v)).isEqualTo("old: 2 of 3 symbols differ; first: netif_rx (module 0x99990000, kernel 0x22220000)");
    assertThat(ProblemWords.nextStep(v)).isEqualTo("rebuild the module against the headers of " + RELEASE + " (kmodkit rebuild), or keep it off this kernel");
    ModuleVerdict unnamed = check(kernel(null), mod("old").uses("netif_rx", 0x99990000L)).get(0);
    assertThat(ProblemWords.nextStep(unnamed)).contains("the headers of the target kernel (");
  }

  @Test
  void everyKindOfErrorHasItsPlaceInTheSummaryInTheLoadersOrder() throws Exception {
    ModuleVerdict v = one(KoBuilder.module("multi").vermagic("6.1.0-56-cloud-amd64 SMP mod_unload modversions ").license("Proprietary").version("module_layout", 0x1L)
        .uses("netif_rx", 0x9L).uses("gpl_thing", 0x33330000L).uses("cxl_thing", 0x44440000L).uses("nosuch", 0x1L).uses("nosuch2", 0x2L)
        .exports("netif_rx", 0x5L));
    assertThat(ProblemWords.summary(v)).isEqualTo("multi: module_layout differs (module 0x00000001, kernel 0x11110000)"
        + "; version magic '6.1.0-56-cloud-amd64 SMP mod_unload modversions' should be '6.1.0-56-cloud-amd64 SMP preempt mod_unload modversions'"
        + "; 2 of 6 symbols differ; first: netif_rx (module 0x00000009, kernel 0x22220000)"
        + "; 2 unknown symbols; first: nosuch"
        + "; uses GPL-only gpl_thing with licence 'Proprietary'"
        + "; uses cxl_thing from namespace CXL without importing it"
        + "; exports netif_rx, which the kernel already exports");
  }

  @Test
  void theNextStepFollowsTheFirstError() throws Exception {
    assertThat(ProblemWords.nextStep(one(mod("m").uses("cxl_thing", 0x44440000L)))).isEqualTo("add MODULE_IMPORT_NS(CXL) to the module source and rebuild");
    assertThat(ProblemWords.nextStep(one(mod("m").license("Proprietary").uses("gpl_thing", 0x33330000L)))).startsWith("the symbol is EXPORT_SYMBOL_GPL");
    assertThat(ProblemWords.nextStep(one(mod("m").exports("netif_rx", 0x5L))))
        .isEqualTo("the kernel now exports netif_rx itself: rebuild the driver against " + RELEASE + " so its compat layer drops it");
  }

  @Test
  void aModuleWhoseProviderCannotLoadNamesTheProviderAndWhatItTakesFromIt() throws Exception {
    List<ModuleVerdict> vs = check(kernel(RELEASE), mod("mlx5_core").exports("mlx5_cmd_exec", 0x1234L).uses("netif_rx", 0xbad0L),
        mod("mlx5_ib").uses("mlx5_cmd_exec", 0x1234L).depends("mlx5_core"), mod("rdma_user").depends("mlx5_ib"));
    assertThat(ProblemWords.summary(vs.get(1))).isEqualTo("mlx5_ib: needs mlx5_cmd_exec from mlx5_core, which cannot load");
    assertThat(ProblemWords.nextStep(vs.get(1))).isEqualTo("make mlx5_core loadable first (its own verdict says why), then re-check");
    assertThat(ProblemWords.summary(vs.get(2))).isEqualTo("rdma_user: depends on mlx5_ib, which cannot load");
  }
}
