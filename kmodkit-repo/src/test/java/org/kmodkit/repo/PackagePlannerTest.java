package org.kmodkit.repo;

import org.kmodkit.formats.PackageSpec;
import org.kmodkit.formats.PayloadFile;
import org.kmodkit.formats.Relation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.kmodkit.core.BadInputException;
import org.kmodkit.testkit.KoBuilder;

class PackagePlannerTest {
  @TempDir Path dir;

  private Path tree() throws Exception {
    for (String rel : List.of("6.1.0-9-amd64", "6.1.0-10-amd64")) {
      Path extra = Files.createDirectories(dir.resolve(rel).resolve("extra/acme"));
      long crc = rel.startsWith("6.1.0-9") ? 0x11111111L : 0x22222222L;
      KoBuilder.module("acme_core").vermagic(rel + " SMP mod_unload modversions ")
          .uses("module_layout", 0x0badf00dL).uses("kmalloc_trace", crc).exports("acme_register", 0xabcdef01L).writeTo(extra);
      KoBuilder.module("acme_eth").vermagic(rel + " SMP mod_unload modversions ")
          .uses("module_layout", 0x0badf00dL).uses("acme_register", 0xabcdef01L).uses("netif_rx", 0x33333333L).writeTo(extra);
    }
    Files.writeString(dir.resolve("report.json"), "{}");
    return dir;
  }

  private static PackagePlanner.Request request(String version, boolean kmp) {
    return new PackagePlanner.Request("acme", version, null, kmp, null, "ACME", 1_700_000_000L);
  }

  @Test
  void eachKernelGetsAKmodThatRequiresTheKernelSymbolsItWasBuiltAgainstAndNotItsOwn() throws Exception {
    List<PackageSpec> rpms = PackagePlanner.scan(request("2.4-1", false), tree()).rpm();
    assertThat(rpms).extracting(PackageSpec::nevra).containsExactly(
        "kmod-acme-6.1.0-9-amd64-2.4-1.x86_64", "kmod-acme-6.1.0-10-amd64-2.4-1.x86_64", "acme-kernel-only-2.4-1.x86_64");
    PackageSpec nine = rpms.get(0);
    assertThat(nine.requires()).extracting(Relation::rpmString).containsExactly(
        "kernel(kmalloc_trace) = 0x11111111", "kernel(module_layout) = 0x0badf00d", "kernel(netif_rx) = 0x33333333");
    assertThat(nine.provides()).extracting(Relation::rpmString).containsExactly(
        "kmod(acme_core.ko)", "kmod(acme_eth.ko)", "kernel(acme_register) = 0xabcdef01");
    assertThat(nine.files()).extracting(PayloadFile::path).containsExactly(
        "/lib/modules/6.1.0-9-amd64/extra/acme/acme_core.ko", "/lib/modules/6.1.0-9-amd64/extra/acme/acme_eth.ko");
    assertThat(nine.scripts().post()).contains("depmod -a 6.1.0-9-amd64", "--add-modules", "/lib/modules/6.1.0-9-amd64/extra/acme/acme_eth.ko");
    assertThat(nine.scripts().postun()).startsWith("if [ \"$1\" = 0 ]; then").contains("--remove-modules");
    assertThat(rpms.get(2).requires()).extracting(Relation::rpmString).containsExactly("kmod(acme_core.ko)", "kmod(acme_eth.ko)");
  }

  @Test
  void aKmpIsOnePackageForTheOldestKernelAndKernelOnlyPinsItsVersion() throws Exception {
    List<PackageSpec> rpms = PackagePlanner.scan(request("2.4", true), tree()).rpm();
    assertThat(rpms).extracting(PackageSpec::nevra).containsExactly("kmod-acme-2.4-1.x86_64", "acme-kernel-only-2.4-1.x86_64");
    assertThat(rpms.get(0).files()).allMatch(f -> f.path().startsWith("/lib/modules/6.1.0-9-amd64/"));
    assertThat(rpms.get(1).requires()).extracting(Relation::rpmString).containsExactly("kmod-acme = 2.4-1");
  }

  @Test
  void debianPackagesDependOnTheirKernelImageAndKernelOnlyOnAnyOfThem() throws Exception {
    List<PackageSpec> debs = PackagePlanner.scan(request("2.4", false), tree()).deb();
    assertThat(debs).extracting(PackageSpec::name).containsExactly("acme-modules-6.1.0-9-amd64", "acme-modules-6.1.0-10-amd64", "acme-kernel-only");
    assertThat(debs.get(0).requires()).extracting(Relation::debString).containsExactly("linux-image-6.1.0-9-amd64");
    assertThat(debs.get(2).requires()).extracting(Relation::debString).containsExactly("acme-modules-6.1.0-9-amd64|acme-modules-6.1.0-10-amd64");
    assertThat(debs.get(0).scripts().post()).startsWith("if [ \"$1\" = configure ]; then");
  }

  @Test
  void aVersionRpmWouldRefuseIsRefusedWithTheSplitToUse() throws Exception {
    assertThatThrownBy(() -> PackagePlanner.scan(request("5.9-0.5.6-1", false), tree()))
        .isInstanceOf(BadInputException.class).hasMessageContaining("rpm refuses a Version with '-'").hasMessageContaining("--version 5.9 --release 0.5.6.1");
    assertThat(PackagePlanner.versionRelease("5.9-0.5", null)).containsExactly("5.9", "0.5");
    assertThat(PackagePlanner.versionRelease("5.9", null)).containsExactly("5.9", "1");
  }

  @Test
  void aDirectoryWithoutModulesIsNamed() throws Exception {
    Files.createDirectories(dir.resolve("6.1.0-9-amd64/extra"));
    assertThatThrownBy(() -> PackagePlanner.scan(request("1.0", false), dir))
        .isInstanceOf(BadInputException.class).hasMessageStartingWith(dir + ": holds no <release>");
    assertThatThrownBy(() -> PackagePlanner.scan(request("1.0", false), dir.resolve("nope")))
        .isInstanceOf(BadInputException.class).hasMessageContaining("not a directory");
  }

  @Test
  void releasesSortAsVersionsNotAsText() {
    assertThat(PackagePlanner.compareReleases("6.1.0-9-amd64", "6.1.0-10-amd64")).isNegative();
    assertThat(PackagePlanner.compareReleases("6.1.0-56-cloud-amd64", "6.1.0-53-cloud-amd64")).isPositive();
  }
}
