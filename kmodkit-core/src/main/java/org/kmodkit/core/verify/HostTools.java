package org.kmodkit.core.verify;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.kmodkit.core.EnvironmentException;
import org.kmodkit.core.tree.Sysroot;

/**
 * The host programs a VM check needs, found before anything is read or written: QEMU for x86_64,
 * a statically linked busybox (the guest has no libc), and whether /dev/kvm is usable.
 *
 * @param qemu the qemu-system-x86_64 executable
 * @param busybox a static busybox
 * @param accel KVM when {@link #kvmUnusable} finds nothing against it, TCG (emulation) otherwise
 * @param noKvm why KVM is not used (null when it is)
 */
public record HostTools(Path qemu, Path busybox, VerifyReport.Accel accel, String noKvm) {
  public HostTools(Path qemu, Path busybox, VerifyReport.Accel accel) {
    this(qemu, busybox, accel, accel == VerifyReport.Accel.KVM ? null : "not asked for");
  }

  static final String QEMU = "qemu-system-x86_64";

  /** Looks in {@code host} along {@code pathEnv} (the PATH variable) and in /bin, /usr/bin. */
  public static HostTools find(Sysroot host, String pathEnv) throws EnvironmentException {
    List<Path> dirs = new ArrayList<>();
    for (String d : (pathEnv == null ? "" : pathEnv).split(":")) {
      if (d.startsWith("/")) {
        dirs.add(host.path(d));
      }
    }
    dirs.add(host.path("/bin"));
    dirs.add(host.path("/usr/bin"));
    Path qemu = null;
    for (Path d : dirs) {
      Path q = d.resolve(QEMU);
      if (Files.isRegularFile(q) && Files.isExecutable(q)) {
        qemu = q;
        break;
      }
    }
    if (qemu == null) {
      throw new EnvironmentException(QEMU + " not found on PATH (" + pathEnv + "): install it (Debian/Ubuntu: apt-get install qemu-system-x86; RHEL: dnf install qemu-kvm)");
    }
    Path busybox = null;
    Path dynamic = null;
    for (Path d : dirs) {
      Path b = d.resolve("busybox");
      if (Files.isRegularFile(b)) {
        if (isStatic(b)) {
          busybox = b;
          break;
        }
        dynamic = dynamic == null ? b : dynamic;
      }
    }
    if (busybox == null) {
      throw new EnvironmentException(dynamic != null
          ? dynamic + " is dynamically linked and cannot run in the VM, which has no libc: install a static one (Debian/Ubuntu: apt-get install busybox-static)"
          : "busybox not found on PATH (" + pathEnv + "): install a static one (Debian/Ubuntu: apt-get install busybox-static)");
    }
    String noKvm = kvmUnusable(host);
    return new HostTools(qemu, busybox, noKvm == null ? VerifyReport.Accel.KVM : VerifyReport.Accel.TCG, noKvm);
  }

  /**
   * Why an unmodified kernel cannot run under this host's KVM, or null when it can. A read-writable
   * /dev/kvm is not enough: KVM runs a stock kernel only on hardware virtualisation (the host CPU's
   * vmx or svm flag). Some sandboxes offer /dev/kvm without it (PVM, kvm_pvm), for guest kernels
   * built for them: a Debian or RHEL kernel started there hangs without a line on the console.
   */
  static String kvmUnusable(Sysroot host) {
    Path kvm = host.path("/dev/kvm");
    if (!Files.isReadable(kvm) || !Files.isWritable(kvm)) {
      return "/dev/kvm is missing or not read-writable for this user (add the user to group kvm)";
    }
    try (var lines = Files.lines(host.path("/proc/cpuinfo"))) {
      boolean hardware = lines.filter(l -> l.startsWith("flags"))
          .anyMatch(l -> (" " + l.substring(l.indexOf(':') + 1) + " ").matches(".* (vmx|svm) .*"));
      if (hardware) {
        return null;
      }
    } catch (IOException | java.io.UncheckedIOException e) {
      return "/proc/cpuinfo cannot be read (" + e.getMessage() + "), so hardware virtualisation cannot be confirmed";
    }
    return Files.isDirectory(host.path("/sys/module/kvm_pvm"))
        ? "/dev/kvm is PVM (kvm_pvm), which runs only kernels built as PVM guests, and the CPU offers no vmx/svm"
        : "the CPU offers no hardware virtualisation (no vmx or svm flag in /proc/cpuinfo)";
  }

  /** The same tools with {@code accel} forced (emulation on a KVM host, to measure or to sidestep a broken KVM). */
  public HostTools withAccel(VerifyReport.Accel accel) throws EnvironmentException {
    if (accel == VerifyReport.Accel.KVM && this.accel != VerifyReport.Accel.KVM) {
      throw new EnvironmentException("KVM cannot be used: " + noKvm + "; leave --accel at auto, which emulates (tcg)");
    }
    return new HostTools(qemu, busybox, accel, accel == VerifyReport.Accel.KVM ? null : this.accel == VerifyReport.Accel.KVM ? "--accel tcg" : noKvm);
  }

  /** An ELF executable without a PT_INTERP program header needs no dynamic loader. */
  static boolean isStatic(Path file) {
    try (InputStream in = Files.newInputStream(file)) {
      byte[] head = in.readNBytes(1 << 16);
      if (head.length < 52 || head[0] != 0x7f || head[1] != 'E' || head[2] != 'L' || head[3] != 'F') {
        return false;
      }
      boolean is64 = head[4] == 2;
      ByteBuffer b = ByteBuffer.wrap(head).order(head[5] == 2 ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN);
      long phoff = is64 ? b.getLong(0x20) : Integer.toUnsignedLong(b.getInt(0x1c));
      int phentsize = Short.toUnsignedInt(b.getShort(is64 ? 0x36 : 0x2a));
      int phnum = Short.toUnsignedInt(b.getShort(is64 ? 0x38 : 0x2c));
      for (int i = 0; i < phnum; i++) {
        long at = phoff + (long) i * phentsize;
        if (at < 0 || at + 4 > head.length) {
          return false; // program headers beyond the first 64 KiB: not a busybox we know
        }
        if (b.getInt((int) at) == 3) { // PT_INTERP
          return false;
        }
      }
      return phnum > 0;
    } catch (IOException e) {
      return false;
    }
  }
}
