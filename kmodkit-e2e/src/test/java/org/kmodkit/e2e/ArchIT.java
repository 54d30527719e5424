package org.kmodkit.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * arm64 end to end on Debian's real packages (issue 11, items 5 and 6): every module of the kernel
 * loads against its own headers and packages — the vermagic derived from .config (`… aarch64`) is
 * the one its modules carry — and modules cross between arm64 and the amd64 corpus kernel only as
 * bad input, with the kernel's own words. All seven architectures: bench/arch-vermagic.sh.
 */
class ArchIT {
  static ForeignKernel arm64;

  @BeforeAll
  static void fetch() {
    arm64 = ForeignKernel.fetch("arm64", "cloud-arm64");
  }

  static Path aModule(Path modules, String name) throws Exception {
    try (Stream<Path> s = Files.walk(modules)) {
      return s.filter(p -> p.getFileName().toString().equals(name)).findFirst().orElseThrow();
    }
  }

  static void assertEveryModuleLoadsWithItsOwnVermagic(Kmodkit.Run run) {
    assertThat(run.code()).as(run.err()).isZero();
    JsonNode j = run.json();
    String kernelMagic = j.at("/kernel/vermagic").asText();
    assertThat(kernelMagic).isEqualTo(arm64.release() + " SMP mod_unload modversions aarch64");
    Set<String> magics = new TreeSet<>();
    int n = 0;
    for (JsonNode set : j.get("sets")) {
      for (JsonNode m : set.get("modules")) {
        assertThat(m.get("loads").asBoolean()).as(m.get("summary").asText()).isTrue();
        magics.add(m.get("vermagic").asText());
        n++;
      }
    }
    assertThat(n).isGreaterThan(500);
    assertThat(magics).containsExactly(kernelMagic);
  }

  @Test
  void everyArm64ModuleLoadsAgainstItsOwnHeadersDirectory() {
    Kmodkit.Run run = Kmodkit.run("check", "--json", "--kernel", arm64.headersDir().toString(), arm64.modules().resolve("kernel").toString());
    assertEveryModuleLoadsWithItsOwnVermagic(run);
    assertThat(run.json().at("/kernel/notes")).isEmpty();
  }

  @Test
  void everyArm64ModuleLoadsAgainstItsHeadersAndImagePackagesAndTheImageIsNotedAsNotCrossChecked() {
    Kmodkit.Run run = Kmodkit.run("check", "--json", "--kernel", arm64.headers().toString(), "--kernel", arm64.image().toString(), arm64.modules().resolve("kernel").toString());
    assertEveryModuleLoadsWithItsOwnVermagic(run);
    assertThat(run.json().at("/kernel/notes").toString()).contains("vmlinuz not cross-checked with the symvers").contains("is an arm64 Image");
  }

  @Test
  void modulesCrossBetweenArm64AndAmd64OnlyAsBadInputInTheKernelsWords() throws Exception {
    Path armModule = aModule(arm64.modules(), "nls_ascii.ko");
    Path amdHeaders = Corpus.root(56).resolve("usr/src/linux-headers-" + Corpus.release(56));
    Kmodkit.Run onAmd = Kmodkit.run("check", "--kernel", amdHeaders.toString(), armModule.toString());
    assertThat(onAmd.code()).isEqualTo(2);
    assertThat(onAmd.err()).contains(armModule + ": is built for aarch64 (ELF64, little endian) but the kernel " + Corpus.release(56) + " is x86_64")
        .contains("Invalid architecture in ELF header: 183");
    Path amdModule = aModule(Corpus.modules(56), "nls_ascii.ko");
    Kmodkit.Run onArm = Kmodkit.run("check", "--kernel", arm64.headers().toString(), amdModule.toString());
    assertThat(onArm.code()).isEqualTo(2);
    assertThat(onArm.err()).contains("is built for x86_64 (ELF64, little endian) but the kernel " + arm64.release() + " is aarch64").contains("Invalid architecture in ELF header: 62");
  }
}
