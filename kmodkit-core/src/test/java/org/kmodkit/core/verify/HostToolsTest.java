package org.kmodkit.core.verify;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.kmodkit.core.EnvironmentException;
import org.kmodkit.core.tree.Sysroot;

class HostToolsTest {
  @TempDir Path root;

  /** A minimal ELF64 executable header with one program header: PT_LOAD (static) or PT_INTERP (dynamic). */
  static byte[] elf(boolean dynamic) {
    ByteBuffer b = ByteBuffer.allocate(64 + 56).order(ByteOrder.LITTLE_ENDIAN);
    b.put(new byte[] {0x7f, 'E', 'L', 'F', 2, 1, 1});
    b.putShort(0x10, (short) 2);
    b.putLong(0x20, 64);
    b.putShort(0x36, (short) 56);
    b.putShort(0x38, (short) 1);
    b.putInt(64, dynamic ? 3 : 1);
    return b.array();
  }

  Path tool(String path, byte[] content) throws Exception {
    Path p = root.resolve(path.substring(1));
    Files.createDirectories(p.getParent());
    Files.write(p, content);
    Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwxr-xr-x"));
    return p;
  }

  @Test
  void qemuAndAStaticBusyboxAreFoundAlongThePathAndTcgIsUsedWithoutKvm() throws Exception {
    Path q = tool("/opt/q/bin/qemu-system-x86_64", new byte[] {1});
    Path b = tool("/usr/bin/busybox", elf(false));
    HostTools t = HostTools.find(new Sysroot(root), "/opt/q/bin:/usr/bin");
    assertThat(t.qemu()).isEqualTo(q);
    assertThat(t.busybox()).isEqualTo(b);
    assertThat(t.accel()).isEqualTo(VerifyReport.Accel.TCG);
  }

  void kvmHost(String cpuFlags) throws Exception {
    tool("/usr/bin/qemu-system-x86_64", new byte[] {1});
    tool("/bin/busybox", elf(false));
    Files.createDirectories(root.resolve("dev"));
    Files.write(root.resolve("dev/kvm"), new byte[0]);
    Files.createDirectories(root.resolve("proc"));
    Files.writeString(root.resolve("proc/cpuinfo"), "processor\t: 0\nflags\t\t: " + cpuFlags + "\n\nprocessor\t: 1\nflags\t\t: " + cpuFlags + "\n");
  }

  @Test
  void aReadWritableDevKvmOnHardwareVirtualisationMeansKvm() throws Exception {
    kvmHost("fpu vme sse2 pni vmx ssse3");
    assertThat(HostTools.find(new Sysroot(root), "/usr/bin").accel()).isEqualTo(VerifyReport.Accel.KVM);
    kvmHost("fpu svm sse2");
    assertThat(HostTools.find(new Sysroot(root), "/usr/bin").accel()).isEqualTo(VerifyReport.Accel.KVM);
  }

  @Test
  void aDevKvmWithoutVmxOrSvmIsPvmOrBrokenAndEmulationIsUsedSayingWhy() throws Exception {
    // seen on a sandbox host: /dev/kvm from kvm_pvm; a stock Debian kernel hangs there after "Probing EDD"
    kvmHost("fpu vme sse2 pni hypervisor ssse3 vmxnet");
    Files.createDirectories(root.resolve("sys/module/kvm_pvm"));
    HostTools t = HostTools.find(new Sysroot(root), "/usr/bin");
    assertThat(t.accel()).isEqualTo(VerifyReport.Accel.TCG);
    assertThat(t.noKvm()).contains("kvm_pvm");
    assertThatThrownBy(() -> t.withAccel(VerifyReport.Accel.KVM)).isInstanceOf(EnvironmentException.class)
        .hasMessage("KVM cannot be used: /dev/kvm is PVM (kvm_pvm), which runs only kernels built as PVM guests, and the CPU offers no vmx/svm; leave --accel at auto, which emulates (tcg)");
  }

  @Test
  void emulationCanBeForcedButKvmOnlyWhereTheHostOffersIt() throws Exception {
    tool("/usr/bin/qemu-system-x86_64", new byte[] {1});
    tool("/bin/busybox", elf(false));
    HostTools noKvm = HostTools.find(new Sysroot(root), "/usr/bin");
    assertThatThrownBy(() -> noKvm.withAccel(VerifyReport.Accel.KVM)).isInstanceOf(EnvironmentException.class).hasMessageStartingWith("KVM cannot be used: /dev/kvm is missing or not read-writable for this user");
    kvmHost("vmx");
    assertThat(HostTools.find(new Sysroot(root), "/usr/bin").withAccel(VerifyReport.Accel.TCG).accel()).isEqualTo(VerifyReport.Accel.TCG);
  }

  @Test
  void missingQemuNamesThePackageToInstall() throws Exception {
    tool("/bin/busybox", elf(false));
    assertThatThrownBy(() -> HostTools.find(new Sysroot(root), "/usr/local/bin:/usr/bin"))
        .isInstanceOf(EnvironmentException.class)
        .hasMessage("qemu-system-x86_64 not found on PATH (/usr/local/bin:/usr/bin): install it (Debian/Ubuntu: apt-get install qemu-system-x86; RHEL: dnf install qemu-kvm)");
  }

  @Test
  void aDynamicBusyboxIsRefusedAndBusyboxStaticNamed() throws Exception {
    tool("/usr/bin/qemu-system-x86_64", new byte[] {1});
    Path dyn = tool("/usr/bin/busybox", elf(true));
    assertThatThrownBy(() -> HostTools.find(new Sysroot(root), "/usr/bin"))
        .isInstanceOf(EnvironmentException.class)
        .hasMessage(dyn + " is dynamically linked and cannot run in the VM, which has no libc: install a static one (Debian/Ubuntu: apt-get install busybox-static)");
  }

  @Test
  void noBusyboxAtAllNamesBusyboxStatic() throws Exception {
    tool("/usr/bin/qemu-system-x86_64", new byte[] {1});
    assertThatThrownBy(() -> HostTools.find(new Sysroot(root), "/usr/bin")).hasMessageContaining("busybox not found on PATH (/usr/bin): install a static one (Debian/Ubuntu: apt-get install busybox-static)");
  }

  @Test
  void theHostsBusyboxIsStaticAndItsShellIsNot() {
    // the real files: busybox-static (installed for the tests) has no PT_INTERP, dash has one
    assertThat(HostTools.isStatic(Path.of("/bin/busybox"))).isTrue();
    assertThat(HostTools.isStatic(Path.of("/bin/dash"))).isFalse();
  }
}
