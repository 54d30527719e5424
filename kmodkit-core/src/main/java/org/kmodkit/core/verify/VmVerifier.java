package org.kmodkit.core.verify;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.kmodkit.core.BadInputException;
import org.kmodkit.core.EnvironmentException;
import org.kmodkit.core.host.ProcessRunner;

/**
 * Boots a kernel in a throw-away QEMU VM with an initramfs built for a {@link BootPlan} and returns
 * what the kernel did with each module. The VM has no network ({@code -nic none}) and sees no host
 * directory: its only inputs are the kernel image and the initramfs. The serial console is written
 * to {@code console.log} in the work directory as it comes, and kept.
 */
public final class VmVerifier {
  /** Status lines for the user while the VM runs (a boot takes seconds under emulation). */
  @FunctionalInterface
  public interface Progress {
    void status(String line);
  }

  /**
   * @param memoryMiB guest memory
   * @param timeout the VM is stopped by force after this long
   * @param workDir where the initramfs (deleted after the run) and console.log (kept) go
   * @param kernelArgs appended to the kernel command line (e.g. module.sig_enforce=1)
   */
  public record Options(int memoryMiB, Duration timeout, Path workDir, List<String> kernelArgs) {
    public Options(int memoryMiB, Duration timeout, Path workDir) {
      this(memoryMiB, timeout, workDir, List.of());
    }

    public Options {
      kernelArgs = List.copyOf(kernelArgs);
      for (String a : kernelArgs) {
        if (a.isBlank() || a.chars().anyMatch(Character::isWhitespace) || a.startsWith("console=") || a.startsWith("panic=") || a.startsWith("init=") || a.startsWith("rdinit=")) {
          throw new IllegalArgumentException("kernel argument '" + a + "' is empty, holds a space, or would take the console, panic or init kmodkit needs");
        }
      }
      if (memoryMiB < 128) {
        throw new IllegalArgumentException("guest memory below 128 MiB cannot unpack the initramfs: " + memoryMiB);
      }
      if (timeout.isNegative() || timeout.isZero()) {
        throw new IllegalArgumentException("timeout must be positive: " + timeout);
      }
      Objects.requireNonNull(workDir, "workDir");
    }

    /** A boot takes 3-8 s under emulation and a load well under a second; leave room for a slow host. */
    public static Duration defaultTimeout(BootPlan plan) {
      return Duration.ofSeconds(60 + 2L * plan.steps().size() * Phase.values().length);
    }
  }

  /** The kernel command line: serial console, end the VM at a panic, log quietly until init raises the level. */
  static final String APPEND = "console=ttyS0 panic=-1 quiet loglevel=4 printk.devkmsg=on rcupdate.rcu_expedited=1";

  private final ProcessRunner runner;
  private final HostTools tools;
  private final Progress progress;

  public VmVerifier(ProcessRunner runner, HostTools tools, Progress progress) {
    this.runner = runner;
    this.tools = tools;
    this.progress = progress;
  }

  public VerifyReport verify(VmKernel kernel, BootPlan plan, Options options) throws BadInputException, EnvironmentException {
    Path initrd = options.workDir().resolve("initramfs.cpio.gz");
    Path log = options.workDir().resolve("console.log");
    byte[] busybox;
    try {
      busybox = Files.readAllBytes(tools.busybox());
    } catch (IOException e) {
      throw new EnvironmentException(tools.busybox() + ": cannot read (" + e.getMessage() + "); reinstall busybox-static");
    }
    try (OutputStream out = Files.newOutputStream(initrd)) {
      new Initramfs(busybox).write(out, GuestInit.script(plan), plan.guestFiles());
    } catch (IOException e) {
      throw new EnvironmentException(initrd + ": cannot write the initramfs (" + e.getMessage() + "); check free space and permissions in " + options.workDir());
    }
    List<String> command = command(tools, kernel.image(), initrd, options.memoryMiB(), options.kernelArgs());
    List<String> lines = new ArrayList<>();
    progress.status("booting " + kernel.release() + " under QEMU (" + tools.accel().name().toLowerCase() + ", no network) to load " + plan.steps().size() + " module" + (plan.steps().size() == 1 ? "" : "s") + " in " + plan.units().size() + " set" + (plan.units().size() == 1 ? "" : "s") + "; console: " + log);
    ProcessRunner.Result result;
    try (BufferedWriter console = Files.newBufferedWriter(log, StandardCharsets.ISO_8859_1)) {
      result = runner.run(ProcessRunner.Command.of(command).withTimeout(options.timeout()).withCharset(StandardCharsets.ISO_8859_1).withLines(line -> {
        synchronized (lines) {
          lines.add(line);
          try {
            console.write(line);
            console.newLine();
          } catch (IOException e) {
            throw new UncheckedIOException(e);
          }
        }
        if (line.contains("@@ BOOTED ")) {
          progress.status("kernel up: " + line.substring(line.indexOf("@@ BOOTED ") + 10) + "; loading, unloading, reloading");
        }
      }));
    } catch (IOException | UncheckedIOException e) {
      throw new EnvironmentException("cannot run " + tools.qemu() + " (" + e.getMessage() + "); check that qemu-system-x86 is installed and works: " + tools.qemu() + " --version");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new EnvironmentException("interrupted while " + tools.qemu() + " ran; stopped it", e);
    } finally {
      try {
        Files.deleteIfExists(initrd);
      } catch (IOException e) {
        // a leftover initramfs in the work directory harms nobody
      }
    }
    List<String> seen;
    synchronized (lines) {
      seen = List.copyOf(lines);
    }
    return ConsoleParser.parse(plan, seen, tools.accel(), result).withConsoleLog(log, result.elapsed().toMillis() / 1000.0);
  }

  /** The QEMU command line: one CPU, no defaults, serial on stdout, no NIC, no disk, no shared directory. */
  static List<String> command(HostTools tools, Path kernel, Path initrd, int memoryMiB, List<String> kernelArgs) {
    String accel = tools.accel() == VerifyReport.Accel.KVM ? "kvm" : "tcg";
    return List.of(
        tools.qemu().toString(),
        "-machine", "q35,accel=" + accel,
        "-cpu", "max",
        "-smp", "1",
        "-m", Integer.toString(memoryMiB),
        "-nodefaults", "-no-user-config",
        "-display", "none",
        "-serial", "stdio",
        "-no-reboot",
        "-nic", "none",
        "-kernel", kernel.toString(),
        "-initrd", initrd.toString(),
        "-append", kernelArgs.isEmpty() ? APPEND : APPEND + " " + String.join(" ", kernelArgs));
  }
}
