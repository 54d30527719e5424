package org.kmodkit.core.check;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.kmodkit.core.BadInputException;
import org.kmodkit.core.abi.KernelAbi;
import org.kmodkit.core.elf.ModuleFile;
import org.kmodkit.core.elf.ModuleReader;
import org.kmodkit.core.tree.KernelAbiLoader;

/**
 * Every architecture Debian bookworm ships, from its real packages (fixtures/arch-fixtures.sh):
 * the kernel's own nls_ascii.ko against its headers directory (real .config lines, real CRCs).
 * The vermagic derived from .config must be the one the kernel's build gave its modules.
 */
class RealArchTest {
  static final List<String> ARCHS = List.of("amd64", "arm64", "armhf", "i386", "mips64el", "ppc64el", "s390x");

  static Path arch(String a) throws Exception {
    return Path.of(RealArchTest.class.getResource("/real/arch").toURI()).resolve(a);
  }

  @Test
  void everyArchitecturesOwnModuleLoadsAgainstItsOwnHeadersWithTheDerivedVermagic() throws Exception {
    for (String a : ARCHS) {
      KernelAbi kernel = KernelAbiLoader.load(arch(a).resolve("headers"));
      ModuleFile m = ModuleReader.read(arch(a).resolve("nls_ascii.ko"));
      assertThat(kernel.vermagic()).as(a).isEqualTo(m.vermagic());
      assertThat(kernel.arch()).as(a).isEqualTo(m.arch());
      assertThat(kernel.notes()).as(a).isEmpty();
      Checker.requireSameArch(m, kernel);
      ModuleVerdict v = new Checker(kernel).check(a, List.of(m)).modules().get(0);
      assertThat(v.loads()).as(a + ": " + v.problems()).isTrue();
      assertThat(v.problems()).as(a).isEmpty();
    }
  }

  @Test
  void aModuleOfEveryOtherArchitectureIsRefusedAsTheKernelRefusesIt() throws Exception {
    for (String k : ARCHS) {
      KernelAbi kernel = KernelAbiLoader.load(arch(k).resolve("headers/Module.symvers"));
      for (String a : ARCHS) {
        ModuleFile m = ModuleReader.read(arch(a).resolve("nls_ascii.ko"));
        if (!a.equals(k)) {
          assertThatThrownBy(() -> Checker.requireSameArch(m, kernel)).as(a + " on " + k).isInstanceOf(BadInputException.class)
              .hasMessageContaining("Invalid architecture in ELF header: " + m.arch().machine());
        }
      }
    }
  }
}
