package org.kmodkit.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * Packages read in-process, made by the real packagers: RHEL-style kernel-devel and kernel-core
 * RPMs built with rpmbuild from corpus kernel 56 (Module.symvers, symvers.gz, config, vmlinuz,
 * xz-compressed modules), Debian packages from the corpus, and driver packages (.rpm and .deb)
 * holding modules built for 53. rpm -qlp and dpkg-deb -c are the referees for what the packages
 * hold; the verdicts must equal those given with the plain Module.symvers.
 */
class PackagesIT {
  static final String K = Corpus.release(56);

  static Path rpmbuild(Path top, String spec) throws IOException {
    Files.createDirectories(top.resolve("SPECS"));
    Path s = top.resolve("SPECS/pkg.spec");
    Files.writeString(s, spec);
    Proc.check(top, 600, "rpmbuild", "--define", "_topdir " + top, "--define", "_build_id_links none", "-bb", s.toString());
    try (var files = Files.walk(top.resolve("RPMS"))) {
      return files.filter(p -> p.toString().endsWith(".rpm")).findFirst().orElseThrow();
    }
  }

  static String spec(String name, String files, String install) {
    return "%global debug_package %{nil}\n%global __os_install_post %{nil}\n%define _source_payload w9.xzdio\n%define _binary_payload w9.xzdio\n"
        + "Name: " + name + "\nVersion: 6.1.0\nRelease: 56\nSummary: test\nLicense: GPL-2.0\nBuildArch: x86_64\n"
        + "%description\ntest package\n%install\n" + install + "\n%files\n" + files + "\n";
  }

  static Map<String, String> verdicts(Kmodkit.Run run) {
    Map<String, String> out = new TreeMap<>();
    for (JsonNode set : run.json().get("sets")) {
      for (JsonNode m : set.get("modules")) {
        StringBuilder sb = new StringBuilder(m.get("loads").asText());
        m.get("problems").forEach(p -> sb.append(' ').append(p.get("kind").asText()).append(':').append(p.get("symbol").asText()));
        out.put(m.get("name").asText(), sb.toString());
      }
    }
    return out;
  }

  @Test
  void rhelStyleKernelRpmsReadWithoutInstallingJudgeAsModuleSymversDoes() throws IOException {
    Path work = Corpus.work().resolve("rpms");
    Proc.run(Corpus.work(), 60, "rm", "-rf", work.toString());
    Path src = work.resolve("src");
    Files.createDirectories(src);
    Path tree = Corpus.modules(56);
    String devel = spec("kernel-devel", "/usr/src/kernels/" + K,
        "mkdir -p %{buildroot}/usr/src/kernels/" + K + " && cp " + Corpus.symvers(56) + " " + Corpus.symvers(56).getParent().resolve(".config") + " %{buildroot}/usr/src/kernels/" + K + "/");
    Path develRpm = rpmbuild(work.resolve("devel"), devel);
    // kernel-core: vmlinuz, symvers.gz and config in /lib/modules/<k>, the uio and mlx stacks as .ko.xz
    String core = spec("kernel-core", "/lib/modules/" + K,
        "d=%{buildroot}/lib/modules/" + K + " && mkdir -p $d/kernel && cp " + Corpus.root(56).resolve("boot/vmlinuz-" + K) + " $d/vmlinuz"
            + " && gzip -9c " + Corpus.symvers(56) + " > $d/symvers.gz && cp " + Corpus.root(56).resolve("boot/config-" + K) + " $d/config"
            + " && (cd " + tree + " && find kernel/drivers/uio kernel/drivers/net/ethernet/mellanox kernel/drivers/infiniband/core -name '*.ko' | cpio -pdm $d 2>/dev/null)"
            + " && find $d -name '*.ko' -exec xz -9 {} +");
    Path coreRpm = rpmbuild(work.resolve("core"), core);
    String listing = Proc.check(work, 60, "rpm", "-qlp", coreRpm.toString()).out();
    assertThat(listing).contains("/lib/modules/" + K + "/vmlinuz").contains("mlx5_core.ko.xz");

    String modules = Corpus.modules(53).resolve("kernel/drivers").toString();
    Kmodkit.Run bySymvers = Kmodkit.run("check", "--json", "--kernel", Corpus.symvers(56).toString(), modules);
    for (List<Path> kernel : List.of(List.of(develRpm), List.of(coreRpm), List.of(develRpm, coreRpm))) {
      String[] args = new String[kernel.size() * 2 + 3];
      args[0] = "check";
      args[1] = "--json";
      int i = 2;
      for (Path p : kernel) {
        args[i++] = "--kernel";
        args[i++] = p.toString();
      }
      args[i] = modules;
      Kmodkit.Run byRpm = Kmodkit.run(args);
      assertThat(byRpm.err()).as(kernel.toString()).isEmpty();
      assertThat(byRpm.json().get("kernel").get("release").asText()).isEqualTo(K);
      assertThat(verdicts(byRpm)).as(kernel.toString()).isEqualTo(verdicts(bySymvers));
    }
    Kmodkit.Run both = Kmodkit.run("check", "--json", "--kernel", develRpm.toString(), "--kernel", coreRpm.toString(), modules);
    assertThat(both.json().get("kernel").get("sources").toString()).contains("cross-checked: identical to symvers");
  }

  @Test
  void driverPackagesAreModuleSetsReadStraightFromThePackage() throws IOException {
    Path work = Corpus.work().resolve("driver-pkgs");
    Proc.run(Corpus.work(), 60, "rm", "-rf", work.toString());
    Path mlx = Corpus.modules(55).resolve("kernel/drivers/net/ethernet/mellanox/mlx5/core/mlx5_core.ko");
    Path fw = Corpus.modules(55).resolve("kernel/drivers/net/ethernet/mellanox/mlxfw/mlxfw.ko");
    String rpmSpec = spec("kmod-mlx5", "/lib/modules/" + Corpus.release(55) + "/extra/mlnx",
        "d=%{buildroot}/lib/modules/" + Corpus.release(55) + "/extra/mlnx && mkdir -p $d && cp " + mlx + " " + fw + " $d/");
    Path rpm = rpmbuild(work.resolve("rpm"), rpmSpec);
    Path debRoot = work.resolve("deb");
    Path extra = debRoot.resolve("lib/modules/" + Corpus.release(55) + "/updates/dkms");
    Files.createDirectories(extra);
    Files.copy(mlx, extra.resolve("mlx5_core.ko"));
    Files.copy(fw, extra.resolve("mlxfw.ko"));
    Files.createDirectories(debRoot.resolve("DEBIAN"));
    Files.writeString(debRoot.resolve("DEBIAN/control"), "Package: mlx5-driver\nVersion: 1.0\nArchitecture: amd64\nMaintainer: test <t@example.org>\nDescription: test\n");
    Path deb = work.resolve("mlx5-driver_1.0_amd64.deb");
    Proc.check(work, 120, "dpkg-deb", "--root-owner-group", "-Zxz", "--build", debRoot.toString(), deb.toString());
    assertThat(Proc.check(work, 60, "dpkg-deb", "-c", deb.toString()).out()).contains("mlx5_core.ko");
    for (Path pkg : List.of(rpm, deb)) {
      Kmodkit.Run on56 = Kmodkit.run("check", "--json", "--kernel", Corpus.symvers(56).toString(), pkg.toString());
      assertThat(on56.code()).as(on56.out()).isZero();
      JsonNode set = on56.json().get("sets").get(0);
      assertThat(set.get("name").asText()).isEqualTo(pkg.toString());
      assertThat(set.get("modules")).hasSize(2);
      Kmodkit.Run on54 = Kmodkit.run("check", "--json", "--kernel", Corpus.symvers(54).toString(), pkg.toString());
      assertThat(on54.code()).isEqualTo(1);
      assertThat(verdicts(on54).get("mlx5_core")).startsWith("false").contains("module_layout:module_layout");
    }
  }
}
