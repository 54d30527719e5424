package org.kmodkit.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * add-kernel-support on a vendor bundle laid out as MLNX_OFED ships one, without a manifest:
 * DEBS/ with the corpus's vpoll-dkms and a binary package, RPMS/ with a binary RPM, SRPMS/ with the
 * hello kmod SRPM made by the real rpmbuild (SrpmRebuildIT's), docs/, and src/MLNX_OFED_SRC-….tgz
 * holding another copy of vpoll-dkms. The real build for corpus kernel 56 from its headers packages
 * (make through dkms.conf for vpoll, rpmbuild for hello); referee: kmodkit check on the modules.
 */
class VendorBundleIT {
  static final String NAME = "MLNX_OFED_LINUX-5.8-1.0.1.1-debian12-x86_64";
  static final String RELEASE = Corpus.release(56);
  static Path ext;
  static Kmodkit.Run run;

  @BeforeAll
  static void anMlnxLikeBundleRebuiltFor56() throws Exception {
    Path work = Corpus.work().resolve("vendor-bundle");
    Proc.run(Corpus.work(), 120, "rm", "-rf", work.toString());
    Path b = Files.createDirectories(work.resolve(NAME));
    Path vpoll = Corpus.deb("vpoll-dkms_");
    Files.createDirectories(b.resolve("DEBS"));
    Files.copy(vpoll, b.resolve("DEBS").resolve(vpoll.getFileName()));
    Files.writeString(b.resolve("DEBS/mlnx-tools_5.8-1_amd64.deb"), "!<arch>\n"); // a binary package: skipped by its name, never read
    Files.createDirectories(b.resolve("SRPMS"));
    Path srpm = SrpmRebuildIT.srpm("hello", Corpus.repo().resolve("fixtures/src/hello"));
    Files.copy(srpm, b.resolve("SRPMS").resolve(srpm.getFileName()));
    Files.createDirectories(b.resolve("RPMS"));
    Files.copy(binaryRpm(work), b.resolve("RPMS/mlnx-tools-5.8-1.noarch.rpm"));
    Files.createDirectories(b.resolve("docs"));
    Files.writeString(b.resolve("docs/README.txt"), "MLNX_OFED-like test bundle\n");
    Path src = Files.createDirectories(work.resolve("MLNX_OFED_SRC-5.8-1.0.1.1/DEBS"));
    Files.copy(vpoll, src.resolve(vpoll.getFileName()));
    Files.createDirectories(b.resolve("src"));
    Proc.check(work, 60, "tar", "czf", b.resolve("src/MLNX_OFED_SRC-5.8-1.0.1.1.tgz").toString(), "-C", work.toString(), "MLNX_OFED_SRC-5.8-1.0.1.1");
    Path tmp = Files.createDirectories(work.resolve("tmp"));
    run = Kmodkit.run("add-kernel-support", "--json", "--bundle", b.toString(),
        "--kernel", Corpus.headers(56).toString(), "--kernel", Corpus.headersCommon(56).toString(), "--kernel", Corpus.deb("linux-kbuild-6.1_").toString(),
        "--skip-repo", "--tmpdir", tmp.toString(), "-j", "2");
    ext = tmp.resolve(NAME + "-ext");
  }

  /** A noarch binary RPM made by the real rpmbuild -bb: what RPMS/ holds and the search must skip. */
  static Path binaryRpm(Path work) throws Exception {
    Path top = Files.createDirectories(work.resolve("rpmbuild"));
    Path spec = Files.writeString(top.resolve("mlnx-tools.spec"), """
        Name: mlnx-tools
        Version: 5.8
        Release: 1
        Summary: user-space tools
        License: GPL-2.0
        BuildArch: noarch
        %description
        tools
        %install
        mkdir -p %{buildroot}/usr/share/mlnx-tools
        echo tools > %{buildroot}/usr/share/mlnx-tools/README
        %files
        /usr/share/mlnx-tools/README
        """);
    Proc.check(top, 120, "rpmbuild", "--define", "_topdir " + top, "-bb", spec.toString());
    return top.resolve("RPMS/noarch/mlnx-tools-5.8-1.noarch.rpm");
  }

  @Test
  void theSearchFindsTheDkmsDebAndTheKmodSrpmAndNamesWhatItSkipped() {
    assertThat(run.code()).as(run.err()).isZero();
    JsonNode j = run.json();
    assertThat(j.get("bundle").asText()).isEqualTo("MLNX_OFED_LINUX");
    assertThat(j.get("bundle_version").asText()).isEqualTo("5.8-1.0.1.1");
    assertThat(j.get("bundle_found")).extracting(f -> f.get("where").asText() + " " + f.get("kind").asText() + " " + f.get("driver").asText())
        .containsExactly("DEBS/vpoll-dkms_0.1-3_all.deb dkms-deb vpoll", "SRPMS/hello-kmod-1.0-1.src.rpm srpm hello");
    assertThat(j.get("bundle_skipped")).extracting(f -> f.get("where").asText() + ": " + f.get("why").asText()).containsExactly(
        "DEBS/mlnx-tools_5.8-1_amd64.deb: binary package (not *-dkms): nothing to rebuild",
        "RPMS/mlnx-tools-5.8-1.noarch.rpm: binary RPM (built from mlnx-tools-5.8-1.src.rpm): its source RPM is what is rebuilt",
        "docs/: no driver source in it (1 file: documents, scripts, data)",
        "src/MLNX_OFED_SRC-5.8-1.0.1.1.tgz!/MLNX_OFED_SRC-5.8-1.0.1.1/DEBS/vpoll-dkms_0.1-3_all.deb: the same driver 'vpoll' as DEBS/vpoll-dkms_0.1-3_all.deb (*-dkms .deb), "
            + "which is preferred: a DKMS tree, then a *-dkms .deb, a tarball, a source RPM; then the fewest archives deep");
  }

  @Test
  void bothDriversAreBuiltFor56AndTheirModulesLoadThere() {
    assertThat(run.code()).as(run.err()).isZero();
    JsonNode j = run.json();
    assertThat(j.get("builds")).extracting(b -> b.get("status").asText()).containsOnly("built").hasSize(2);
    assertThat(ext.resolve(RELEASE + "/extra/vpoll/vpoll.ko")).isRegularFile();
    assertThat(ext.resolve(RELEASE + "/extra/hello-kmod/hello.ko")).isRegularFile();
    Kmodkit.Run c = Kmodkit.run("check", "--kernel", Corpus.symvers(56).toString(), ext.resolve(RELEASE + "/extra").toString());
    assertThat(c.code()).as(c.out() + c.err()).isZero();
    assertThat(c.out()).contains("4 modules in");
    assertThat(ext.resolve("DEBS/mlnx-ofed-linux-kernel-only_5.8-1.0.1.1_amd64.deb")).isRegularFile();
  }
}
