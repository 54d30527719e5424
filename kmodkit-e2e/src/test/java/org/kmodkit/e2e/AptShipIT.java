package org.kmodkit.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.kmodkit.formats.sign.OpenPgpSigner;
import org.kmodkit.repo.PackagePlanner;
import org.kmodkit.formats.PackageSpec;
import org.kmodkit.formats.PayloadFile;
import org.kmodkit.formats.Relation;
import org.kmodkit.repo.RepoOptions;
import org.kmodkit.formats.Scriptlets;
import org.kmodkit.repo.apt.AptRepository;
import org.kmodkit.formats.deb.DebWriter;
import org.kmodkit.server.RepoServer;
import org.kmodkit.server.TlsConfig;
import org.kmodkit.testkit.KoBuilder;

/**
 * Debian packages and an APT repository written in-process, judged by the real tools: dpkg-deb
 * reads the package as the spec said; apt-get, with its own state, cache and sources in a temporary
 * directory and a signed-by keyring, fetches the repository over HTTP from RepoServer, verifies
 * InRelease and downloads the package byte for byte; a repository re-signed by another key or
 * with a tampered InRelease is refused by apt.
 */
class AptShipIT {
  @TempDir Path tmp;

  PackageSpec spec() throws Exception {
    Path ko = tmp.resolve("hello.ko");
    Files.write(ko, "\u007fELF pretend module bytes".getBytes(StandardCharsets.ISO_8859_1));
    Path conf = tmp.resolve("hello.conf");
    Files.writeString(conf, "options hello debug=1\n");
    return new PackageSpec("hello-kmod", "1.2", "3", "x86_64", "hello driver rebuilt for 6.1.0-56-cloud-amd64",
        "Rebuilt by kmodkit against the headers of 6.1.0-56-cloud-amd64.\n\nA second paragraph.", "GPL-2.0-only", "Example Corp <drivers@example.com>",
        "https://example.com/hello", 1_700_000_000L,
        List.of(new PayloadFile("/lib/modules/6.1.0-56-cloud-amd64/updates/hello.ko", 0644, ko), new PayloadFile("/etc/modprobe.d/hello.conf", 0644, conf)),
        List.of(Relation.eq("linux-image-6.1.0-56-cloud-amd64", "6.1.192-2"), Relation.eq("kernel(netif_rx)", "0x12345678")),
        List.of(Relation.any("hello-modules")), List.of(new Relation("hello-dkms", Relation.Op.LT, "2.0")),
        new Scriptlets(null, "depmod -a 6.1.0-56-cloud-amd64 || true", null, null));
  }

  @Test
  void dpkgDebReadsTheControlFieldsAndFilesTheSpecSaid() throws Exception {
    Path out = Files.createDirectories(tmp.resolve("out"));
    Path deb = new DebWriter().write(spec(), out, null);
    Proc.Result info = Proc.check(tmp, 60, "dpkg-deb", "--info", deb.toString());
    assertThat(info.out()).contains(" Package: hello-kmod\n", " Version: 1.2-3\n", " Architecture: amd64\n", " Maintainer: Example Corp <drivers@example.com>\n",
        " Depends: linux-image-6.1.0-56-cloud-amd64 (= 6.1.192-2)\n", " Provides: hello-modules\n", " Conflicts: hello-dkms (<< 2.0)\n",
        " Section: kernel\n", " Description: hello driver rebuilt for 6.1.0-56-cloud-amd64\n", "  .\n  A second paragraph.\n")
        .contains("postinst").doesNotContain("kernel(netif_rx)");
    Proc.Result postinst = Proc.check(tmp, 60, "dpkg-deb", "--info", deb.toString(), "postinst");
    assertThat(postinst.out()).isEqualTo("#!/bin/sh\nset -e\ndepmod -a 6.1.0-56-cloud-amd64 || true\n");
    Proc.Result contents = Proc.check(tmp, 60, "dpkg-deb", "--contents", deb.toString());
    assertThat(contents.out()).containsPattern("drwxr-xr-x root/root +0 2023-11-1\\d \\d\\d:\\d\\d \\./lib/modules/6\\.1\\.0-56-cloud-amd64/updates/\n")
        .containsPattern("-rw-r--r-- root/root +" + Files.size(tmp.resolve("hello.ko")) + " .* \\./lib/modules/6\\.1\\.0-56-cloud-amd64/updates/hello\\.ko\n")
        .contains("./etc/modprobe.d/hello.conf");
    Path root = Files.createDirectories(tmp.resolve("x"));
    Proc.check(tmp, 60, "dpkg-deb", "--extract", deb.toString(), root.toString());
    assertThat(root.resolve("lib/modules/6.1.0-56-cloud-amd64/updates/hello.ko")).hasSameBinaryContentAs(tmp.resolve("hello.ko"));
  }

  @Test
  void dpkgInstallsAndRemovesThePackageInAFreshRoot() throws Exception {
    PackageSpec full = spec();
    // no maintainer scripts: dpkg would chroot into the fresh root to run them, and it holds no /bin/sh
    PackageSpec spec = new PackageSpec(full.name(), full.version(), full.release(), full.arch(), full.summary(), full.description(), full.license(),
        full.vendor(), full.url(), full.buildTime(), full.files(), List.of(), full.provides(), full.conflicts(), null);
    Path deb = new DebWriter().write(spec, Files.createDirectories(tmp.resolve("out")), null);
    Path root = tmp.resolve("root");
    Path admin = Files.createDirectories(root.resolve("var/lib/dpkg"));
    Files.createDirectories(admin.resolve("updates"));
    Files.createDirectories(admin.resolve("info"));
    Files.writeString(admin.resolve("status"), "");
    Proc.Result install = Proc.run(tmp, 120, "dpkg", "--root=" + root, "--force-not-root", "--log=/dev/null", "-i", deb.toString());
    assertThat(install.code()).as(install.out() + install.err()).isZero();
    Path ko = root.resolve("lib/modules/6.1.0-56-cloud-amd64/updates/hello.ko");
    assertThat(ko).hasSameBinaryContentAs(tmp.resolve("hello.ko"));
    assertThat(java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(ko))).isEqualTo("rw-r--r--");
    Proc.Result query = Proc.check(tmp, 60, "dpkg-query", "--admindir=" + admin, "-W", "-f", "${Package} ${Version} ${Status} ${Provides}\n", "hello-kmod");
    assertThat(query.out()).isEqualTo("hello-kmod 1.2-3 install ok installed hello-modules\n");
    // dpkg checked the md5sums we wrote against the files
    Proc.Result verify = Proc.run(tmp, 60, "dpkg", "--root=" + root, "--verify", "hello-kmod");
    assertThat(verify.code()).as(verify.out() + verify.err()).isZero();
    assertThat(verify.out()).isEmpty();
    Proc.Result remove = Proc.run(tmp, 120, "dpkg", "--root=" + root, "--force-not-root", "--log=/dev/null", "--purge", "hello-kmod");
    assertThat(remove.code()).as(remove.out() + remove.err()).isZero();
    assertThat(ko).doesNotExist();
  }

  @Test
  void thePlannersDebianPackagesAreWhatDpkgDebReadsIncludingTheKernelOnlyAlternatives() throws Exception {
    Path build = tmp.resolve("build");
    for (String rel : List.of("6.1.0-9-amd64", "6.1.0-10-amd64")) {
      Path extra = Files.createDirectories(build.resolve(rel).resolve("extra/acme"));
      KoBuilder.module("acme_core").vermagic(rel + " SMP mod_unload modversions ").uses("module_layout", 0x0badf00dL).exports("acme_register", 0xabcdef01L).writeTo(extra);
    }
    List<PackageSpec> specs = PackagePlanner.scan(new PackagePlanner.Request("acme", "2.4", null, false, null, "ACME", 1_700_000_000L), build).deb();
    Path out = Files.createDirectories(tmp.resolve("debs"));
    for (PackageSpec s : specs) {
      Path deb = new DebWriter().write(s, out, null);
      Proc.Result info = Proc.check(tmp, 60, "dpkg-deb", "--info", deb.toString());
      assertThat(info.out()).contains(" Package: " + s.name() + "\n", " Version: 2.4-1\n", " Architecture: amd64\n", " Maintainer: ACME\n");
      if (s.name().endsWith("-kernel-only")) {
        assertThat(info.out()).contains(" Depends: acme-modules-6.1.0-9-amd64 | acme-modules-6.1.0-10-amd64\n");
      } else {
        assertThat(info.out()).containsPattern(" Depends: linux-image-6\\.1\\.0-\\d+-amd64\n").contains("postinst", "postrm");
        assertThat(Proc.check(tmp, 60, "dpkg-deb", "--contents", deb.toString()).out()).contains("/extra/acme/acme_core.ko");
      }
    }
  }

  @Test
  void aptFetchesTheSignedRepositoryOverHttpAndDownloadsThePackageAndRefusesAnotherKeyOrATamperedInRelease() throws Exception {
    OpenPgpSigner key = OpenPgpSigner.generate("kmodkit e2e <e2e@kmodkit.invalid>", 2048);
    Path repo = Files.createDirectories(tmp.resolve("repo"));
    Path deb = new DebWriter().write(spec(), Files.createDirectories(repo.resolve("pool")), key);
    // the _gpgorigin member is what debsig-verify checks: a detached signature over debian-binary, control.tar.xz and data.tar.xz in a row
    Path members = Files.createDirectories(tmp.resolve("members"));
    Proc.check(members, 60, "ar", "x", deb.toString());
    assertThat(Proc.check(members, 60, "ar", "t", deb.toString()).out()).isEqualTo("debian-binary\ncontrol.tar.xz\ndata.tar.xz\n_gpgorigin\n");
    Path signed = members.resolve("signed");
    try (var o = Files.newOutputStream(signed)) {
      for (String m : List.of("debian-binary", "control.tar.xz", "data.tar.xz")) {
        o.write(Files.readAllBytes(members.resolve(m)));
      }
    }
    Path pubring = tmp.resolve("pubring.gpg");
    Files.write(pubring, key.publicKeyBinary());
    Proc.Result gpgv = Proc.run(members, 60, "gpgv", "--keyring", pubring.toString(), "_gpgorigin", "signed");
    assertThat(gpgv.code()).as(gpgv.err()).isZero();
    assertThat(gpgv.err()).contains("Good signature");
    List<String> log = java.util.Collections.synchronizedList(new ArrayList<>());
    try (RepoServer server = RepoServer.start(repo, "127.0.0.1", 0, null, log::add)) {
      new AptRepository().create(repo, new RepoOptions("kk", key, true, List.of(), server.url()));
      assertThat(Files.readString(repo.resolve("kk.list"))).isEqualTo("deb [signed-by=/etc/apt/keyrings/kk.gpg] " + server.url() + " kmodkit main\n");
      // the node's keyring: the binary kk.gpg exactly as the repository publishes it
      Path keyring = tmp.resolve("keyrings/kk.gpg");
      Files.createDirectories(keyring.getParent());
      Files.copy(repo.resolve("kk.gpg"), keyring);
      String sources = "deb [signed-by=" + keyring + "] " + server.url() + " kmodkit main\n";

      Path node = tmp.resolve("node1");
      Proc.Result update = apt(node, sources, "update");
      assertThat(update.code()).as(update.out() + update.err()).isZero();
      assertThat(update.out() + update.err()).doesNotContain("W:", "E:");
      Proc.Result show = apt(node, sources, "show");
      assertThat(show.out()).contains("Package: hello-kmod", "Version: 1.2-3", "SHA256: " + sha256(deb));
      Proc.Result download = apt(node, sources, "download");
      assertThat(download.code()).as(download.out() + download.err()).isZero();
      Path fetched = node.resolve("hello-kmod_1.2-3_amd64.deb");
      assertThat(sha256(fetched)).isEqualTo(sha256(deb));
      assertThat(log).anySatisfy(l -> assertThat(l).contains("GET /dists/kmodkit/InRelease 200"));
      assertThat(log).anySatisfy(l -> assertThat(l).contains("GET /pool/hello-kmod_1.2-3_amd64.deb 200"));
      // Acquire-By-Hash: apt took the index by its hash, which is what survives a switch mid-update
      assertThat(log).anySatisfy(l -> assertThat(l).containsPattern("GET /dists/kmodkit/main/binary-amd64/by-hash/SHA256/[0-9a-f]{64} 200"));

      // the same packages, the metadata now signed by a key the node does not hold
      new AptRepository().create(repo, new RepoOptions("kk", OpenPgpSigner.generate("intruder <x@kmodkit.invalid>", 2048), false, List.of(), server.url()));
      Proc.Result refused = apt(tmp.resolve("node2"), sources, "update");
      assertThat(refused.code()).isNotZero();
      assertThat(refused.out() + refused.err()).containsAnyOf("NO_PUBKEY", "is not signed").contains("E:");

      // signed by the right key again, then one byte of InRelease changed
      new AptRepository().create(repo, new RepoOptions("kk", key, false, List.of(), server.url()));
      Path inRelease = repo.resolve("dists/kmodkit/InRelease");
      String text = Files.readString(inRelease);
      Files.writeString(inRelease, text.replace("Label: kk", "Label: kx"));
      Proc.Result tampered = apt(tmp.resolve("node3"), sources, "update");
      assertThat(tampered.code()).isNotZero();
      assertThat(tampered.out() + tampered.err()).containsAnyOf("BADSIG", "is not signed", "signature").contains("E:");
    }
  }

  @Test
  void aptFetchesOverHttpsFromACertificateAndKeyOpensslWrote() throws Exception {
    Path cert = tmp.resolve("cert.pem");
    Path keyPem = tmp.resolve("key.pem");
    Proc.check(tmp, 120, "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", keyPem.toString(), "-out", cert.toString(),
        "-days", "2", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1");
    OpenPgpSigner key = OpenPgpSigner.generate("kmodkit e2e <e2e@kmodkit.invalid>", 2048);
    Path repo = Files.createDirectories(tmp.resolve("repo"));
    Path deb = new DebWriter().write(spec(), repo, key);
    try (RepoServer server = RepoServer.start(repo, "127.0.0.1", 0, new TlsConfig(cert, keyPem))) {
      assertThat(server.url()).startsWith("https://127.0.0.1:");
      new AptRepository().create(repo, new RepoOptions("kk", key, true, List.of(), server.url()));
      String sources = "deb [signed-by=" + repo.resolve("kk.gpg") + "] " + server.url() + " kmodkit main\n";
      Path node = tmp.resolve("node");
      Proc.Result update = apt(node, sources, "update", "-o", "Acquire::https::CaInfo=" + cert);
      assertThat(update.code()).as(update.out() + update.err()).isZero();
      assertThat(update.out() + update.err()).doesNotContain("W:", "E:");
      Proc.Result download = apt(node, sources, "download", "-o", "Acquire::https::CaInfo=" + cert);
      assertThat(download.code()).as(download.out() + download.err()).isZero();
      assertThat(sha256(node.resolve("hello-kmod_1.2-3_amd64.deb"))).isEqualTo(sha256(deb));
      // without the certificate apt does not trust the server
      Proc.Result untrusted = apt(tmp.resolve("node2"), sources, "update");
      // (apt-get update exits 0 when a source cannot be fetched; it warns and keeps no index)
      assertThat(untrusted.out() + untrusted.err()).as(untrusted.out() + untrusted.err()).containsIgnoringCase("certificate").contains("Failed to fetch");
      try (var lists = Files.list(tmp.resolve("node2/state/lists"))) {
        assertThat(lists.map(p -> p.getFileName().toString())).noneMatch(n -> n.endsWith("_Packages") || n.endsWith("InRelease"));
      }
    }
  }

  /** apt-get (or apt-cache for show) with all its state in NODE, ignoring the host's sources and keys. */
  static Proc.Result apt(Path node, String sources, String what, String... extra) throws Exception {
    Files.createDirectories(node.resolve("state/lists/partial"));
    Files.createDirectories(node.resolve("cache/archives/partial"));
    Files.createDirectories(node.resolve("trusted.d"));
    Files.createDirectories(node.resolve("parts.d"));
    Files.writeString(node.resolve("kk.list"), sources);
    if (!Files.exists(node.resolve("status"))) {
      Files.writeString(node.resolve("status"), "");
    }
    List<String> cmd = new ArrayList<>(List.of(what.equals("show") ? "apt-cache" : "apt-get",
        "-o", "Dir::State=" + node.resolve("state"), "-o", "Dir::State::status=" + node.resolve("status"),
        "-o", "Dir::Cache=" + node.resolve("cache"), "-o", "Dir::Etc::SourceList=" + node.resolve("kk.list"),
        "-o", "Dir::Etc::SourceParts=" + node.resolve("parts.d"), "-o", "Dir::Etc::Trusted=" + node.resolve("trusted.gpg"),
        "-o", "Dir::Etc::TrustedParts=" + node.resolve("trusted.d"), "-o", "Dir::Etc::Preferences=" + node.resolve("preferences"),
        "-o", "Dir::Etc::PreferencesParts=" + node.resolve("parts.d"), "-o", "APT::Architecture=amd64", "-o", "APT::Architectures=amd64",
        "-o", "Acquire::Languages=none", "-o", "Acquire::http::Proxy=DIRECT", "-o", "Debug::NoLocking=1",
        // apt drops to _apt for downloads, which cannot write into a private temporary directory
        "-o", "APT::Sandbox::User=root"));
    cmd.addAll(List.of(extra));
    switch (what) {
      case "update" -> cmd.add("update");
      case "show" -> cmd.addAll(List.of("show", "hello-kmod"));
      case "download" -> cmd.addAll(List.of("download", "hello-kmod"));
      default -> throw new IllegalArgumentException(what);
    }
    return Proc.run(node, 120, cmd.toArray(new String[0]));
  }

  static String sha256(Path file) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)));
  }
}
