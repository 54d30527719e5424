package org.kmodkit.cli.input;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.kmodkit.core.BadInputException;
import org.kmodkit.core.tree.Sysroot;

/** One --kernel grammar (docs/commands.md, "KERNEL"): each form, in its order, and what a form cannot answer. */
class KernelSpecTest {
  @TempDir Path dir;

  @Test
  void eachArgumentIsAPackageAFileAReleaseUnderRootADirectoryOrAReleaseHereInThatOrder() throws Exception {
    Path deb = Files.writeString(dir.resolve("linux-image.deb"), "!<arch>\n");
    Path symvers = Files.writeString(dir.resolve("Module.symvers"), "0x1\tx\tvmlinux\tEXPORT_SYMBOL\t\n");
    Path headers = Files.createDirectories(dir.resolve("headers"));
    Path root = Files.createDirectories(dir.resolve("root"));
    List<KernelSpec> specs = KernelSpec.parse(List.of(deb.toString(), symvers.toString(), "6.1.0-56", headers.toString()), root);
    assertThat(specs).containsExactly(new KernelSpec.KernelFile(symvers, new Sysroot(root)), new KernelSpec.Release(new Sysroot(root), "6.1.0-56", true),
        new KernelSpec.HeadersDir(headers, headers.toString()), new KernelSpec.Packages(List.of(deb)));
    assertThat(KernelSpec.parse(List.of("6.1.0-56"), null)).containsExactly(new KernelSpec.Release(Sysroot.host(), "6.1.0-56", false));
    assertThatThrownBy(() -> KernelSpec.parse(List.of(dir.resolve("gone/vmlinuz").toString()), null)).isInstanceOf(BadInputException.class)
        .hasMessage(dir.resolve("gone/vmlinuz") + ": no such file or directory; pass a symvers file, a headers directory, a vmlinuz, kernel packages, or a release (with --root DIR)");
    assertThatThrownBy(() -> KernelSpec.parse(List.of("6.1.0-56"), dir.resolve("no-root"))).hasMessage(dir.resolve("no-root") + ": is not a directory; --root takes the root of a system image");
  }

  @Test
  void aCommandOfOneKernelTakesSeveralArgumentsOnlyAsItsPackages() throws Exception {
    Path symvers = Files.writeString(dir.resolve("Module.symvers"), "");
    assertThatThrownBy(() -> KernelSpec.one(List.of(symvers.toString(), "6.1.0-56"), null)).hasMessage(symvers + ", 6.1.0-56: several --kernel values must all be packages of one kernel");
  }

  @Test
  void aFormThatCannotAnswerSaysWhatToPassInstead() throws Exception {
    Path headers = Files.createDirectories(dir.resolve("headers"));
    assertThatThrownBy(() -> KernelSpec.one(List.of(headers.toString()), null).bootImage(dir.resolve("s")))
        .hasMessage(headers + ": is a directory, not a kernel image; pass a vmlinuz, the kernel's image package, or a release with --root DIR");
    Path symvers = Files.writeString(dir.resolve("Module.symvers"), "");
    assertThatThrownBy(() -> KernelSpec.one(List.of(symvers.toString()), null).buildTargets(null))
        .hasMessageStartingWith(symvers + ": is a file, not a kernel build tree; pass a headers directory");
    assertThatThrownBy(() -> KernelSpec.one(List.of("0.0.0-none"), null).bootImage(dir.resolve("s")))
        .hasMessage("0.0.0-none: is neither a file nor a kernel installed here (no /lib/modules/0.0.0-none); pass a vmlinuz, the kernel's image package, or a release with --root DIR");
  }
}
