package org.kmodkit.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.kmodkit.formats.sign.OpenPgpSigner;
import org.kmodkit.formats.PackageSpec;
import org.kmodkit.formats.PayloadFile;
import org.kmodkit.formats.Relation;
import org.kmodkit.formats.Scriptlets;
import org.kmodkit.formats.rpm.RpmWriter;

/**
 * A node's whole story, with the real tools: a driver bundle (the vpoll DKMS source) rebuilt for
 * corpus kernel 55 by {@code add-kernel-support --kmp --make-tgz} into a signed KMP, a signed YUM
 * repository and an install script; the tarball unpacked with tar; {@code kmodkit repo serve} (the
 * launcher, a real process) serving it on 127.0.0.1; on a node root holding corpus kernels 54, 55
 * and 56, the bundle's install script makes dnf 4 install {@code vpoll-kernel-only} with gpgcheck
 * and repo_gpgcheck on; the KMP's %post hands its modules to weak-modules; kmodkit's weak-modules
 * then links them into 56 (same ABI) and not into 54; and the booted 56 kernel loads the linked module.
 *
 * <p>Two stand-ins, both said here: the node root's {@code /usr/sbin/weak-modules} records its arguments and stdin (the root has no JVM for kmodkit to
 * run in the chroot rpm runs scriptlets in), and the recorded call is replayed with
 * {@code kmodkit weak-modules --root}; and the node's kernel is a Debian kernel, so the
 * {@code kernel(sym) = crc} capabilities a RHEL kernel-core package provides come from an
 * "os" package written here from 56's Module.symvers, in a second signed repository.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class NodeStoryIT {
  static final int BUILD = 55;
  static Path work;
  static Path ext;
  static Path share;
  static Path root;
  static Process server;
  static String url;

  @BeforeAll
  static void bundleRebuiltPackagedAndServed() throws Exception {
    work = Corpus.work().resolve("node-story");
    Proc.run(Corpus.work(), 120, "rm", "-rf", work.toString());
    Files.createDirectories(work);
    OpenPgpSigner cluster = OpenPgpSigner.generate("ACME cluster packages <ops@acme.example>", 2048);
    Files.writeString(work.resolve("cluster.asc"), cluster.secretKeyArmored());

    Path bundle = Files.createDirectories(work.resolve("bundle"));
    Proc.check(work, 60, "cp", "-a", Builds.dkmsSource("vpoll-dkms_", "vpoll-0.1").toString(), bundle.resolve("vpoll").toString());
    Files.writeString(bundle.resolve("kmodkit-bundle.conf"), "name=vpoll\nversion=0.1-3\ndistro=el9\narch=x86_64\ndrivers=vpoll\n");
    Path tmp = Files.createDirectories(work.resolve("tmp"));
    Kmodkit.Run run = Kmodkit.run("add-kernel-support", "--bundle", bundle.toString(),
        "--kernel", Corpus.headers(BUILD).toString(), "--kernel", Corpus.headersCommon(BUILD).toString(), "--kernel", Corpus.deb("linux-kbuild-6.1_").toString(),
        "--kmp", "--format", "rpm", "--make-tgz", "--pgp-key", work.resolve("cluster.asc").toString(), "--tmpdir", tmp.toString(), "-j", "2");
    assertThat(run.code()).as(run.out() + run.err()).isZero();
    Path tgz = tmp.resolve("vpoll-0.1-3-el9-x86_64-ext.tgz");
    assertThat(run.out()).contains("bundle " + tgz);

    // the bundle travels as one file; nodes see it unpacked on shared storage or served
    share = Files.createDirectories(work.resolve("share"));
    Proc.check(work, 120, "tar", "-xzf", tgz.toString(), "-C", share.toString());
    ext = share.resolve("vpoll-0.1-3-el9-x86_64-ext");

    // the OS vendor's side: kernel 56's capabilities, as RHEL's kernel-core provides them
    OpenPgpSigner os = OpenPgpSigner.generate("OS vendor <os@example>", 2048);
    Files.writeString(work.resolve("os.asc"), os.secretKeyArmored());
    Path osRepo = Files.createDirectories(share.resolve("os"));
    List<Relation> provides = new ArrayList<>();
    for (String line : Files.readAllLines(Corpus.symvers(56))) {
      String[] f = line.split("\t");
      if (f.length >= 3 && f[2].equals("vmlinux")) {
        provides.add(Relation.eq("kernel(" + f[1] + ")", f[0]));
      }
    }
    new RpmWriter().write(new PackageSpec("kernel-abi-" + Corpus.release(56).replace('-', '_'), "6.1.192", "2", "x86_64",
        "Kernel 6.1.0-56 symbol versions", "What the kernel provides to modules.", "GPL-2.0-only", "Debian", "", 1_700_000_000L,
        List.of(), List.of(), provides, List.of(), Scriptlets.NONE), osRepo, os);
    new RpmWriter().write(new PackageSpec("sh-busybox", "1.35.0", "1", "x86_64", "/bin/sh", "A shell for the node's scriptlets.", "GPL-2.0-only", "Debian", "",
        1_700_000_000L, List.of(new PayloadFile("/bin/sh", 0755, Path.of("/bin/busybox"))), List.of(), List.of(), List.of(), Scriptlets.NONE), osRepo, os);
    Kmodkit.Run osrepo = Kmodkit.run("repo", "create", "--yum", osRepo.toString(), "--pgp-key", work.resolve("os.asc").toString(), "--name", "os");
    assertThat(osrepo.code()).as(osrepo.err()).isZero();

    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    server = new ProcessBuilder(Path.of("..", "bin", "kmodkit").toAbsolutePath().normalize().toString(), "repo", "serve", share.toString(), "--port", String.valueOf(port))
        .redirectError(work.resolve("serve.log").toFile()).start();
    BufferedReader out = new BufferedReader(new InputStreamReader(server.getInputStream(), StandardCharsets.UTF_8));
    url = out.readLine();
    assertThat(url).as("kmodkit repo serve printed its URL (serve.log: %s)", work.resolve("serve.log")).isEqualTo("http://127.0.0.1:" + port + "/");

    // the node: corpus kernels 54, 55 and 56 installed, a shell, and weak-modules
    root = work.resolve("node");
    for (int abi : List.of(54, 55, 56)) {
      Proc.check(work, 300, "dpkg-deb", "-x", Corpus.image(abi).toString(), root.toString());
    }
    Files.createDirectories(root.resolve("usr/sbin"));
    Files.createDirectories(root.resolve("var/log"));
    Path wm = root.resolve("usr/sbin/weak-modules");
    Files.writeString(wm, "#!/bin/sh\necho \"ARGS $*\" >> /var/log/weak-modules.calls\nwhile read -r m; do echo \"$m\" >> /var/log/weak-modules.calls; done\n");
    wm.toFile().setExecutable(true, false);
    Files.createDirectories(root.resolve("etc/yum.repos.d"));
    Files.createDirectories(root.resolve("etc/pki/rpm-gpg"));
    Files.writeString(root.resolve("etc/pki/rpm-gpg/RPM-GPG-KEY-os"), os.publicKeyArmored());
    Files.writeString(root.resolve("etc/yum.repos.d/os.repo"), "[os]\nname=OS\nbaseurl=" + url + "os\nenabled=1\ngpgcheck=1\nrepo_gpgcheck=1\ngpgkey=file://"
        + root.resolve("etc/pki/rpm-gpg/RPM-GPG-KEY-os") + "\n");
    Proc.check(work, 60, "rpm", "--root", root.toString(), "--import", root.resolve("etc/pki/rpm-gpg/RPM-GPG-KEY-os").toString());
    // the node's base system: a shell, from the OS repository
    Proc.Result base = Proc.run(work, 600, "dnf", "-y", "--releasever=9", "--installroot", root.toString(), "--setopt=reposdir=" + root.resolve("etc/yum.repos.d"),
        "--setopt=cachedir=" + work.resolve("dnf-cache"), "install", "sh-busybox");
    assertThat(base.code()).as(base.out() + base.err()).isZero();
  }

  @AfterAll
  static void stopServer() throws Exception {
    if (server != null) {
      server.destroy();
      server.waitFor(10, TimeUnit.SECONDS);
    }
  }

  @Test
  @Order(1)
  void theBundleHoldsASignedKmpAndKernelOnlyInASignedRepositoryAndRpmAgrees() throws Exception {
    Path kmp = ext.resolve("RPMS/kmod-vpoll-0.1-3.x86_64.rpm");
    assertThat(kmp).exists();
    assertThat(ext.resolve("RPMS/vpoll-kernel-only-0.1-3.x86_64.rpm")).exists();
    assertThat(ext.resolve("RPMS/repodata/repomd.xml")).exists();
    assertThat(ext.resolve("RPMS/repodata/repomd.xml.asc")).exists();
    Proc.Result q = Proc.check(work, 60, "rpm", "-qp", "--requires", "--provides", kmp.toString());
    // every kernel(sym) = crc the KMP requires is 55's own CRC for that symbol (its Module.symvers)
    Map<String, String> symvers = new TreeMap<>();
    for (String line : Files.readAllLines(Corpus.symvers(BUILD))) {
      String[] f = line.split("\t");
      symvers.put(f[1], f[0]);
    }
    List<String> kernelRequires = q.out().lines().filter(l -> l.startsWith("kernel(")).toList();
    assertThat(kernelRequires).isNotEmpty().contains("kernel(module_layout) = " + symvers.get("module_layout"));
    for (String r : kernelRequires) {
      String sym = r.substring("kernel(".length(), r.indexOf(')'));
      assertThat(r).isEqualTo("kernel(" + sym + ") = " + symvers.get(sym));
    }
    assertThat(q.out()).contains("kmod(vpoll.ko)");
    Path db = Files.createDirectories(work.resolve("rpmdb-check"));
    Proc.check(work, 60, "rpmkeys", "--root", db.toString(), "--import", ext.resolve("RPMS/RPM-GPG-KEY-vpoll").toString());
    assertThat(Proc.check(work, 60, "rpmkeys", "--root", db.toString(), "-K", kmp.toString()).out()).contains("digests signatures OK");
  }

  @Test
  @Order(2)
  void dnfInstallsKernelOnlyFromTheServedRepositoryWithSignaturesCheckedAndTheScriptletCallsWeakModules() throws Exception {
    Proc.Result r = Proc.run(work, 600, "env", "ROOT=" + root, "DNF_OPTS=--releasever=9 --setopt=cachedir=" + work.resolve("dnf-cache"),
        "sh", ext.resolve("install-kernel-only.sh").toString(), url + ext.getFileName());
    assertThat(r.code()).as(r.out() + r.err()).isZero();
    String rel = Corpus.release(BUILD);
    assertThat(root.resolve("lib/modules/" + rel + "/extra/vpoll/vpoll.ko")).exists();
    assertThat(Proc.check(work, 60, "rpm", "--root", root.toString(), "-q", "kmod-vpoll", "vpoll-kernel-only").out())
        .contains("kmod-vpoll-0.1-3.x86_64", "vpoll-kernel-only-0.1-3.x86_64");
    assertThat(Files.readString(root.resolve("var/log/weak-modules.calls")))
        .startsWith("ARGS --add-modules\n").contains("/lib/modules/" + rel + "/extra/vpoll/vpoll.ko");
  }

  @Test
  @Order(3)
  void weakModulesLinksTheKmpIntoTheSameAbiKernelOnlyAndTheBootedKernelLoadsIt() throws Exception {
    List<String> call = Files.readAllLines(root.resolve("var/log/weak-modules.calls"));
    List<String> args = new ArrayList<>(List.of("weak-modules", "--root", root.toString(), "--no-initramfs"));
    args.addAll(List.of(call.get(0).substring("ARGS ".length()).split(" ")));
    args.addAll(call.subList(1, call.size()));
    Kmodkit.Run wm = Kmodkit.run(args.toArray(String[]::new));
    assertThat(wm.code()).as(wm.out() + wm.err()).isZero();
    Path linked = root.resolve("lib/modules/" + Corpus.release(56) + "/weak-updates/kmodkit/vpoll/vpoll.ko");
    assertThat(linked).isSymbolicLink();
    assertThat(Files.readSymbolicLink(linked).toString()).isEqualTo("../../../../" + Corpus.release(BUILD) + "/extra/vpoll/vpoll.ko");
    // kmod's depmod, run by weak-modules on the node root, resolves vpoll from weak-updates
    assertThat(Files.readString(root.resolve("lib/modules/" + Corpus.release(56) + "/modules.dep"))).contains("weak-updates/kmodkit/vpoll/vpoll.ko:");
    try (Stream<Path> s = Files.walk(root.resolve("lib/modules/" + Corpus.release(54)))) {
      assertThat(s.filter(p -> p.getFileName().toString().startsWith("vpoll"))).as("54 has another ABI").isEmpty();
    }
    Kmodkit.Run v = Kmodkit.run("verify", "--vm", "--json", "--kernel", root.resolve("boot/vmlinuz-" + Corpus.release(56)).toString(), "--modules", linked.getParent().toString());
    JsonNode j = v.json();
    assertThat(v.code()).as(v.out() + v.err()).isZero();
    assertThat(j.get("sets").get(0).get("modules").get(0).get("name").asText()).isEqualTo("vpoll");
    assertThat(j.get("sets").get(0).get("modules").get(0).get("ok").asBoolean()).isTrue();
  }
}
