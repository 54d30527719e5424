package org.kmodkit.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.kmodkit.testkit.ByteSearch.indexOf;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.zip.GZIPInputStream;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.kmodkit.formats.sign.OpenPgpSigner;
import org.kmodkit.formats.PackageSpec;
import org.kmodkit.formats.PayloadFile;
import org.kmodkit.formats.Relation;
import org.kmodkit.repo.RepoOptions;
import org.kmodkit.formats.Scriptlets;
import org.kmodkit.formats.rpm.RpmWriter;
import org.kmodkit.repo.yum.YumRepository;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

/**
 * RPMs and YUM repositories written in-process, judged by the real tools: rpm reads the
 * dependencies, rpmkeys checks the signatures against an imported key, rpm installs into a root
 * whose /bin/sh is busybox and runs %post, createrepo_c indexes the same packages, and dnf installs
 * from the repository with package and metadata signature checks on (and refuses a repository whose
 * metadata another key signed).
 */
class RpmShipIT {
  static final String K = "5.14.0-427.el9.x86_64";

  @TempDir static Path tmp;
  static OpenPgpSigner key;
  static OpenPgpSigner otherKey;
  static Path packages;
  static Path module;
  static Path pubKey;

  @BeforeAll
  static void build() throws Exception {
    key = OpenPgpSigner.generate("kmodkit e2e <e2e@example.org>", 2048);
    otherKey = OpenPgpSigner.generate("not the vendor <other@example.org>", 2048);
    pubKey = Files.writeString(tmp.resolve("pub.asc"), key.publicKeyArmored());
    Path src = Files.createDirectories(tmp.resolve("src"));
    Path ko = Files.write(src.resolve("acme.ko"), ("\177ELF" + "acme module bytes ".repeat(64)).getBytes(StandardCharsets.US_ASCII));
    Path tool = Files.writeString(src.resolve("acme-ctl"), "#!/bin/sh\necho acme\n");
    packages = Files.createDirectories(tmp.resolve("packages"));
    RpmWriter w = new RpmWriter();
    module = w.write(new PackageSpec("kmod-acme", "5.2", "1.el9", "x86_64", "Acme NIC driver", "The Acme NIC driver, rebuilt by kmodkit.", "GPL-2.0-only", "Acme", "https://acme.example",
        1_700_000_000L, List.of(new PayloadFile("/lib/modules/" + K + "/extra/acme/acme.ko", 0644, ko)),
        List.of(Relation.eq("kernel(netif_rx)", "0x1234abcd"), Relation.eq("kernel(kmalloc_caches)", "0x0badcafe")),
        List.of(Relation.eq("kmod(acme.ko)", "5.2")), List.of(new Relation("kmod-acme-legacy", Relation.Op.LT, "5")),
        new Scriptlets(null, "echo \"post $1\" > /acme-post-ran", "echo preun", null)), packages, key);
    // no scriptlets, so an empty dnf installroot can satisfy everything: the tool needs the ABI package by symbol CRC
    w.write(new PackageSpec("acme-ctl", "5.2", "1.el9", "x86_64", "Acme control tool", "Tool.", null, null, null, 1_700_000_000L,
        List.of(new PayloadFile("/usr/sbin/acme-ctl", 0755, tool)), List.of(Relation.eq("kernel(netif_rx)", "0x1234abcd")), List.of(), List.of(), null), packages, key);
    w.write(new PackageSpec("acme-abi", "1", "1", "noarch", "Provides the ABI the tool needs", "ABI.", null, null, null, 1_700_000_000L,
        List.of(new PayloadFile("/usr/share/acme/abi", 0644, tool)), List.of(), List.of(Relation.eq("kernel(netif_rx)", "0x1234abcd")), List.of(), null), packages, key);
  }

  static List<String> lines(String s) {
    return Arrays.stream(s.split("\n")).map(String::strip).filter(l -> !l.isEmpty()).toList();
  }

  @Test
  void rpmReadsTheKernelSymbolRequiresAndModuleProvidesExactly() {
    List<String> requires = lines(Proc.check(tmp, 60, "rpm", "-qp", "--requires", module.toString()).out());
    assertThat(requires.stream().filter(r -> !r.startsWith("rpmlib(") && !r.equals("/bin/sh")))
        .containsExactly("kernel(netif_rx) = 0x1234abcd", "kernel(kmalloc_caches) = 0x0badcafe");
    assertThat(lines(Proc.check(tmp, 60, "rpm", "-qp", "--provides", module.toString()).out()))
        .containsExactly("kmod(acme.ko) = 5.2", "kmod-acme = 5.2-1.el9", "kmod-acme(x86-64) = 5.2-1.el9");
    assertThat(lines(Proc.check(tmp, 60, "rpm", "-qp", "--conflicts", module.toString()).out())).containsExactly("kmod-acme-legacy < 5");
    assertThat(lines(Proc.check(tmp, 60, "rpm", "-qp", "--qf", "[%{FILEMODES:perms} %{FILEUSERNAME}:%{FILEGROUPNAME} %{FILENAMES}\n]", module.toString()).out()))
        .containsExactly("-rw-r--r-- root:root /lib/modules/" + K + "/extra/acme/acme.ko");
    assertThat(Proc.check(tmp, 60, "rpm", "-qp", "--scripts", module.toString()).out()).contains("postinstall scriptlet (using /bin/sh):\necho \"post $1\" > /acme-post-ran");
  }

  @Test
  void rpmkeysAcceptsTheSignatureOnlyWithTheVendorKeyImportedAndOnlyUntampered() throws Exception {
    Path bare = Files.createDirectories(tmp.resolve("keys-none"));
    Proc.Result without = Proc.run(tmp, 60, "rpmkeys", "--root", bare.toString(), "-K", module.toString());
    assertThat(without.code()).as(without.out() + without.err()).isNotZero();
    assertThat(without.out()).contains("SIGNATURES NOT OK");

    Path root = Files.createDirectories(tmp.resolve("keys-vendor"));
    Proc.check(tmp, 60, "rpmkeys", "--root", root.toString(), "--import", pubKey.toString());
    Proc.Result with = Proc.check(tmp, 60, "rpmkeys", "--root", root.toString(), "-K", module.toString());
    assertThat(with.out()).isEqualTo(module + ": digests signatures OK\n");

    byte[] bytes = Files.readAllBytes(module);
    int at = indexOf(bytes, "rebuilt by kmodkit".getBytes(StandardCharsets.US_ASCII));
    bytes[at] = 'R';
    Path tampered = Files.write(tmp.resolve("tampered.rpm"), bytes);
    Proc.Result bad = Proc.run(tmp, 60, "rpmkeys", "--root", root.toString(), "-K", tampered.toString());
    assertThat(bad.code()).isNotZero();
    assertThat(bad.out()).doesNotContain("digests signatures OK");
  }

  @Test
  void rpmInstallsIntoABusyboxRootAndRunsPost() throws Exception {
    Path root = Files.createDirectories(tmp.resolve("busybox-root"));
    Files.createDirectories(root.resolve("bin"));
    Path busybox = Path.of("/bin/busybox");
    assertThat(busybox).as("busybox-static must be installed (apt-get install busybox-static)").isRegularFile();
    Files.copy(busybox, root.resolve("bin/sh"), StandardCopyOption.COPY_ATTRIBUTES);
    Proc.Result r = Proc.check(tmp, 120, "rpm", "--root", root.toString(), "-i", "--nodeps", "--nosignature", module.toString());
    assertThat(root.resolve("acme-post-ran")).as(r.out() + r.err()).hasContent("post 1");
    Path ko = root.resolve("lib/modules/" + K + "/extra/acme/acme.ko");
    assertThat(Files.readAllBytes(ko)).isEqualTo(Files.readAllBytes(tmp.resolve("src/acme.ko")));
    assertThat(Files.getPosixFilePermissions(ko)).extracting(Object::toString).containsExactlyInAnyOrder("OWNER_READ", "OWNER_WRITE", "GROUP_READ", "OTHERS_READ");
    assertThat(Proc.check(tmp, 60, "rpm", "--root", root.toString(), "-q", "kmod-acme").out()).isEqualTo("kmod-acme-5.2-1.el9.x86_64\n");
  }

  @Test
  void createrepoCIndexesTheSamePackagesWithTheSameIdsAndDependencies() throws Exception {
    Path a = copyOf(packages, "createrepo_c");
    Path b = copyOf(packages, "kmodkit");
    // and one made by rpmbuild, for what kmodkit's writer never writes: epoch, %config (its
    // config(name) self-requirement), %dir, %ghost, obsoletes, a changelog
    Path real = rpmbuild();
    Files.copy(real, a.resolve(real.getFileName()), StandardCopyOption.COPY_ATTRIBUTES);
    Files.copy(real, b.resolve(real.getFileName()), StandardCopyOption.COPY_ATTRIBUTES);
    Proc.check(tmp, 300, "createrepo_c", "--no-database", a.toString());
    new YumRepository().create(b, new RepoOptions("kk", key, false, List.of(), "file://" + b));
    Map<String, Set<String>> theirs = primary(a);
    Map<String, Set<String>> ours = primary(b);
    assertThat(ours.keySet()).containsExactlyInAnyOrder("kmod-acme", "acme-ctl", "acme-abi", "realpkg");
    assertThat(ours).isEqualTo(theirs);
    for (String type : List.of("filelists", "other")) {
      assertThat(xmlLines(b, type)).as(type).isEqualTo(xmlLines(a, type));
    }
  }

  @Test
  void verifyAcceptsAPackageRpmsignSignedWithTheTrustedKeyAndRefusesItUnsigned() throws Exception {
    Path gnupg = Files.createDirectories(tmp.resolve("gnupg"));
    Files.setPosixFilePermissions(gnupg, java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
    Path secret = Files.writeString(tmp.resolve("secret.asc"), key.secretKeyArmored());
    Proc.check(tmp, 60, "gpg", "--homedir", gnupg.toString(), "--batch", "--import", secret.toString());
    Path repo = Files.createDirectories(tmp.resolve("repo-rpmsign"));
    Path unsigned = Files.copy(rpmbuild(), repo.resolve("realpkg-1.2-3.x86_64.rpm"));
    RepoOptions verify = new RepoOptions("kk", key, true, List.of(pubKey), "file://" + repo);
    assertThatThrownBy(() -> new YumRepository().create(repo, verify)).hasMessageStartingWith(unsigned + ": is not signed; ");
    try {
      Proc.check(tmp, 120, "rpmsign", "--define", "_gpg_name " + key.keyId(), "--define", "__gpg /usr/bin/gpg",
          "--define", "_gpg_path " + gnupg, "--addsign", unsigned.toString());
    } finally {
      // gpg started an agent for this home directory; it must not outlive the test
      Proc.run(tmp, 60, "gpgconf", "--homedir", gnupg.toString(), "--kill", "gpg-agent");
    }
    assertThat(new YumRepository().create(repo, verify).packages()).isEqualTo(1);
  }

  static synchronized Path rpmbuild() throws Exception {
    Path built = tmp.resolve("rpmbuild/RPMS/x86_64/realpkg-1.2-3.x86_64.rpm");
    if (Files.exists(built)) {
      return built;
    }
    Path top = Files.createDirectories(tmp.resolve("rpmbuild/SPECS"));
    Files.writeString(top.resolve("real.spec"), """
        %global debug_package %{nil}
        Name: realpkg
        Version: 1.2
        Release: 3
        Epoch: 2
        Summary: made by rpmbuild
        License: MIT
        URL: https://real.example
        Requires: kernel(netif_rx) = 0x1234abcd
        Provides: kmod(real.ko) = 1.2
        Obsoletes: oldpkg < 1
        BuildArch: x86_64
        %description
        Real package & co.
        %install
        mkdir -p %{buildroot}/etc/real %{buildroot}/usr/bin %{buildroot}/lib/modules/x
        echo a > %{buildroot}/etc/real/a.conf
        echo b > %{buildroot}/usr/bin/realtool
        echo c > %{buildroot}/lib/modules/x/real.ko
        %pre
        echo pre
        %files
        %dir /etc/real
        %config /etc/real/a.conf
        %attr(0755,root,root) /usr/bin/realtool
        /lib/modules/x/real.ko
        %ghost /var/log/real.log
        %changelog
        * Mon Nov 27 2023 Someone <s@example.org> - 2:1.2-3
        - second
        * Sun Nov 26 2023 Someone <s@example.org> - 2:1.2-2
        - first
        """);
    Path root = top.getParent();
    Proc.check(tmp, 300, "rpmbuild", "--define", "_topdir " + root, "--define", "_build_id_links none", "-bb", top.resolve("real.spec").toString());
    return root.resolve("RPMS/x86_64/realpkg-1.2-3.x86_64.rpm");
  }

  /** The lines of a metadata file, trimmed and sorted: the same content whatever the package order. */
  static List<String> xmlLines(Path repo, String type) throws Exception {
    Path gz;
    try (var s = Files.list(repo.resolve("repodata"))) {
      gz = s.filter(p -> p.getFileName().toString().endsWith(type + ".xml.gz")).findFirst().orElseThrow();
    }
    try (InputStream in = new GZIPInputStream(Files.newInputStream(gz))) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8).lines().map(String::strip).filter(l -> !l.isEmpty()).sorted().toList();
    }
  }

  @Test
  void dnfInstallsFromTheSignedRepositoryAndRefusesMetadataSignedByAnotherKey() throws Exception {
    Path repo = copyOf(packages, "repo-good");
    new YumRepository().create(repo, new RepoOptions("kk", key, true, List.of(), "file://" + repo));
    Path root = Files.createDirectories(tmp.resolve("dnf-root"));
    Proc.Result ok = dnf(repo, root, repo.resolve("RPM-GPG-KEY-kk"), "acme-ctl");
    assertThat(ok.code()).as(ok.out() + ok.err()).isZero();
    assertThat(root.resolve("usr/sbin/acme-ctl")).exists();
    assertThat(Proc.check(tmp, 60, "rpm", "--root", root.toString(), "-q", "acme-ctl", "acme-abi").out()).isEqualTo("acme-ctl-5.2-1.el9.x86_64\nacme-abi-1-1.noarch\n");

    // the same signed packages, but repomd.xml signed by a key the node does not trust
    Path forged = copyOf(packages, "repo-forged");
    new YumRepository().create(forged, new RepoOptions("kk", otherKey, false, List.of(), "file://" + forged));
    Path root2 = Files.createDirectories(tmp.resolve("dnf-root-2"));
    Proc.Result refused = dnf(forged, root2, pubKey, "acme-ctl");
    assertThat(refused.code()).as(refused.out() + refused.err()).isNotZero();
    assertThat(refused.err()).contains("repomd.xml GPG signature verification error");
    assertThat(root2.resolve("usr/sbin/acme-ctl")).doesNotExist();

    // metadata signed by the trusted key, packages by another: the package check must catch it
    Path mixed = Files.createDirectories(tmp.resolve("repo-mixed"));
    PackageSpec abi = new PackageSpec("acme-abi", "1", "1", "noarch", "ABI", "ABI.", null, null, null, 1L,
        List.of(new PayloadFile("/usr/share/acme/abi", 0644, tmp.resolve("src/acme-ctl"))), List.of(), List.of(), List.of(), null);
    new RpmWriter().write(abi, mixed, otherKey);
    new YumRepository().create(mixed, new RepoOptions("kk", key, false, List.of(), "file://" + mixed));
    Path root3 = Files.createDirectories(tmp.resolve("dnf-root-3"));
    Proc.Result unsigned = dnf(mixed, root3, pubKey, "acme-abi");
    assertThat(unsigned.code()).as(unsigned.out() + unsigned.err()).isNotZero();
    assertThat(unsigned.out() + unsigned.err()).contains("Public key for acme-abi-1-1.noarch.rpm is not installed", "GPG check FAILED");
    assertThat(root3.resolve("usr/share/acme/abi")).doesNotExist();
  }

  static Proc.Result dnf(Path repo, Path root, Path gpgKey, String pkg) throws Exception {
    Path cache = Files.createDirectories(root.resolveSibling(root.getFileName() + "-cache"));
    return Proc.run(tmp, 600, "dnf", "-y", "--installroot", root.toString(), "--releasever=9", "--setopt=reposdir=/dev/null", "--setopt=cachedir=" + cache,
        "--setopt=install_weak_deps=0", "--repofrompath=kk,file://" + repo, "--repo=kk", "--setopt=kk.gpgcheck=1", "--setopt=kk.repo_gpgcheck=1",
        "--setopt=kk.gpgkey=file://" + gpgKey, "install", pkg);
  }

  static Path copyOf(Path from, String name) throws Exception {
    Path to = Files.createDirectories(tmp.resolve(name));
    try (var s = Files.list(from)) {
      for (Path p : s.toList()) {
        Files.copy(p, to.resolve(p.getFileName()), StandardCopyOption.COPY_ATTRIBUTES);
      }
    }
    return to;
  }

  /** Per package name, everything a resolver uses from primary.xml, as comparable strings. */
  static Map<String, Set<String>> primary(Path repo) throws Exception {
    Path gz;
    try (var s = Files.list(repo.resolve("repodata"))) {
      gz = s.filter(p -> p.getFileName().toString().endsWith("primary.xml.gz")).findFirst().orElseThrow();
    }
    Element root;
    try (InputStream in = new GZIPInputStream(Files.newInputStream(gz))) {
      root = DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(in).getDocumentElement();
    }
    Map<String, Set<String>> out = new TreeMap<>();
    NodeList pkgs = root.getElementsByTagName("package");
    for (int i = 0; i < pkgs.getLength(); i++) {
      Element p = (Element) pkgs.item(i);
      Set<String> facts = new TreeSet<>();
      for (String tag : List.of("name", "arch", "summary", "description", "url")) {
        facts.add(tag + "=" + text(p, tag));
      }
      Element v = first(p, "version");
      facts.add("evr=" + v.getAttribute("epoch") + ":" + v.getAttribute("ver") + "-" + v.getAttribute("rel"));
      facts.add("pkgid=" + text(p, "checksum") + " " + first(p, "checksum").getAttribute("type"));
      facts.add("location=" + first(p, "location").getAttribute("href"));
      Element size = first(p, "size");
      facts.add("size=" + size.getAttribute("package") + "/" + size.getAttribute("installed") + "/" + size.getAttribute("archive"));
      Element range = first(p, "rpm:header-range");
      facts.add("header-range=" + range.getAttribute("start") + "-" + range.getAttribute("end"));
      facts.add("build=" + first(p, "time").getAttribute("build"));
      for (String tag : List.of("rpm:license", "rpm:vendor", "rpm:group", "rpm:buildhost", "rpm:sourcerpm")) {
        facts.add(tag + "=" + text(p, tag));
      }
      for (String kind : List.of("provides", "requires", "conflicts", "obsoletes")) {
        NodeList lists = p.getElementsByTagName("rpm:" + kind);
        for (int j = 0; j < lists.getLength(); j++) {
          NodeList entries = ((Element) lists.item(j)).getElementsByTagName("rpm:entry");
          for (int k = 0; k < entries.getLength(); k++) {
            Element e = (Element) entries.item(k);
            List<String> attrs = new ArrayList<>();
            for (String a : List.of("name", "flags", "epoch", "ver", "rel", "pre")) {
              attrs.add(a + "=" + e.getAttribute(a));
            }
            facts.add(kind + ": " + String.join(" ", attrs));
          }
        }
      }
      NodeList files = p.getElementsByTagName("file");
      for (int j = 0; j < files.getLength(); j++) {
        Element f = (Element) files.item(j);
        facts.add("file=" + f.getTextContent() + " " + f.getAttribute("type"));
      }
      out.put(text(p, "name"), facts);
    }
    return out;
  }

  static Element first(Element p, String tag) {
    return (Element) p.getElementsByTagName(tag).item(0);
  }

  static String text(Element p, String tag) {
    return first(p, tag).getTextContent();
  }
}
