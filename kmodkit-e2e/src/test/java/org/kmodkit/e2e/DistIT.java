package org.kmodkit.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * kmodkit's own packages as scripts/dist makes them, judged by the real tools: lintian and rpmlint
 * find no error; dpkg and rpm install each into a throwaway root, where the installed
 * /usr/bin/kmodkit runs on its own jlink runtime (the only java on PATH fails loudly) and checks a
 * committed fixture exactly as kmodkit does in-process; removal leaves nothing of kmodkit behind.
 */
class DistIT {
  static final Path HOME = Path.of("..").toAbsolutePath().normalize();
  static final Path REAL = HOME.resolve("kmodkit-core/src/test/resources/real");
  static final String[] CHECK = {"check", "--kernel", REAL.resolve("symvers/symvers-6.1.0-56-cloud-amd64").toString(), REAL.resolve("6.1.0-53").toString()};

  @TempDir static Path tmp;
  static Path deb;
  static Path rpm;
  static Path publicKey;

  @BeforeAll
  static void dist() throws Exception {
    KmodkitDist.Built b = KmodkitDist.get();
    deb = b.deb();
    rpm = b.rpm();
    publicKey = b.publicKey();
    assertThat(deb.getFileName().toString()).matches("kmodkit_0\\.1\\.0-0\\.\\d{8}git[0-9a-f]+_amd64\\.deb");
    assertThat(rpm.getFileName().toString()).matches("kmodkit-0\\.1\\.0-0\\.\\d{8}git[0-9a-f]+\\.x86_64\\.rpm");
    assertThat(b.run().out()).contains("signed with a one-time key", publicKey.toString());
  }

  @Test
  void lintianFindsNoErrorInTheDeb() {
    Proc.Result r = Proc.run(tmp, 600, "lintian", "--no-cfg", deb.toString());
    assertThat(r.out().lines().filter(l -> l.startsWith("E:"))).as(r.out() + r.err()).isEmpty();
    // the overrides the package ships all still match something (a stale one would hide nothing)
    assertThat(r.out()).doesNotContain("mismatched-override", "unused-override");
    assertThat(r.code()).as(r.out() + r.err()).isZero();
  }

  @Test
  void rpmlintFindsNoErrorInTheRpm() {
    Proc.Result r = Proc.run(tmp, 600, "rpmlint", "-r", HOME.resolve("scripts/dist.rpmlintrc").toString(), rpm.toString());
    assertThat(r.out()).as(r.out() + r.err()).contains(" 0 errors,").doesNotContain(": E: ");
  }

  @Test
  void dpkgInstallsItIntoARootWhereItRunsOnItsOwnRuntimeAndPurgeLeavesNothing() throws Exception {
    Path root = Files.createDirectories(tmp.resolve("dpkg-root"));
    Path admin = Files.createDirectories(root.resolve("var/lib/dpkg"));
    Files.createDirectories(admin.resolve("updates"));
    Files.createDirectories(admin.resolve("info"));
    Files.writeString(admin.resolve("status"), "");
    shell(root);
    // libc6 and zlib1g are this machine's, not the empty root's: the dependency is checked by lintian
    Proc.Result install = Proc.run(tmp, 300, "dpkg", "--root=" + root, "--force-not-root", "--force-depends", "--log=/dev/null", "-i", deb.toString());
    assertThat(install.code()).as(install.out() + install.err()).isZero();
    Proc.Result verify = Proc.run(tmp, 120, "dpkg", "--root=" + root, "--verify", "kmodkit");
    assertThat(verify.code()).as(verify.out() + verify.err()).isZero();
    assertThat(root.resolve("usr/share/man/man1/kmodkit-check.1.gz")).isRegularFile();
    assertThat(root.resolve("usr/share/bash-completion/completions/kmodkit")).isRegularFile();
    // the kernel hooks, the /etc ones as conffiles (docs/hooks.md)
    assertThat(root.resolve("etc/kernel/postinst.d/driver-kmodkit")).isExecutable();
    assertThat(root.resolve("usr/lib/kernel/install.d/45-kmodkit.install")).isExecutable();
    assertThat(Files.readString(admin.resolve("status"))).contains("Conffiles:\n /etc/kernel/postinst.d/driver-kmodkit ", "\n /etc/kernel/postrm.d/driver-kmodkit ");

    runsOnItsOwnRuntime(root);

    Proc.Result purge = Proc.run(tmp, 300, "dpkg", "--root=" + root, "--force-not-root", "--log=/dev/null", "--purge", "kmodkit");
    assertThat(purge.code()).as(purge.out() + purge.err()).isZero();
    // dpkg removes every directory it made that is empty: only its own database and the shell are left
    assertThat(left(root, "var/lib/dpkg")).containsExactly("bin", "bin/sh");
  }

  @Test
  void rpmChecksTheSignatureInstallsItIntoARootWhereItRunsAndEraseLeavesNothingOfKmodkit() throws Exception {
    Path root = Files.createDirectories(tmp.resolve("rpm-root"));
    shell(root);
    Proc.check(tmp, 60, "rpmkeys", "--root", root.toString(), "--import", publicKey.toString());
    Proc.Result sig = Proc.check(tmp, 120, "rpmkeys", "--root", root.toString(), "-K", rpm.toString());
    assertThat(sig.out()).endsWith("digests signatures OK\n");
    // no glibc or zlib package in an empty root: the requirements are judged by rpmlint
    Proc.Result install = Proc.run(tmp, 300, "rpm", "--root", root.toString(), "-i", "--nodeps", rpm.toString());
    assertThat(install.code()).as(install.out() + install.err()).isZero();
    Proc.Result verify = Proc.run(tmp, 120, "rpm", "--root", root.toString(), "-V", "--nodeps", "kmodkit");
    assertThat(verify.code()).as(verify.out() + verify.err()).isZero();
    assertThat(Proc.check(tmp, 60, "rpm", "--root", root.toString(), "-qd", "kmodkit").out()).contains("/usr/share/man/man1/kmodkit.1.gz", "/usr/share/doc/kmodkit/copyright");

    runsOnItsOwnRuntime(root);

    Proc.Result erase = Proc.run(tmp, 300, "rpm", "--root", root.toString(), "-e", "kmodkit");
    assertThat(erase.code()).as(erase.out() + erase.err()).isZero();
    // rpm removes what the package lists, its own directories too; the system's (/usr/bin, the
    // man and completion directories, the kernel hook directories, owned by filesystem,
    // bash-completion and systemd on a real node) stay
    String database = Proc.check(tmp, 60, "rpm", "--eval", "%{_dbpath}").out().strip().substring(1); // Debian's rpm: /root/.rpmdb
    assertThat(left(root, database)).allSatisfy(p -> assertThat(root.resolve(p)).satisfiesAnyOf(d -> assertThat(d).isDirectory(), s -> assertThat(s).isEqualTo(root.resolve("bin/sh"))))
        .doesNotContain("usr/lib/kmodkit", "usr/share/doc/kmodkit")
        .isSubsetOf("usr", "usr/bin", "usr/lib", "usr/share", "usr/share/man", "usr/share/man/man1", "usr/share/doc",
            "usr/share/bash-completion", "usr/share/bash-completion/completions", "var", "var/tmp", "tmp", "bin", "bin/sh",
            "etc", "etc/kernel", "etc/kernel/postinst.d", "etc/kernel/postrm.d", "usr/lib/kernel", "usr/lib/kernel/install.d");
  }

  /** A /bin/sh in ROOT (busybox, static) for the package's maintainer scripts, which dpkg and rpm run chrooted there. */
  private static void shell(Path root) throws Exception {
    Files.createDirectories(root.resolve("bin"));
    Files.copy(Path.of("/bin/busybox"), root.resolve("bin/sh"));
  }

  /**
   * The installed launcher, run with a PATH whose only java fails loudly and no JAVA_HOME: it must
   * take /usr/lib/kmodkit/runtime, print its version, and judge the fixture as kmodkit does in-process.
   */
  private static void runsOnItsOwnRuntime(Path root) throws Exception {
    Path bin = Files.createDirectories(tmp.resolve("path-" + root.getFileName()));
    for (String tool : new String[] {"dirname", "mkdir", "find", "mv", "rm"}) {
      Files.createSymbolicLink(bin.resolve(tool), Path.of("/usr/bin", tool));
    }
    Files.writeString(bin.resolve("java"), "#!/bin/sh\necho 'a system java ran' >&2\nexit 99\n");
    bin.resolve("java").toFile().setExecutable(true);
    Path home = Files.createDirectories(tmp.resolve("home-" + root.getFileName()));
    String kmodkit = root.resolve("usr/bin/kmodkit").toString();

    Proc.Result version = Proc.run(HOME, 120, "env", "-i", "PATH=" + bin, "HOME=" + home, kmodkit, "--version");
    assertThat(version.code()).as(version.err()).isZero();
    assertThat(version.out()).as("the version from the jar manifest, not \"dev\"").matches("kmodkit [0-9]+\\.[0-9]+\\.[0-9]+\\S*\\n");

    String[] cmd = new String[CHECK.length + 5];
    System.arraycopy(new String[] {"env", "-i", "PATH=" + bin, "HOME=" + home, kmodkit}, 0, cmd, 0, 5);
    System.arraycopy(CHECK, 0, cmd, 5, CHECK.length);
    Proc.Result check = Proc.run(HOME, 120, cmd);
    Kmodkit.Run inProcess = Kmodkit.run(CHECK);
    assertThat(check.code()).as(check.err()).isEqualTo(inProcess.code()).isEqualTo(1);
    assertThat(check.out()).isEqualTo(inProcess.out()).contains("FAIL hello: module_layout differs");
    // the launcher made its class-data archive on top of the runtime's own (jlink --generate-cds-archive)
    try (Stream<Path> cache = Files.list(home.resolve(".cache/kmodkit"))) {
      assertThat(cache.map(p -> p.getFileName().toString())).anyMatch(n -> n.startsWith("cds-") && n.endsWith(".jsa"));
    }
  }

  /** Every path left under ROOT, relative, sorted, except DATABASE (the package manager's own), its contents and its parents. */
  private static List<String> left(Path root, String database) throws Exception {
    List<String> out = new ArrayList<>();
    try (Stream<Path> walk = Files.walk(root)) {
      for (Path p : walk.sorted().toList()) {
        String rel = root.relativize(p).toString();
        if (!rel.isEmpty() && !rel.startsWith(database + "/") && !(database + "/").startsWith(rel + "/")) {
          out.add(rel);
        }
      }
    }
    return out;
  }
}
