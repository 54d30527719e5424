package org.kmodkit.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * kmodkit's own packages as scripts/dist makes them, judged by the real tools: lintian and rpmlint
 * find no error; dpkg and rpm install each into a throwaway root, where the installed
 * /usr/bin/kmodkit runs on its own jlink runtime (the only java on PATH fails loudly) and checks a
 * committed fixture exactly as kmodkit does in-process; removal leaves nothing of kmodkit behind.
 * The x86_64 and aarch64 packages, each unpacked into a small Debian root of its architecture (only
 * what the package depends on, bash and busybox), start from the class-data archive they ship and
 * write nothing; the aarch64 one runs for real under qemu-user (scripts/in-root).
 */
class DistIT {
  static final Path HOME = Path.of("..").toAbsolutePath().normalize();
  static final Path REAL = HOME.resolve("kmodkit-core/src/test/resources/real");
  static final String[] CHECK = {"check", "--kernel", REAL.resolve("symvers/symvers-6.1.0-56-cloud-amd64").toString(), REAL.resolve("6.1.0-53").toString()};

  @TempDir static Path tmp;
  static Path deb;
  static Path rpm;
  static Path armDeb;
  static Path armRpm;
  static Path publicKey;

  @BeforeAll
  static void dist() throws Exception {
    KmodkitDist.Built b = KmodkitDist.get();
    deb = b.deb();
    rpm = b.rpm();
    armDeb = b.armDeb();
    armRpm = b.armRpm();
    publicKey = b.publicKey();
    assertThat(deb.getFileName().toString()).matches("kmodkit_0\\.1\\.0-0\\.\\d{8}git[0-9a-f]+_amd64\\.deb");
    assertThat(rpm.getFileName().toString()).matches("kmodkit-0\\.1\\.0-0\\.\\d{8}git[0-9a-f]+\\.x86_64\\.rpm");
    assertThat(b.run().out()).contains("signed with a one-time key", publicKey.toString());
  }

  static Stream<String> arches() {
    return Stream.of("amd64", "arm64");
  }

  private static Path deb(String arch) {
    return arch.equals("amd64") ? deb : armDeb;
  }

  private static Path rpm(String arch) {
    return arch.equals("amd64") ? rpm : armRpm;
  }

  @ParameterizedTest
  @MethodSource("arches")
  void lintianFindsNoErrorInTheDeb(String arch) {
    Proc.Result r = Proc.run(tmp, 600, "lintian", "--no-cfg", deb(arch).toString());
    assertThat(r.out().lines().filter(l -> l.startsWith("E:"))).as(r.out() + r.err()).isEmpty();
    // the overrides the package ships all still match something (a stale one would hide nothing)
    assertThat(r.out()).doesNotContain("mismatched-override", "unused-override");
    assertThat(r.code()).as(r.out() + r.err()).isZero();
  }

  @ParameterizedTest
  @MethodSource("arches")
  void rpmlintFindsNoErrorInTheRpm(String arch) {
    Proc.Result r = Proc.run(tmp, 600, "rpmlint", "-r", HOME.resolve("scripts/dist.rpmlintrc").toString(), rpm(arch).toString());
    assertThat(r.out()).as(r.out() + r.err()).contains(" 0 errors,").doesNotContain(": E: ");
  }

  @Test
  void theArm64PackagesAreArm64TheirJvmIsAnAArch64ElfAndZstdJniCarriesItsAArch64Library() throws Exception {
    assertThat(Proc.check(tmp, 60, "dpkg-deb", "-f", armDeb.toString(), "Architecture").out()).isEqualTo("arm64\n");
    assertThat(Proc.check(tmp, 60, "rpm", "-qp", "--nosignature", "--qf", "%{ARCH}", armRpm.toString()).out()).isEqualTo("aarch64");
    Path x = unpack(armDeb, "arm64-x");
    assertThat(Proc.check(tmp, 60, "readelf", "-h", x.resolve("usr/lib/kmodkit/runtime/lib/server/libjvm.so").toString()).out())
        .containsPattern("Machine:\\s+AArch64");
    try (Stream<Path> jars = Files.list(x.resolve("usr/lib/kmodkit/lib"))) {
      Path zstd = jars.filter(j -> j.getFileName().toString().startsWith("zstd-jni-")).findFirst().orElseThrow();
      try (ZipFile zip = new ZipFile(zstd.toFile())) {
        assertThat(zip.stream().map(ZipEntry::getName)).anyMatch(n -> n.matches("linux/aarch64/libzstd-jni-.*\\.so"));
      }
    }
  }

  /**
   * Every library the runtime's native code names (NEEDED) is either the runtime's own or comes with a
   * package the .deb depends on and a soname capability the .rpm requires: a node that installs the
   * dependencies can start it.
   */
  @ParameterizedTest
  @MethodSource("arches")
  void everyLibraryTheRuntimeLinksIsOneThePackagesRequire(String arch) throws Exception {
    Path x = unpack(deb(arch), arch + "-needed");
    Path runtime = x.resolve("usr/lib/kmodkit/runtime");
    List<String> own = new ArrayList<>();
    List<String> needed = new ArrayList<>();
    try (Stream<Path> walk = Files.walk(runtime)) {
      for (Path f : walk.filter(Files::isRegularFile).toList()) {
        own.add(f.getFileName().toString());
        Proc.Result d = Proc.run(tmp, 60, "readelf", "-d", f.toString());
        d.out().lines().filter(l -> l.contains("(NEEDED)")).map(l -> l.replaceAll(".*\\[(.*)\\].*", "$1")).forEach(needed::add);
      }
    }
    List<String> system = needed.stream().filter(n -> !own.contains(n)).distinct().sorted().toList();
    assertThat(system).contains("libc.so.6", "libstdc++.so.6");
    String depends = Proc.check(tmp, 60, "dpkg-deb", "-f", deb(arch).toString(), "Depends").out();
    String requires = Proc.check(tmp, 60, "rpm", "-qp", "--nosignature", "--requires", rpm(arch).toString()).out();
    for (String soname : system.stream().filter(n -> !n.startsWith("ld-linux")).toList()) { // the loader is libc6's, implied by libc.so.6
      // the Debian packages that hold the library on this machine: their names are the same on every architecture
      List<String> owners = Proc.check(tmp, 60, "dpkg", "-S", "*/" + soname).out().lines()
          .flatMap(l -> Stream.of(l.substring(0, l.indexOf(": ")).split(", "))).map(o -> o.replaceAll(":.*", "")).toList();
      assertThat(owners).as(soname + " comes with one of " + owners + "; Depends: " + depends).anyMatch(o -> depends.matches("(?s)(.*, )?" + o.replace("+", "\\+") + "(,.*|\\s*)"));
      assertThat(requires).as(soname).contains(soname + "()(64bit)");
    }
  }

  /**
   * Unpacked into a Debian root of its own architecture, the installed launcher maps the archive the
   * package ships (-Xshare:on fails if the JVM refuses it), judges the fixture as kmodkit does
   * in-process, and writes nothing: no cache in HOME, nothing new under /usr/lib/kmodkit. The arm64
   * root runs under qemu-user.
   */
  @ParameterizedTest
  @MethodSource("arches")
  void inARootOfItsArchitectureItStartsFromTheShippedArchiveAndWritesNothing(String arch) throws Exception {
    Path root = tmp.resolve("root-" + arch);
    Proc.check(HOME, 1200, HOME.resolve("scripts/arch-root").toString(), arch, root.toString());
    Proc.check(tmp, 300, "dpkg-deb", "-x", deb(arch).toString(), root.toString());
    Path fixture = Files.createDirectories(root.resolve("tmp/fixture"));
    Proc.check(tmp, 60, "cp", "-a", REAL.resolve("symvers/symvers-6.1.0-56-cloud-amd64").toString(), REAL.resolve("6.1.0-53").toString(), fixture.toString());
    Files.createDirectories(root.resolve("home"));
    List<String> before = left(root.resolve("usr/lib/kmodkit"), "-");
    String[] run = {"env", "-i", "PATH=/usr/sbin:/usr/bin:/sbin:/bin", HOME.resolve("scripts/in-root").toString(), root.toString(),
        "/usr/bin/env", "PATH=/usr/bin:/bin", "HOME=/home", "KMODKIT_JAVA_OPTS=-Xshare:on"};

    Proc.Result version = Proc.run(HOME, 600, concat(run, "/usr/bin/kmodkit", "--version"));
    assertThat(version.code()).as(version.out() + version.err()).isZero();
    assertThat(version.out()).matches("kmodkit [0-9]+\\.[0-9]+\\.[0-9]+\\S*\\n");
    Proc.Result check = Proc.run(HOME, 600, concat(run, "/usr/bin/kmodkit", "check", "--kernel", "/tmp/fixture/symvers-6.1.0-56-cloud-amd64", "/tmp/fixture/6.1.0-53"));
    Kmodkit.Run inProcess = Kmodkit.run(CHECK);
    assertThat(check.code()).as(check.err()).isEqualTo(inProcess.code()).isEqualTo(1);
    assertThat(check.out()).isEqualTo(inProcess.out().replace(REAL.resolve("6.1.0-53").toString(), "/tmp/fixture/6.1.0-53")
        .replace(REAL.resolve("symvers").toString(), "/tmp/fixture"));

    // what a node runs most (the kernel hooks' weak-modules) starts from the shipped archive too:
    // every class of kmodkit's and picocli's it loads comes from it (scripts/dist's ClassDataRuns;
    // check's plain arguments load no picocli at all: CheckArgs)
    Path node = root.resolve("tmp/node");
    for (String k : List.of("6.1.0-53-cloud-amd64", "6.1.0-56-cloud-amd64")) {
      Files.createDirectories(node.resolve("lib/modules/" + k + "/kernel"));
      Files.createDirectories(node.resolve("boot"));
      try (var gz = new java.util.zip.GZIPOutputStream(Files.newOutputStream(node.resolve("boot/symvers-" + k + ".gz")))) {
        gz.write(Files.readAllBytes(REAL.resolve("symvers/symvers-" + k)));
      }
      Files.writeString(node.resolve("boot/System.map-" + k), "");
    }
    Path extra = Files.createDirectories(node.resolve("lib/modules/6.1.0-53-cloud-amd64/extra/hello"));
    Files.copy(REAL.resolve("6.1.0-53/hello.ko"), extra.resolve("hello.ko"));
    String[] logged = Arrays.copyOf(run, run.length);
    logged[logged.length - 1] = "KMODKIT_JAVA_OPTS=-Xshare:on -Xlog:class+load=info:file=/tmp/classes.txt";
    for (String[] args : List.of(new String[] {"check", "--kernel", "/tmp/fixture/symvers-6.1.0-56-cloud-amd64", "/tmp/fixture/6.1.0-53"},
        new String[] {"weak-modules", "--root", "/tmp/node", "--add-kernel", "6.1.0-56-cloud-amd64", "--no-initramfs", "--dry-run"})) {
      Proc.Result r = Proc.run(HOME, 600, concat(concat(logged, "/usr/bin/kmodkit"), args));
      assertThat(r.code()).as(r.out() + r.err()).isIn(0, 1);
      List<String> ours = Files.readAllLines(root.resolve("tmp/classes.txt")).stream()
          .filter(l -> (l.contains(" org.kmodkit.") || l.contains(" picocli.")) && !l.contains("$$Lambda")).toList();
      assertThat(ours).as(args[0]).anyMatch(l -> l.contains(" org.kmodkit.cli.Main "))
          .allMatch(l -> l.contains("source: shared objects file"), "from the shipped archive");
      Files.delete(root.resolve("tmp/classes.txt"));
    }
    Proc.check(tmp, 60, "rm", "-rf", node.toString());

    assertThat(root.resolve("home")).isEmptyDirectory();
    assertThat(left(root.resolve("usr/lib/kmodkit"), "-")).isEqualTo(before);
  }

  private static String[] concat(String[] a, String... b) {
    String[] all = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, all, a.length, b.length);
    return all;
  }

  private static Path unpack(Path deb, String name) throws Exception {
    Path x = tmp.resolve(name);
    Proc.check(tmp, 300, "dpkg-deb", "-x", deb.toString(), x.toString());
    return x;
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
    // fleet metrics (docs/fleet.md): the units, not enabled, and the alerting rules
    assertThat(root.resolve("usr/lib/systemd/system/kmodkit-metrics.timer")).isRegularFile();
    assertThat(root.resolve("usr/lib/systemd/system/kmodkit-metrics.path")).isRegularFile();
    assertThat(root.resolve("usr/share/kmodkit/prometheus/kmodkit.rules.yml")).isRegularFile();
    assertThat(root.resolve("etc/systemd")).doesNotExist();

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
        .doesNotContain("usr/lib/kmodkit", "usr/share/doc/kmodkit", "usr/share/kmodkit")
        .isSubsetOf("usr", "usr/bin", "usr/lib", "usr/share", "usr/share/man", "usr/share/man/man1", "usr/share/doc",
            "usr/share/bash-completion", "usr/share/bash-completion/completions", "var", "var/tmp", "tmp", "bin", "bin/sh",
            "etc", "etc/kernel", "etc/kernel/postinst.d", "etc/kernel/postrm.d", "usr/lib/kernel", "usr/lib/kernel/install.d",
            "usr/lib/systemd", "usr/lib/systemd/system");
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
    // installed, the launcher takes the archive the package ships and writes none of its own
    assertThat(home).isEmptyDirectory();
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
