package org.kmodkit.cli.input;

import org.kmodkit.testkit.ArchivesForTests;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.kmodkit.core.BadInputException;
import org.kmodkit.core.EnvironmentException;
import org.kmodkit.core.build.KernelTarget;

/** --kernel linux-headers-R_….deb alone, as users have it: its -common and kbuild siblings come from its folder (or apt). */
class HeadersSiblingsTest {
  static final String R = "6.1.0-56-cloud-amd64";
  static final String COMMON = "linux-headers-6.1.0-56-common";
  static final String DEPENDS = COMMON + " (= 6.1.192-2), linux-kbuild-6.1 (>= 6.1.192-2), linux-compiler-gcc-12-x86 (>= 6.1.192-2)";

  @TempDir Path tmp;
  final List<String> said = new ArrayList<>();

  Path dir() throws Exception {
    return Files.createDirectories(tmp.resolve("debs"));
  }

  /** The flavour package as Debian ships it: its Makefile includes -common's, its scripts are kbuild's. */
  Path flavour(Path dir) throws Exception {
    return flavour(dir, R);
  }

  Path flavour(Path dir, String r) throws Exception {
    return new ArchivesForTests().control("Package: linux-headers-" + r + "\nVersion: 6.1.192-2\nArchitecture: amd64\nDepends: " + DEPENDS + "\n")
        .file("./usr/src/linux-headers-" + r + "/Makefile", "include /usr/src/" + COMMON + "/Makefile\n")
        .file("./usr/src/linux-headers-" + r + "/Module.symvers", "0x92997ed8\t_printk\tvmlinux\tEXPORT_SYMBOL\t\n")
        .file("./usr/src/linux-headers-" + r + "/include/generated/utsrelease.h", "#define UTS_RELEASE \"" + r + "\"\n")
        .symlink("./usr/src/linux-headers-" + r + "/scripts", "../../lib/linux-kbuild-6.1/scripts")
        .writeDeb(dir.resolve("linux-headers-" + r + "_6.1.192-2_amd64.deb"));
  }

  static Path common(Path dir, String version) throws Exception {
    return new ArchivesForTests().control("Package: " + COMMON + "\nVersion: " + version + "\nArchitecture: all\n")
        .file("./usr/src/" + COMMON + "/Makefile", "# common " + version + "\n")
        .writeDeb(dir.resolve(COMMON + "_" + version + "_all.deb"));
  }

  static Path kbuild(Path dir, String version) throws Exception {
    return new ArchivesForTests().control("Package: linux-kbuild-6.1\nVersion: " + version + "\nArchitecture: amd64\nDepends: libc6 (>= 2.34), libelf1 (>= 0.142)\n")
        .executable("./usr/lib/linux-kbuild-6.1/scripts/mod/modpost", "#!/bin/sh\n# " + version + "\n")
        .writeDeb(dir.resolve("linux-kbuild-6.1_" + version + "_amd64.deb"));
  }

  /** An apt that serves -common and kbuild in these versions, noting what it was asked for. */
  static KernelInputs.Download apt(List<String> asked, String commonVersion, String kbuildVersion) {
    return (requests, into) -> {
      asked.addAll(requests);
      try {
        Files.createDirectories(into);
        common(into, commonVersion);
        kbuild(into, kbuildVersion);
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    };
  }

  /** One run's cache, closed with the run as a command closes it: two open Caches of one root in one JVM wait on each other's lock. */
  List<KernelTarget> kernels(KernelInputs.Download download, Path... debs) throws Exception {
    try (org.kmodkit.core.cache.Cache cache = new org.kmodkit.core.cache.Cache(tmp.resolve("cache"))) {
      return new KernelInputs(cache, download, said::add).kernels(KernelSpec.parse(List.of(debs).stream().map(Path::toString).toList(), null));
    }
  }

  @Test
  void aFlavourHeadersDebAloneTakesTheCommonAndKbuildPackagesItsDependsNameFromItsFolder() throws Exception {
    Path dir = dir();
    Path headers = flavour(dir);
    Path common = common(dir, "6.1.192-2");
    common(dir, "6.1.192-1"); // another ABI build of -common: the = relation takes only 6.1.192-2
    kbuild(dir, "6.1.187-1");
    Path kbuild = kbuild(dir, "6.1.192-3"); // >= takes the newest
    List<KernelTarget> k = kernels(null, headers);
    assertThat(k).hasSize(1);
    assertThat(k.get(0).release()).isEqualTo(R);
    assertThat(Files.readString(k.get(0).buildDir().resolve("Makefile"))).contains("include " + tmp.resolve("cache").toRealPath()).contains("/usr/src/" + COMMON + "/Makefile");
    assertThat(k.get(0).buildDir().resolve("scripts/mod/modpost")).content().contains("6.1.192-3");
    assertThat(said).containsExactly(
        "kmodkit: " + headers.getFileName() + " needs " + COMMON + " (= 6.1.192-2): taking " + common,
        "kmodkit: " + headers.getFileName() + " needs linux-kbuild-6.1 (>= 6.1.192-2): taking " + kbuild);
  }

  @Test
  void siblingsNamedOnTheCommandLineAreUsedAndNothingIsLookedFor() throws Exception {
    Path dir = dir();
    Path elsewhere = Files.createDirectories(tmp.resolve("elsewhere"));
    List<KernelTarget> k = kernels(null, flavour(dir), common(elsewhere, "6.1.192-2"), kbuild(elsewhere, "6.1.192-2"));
    assertThat(k).extracting(KernelTarget::release).containsExactly(R);
    assertThat(said).isEmpty();
  }

  @Test
  void aSiblingNamedOnTheCommandLineInAVersionTheRelationRefusesIsNamedNotUnpackedBesideANewerOne() throws Exception {
    Path dir = dir();
    Path headers = flavour(dir);
    Path old = kbuild(Files.createDirectories(tmp.resolve("old")), "6.1.187-1");
    common(dir, "6.1.192-2");
    kbuild(dir, "6.1.192-2");
    assertThatThrownBy(() -> kernels(null, headers, old)).isInstanceOf(BadInputException.class)
        .hasMessage(old + ": is version 6.1.187-1, but " + headers.getFileName() + " needs linux-kbuild-6.1 (>= 6.1.192-2); pass the matching package instead");
  }

  @Test
  void aSiblingOfTooOldAVersionIsNotUsedAndTheRefusalNamesItAndBothRemedies() throws Exception {
    Path dir = dir();
    Path headers = flavour(dir);
    common(dir, "6.1.192-2");
    kbuild(dir, "6.1.187-1");
    assertThatThrownBy(() -> kernels(null, headers)).isInstanceOf(BadInputException.class)
        .hasMessage(headers + ": needs linux-kbuild-6.1 (>= 6.1.192-2) (linux-kbuild-6.1_6.1.187-1_amd64.deb is 6.1.187-1), not found beside it in " + dir
            + "; put the package there, or fetch it: apt-get download linux-kbuild-6.1 (--download runs that for you)");
    assertThat(tmp.resolve("cache/kernels")).as("nothing unpacked").doesNotExist();
    assertThat(said).as("-common was found, but the refusal is the one line said").isEmpty();
  }

  @Test
  void missingSiblingsAreNamedWithTheExactAptGetCommand() throws Exception {
    Path headers = flavour(dir());
    assertThatThrownBy(() -> kernels(null, headers)).isInstanceOf(BadInputException.class)
        .hasMessage(headers + ": needs " + COMMON + " (= 6.1.192-2) and linux-kbuild-6.1 (>= 6.1.192-2), not found beside it in " + dir()
            + "; put the packages there, or fetch them: apt-get download " + COMMON + "=6.1.192-2 linux-kbuild-6.1 (--download runs that for you)");
  }

  @Test
  void twoFlavoursLackingTheSameSiblingsNameThemOnce() throws Exception {
    Path headers = flavour(dir());
    Path rt = flavour(dir(), "6.1.0-56-rt-amd64");
    assertThatThrownBy(() -> kernels(null, headers, rt)).isInstanceOf(BadInputException.class)
        .hasMessageStartingWith(headers + ": needs " + COMMON + " (= 6.1.192-2) and linux-kbuild-6.1 (>= 6.1.192-2), not found")
        .hasMessageEndingWith("apt-get download " + COMMON + "=6.1.192-2 linux-kbuild-6.1 (--download runs that for you)");
    List<String> asked = new ArrayList<>();
    assertThat(kernels(apt(asked, "6.1.192-2", "6.1.192-2"), headers, rt)).extracting(KernelTarget::release).containsExactly("6.1.0-56-cloud-amd64", "6.1.0-56-rt-amd64");
    assertThat(asked).as("one download for both").containsExactly(COMMON + "=6.1.192-2", "linux-kbuild-6.1");
  }

  @Test
  void withDownloadTheMissingSiblingsAreFetchedIntoTheCacheAndUsed() throws Exception {
    Path headers = flavour(dir());
    List<String> asked = new ArrayList<>();
    List<KernelTarget> k = kernels(apt(asked, "6.1.192-2", "6.1.192-2"), headers);
    assertThat(asked).containsExactly(COMMON + "=6.1.192-2", "linux-kbuild-6.1");
    assertThat(k).extracting(KernelTarget::release).containsExactly(R);
    Path debs = tmp.resolve("cache").toAbsolutePath().resolve("debs");
    assertThat(said).containsExactly("kmodkit: running apt-get download " + COMMON + "=6.1.192-2 linux-kbuild-6.1 in " + debs,
        "kmodkit: " + headers.getFileName() + " needs " + COMMON + " (= 6.1.192-2): taking " + debs.resolve(COMMON + "_6.1.192-2_all.deb"),
        "kmodkit: " + headers.getFileName() + " needs linux-kbuild-6.1 (>= 6.1.192-2): taking " + debs.resolve("linux-kbuild-6.1_6.1.192-2_amd64.deb"));
    said.clear();
    assertThat(kernels(null, headers)).as("a later run finds the downloads without --download").hasSize(1);
    assertThat(said).hasSize(2).noneMatch(s -> s.contains("running apt-get"));
  }

  @Test
  void aDownloadThatBringsTooOldAPackageEndsInTheRefusalNamingIt() throws Exception {
    Path headers = flavour(dir());
    assertThatThrownBy(() -> kernels(apt(new ArrayList<>(), "6.1.192-2", "6.1.190-1"), headers)).isInstanceOf(BadInputException.class).hasMessageContaining("linux-kbuild-6.1_6.1.190-1_amd64.deb is 6.1.190-1")
        .hasMessageContaining("still missing after apt-get download linux-kbuild-6.1");
  }

  @Test
  void theRealAptGetFailingIsAnEnvironmentErrorNamingTheCommand() throws Exception {
    Path headers = flavour(dir());
    KernelInputs.Download failing = KernelInputs.aptGet(spec -> {
      Files.writeString(spec.log(), "E: Unable to locate package " + COMMON + "\n");
      assertThat(spec.argv()).containsExactly("apt-get", "download", COMMON + "=6.1.192-2", "linux-kbuild-6.1");
      return new org.kmodkit.core.host.ProcessRunner.Result(100, false, java.time.Duration.ZERO);
    });
    assertThatThrownBy(() -> kernels(failing, headers)).isInstanceOf(EnvironmentException.class)
        .hasMessageStartingWith("apt-get download " + COMMON + "=6.1.192-2 linux-kbuild-6.1 failed (exit 100; E: Unable to locate package " + COMMON + ")");
  }
}
