package org.kmodkit.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.kmodkit.testkit.FakeRoot;

/**
 * The kernel hooks kmodkit's packages ship (src/main/dist) and the weak-modules take-over: run as
 * the kernel's packages and kernel-install run them, with a stand-in kmodkit (KMODKIT_HOOK_BIN)
 * that records its arguments or fails; the take-over on a fake rpm root and on a fake dpkg root,
 * with the real dpkg-divert.
 */
class KernelHooksTest {
  static final Path DIST = Path.of("src/main/dist").toAbsolutePath();
  static final String K = "6.1.0-56-cloud-amd64";

  @TempDir Path dir;

  record Run(int code, String out, String err) {}

  Run sh(Path stand, String... cmd) throws Exception {
    ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir.toFile());
    pb.environment().put("KMODKIT_HOOK_BIN", stand.toString());
    Path out = dir.resolve("out"), err = dir.resolve("err");
    Process p = pb.redirectOutput(out.toFile()).redirectError(err.toFile()).start();
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    return new Run(p.exitValue(), Files.readString(out), Files.readString(err));
  }

  /** A kmodkit that records its arguments, prints a line, and exits with CODE after saying ERROR on stderr. */
  Path standIn(int code, String error) throws Exception {
    Path f = dir.resolve("kmodkit-" + code);
    Files.writeString(f, "#!/bin/sh\necho \"$*\" >> " + dir.resolve("calls") + "\necho 'linked 7 modules'\n"
        + (error == null ? "" : "echo '" + error + "' >&2\n") + "exit " + code + "\n");
    Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rwxr-xr-x"));
    return f;
  }

  @Test
  void theHooksRunWeakModulesForTheKernelWithoutRebuildingTheInitramfsWhichTheNextHookBuilds() throws Exception {
    Path ok = standIn(0, null);
    Path hook = DIST.resolve("usr/lib/kmodkit/kernel-hook");
    assertThat(sh(ok, hook.toString(), "add", K)).isEqualTo(new Run(0, "linked 7 modules\n", ""));
    assertThat(sh(ok, hook.toString(), "remove", K).code()).isZero();
    // kernel-install's plugin: COMMAND KERNEL_VERSION ENTRY_DIR KERNEL_IMAGE; other commands are not ours
    Path plugin = DIST.resolve("usr/lib/kernel/install.d/45-kmodkit.install");
    Run viaPlugin = sh(ok, "sh", "-c", "sed 's:/usr/lib/kmodkit/kernel-hook:" + hook + ":g' " + plugin + " > p; sh p add " + K + " /boot/x /boot/vmlinuz-" + K + "; sh p inspect " + K);
    assertThat(viaPlugin.code()).as(viaPlugin.err()).isZero();
    // a Debian kernel's postrm runs postrm.d for upgrade and purge too: only its removal drops the links
    Path postrm = DIST.resolve("etc/kernel/postrm.d/driver-kmodkit");
    for (String params : List.of("upgrade 6.1.192-3", "purge", "remove")) {
      Run r = sh(ok, "sh", "-c", "sed 's:/usr/lib/kmodkit/kernel-hook:" + hook + ":g' " + postrm + " > q; DEB_MAINT_PARAMS='" + params + "' sh q " + K + " /boot/vmlinuz-" + K);
      assertThat(r.code()).as(r.err()).isZero();
    }
    assertThat(Files.readAllLines(dir.resolve("calls"))).containsExactly(
        "weak-modules --add-kernel " + K + " --no-initramfs", "weak-modules --remove-kernel " + K + " --no-initramfs", "weak-modules --add-kernel " + K + " --no-initramfs",
        "weak-modules --remove-kernel " + K + " --no-initramfs");
  }

  @Test
  void aFailingKmodkitNeverFailsTheKernelInstallAndSaysInOneLineWhatToRun() throws Exception {
    Path bad = standIn(3, "kmodkit: depmod for " + K + " failed (1): oops");
    Run r = sh(bad, DIST.resolve("usr/lib/kmodkit/kernel-hook").toString(), "add", K);
    assertThat(r.code()).isZero();
    assertThat(r.err()).isEqualTo("kmodkit: linking out-of-tree modules into kernel " + K + " failed (exit 3: kmodkit: depmod for " + K
        + " failed (1): oops); the kernel's packages go on; run: kmodkit weak-modules --add-kernel " + K + "\n");
    Run noRelease = sh(bad, DIST.resolve("usr/lib/kmodkit/kernel-hook").toString(), "remove");
    assertThat(noRelease.code()).isZero();
    assertThat(noRelease.err()).contains("run: kmodkit weak-modules --remove-kernel RELEASE").hasLineCount(1);
    // kmodkit removed but not purged: the conffile hooks find no kernel-hook and stay quiet
    Run removed = sh(bad, "sh", DIST.resolve("etc/kernel/postinst.d/driver-kmodkit").toString(), K);
    assertThat(removed.code()).isZero();
  }

  @Test
  void debiansRunPartsRunsTheHookAfterDkmsAndBeforeInitramfsTools() throws Exception {
    for (String d : List.of("postinst.d", "postrm.d")) {
      Path hooks = Files.createDirectories(dir.resolve(d));
      for (String name : List.of("dkms", "initramfs-tools", "zz-update-grub", "apt-auto-removal")) {
        Files.writeString(hooks.resolve(name), "#!/bin/sh\n");
        Files.setPosixFilePermissions(hooks.resolve(name), PosixFilePermissions.fromString("rwxr-xr-x"));
      }
      try (var ours = Files.list(DIST.resolve("etc/kernel").resolve(d))) {
        for (Path p : ours.toList()) {
          assertThat(Files.isExecutable(p)).as(p.toString()).isTrue();
          Files.copy(p, hooks.resolve(p.getFileName()));
        }
      }
      Run r = sh(dir, "run-parts", "--list", hooks.toString());
      assertThat(r.out().lines().map(l -> l.substring(l.lastIndexOf('/') + 1)).toList())
          .containsExactly("apt-auto-removal", "dkms", "driver-kmodkit", "initramfs-tools", "zz-update-grub");
    }
  }

  @Test
  void takeOverOnAnRpmRootMovesKmodsFileAsideRecordsItAndGiveBackRestoresIt() throws Exception {
    FakeRoot root = FakeRoot.at(dir.resolve("rpm"));
    Path wm = root.write(WeakModulesTakeOver.TARGET, "#!/bin/bash\n# kmod's weak-modules\n".getBytes());
    CliTest.Run take = CliTest.run("weak-modules", "--root", root.path().toString(), "--take-over");
    assertThat(take.code()).as(take.err()).isZero();
    assertThat(take.out()).startsWith("/usr/sbin/weak-modules now runs kmodkit weak-modules; the original is moved to /usr/sbin/weak-modules.kmodkit-orig");
    assertThat(Files.readString(wm)).isEqualTo(WeakModulesTakeOver.REPLACEMENT);
    assertThat(Files.isExecutable(wm)).isTrue();
    assertThat(root.resolve(WeakModulesTakeOver.ASIDE)).hasContent("#!/bin/bash\n# kmod's weak-modules");
    assertThat(root.resolve(WeakModulesTakeOver.STATE)).content().contains("method=moved\nmoved=/usr/sbin/weak-modules.kmodkit-orig\n");
    // twice is once
    assertThat(CliTest.run("weak-modules", "--root", root.path().toString(), "--take-over").out()).contains("already kmodkit's");
    assertThat(root.resolve(WeakModulesTakeOver.ASIDE)).hasContent("#!/bin/bash\n# kmod's weak-modules");

    CliTest.Run give = CliTest.run("weak-modules", "--root", root.path().toString(), "--give-back");
    assertThat(give.code()).as(give.err()).isZero();
    assertThat(give.out()).isEqualTo("/usr/sbin/weak-modules given back: the original is back\n");
    assertThat(wm).hasContent("#!/bin/bash\n# kmod's weak-modules");
    assertThat(root.resolve(WeakModulesTakeOver.ASIDE)).doesNotExist();
    assertThat(root.resolve("/var/lib/kmodkit")).doesNotExist();
    assertThat(CliTest.run("weak-modules", "--root", root.path().toString(), "--give-back").out()).contains("was not taken over by kmodkit; nothing done");
  }

  @Test
  void takeOverNeverWritesOutOfTheRootThroughALinkedDirectory() throws Exception {
    FakeRoot root = FakeRoot.at(dir.resolve("rpm"));
    Path outside = Files.createDirectories(dir.resolve("outside"));
    Files.createDirectories(root.resolve("/usr"));
    Files.createSymbolicLink(root.resolve("/usr/sbin"), Path.of("../../outside")); // leads out of the root
    Files.createDirectories(root.resolve("/var/lib"));
    Files.createSymbolicLink(root.resolve("/var/lib/kmodkit"), Path.of("../../../outside"));
    CliTest.Run take = CliTest.run("weak-modules", "--root", root.path().toString(), "--take-over");
    assertThat(take.code()).as(take.out() + take.err()).isEqualTo(2);
    assertThat(take.err()).startsWith("kmodkit: " + root.resolve("/usr/sbin") + ": leads out of the root through a link");
    // the state directory alone leading out is refused too
    Files.delete(root.resolve("/usr/sbin"));
    Files.createDirectories(root.resolve("/usr/sbin"));
    take = CliTest.run("weak-modules", "--root", root.path().toString(), "--take-over");
    assertThat(take.code()).as(take.out() + take.err()).isEqualTo(2);
    assertThat(take.err()).startsWith("kmodkit: " + root.resolve("/var/lib/kmodkit") + ": leads out of the root through a link");
    try (var left = Files.list(outside)) {
      assertThat(left).as("nothing written through the links").isEmpty();
    }
  }

  @Test
  void takeOverNeverOverwritesAFileKmodkitDidNotPutAside() throws Exception {
    FakeRoot root = FakeRoot.at(dir.resolve("rpm"));
    root.write(WeakModulesTakeOver.TARGET, "kmod's\n".getBytes());
    root.write(WeakModulesTakeOver.ASIDE, "someone's\n".getBytes());
    CliTest.Run take = CliTest.run("weak-modules", "--root", root.path().toString(), "--take-over");
    assertThat(take.code()).isEqualTo(2);
    assertThat(take.err()).startsWith("kmodkit: " + root.resolve(WeakModulesTakeOver.ASIDE) + ": exists and kmodkit did not put it there");
    assertThat(root.resolve(WeakModulesTakeOver.TARGET)).hasContent("kmod's");
    assertThat(root.resolve(WeakModulesTakeOver.ASIDE)).hasContent("someone's");
    assertThat(root.resolve(WeakModulesTakeOver.STATE)).doesNotExist();
  }

  @Test
  void kmodkitsReplacementWithoutItsStateFileIsNeitherDivertedNorRemovedBlindly() throws Exception {
    FakeRoot root = FakeRoot.at(dir.resolve("deb"));
    root.write("/var/lib/dpkg/status", new byte[0]);
    root.write(WeakModulesTakeOver.TARGET, WeakModulesTakeOver.REPLACEMENT.getBytes());
    for (String option : List.of("--take-over", "--give-back")) {
      CliTest.Run r = CliTest.run("weak-modules", "--root", root.path().toString(), option);
      assertThat(r.code()).as(option).isEqualTo(2);
      assertThat(r.err()).as(option).startsWith("kmodkit: " + root.resolve(WeakModulesTakeOver.STATE) + ": is missing");
    }
    assertThat(root.resolve(WeakModulesTakeOver.TARGET)).hasContent(WeakModulesTakeOver.REPLACEMENT.strip());
    assertThat(root.resolve(WeakModulesTakeOver.ASIDE)).doesNotExist();
  }

  @Test
  void takeOverOnADpkgRootIsALocalDiversionDpkgKnowsAndGiveBackRemovesIt() throws Exception {
    FakeRoot root = FakeRoot.at(dir.resolve("deb"));
    root.write("/var/lib/dpkg/status", new byte[0]);
    root.write(WeakModulesTakeOver.TARGET, "kmod's\n".getBytes());
    CliTest.Run take = CliTest.run("weak-modules", "--root", root.path().toString(), "--take-over");
    assertThat(take.code()).as(take.err()).isZero();
    Run list = sh(dir, "dpkg-divert", "--root=" + root.path(), "--list", WeakModulesTakeOver.TARGET);
    assertThat(list.out()).isEqualTo("local diversion of /usr/sbin/weak-modules to /usr/sbin/weak-modules.kmodkit-orig\n");
    assertThat(root.resolve(WeakModulesTakeOver.ASIDE)).hasContent("kmod's");
    assertThat(root.resolve(WeakModulesTakeOver.TARGET)).hasContent(WeakModulesTakeOver.REPLACEMENT.strip());

    CliTest.Run give = CliTest.run("weak-modules", "--root", root.path().toString(), "--give-back");
    assertThat(give.code()).as(give.err()).isZero();
    assertThat(sh(dir, "dpkg-divert", "--root=" + root.path(), "--list", WeakModulesTakeOver.TARGET).out()).isEmpty();
    assertThat(root.resolve(WeakModulesTakeOver.TARGET)).hasContent("kmod's");
    assertThat(root.resolve(WeakModulesTakeOver.ASIDE)).doesNotExist();
    assertThat(root.resolve("/var/lib/kmodkit")).doesNotExist();
  }
}
