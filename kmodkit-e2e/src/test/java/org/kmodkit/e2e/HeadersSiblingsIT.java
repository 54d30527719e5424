package org.kmodkit.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * --kernel with only the flavour headers .deb named, as users have it after apt-get download: the
 * -common and linux-kbuild packages its Depends names are taken from its folder, and the real build
 * (gcc-12, the packages' Kbuild and modpost) succeeds.
 */
class HeadersSiblingsIT {
  @Test
  void aHeadersDebNamedAloneBuildsWithTheCommonAndKbuildPackagesLyingBesideIt() throws Exception {
    Path dir = Corpus.work().resolve("headers-alone");
    Proc.run(Corpus.work(), 60, "rm", "-rf", dir.toString());
    Files.createDirectories(dir);
    // 55's -common lies there too: another ABI, not what 56's Depends names
    for (Path p : List.of(Corpus.headers(56), Corpus.headersCommon(56), Corpus.headersCommon(55), Corpus.deb("linux-kbuild-6.1_"))) {
      Files.createSymbolicLink(dir.resolve(p.getFileName()), p.toAbsolutePath());
    }
    Path o = Corpus.work().resolve("rebuild-headers-alone-out");
    Proc.run(Corpus.work(), 60, "rm", "-rf", o.toString());
    Kmodkit.Run r = Kmodkit.run("rebuild", "--out", o.toString(), "--source", Corpus.deb("vpoll-dkms_").toString(),
        "--kernel", dir.resolve(Corpus.headers(56).getFileName()).toString());
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(r.err()).contains("needs linux-headers-6.1.0-56-common (= ").contains(": taking " + dir.resolve(Corpus.headersCommon(56).getFileName()))
        .contains("needs linux-kbuild-6.1 (>= ").contains(": taking " + dir.resolve(Corpus.deb("linux-kbuild-6.1_").getFileName()))
        .doesNotContain("6.1.0-55-common");
    assertThat(o.resolve(Corpus.release(56) + "/extra/vpoll/vpoll.ko")).isRegularFile();
  }
}
