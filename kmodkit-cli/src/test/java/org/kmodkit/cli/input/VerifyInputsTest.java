package org.kmodkit.cli.input;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPOutputStream;
import org.apache.commons.compress.archivers.ar.ArArchiveEntry;
import org.apache.commons.compress.archivers.ar.ArArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.kmodkit.core.BadInputException;
import org.kmodkit.core.tree.ModuleTree;
import org.kmodkit.core.tree.Sysroot;
import org.kmodkit.core.verify.VerifySet;
import org.kmodkit.core.verify.VmKernel;
import org.kmodkit.testkit.KoBuilder;

class VerifyInputsTest {
  static final String R = "6.1.0-56-cloud-amd64";
  static final String LINK = "->";

  @TempDir Path dir;

  static byte[] bzImage(String release) {
    byte[] b = new byte[0x5000];
    ByteBuffer h = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
    h.putInt(0x202, 0x53726448);
    h.putShort(0x206, (short) 0x020f);
    h.putShort(0x20e, (short) 0x42c0);
    byte[] v = (release + " (debian-kernel@lists.debian.org) #1 SMP").getBytes(StandardCharsets.US_ASCII);
    System.arraycopy(v, 0, b, 0x44c0, v.length);
    return b;
  }

  static byte[] ko(String name) {
    return KoBuilder.module(name).vermagic(R + " SMP preempt mod_unload modversions ").build();
  }

  /** A .deb (ar: debian-binary, control.tar.gz, data.tar.gz) installing {@code files}; a value starting "->" is a symlink. */
  Path deb(String name, Map<String, Object> files) throws IOException {
    ByteArrayOutputStream data = new ByteArrayOutputStream();
    try (TarArchiveOutputStream tar = new TarArchiveOutputStream(new GZIPOutputStream(data))) {
      for (Map.Entry<String, Object> f : files.entrySet()) {
        if (f.getValue() instanceof String s && s.startsWith(LINK)) {
          TarArchiveEntry e = new TarArchiveEntry("." + f.getKey(), TarConstants.LF_SYMLINK);
          e.setLinkName(s.substring(LINK.length()));
          tar.putArchiveEntry(e);
        } else {
          byte[] bytes = f.getValue() instanceof byte[] b ? b : ((String) f.getValue()).getBytes(StandardCharsets.UTF_8);
          TarArchiveEntry e = new TarArchiveEntry("." + f.getKey());
          e.setSize(bytes.length);
          tar.putArchiveEntry(e);
          tar.write(bytes);
        }
        tar.closeArchiveEntry();
      }
    }
    ByteArrayOutputStream control = new ByteArrayOutputStream();
    try (TarArchiveOutputStream tar = new TarArchiveOutputStream(new GZIPOutputStream(control))) {
      byte[] c = ("Package: " + name + "\nVersion: 1\nArchitecture: amd64\n").getBytes(StandardCharsets.UTF_8);
      TarArchiveEntry e = new TarArchiveEntry("./control");
      e.setSize(c.length);
      tar.putArchiveEntry(e);
      tar.write(c);
      tar.closeArchiveEntry();
    }
    Path p = dir.resolve(name + ".deb");
    try (OutputStream out = Files.newOutputStream(p); ArArchiveOutputStream ar = new ArArchiveOutputStream(out)) {
      member(ar, "debian-binary", "2.0\n".getBytes(StandardCharsets.US_ASCII));
      member(ar, "control.tar.gz", control.toByteArray());
      member(ar, "data.tar.gz", data.toByteArray());
    }
    return p;
  }

  static void member(ArArchiveOutputStream ar, String name, byte[] bytes) throws IOException {
    ar.putArchiveEntry(new ArArchiveEntry(name, bytes.length));
    ar.write(bytes);
    ar.closeArchiveEntry();
  }

  Map<String, Object> image(String release) {
    Map<String, Object> f = new LinkedHashMap<>();
    f.put("/boot/vmlinuz-" + release, bzImage(release));
    f.put("/boot/config-" + release, "CONFIG_MODVERSIONS=y\nCONFIG_MODULE_FORCE_LOAD=y\n");
    f.put("/lib/modules/" + release + "/kernel/drivers/uio/uio.ko", ko("uio"));
    f.put("/lib/modules/" + release + "/modules.builtin", "kernel/crypto/crc32c_generic.ko\n");
    f.put("/lib/modules/" + release + "/build", LINK + "/usr/src/linux-headers-" + release);
    f.put("/usr/share/doc/linux-image-" + release + "/changelog.Debian.gz", "not unpacked");
    return f;
  }

  /** What verify boots for {@code args} (with {@code root}): one KERNEL read as {@link KernelSpec} does. */
  static VmKernel kernel(List<String> args, Path root, Path scratch) throws Exception {
    return KernelSpec.one(args, root).bootImage(scratch);
  }

  @Test
  void aKernelImagePackageIsUnpackedIntoScratchSpaceAndBootsFromThere() throws Exception {
    Path scratch = dir.resolve("scratch");
    VmKernel k = kernel(List.of(deb("linux-image-" + R, image(R)).toString()), null, scratch);
    assertThat(k.release()).isEqualTo(R);
    assertThat(k.image()).isEqualTo(scratch.resolve("kernel/boot/vmlinuz-" + R));
    assertThat(k.root().root()).isEqualTo(scratch.resolve("kernel"));
    ModuleTree tree = k.tree();
    assertThat(tree.module("uio")).isPresent();
    assertThat(tree.isBuiltin("crc32c_generic")).isTrue();
    assertThat(Files.isSymbolicLink(scratch.resolve("kernel/lib/modules/" + R + "/build"))).isTrue();
    assertThat(scratch.resolve("kernel/usr")).as("only /boot and /lib/modules are unpacked").doesNotExist();
  }

  @Test
  void packagesOfTwoKernelsAreRefused() throws Exception {
    Path a = deb("a", image(R));
    Path b = deb("b", image("6.1.0-55-cloud-amd64"));
    assertThatThrownBy(() -> kernel(List.of(a.toString(), b.toString()), null, dir.resolve("s")))
        .isInstanceOf(BadInputException.class)
        .hasMessage(a + ", " + b + ": hold files of different kernels (6.1.0-55-cloud-amd64, " + R + "); pass the packages of one kernel");
  }

  @Test
  void aPackageThatInstallsNoKernelIsRefusedWithTheNextStep() throws Exception {
    Path p = deb("linux-headers-" + R, Map.of("/usr/src/linux-headers-" + R + "/Module.symvers", "0x1\tx\tvmlinux\tEXPORT_SYMBOL\t\n"));
    assertThatThrownBy(() -> kernel(List.of(p.toString()), null, dir.resolve("s")))
        .hasMessage(p + ": install no kernel (no /lib/modules/<release>/); pass the kernel's image package (Debian linux-image-<release>, RHEL kernel-core)");
  }

  @Test
  void aReleaseUnderARootFindsItsImageInBootOrInTheTreeAsRhelShipsIt() throws Exception {
    Path debian = dir.resolve("debian");
    Files.createDirectories(debian.resolve("boot"));
    Files.createDirectories(debian.resolve("lib/modules/" + R));
    Files.write(debian.resolve("boot/vmlinuz-" + R), bzImage(R));
    assertThat(kernel(List.of(R), debian, dir.resolve("s")).image()).isEqualTo(debian.resolve("boot/vmlinuz-" + R));
    String el = "5.14.0-427.el9.x86_64";
    Path rhel = dir.resolve("rhel");
    Files.createDirectories(rhel.resolve("lib/modules/" + el));
    Files.write(rhel.resolve("lib/modules/" + el + "/vmlinuz"), bzImage(el));
    assertThat(kernel(List.of(el), rhel, dir.resolve("s")).image()).isEqualTo(rhel.resolve("lib/modules/" + el + "/vmlinuz"));
    assertThatThrownBy(() -> kernel(List.of("6.1.0-99-cloud-amd64"), debian, dir.resolve("s")))
        .hasMessageContaining("kernel 6.1.0-99-cloud-amd64 has no image under " + debian);
  }

  @Test
  void aVmlinuzInARootsBootFindsTheTreeBesideItAndABareOneHasNone() throws Exception {
    Path root = dir.resolve("root");
    Files.createDirectories(root.resolve("boot"));
    Files.createDirectories(root.resolve("lib/modules/" + R));
    Path inBoot = Files.write(root.resolve("boot/vmlinuz-" + R), bzImage(R));
    assertThat(kernel(List.of(inBoot.toString()), null, dir.resolve("s")).root()).isEqualTo(new Sysroot(root));
    Path bare = Files.write(dir.resolve("vmlinuz"), bzImage(R));
    assertThat(kernel(List.of(bare.toString()), null, dir.resolve("s")).root()).isNull();
    assertThatThrownBy(() -> kernel(List.of(bare.toString()), dir.resolve("empty-root"), dir.resolve("s")))
        .hasMessageContaining("is not a directory; --root takes the root of a system image");
  }

  @Test
  void aDriverPackagesModulesAreOneSetNamedAfterThePackageEntries() throws Exception {
    Map<String, Object> files = new LinkedHashMap<>();
    files.put("/lib/modules/" + R + "/updates/dkms/igb_uio.ko", ko("igb_uio"));
    files.put("/usr/share/doc/dpdk-kmods-dkms/copyright", "x");
    Path pkg = deb("igb-uio-modules", files);
    Path modules = Files.createDirectories(dir.resolve("mods"));
    Files.write(modules.resolve("hello.ko"), ko("hello"));
    VerifyInputs.Sets sets = VerifyInputs.moduleSets(List.of(pkg, modules, dir.resolve("missing")), dir.resolve("scratch"));
    assertThat(sets.sets()).extracting(VerifySet::name).containsExactly(pkg.toString(), modules.toString());
    VerifySet fromPackage = sets.sets().get(0);
    assertThat(fromPackage.modules()).singleElement().satisfies(m -> {
      assertThat(m.module().path()).isEqualTo(pkg + ":/lib/modules/" + R + "/updates/dkms/igb_uio.ko");
      assertThat(Files.readAllBytes(m.file())).isEqualTo(ko("igb_uio"));
    });
    assertThat(sets.errors()).singleElement().satisfies(e -> assertThat(e.getMessage()).isEqualTo(dir.resolve("missing") + ": no such file or directory; check the path"));
  }

  @Test
  void aPackageThatWritesThroughItsOwnLinkIsRefusedAndNothingLandsOutsideTheScratchSpace() throws Exception {
    Path outside = Files.createDirectories(dir.resolve("outside"));
    Map<String, Object> files = new LinkedHashMap<>();
    // lib/modules/R lies three levels below the unpack root, which lies in scratch/: five levels up is dir
    files.put("/lib/modules/" + R + "/kernel", LINK + "../".repeat(5) + "outside");
    files.put("/lib/modules/" + R + "/kernel/evil.ko", ko("evil"));
    Path pkg = deb("evil", files);
    assertThatThrownBy(() -> kernel(List.of(pkg.toString()), null, dir.resolve("scratch")))
        .isInstanceOf(BadInputException.class)
        .hasMessageStartingWith(pkg + ": entry 'lib/modules/" + R + "/kernel' is a link leading out of the directory (../../../../../outside): refusing the whole archive");
    assertThat(outside.resolve("evil.ko")).doesNotExist();
    assertThat(dir.resolve("scratch")).as("no partial tree").satisfiesAnyOf(k -> assertThat(k).doesNotExist(), k -> assertThat(k).isEmptyDirectory());
  }
}
