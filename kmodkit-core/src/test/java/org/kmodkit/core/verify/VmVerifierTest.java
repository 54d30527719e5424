package org.kmodkit.core.verify;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.kmodkit.core.EnvironmentException;
import org.kmodkit.core.host.ProcessRunner;

class VmVerifierTest {
  @TempDir Path dir;

  /** Plays back a recorded console and remembers what it was asked to run, and what the initramfs held then. */
  static final class Playback implements ProcessRunner {
    final List<String> console;
    final Result result;
    List<String> command;
    Duration timeout;
    Map<String, InitramfsTest.Entry> initramfs;

    Playback(List<String> console, Result result) {
      this.console = console;
      this.result = result;
    }

    @Override
    public Result run(Command c) throws IOException {
      this.command = c.argv();
      this.timeout = c.timeout();
      try {
        initramfs = InitramfsTest.read(Files.readAllBytes(Path.of(command.get(command.indexOf("-initrd") + 1))));
      } catch (Exception e) {
        throw new IOException(e);
      }
      console.forEach(c.out());
      return result;
    }
  }

  HostTools tools() throws Exception {
    Path busybox = Files.write(dir.resolve("busybox"), HostToolsTest.elf(false));
    return new HostTools(Path.of("/usr/bin/qemu-system-x86_64"), busybox, VerifyReport.Accel.TCG);
  }

  VmKernel kernel() throws Exception {
    return new VmKernel(Files.write(dir.resolve("vmlinuz"), BootHeaderTest.bzImage("6.1.0-56-cloud-amd64 #1\0")), "6.1.0-56-cloud-amd64", null);
  }

  @Test
  void theVmHasNoNetworkNoDiskNoSharedDirectoryAndBootsTheKernelWithTheGeneratedInitramfs() throws Exception {
    BootPlan plan = ConsoleParserTest.barePlan();
    Playback qemu = new Playback(ConsoleParserTest.lines("console-56-bare-vmlinuz.log"), new ProcessRunner.Result(0, false, Duration.ofMillis(4200)));
    List<String> progress = new ArrayList<>();
    Path work = Files.createDirectories(dir.resolve("work"));
    VerifyReport r = new VmVerifier(qemu, tools(), progress::add).verify(kernel(), plan, new VmVerifier.Options(512, Duration.ofSeconds(90), work));

    assertThat(qemu.command).startsWith("/usr/bin/qemu-system-x86_64").containsSubsequence("-nic", "none").containsSubsequence("-machine", "q35,accel=tcg")
        .containsSubsequence("-m", "512").containsSubsequence("-kernel", dir.resolve("vmlinuz").toString()).contains("-no-reboot", "-nodefaults");
    assertThat(qemu.command).noneMatch(a -> a.startsWith("-drive") || a.startsWith("-hd") || a.startsWith("-virtfs") || a.startsWith("-fsdev") || a.startsWith("-netdev") || a.startsWith("-device"));
    assertThat(qemu.command.get(qemu.command.indexOf("-append") + 1)).contains("console=ttyS0", "panic=-1");
    assertThat(qemu.timeout).isEqualTo(Duration.ofSeconds(90));
    assertThat(qemu.initramfs).containsKeys("init", "bin/busybox", "m/1/hello.ko", "m/2/hello.ko", "m/1/igb_uio.ko");
    assertThat(new String(qemu.initramfs.get("init").data())).isEqualTo(GuestInit.script(plan));

    assertThat(r.outcome()).isInstanceOf(BootOutcome.Completed.class);
    assertThat(r.requested().stream().filter(ModuleResult::ok).count()).isEqualTo(7);
    assertThat(r.consoleLog()).isEqualTo(work.resolve("console.log"));
    assertThat(Files.readAllLines(r.consoleLog())).isEqualTo(ConsoleParserTest.lines("console-56-bare-vmlinuz.log"));
    assertThat(work.resolve("initramfs.cpio.gz")).as("the initramfs lives for one boot").doesNotExist();
    assertThat(progress).hasSize(2);
    assertThat(progress.get(0)).startsWith("booting 6.1.0-56-cloud-amd64 under QEMU (tcg, no network) to load 11 modules in 2 sets; console: ");
    assertThat(progress.get(1)).startsWith("kernel up: release=6.1.0-56-cloud-amd64 uptime=2.51");
  }

  @Test
  void kvmIsUsedWhenTheHostOffersIt() throws Exception {
    HostTools kvm = new HostTools(Path.of("/q"), tools().busybox(), VerifyReport.Accel.KVM);
    assertThat(VmVerifier.command(kvm, Path.of("/k"), Path.of("/i"), 256, java.util.List.of())).containsSubsequence("-machine", "q35,accel=kvm");
  }

  @Test
  void extraKernelArgumentsGoAfterKmodkitsOwnAndCannotTakeItsConsoleOrInit() throws Exception {
    java.util.List<String> cmd = VmVerifier.command(tools(), Path.of("/k"), Path.of("/i"), 256, java.util.List.of("module.sig_enforce=1"));
    assertThat(cmd.get(cmd.size() - 1)).startsWith(VmVerifier.APPEND).endsWith(" module.sig_enforce=1");
    for (String bad : java.util.List.of("console=tty0", "init=/bin/sh", "a b", "")) {
      org.assertj.core.api.Assertions.assertThatThrownBy(() -> new VmVerifier.Options(256, java.time.Duration.ofSeconds(5), Path.of("/tmp"), java.util.List.of(bad)))
          .isInstanceOf(IllegalArgumentException.class);
    }
  }

  @Test
  void aQemuThatCannotStartIsAnEnvironmentErrorNamingIt() throws Exception {
    ProcessRunner broken = c -> {
      throw new IOException("Cannot run program \"/usr/bin/qemu-system-x86_64\": error=2, No such file or directory");
    };
    assertThatThrownBy(() -> new VmVerifier(broken, tools(), s -> { }).verify(kernel(), ConsoleParserTest.barePlan(), new VmVerifier.Options(512, Duration.ofSeconds(5), dir)))
        .isInstanceOf(EnvironmentException.class)
        .hasMessageStartingWith("cannot run /usr/bin/qemu-system-x86_64 (Cannot run program")
        .hasMessageEndingWith("check that qemu-system-x86 is installed and works: /usr/bin/qemu-system-x86_64 --version");
  }

  @Test
  void theDefaultTimeoutGrowsWithThePlan() throws Exception {
    assertThat(VmVerifier.Options.defaultTimeout(ConsoleParserTest.barePlan())).isEqualTo(Duration.ofSeconds(60 + 11 * 8));
  }
}
