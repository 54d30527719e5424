package org.kmodkit.core.check;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.groups.Tuple.tuple;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.kmodkit.core.abi.Crc;
import org.kmodkit.core.abi.ExportType;
import org.kmodkit.core.abi.KernelAbi;
import org.kmodkit.core.abi.KernelSymbol;
import org.kmodkit.core.elf.ModuleFile;
import org.kmodkit.core.elf.ModuleReader;
import org.kmodkit.core.tree.KernelAbiLoader;

/**
 * Real modules built from ../shared/recipes/hello and Debian's DKMS sources against the corpus
 * kernels (fixtures/build-real-fixtures.sh), judged against the corpus kernels' real CRCs
 * (fixtures/trim-symvers.sh). The expected verdicts are kmod depmod's on the same files.
 */
class RealModulesTest {
  static Path real(String p) throws Exception {
    return Path.of(RealModulesTest.class.getResource("/real").toURI()).resolve(p);
  }

  static KernelAbi kernel(int abi) throws Exception {
    return KernelAbiLoader.fromSymvers(real("symvers/symvers-6.1.0-" + abi + "-cloud-amd64"));
  }

  static List<String> differing(ModuleVerdict v) {
    return v.problems().stream().filter(p -> p instanceof Problem.CrcMismatch || p instanceof Problem.ModuleLayoutMismatch).map(Problem::symbol).sorted().toList();
  }

  static ModuleVerdict check(int abi, String... files) throws Exception {
    List<ModuleFile> set = new java.util.ArrayList<>();
    for (String f : files) {
      set.add(ModuleReader.read(real(f)));
    }
    return new Checker(kernel(abi)).check("set", set).modules().get(0);
  }

  @Test
  void helloBuiltFor53DisagreesOn54AboutNetifRxOnly() throws Exception {
    ModuleVerdict v = check(54, "6.1.0-53/hello.ko");
    assertThat(v.loads()).isFalse();
    assertThat(differing(v)).containsExactly("netif_rx");
    assertThat(v.differing()).isEqualTo(1);
    assertThat(v.symbols()).isEqualTo(8);
  }

  @Test
  void helloBuiltFor53DisagreesOn55And56AboutLayoutAndAllocators() throws Exception {
    for (int abi : new int[] {55, 56}) {
      assertThat(differing(check(abi, "6.1.0-53/hello.ko"))).containsExactly("kmalloc_caches", "kmalloc_trace", "module_layout", "netif_rx");
    }
    assertThat(check(53, "6.1.0-53/hello.ko").loads()).isTrue();
  }

  @Test
  void modulesBuiltFor56LoadOn55AndOn56() throws Exception {
    for (String ko : List.of("hello.ko", "hello_nonet.ko", "vpoll.ko", "acpi_call.ko", "igb_uio.ko")) {
      assertThat(check(56, "6.1.0-56/" + ko).loads()).as(ko).isTrue();
      assertThat(check(55, "6.1.0-56/" + ko).loads()).as(ko).isTrue();
    }
  }

  @Test
  void igbUioOn53DisagreesAboutTheKernelsUioModuleToo() throws Exception {
    ModuleVerdict v = check(53, "6.1.0-56/igb_uio.ko");
    List<Problem.CrcMismatch> fromUio = v.problems().stream().filter(p -> p instanceof Problem.CrcMismatch c && c.exporter().equals("uio")).map(p -> (Problem.CrcMismatch) p).toList();
    assertThat(fromUio).isNotEmpty();
    assertThat(v.needs()).contains("uio");
  }

  @Test
  void helloImportNeedsHelloExportInTheSameSet() throws Exception {
    KernelAbi k = kernel(56);
    ModuleFile exp = ModuleReader.read(real("6.1.0-56/hello_export.ko"));
    ModuleFile imp = ModuleReader.read(real("6.1.0-56/hello_import.ko"));
    assertThat(new Checker(k).check("both", List.of(exp, imp)).loads()).isTrue();
    ModuleVerdict alone = new Checker(k).check("alone", List.of(imp)).modules().get(0);
    assertThat(alone.errors()).extracting(Problem::kind).containsExactly("unknown_symbol", "unknown_symbol", "unknown_symbol");
    assertThat(alone.warnings()).extracting(Problem::kind).containsExactly("missing_dependency");
  }

  @Test
  void exportsReadFromTheModuleEqualWhatModpostWroteToModuleSymvers() throws Exception {
    ModuleFile exp = ModuleReader.read(real("6.1.0-56/hello_export.ko"));
    Map<String, KernelSymbol> modpost = KernelAbiLoader.fromSymvers(real("6.1.0-56/symvers/hello_export.Module.symvers")).moduleSymbols();
    assertThat(exp.exports()).hasSize(modpost.size());
    for (KernelSymbol s : exp.exports()) {
      assertThat(s).isEqualTo(modpost.get(s.name()));
    }
    assertThat(exp.exports()).extracting(KernelSymbol::name, KernelSymbol::type, KernelSymbol::namespace)
        .contains(tuple("kmodkit_ns_add", ExportType.EXPORT_SYMBOL_GPL, "KMODKIT_TEST"), tuple("kmodkit_plain_add", ExportType.EXPORT_SYMBOL, ""));
    ModuleFile imp = ModuleReader.read(real("6.1.0-56/hello_import.ko"));
    assertThat(imp.modinfo().importedNamespaces()).containsExactly("KMODKIT_TEST");
  }

  @Test
  void debianSignedModulesShowTheirSignerAsModinfoDoes() throws Exception {
    // modinfo (kmod 30) on these files prints: signer, sig_key, sig_hashalgo as asserted here
    for (String ko : List.of("crc7.ko", "crc-itu-t.ko", "uio.ko")) {
      ModuleFile m = ModuleReader.read(real("debian-6.1.0-56/" + ko));
      assertThat(m.signature()).as(ko).isPresent();
      assertThat(m.signature().get().signer()).isEqualTo("Build time autogenerated kernel key");
      assertThat(m.signature().get().keyId()).isEqualTo("1B:A0:DB:9D:B0:17:06:9F:06:2A:9E:8A:EB:3E:70:8E:9B:E8:94:C4");
      assertThat(m.signature().get().hashAlgorithm()).isEqualTo("sha256");
    }
    ModuleFile uio = ModuleReader.read(real("debian-6.1.0-56/uio.ko"));
    Map<String, Crc> exported = uio.exports().stream().collect(Collectors.toMap(KernelSymbol::name, KernelSymbol::crc));
    Map<String, KernelSymbol> symvers = kernel(56).moduleSymbols();
    assertThat(exported).isNotEmpty();
    exported.forEach((name, crc) -> {
      if (symvers.containsKey(name)) {
        assertThat(crc).as(name).isEqualTo(symvers.get(name).crc());
      }
    });
  }
}
