package org.kmodkit.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * kmodkit's kernel hooks on a real Debian node, with no stand-in: a bookworm root made by
 * mmdebstrap from Debian's archive (cached under the kmodkit cache, keyed by its package list);
 * inside it (chroot, /proc mounted as on a node) dpkg installs kmodkit's own .deb (scripts/dist,
 * the jlink runtime: the hooks run the real kmodkit), corpus kernel 55 (no initramfs: INITRD=No)
 * and its mlx stack as a vendor package puts it under 55's extra/mlnx; then kernel 56 from the
 * corpus with dpkg -i: its postinst runs /etc/kernel/postinst.d, where kmodkit's hook links the
 * stack into 56's weak-updates before initramfs-tools builds 56's initramfs. Referees: dpkg, kmod's
 * depmod (modules.dep), initramfs-tools' lsinitramfs, verify --vm booting 56, and dpkg --purge of
 * 56, after which kmodkit's links and state for 56 are gone. The weak-modules take-over is the real
 * dpkg-divert, and removing kmodkit's package gives the file back.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class NodeHooksIT {
  static final String SUITE = "bookworm";
  static final String VARIANT = "apt";
  static final List<String> INCLUDE = List.of("kmod", "initramfs-tools", "linux-base");
  static final List<String> MLX = List.of("ib_core", "ib_uverbs", "mlxfw", "mlx5_core", "mlx5_ib", "rdma_cm", "rdma_ucm");
  static final String K55 = Corpus.release(55);
  static final String K56 = Corpus.release(56);
  static Path root;

  /** A Debian bookworm root as mmdebstrap makes it, from the cache when the same list made one before. */
  static Path tarball() throws Exception {
    String key = SUITE + " " + VARIANT + " " + String.join(",", INCLUDE);
    String hash = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8))).substring(0, 16);
    Path cache = Files.createDirectories(Corpus.cacheDir().resolve("mmdebstrap"));
    Path tar = cache.resolve(SUITE + "-" + VARIANT + "-" + hash + ".tar");
    if (!Files.exists(tar)) {
      // mmdebstrap takes the format from the name unless told: a .part would be a directory
      Path part = cache.resolve(tar.getFileName() + ".part");
      Proc.run(cache, 300, "rm", "-rf", "--one-file-system", part.toString());
      Proc.check(cache, 1800, "mmdebstrap", "--quiet", "--format=tar", "--variant=" + VARIANT, "--include=" + String.join(",", INCLUDE), SUITE, part.toString());
      Files.move(part, tar);
    }
    return tar;
  }

  /** A command inside the node, as root, with a node's environment. */
  static Proc.Result chroot(int timeout, String... cmd) {
    List<String> c = new ArrayList<>(List.of("chroot", root.toString(), "env", "-i", "PATH=/usr/sbin:/usr/bin:/sbin:/bin", "HOME=/root", "LC_ALL=C.UTF-8"));
    c.addAll(List.of(cmd));
    return Proc.run(root, timeout, c.toArray(String[]::new));
  }

  static Proc.Result chrootOk(int timeout, String... cmd) {
    Proc.Result r = chroot(timeout, cmd);
    assertThat(r.code()).as(String.join(" ", cmd) + ":\n" + r.out() + r.err()).isZero();
    return r;
  }

  static void umountProc() {
    if (root != null && Proc.run(Corpus.work(), 30, "mountpoint", "-q", root.resolve("proc").toString()).code() == 0) {
      Proc.check(Corpus.work(), 60, "umount", root.resolve("proc").toString());
    }
  }

  @BeforeAll
  static void aBookwormNodeWithKmodkitKernel55AndItsVendorMlxStack() throws Exception {
    Path deb = KmodkitDist.get().deb();
    Path tar = tarball();
    root = Corpus.work().resolve("hooks-node");
    umountProc();
    Proc.run(Corpus.work(), 300, "rm", "-rf", "--one-file-system", root.toString());
    Files.createDirectories(root);
    Proc.check(root, 600, "tar", "-xf", tar.toString(), "-C", root.toString());
    // the dynamic loader finds the runtime's libjli.so by $ORIGIN, read from /proc/self/exe: a node has /proc
    Proc.check(root, 60, "mount", "-t", "proc", "proc", root.resolve("proc").toString());
    for (Path p : List.of(deb, Corpus.image(55), Corpus.image(56))) {
      Files.copy(p, root.resolve("tmp").resolve(p.getFileName()));
    }
    chrootOk(600, "dpkg", "-i", "/tmp/" + deb.getFileName());
    Proc.Result k55 = chrootOk(600, "env", "INITRD=No", "dpkg", "-i", "/tmp/" + Corpus.image(55).getFileName());
    assertThat(k55.out()).contains("/etc/kernel/postinst.d/driver-kmodkit");
    Path extra = Files.createDirectories(root.resolve("lib/modules/" + K55 + "/extra/mlnx"));
    try (Stream<Path> s = Files.walk(root.resolve("lib/modules/" + K55 + "/kernel"))) {
      for (Path p : s.filter(p -> p.toString().endsWith(".ko") && MLX.contains(p.getFileName().toString().replace(".ko", ""))).toList()) {
        Files.copy(p, extra.resolve(p.getFileName())); // a copy, as the vendor package installs it
      }
    }
    assertThat(extra.toFile().list()).hasSize(MLX.size());
    chrootOk(300, "depmod", K55);
  }

  @AfterAll
  static void unmount() {
    umountProc();
  }

  @Test
  @Order(1)
  void installingKernel56RunsTheHookWhichLinksTheStackBeforeInitramfsToolsBuildsTheInitramfsThatHoldsIt() throws Exception {
    // one stream, as a terminal shows it: run-parts names each hook before its output
    String out = chrootOk(1200, "sh", "-c", "dpkg -i /tmp/" + Corpus.image(56).getFileName() + " 2>&1").out();
    // kmodkit's hook ran, and before initramfs-tools'
    assertThat(out).contains("/etc/kernel/postinst.d/driver-kmodkit:\n" + K56 + ": 7 links").doesNotContain("kmodkit: linking");
    assertThat(out.indexOf("postinst.d/driver-kmodkit")).isLessThan(out.indexOf("postinst.d/initramfs-tools"));

    Path live = root.resolve("lib/modules/" + K56 + "/weak-updates/kmodkit/mlnx");
    for (String m : MLX) {
      assertThat(live.resolve(m + ".ko").toRealPath()).isEqualTo(root.resolve("lib/modules/" + K55 + "/extra/mlnx/" + m + ".ko").toRealPath());
    }
    String dep = Files.readString(root.resolve("lib/modules/" + K56 + "/modules.dep"));
    assertThat(dep).contains("weak-updates/kmodkit/mlnx/mlx5_core.ko: weak-updates/kmodkit/mlnx/mlxfw.ko")
        .doesNotContain("kernel/drivers/net/ethernet/mellanox/mlx5/core/mlx5_core.ko:");
    // MODULES=most takes the network drivers: modprobe's resolution (modules.dep) puts the linked one in
    List<String> initrd = chrootOk(300, "lsinitramfs", "/boot/initrd.img-" + K56).out().lines().toList();
    assertThat(initrd).contains("usr/lib/modules/" + K56 + "/weak-updates/kmodkit/mlnx/mlx5_core.ko")
        .noneMatch(l -> l.endsWith("mellanox/mlx5/core/mlx5_core.ko") && l.contains(K56));
  }

  @Test
  @Order(2)
  void theBooted56LoadsTheLinkedVendorStackByNameAsModprobeResolvesIt() throws Exception {
    // the stack by name only, as the node's modprobe loads it: each from the path 56's modules.dep lists
    Kmodkit.Run v = Kmodkit.run("verify", "--vm", "--json", "--root", root.toString(), "--kernel", K56, "--load", String.join(",", MLX),
        "--work-dir", Corpus.work().resolve("hooks-verify").toString());
    assertThat(v.code()).as(v.out() + v.err()).isZero();
    Path tree56 = root.resolve("lib/modules/" + K56);
    List<String> linked = new ArrayList<>();
    for (JsonNode m : v.json().get("sets").get(0).get("modules")) {
      assertThat(m.get("ok").asBoolean()).as(m.toString()).isTrue();
      if (MLX.contains(m.get("name").asText())) {
        linked.add(m.get("name").asText());
        // the linked one: the vendor's file under 55's extra/mlnx, not 56's own driver
        assertThat(m.get("source").asText()).as(m.toString()).startsWith("weak-updates/kmodkit/mlnx/");
        assertThat(tree56.resolve(m.get("source").asText()).toRealPath()).startsWith(root.resolve("lib/modules/" + K55 + "/extra/mlnx").toRealPath());
      }
    }
    assertThat(linked).containsExactlyInAnyOrderElementsOf(MLX);
  }

  @Test
  @Order(3)
  void takeOverIsARealDpkgDiversionAndRemovingKmodkitGivesWeakModulesBack() throws Exception {
    Path wm = root.resolve("usr/sbin/weak-modules");
    Files.writeString(wm, "#!/bin/sh\n# another package's weak-modules\n");
    chrootOk(120, "kmodkit", "weak-modules", "--take-over");
    assertThat(chrootOk(60, "dpkg-divert", "--list", "/usr/sbin/weak-modules").out())
        .isEqualTo("local diversion of /usr/sbin/weak-modules to /usr/sbin/weak-modules.kmodkit-orig\n");
    assertThat(Files.readString(wm)).contains("exec /usr/bin/kmodkit weak-modules \"$@\"");
    // the taken-over name runs kmodkit, with RHEL's interface
    assertThat(chrootOk(120, "weak-modules", "--add-kernel", K56, "--no-initramfs").out()).contains(K56 + ": unchanged");

    Proc.Result remove = chrootOk(600, "dpkg", "-r", "kmodkit");
    assertThat(remove.out() + remove.err()).contains("/usr/sbin/weak-modules given back: diversion removed, the original is back");
    assertThat(chrootOk(60, "dpkg-divert", "--list", "/usr/sbin/weak-modules").out()).isEmpty();
    assertThat(wm).hasContent("#!/bin/sh\n# another package's weak-modules");
    assertThat(root.resolve("var/lib/kmodkit")).doesNotExist();
    // removed, not purged: the conffile hooks stay and do nothing; reinstall for the removal of 56
    chrootOk(600, "dpkg", "-i", "/tmp/" + KmodkitDist.get().deb().getFileName());
  }

  @Test
  @Order(4)
  void purgingKernel56RemovesKmodkitsLinksAndStateForIt() throws Exception {
    Proc.Result r = chrootOk(600, "dpkg", "--purge", "linux-image-" + K56 + "-unsigned");
    assertThat(r.out() + r.err()).contains(K56 + ": kmodkit's links removed").doesNotContain("kmodkit: removing");
    assertThat(root.resolve("lib/modules/" + K56)).doesNotExist();
    assertThat(root.resolve("lib/modules/.kmodkit-weak/" + K56)).doesNotExist();
    assertThat(root.resolve("etc/depmod.d/kmodkit-weak-" + K56 + ".conf")).doesNotExist();
    // 55 and its vendor modules are untouched
    assertThat(root.resolve("lib/modules/" + K55 + "/extra/mlnx/mlx5_core.ko")).isRegularFile();
  }
}
