package org.kmodkit.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.kmodkit.core.BadInputException;
import org.kmodkit.formats.sign.OpenPgpSigner;
import org.kmodkit.formats.deb.DebArchive;
import org.kmodkit.formats.deb.DebControl;
import org.kmodkit.formats.rpm.RpmHeaders;
import org.kmodkit.formats.rpm.RpmHeaders.FileEntry;

class DistTest {
  @TempDir Path tmp;

  /** The tree scripts/dist stages: launcher, runtime, jar, a man page. */
  private Path stage() throws Exception {
    Path s = tmp.resolve("stage");
    file(s, "usr/bin/kmodkit", "rwxr-xr-x");
    file(s, "usr/lib/kmodkit/kmodkit.jar", "rw-r--r--");
    file(s, "usr/lib/kmodkit/runtime/bin/java", "rwxr-xr-x");
    file(s, "usr/share/man/man1/kmodkit.1.gz", "rw-r--r--");
    file(s, "usr/share/doc/kmodkit/copyright", "rw-r--r--");
    file(s, "usr/share/lintian/overrides/kmodkit", "rw-r--r--");
    return s;
  }

  private static void file(Path stage, String path, String perms) throws Exception {
    Path f = stage.resolve(path);
    Files.createDirectories(f.getParent());
    Files.writeString(f, path + "\n");
    Files.setPosixFilePermissions(f, PosixFilePermissions.fromString(perms));
  }

  @Test
  void bothPackagesHoldTheStagedFilesWithTheirModesAndOwnOnlyKmodkitsDirectories() throws Exception {
    Path out = tmp.resolve("dist");
    Dist.Written w = Dist.write(stage(), out, "0.1.0", "1", "x86_64", Dist.signing(out, "0.1.0", "1", null), 1_700_000_000L);
    assertThat(w.deb().getFileName()).hasToString("kmodkit_0.1.0-1_amd64.deb");
    assertThat(w.rpm().getFileName()).hasToString("kmodkit-0.1.0-1.x86_64.rpm");
    // no key given: a one-time key signed both, and its public half lies beside them
    Path pub = out.resolve("kmodkit-0.1.0-1.asc");
    assertThat(w.signedBy()).startsWith("signed with a one-time key ").endsWith(pub.toString());
    assertThat(Files.readString(pub)).startsWith("-----BEGIN PGP PUBLIC KEY BLOCK-----");
    try (var left = Files.list(out)) {
      assertThat(left.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder("kmodkit_0.1.0-1_amd64.deb", "kmodkit-0.1.0-1.x86_64.rpm", "kmodkit-0.1.0-1.asc");
    }

    DebControl c = DebArchive.control(w.deb());
    assertThat(c.get("Section")).isEqualTo("admin");
    assertThat(c.get("Priority")).isEqualTo("optional");
    assertThat(c.get("Maintainer")).isEqualTo(Dist.MAINTAINER);
    assertThat(c.get("Depends")).isEqualTo("libc6, libgcc-s1, libstdc++6, zlib1g");
    List<DebArchive.Entry> deb = DebArchive.contents(w.deb());
    assertThat(deb).filteredOn(e -> !e.directory()).extracting(e -> e.path() + " " + Integer.toOctalString(e.mode())).containsExactly(
        "/usr/bin/kmodkit 755", "/usr/lib/kmodkit/kmodkit.jar 644", "/usr/lib/kmodkit/runtime/bin/java 755",
        "/usr/share/doc/kmodkit/changelog.Debian.gz 644", "/usr/share/doc/kmodkit/copyright 644", "/usr/share/lintian/overrides/kmodkit 644", "/usr/share/man/man1/kmodkit.1.gz 644");

    RpmHeaders h = RpmHeaders.read(w.rpm());
    assertThat(h.files()).containsExactly(
        new FileEntry("/usr/bin/kmodkit", 0100755, false, false),
        new FileEntry("/usr/lib/kmodkit", 040755, true, false),
        new FileEntry("/usr/lib/kmodkit/kmodkit.jar", 0100644, false, false),
        new FileEntry("/usr/lib/kmodkit/runtime", 040755, true, false),
        new FileEntry("/usr/lib/kmodkit/runtime/bin", 040755, true, false),
        new FileEntry("/usr/lib/kmodkit/runtime/bin/java", 0100755, false, false),
        new FileEntry("/usr/share/doc/kmodkit", 040755, true, false),
        new FileEntry("/usr/share/doc/kmodkit/copyright", 0100644, false, false),
        new FileEntry("/usr/share/man/man1/kmodkit.1.gz", 0100644, false, false));
    assertThat(h.requires()).extracting(d -> d.toString()).contains("/bin/bash", "libc.so.6()(64bit)", "libstdc++.so.6()(64bit)", "libgcc_s.so.1()(64bit)", "libz.so.1()(64bit)").doesNotContain("libc6");
    assertThat(h.headerSignature()).isPresent();
  }

  @Test
  void removingEitherPackageGivesWeakModulesBackWhenKmodkitTookItOver() throws Exception {
    Dist.Written w = Dist.write(stage(), tmp.resolve("dist"), "0.1.0", "1", "x86_64", Dist.signing(tmp.resolve("dist"), "0.1.0", "1", null), 1_700_000_000L);
    ProcessBuilder deb = new ProcessBuilder("dpkg-deb", "--info", w.deb().toString(), "prerm").redirectErrorStream(true);
    Process d = deb.start();
    String prerm = new String(d.getInputStream().readAllBytes());
    assertThat(d.waitFor()).as(prerm).isZero();
    Process r = new ProcessBuilder("rpm", "-qp", "--nosignature", "--scripts", w.rpm().toString()).redirectErrorStream(true).start();
    String scripts = new String(r.getInputStream().readAllBytes());
    assertThat(r.waitFor()).as(scripts).isZero();
    String giveBack = "[ -e /var/lib/kmodkit/weak-modules.taken-over ]; then\n  kmodkit weak-modules --give-back\nfi\n";
    assertThat(prerm).startsWith("#!/bin/sh\nset -e\n").contains("[ \"$1\" = remove ]", giveBack);
    assertThat(scripts).contains("preuninstall scriptlet (using /bin/sh):", "[ \"$1\" = 0 ]", giveBack);
  }

  @Test
  void theDebianChangelogIsOneEntryDpkgCanParse() throws Exception {
    String text = Dist.debianChangelog("0.1.0", "0.20261206git2a37a88", 1_700_000_000L);
    assertThat(text).isEqualTo("kmodkit (0.1.0-0.20261206git2a37a88) unstable; urgency=medium\n\n"
        + "  * Built by scripts/dist from the kmodkit source tree.\n\n"
        + " -- kmodkit <dev@kmodkit.invalid>  Tue, 14 Nov 2023 22:13:20 +0000\n");
  }

  @Test
  void aLinkInTheStagedTreeIsRefusedNamingItAndNothingIsWritten() throws Exception {
    Path s = stage();
    Files.createSymbolicLink(s.resolve("usr/lib/kmodkit/runtime/legal"), Path.of("/usr/share/doc"));
    Path out = tmp.resolve("dist");
    Dist.Signing signing = new Dist.Signing(OpenPgpSigner.generate("test", 2048), "signed for the test");
    assertThatThrownBy(() -> Dist.write(s, out, "0.1.0", "1", "x86_64", signing, 1L))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining(s.resolve("usr/lib/kmodkit/runtime/legal").toString())
        .hasMessageContaining("cp -L");
    assertThat(out).doesNotExist();
  }
}
