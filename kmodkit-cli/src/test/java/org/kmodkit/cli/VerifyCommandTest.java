package org.kmodkit.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.kmodkit.core.host.ProcessRunner;

/**
 * kmodkit verify on a fake machine: fake qemu and busybox files, a vmlinuz header, and QEMU played
 * back from consoles recorded on real boots of corpus kernel 6.1.0-56 with the same inputs.
 */
class VerifyCommandTest {
  static final Path REAL = CliTest.REAL;
  static final Path CONSOLES = Path.of("../kmodkit-core/src/test/resources/verify").toAbsolutePath().normalize();

  @TempDir Path dir;
  Path root;
  Path vmlinuz;
  final List<List<String>> started = new ArrayList<>();

  record Run(int code, String out, String err) {
    JsonNode json() throws IOException {
      return new ObjectMapper().readTree(out);
    }
  }

  @BeforeEach
  void machine() throws IOException {
    root = Files.createDirectories(dir.resolve("host"));
    executable(root.resolve("usr/bin/qemu-system-x86_64"), new byte[] {0});
    executable(root.resolve("bin/busybox"), staticElf());
    // a bare vmlinuz: the boot protocol header of Debian's 6.1.0-56-cloud-amd64, no module tree beside it
    byte[] b = new byte[0x5000];
    ByteBuffer h = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
    h.putInt(0x202, 0x53726448);
    h.putShort(0x206, (short) 0x020f);
    h.putShort(0x20e, (short) 0x42c0);
    byte[] v = "6.1.0-56-cloud-amd64 (debian-kernel@lists.debian.org) #1 SMP".getBytes(StandardCharsets.US_ASCII);
    System.arraycopy(v, 0, b, 0x44c0, v.length);
    vmlinuz = Files.write(dir.resolve("vmlinuz"), b);
  }

  static byte[] staticElf() {
    ByteBuffer b = ByteBuffer.allocate(120).order(ByteOrder.LITTLE_ENDIAN);
    b.put(new byte[] {0x7f, 'E', 'L', 'F', 2, 1, 1});
    b.putLong(0x20, 64);
    b.putShort(0x36, (short) 56);
    b.putShort(0x38, (short) 1);
    b.putInt(64, 1);
    return b.array();
  }

  static void executable(Path p, byte[] content) throws IOException {
    Files.createDirectories(p.getParent());
    Files.write(p, content);
    Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwxr-xr-x"));
  }

  Run run(String console, String... args) throws IOException {
    List<String> lines = console == null ? List.of() : Files.readAllLines(CONSOLES.resolve(console));
    ProcessRunner qemu = c -> {
      started.add(c.argv());
      lines.forEach(c.out());
      return new ProcessRunner.Result(0, false, Duration.ofMillis(4200));
    };
    Host host = FakeHost.of(root, Files.createDirectories(dir.resolve("tmp")), qemu);
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = Main.run(host, new PrintWriter(out), new PrintWriter(err), args);
    return new Run(code, out.toString(), err.toString());
  }

  String anonymous(String text) {
    return text.replace(dir.toString(), "<tmp>").replace(REAL.toString(), "<real>");
  }

  @Test
  void theTextReportSaysWhatTheBootedKernelSaidAboutEachModule() throws IOException {
    Run r = run("console-56-bare-vmlinuz.log", "verify", "--vm", "--kernel", vmlinuz.toString(), "--modules", REAL.resolve("6.1.0-56").toString(), REAL.resolve("6.1.0-53").toString(), "--work-dir", dir.resolve("work").toString());
    assertThat(r.code()).as(r.err()).isEqualTo(1);
    // the whole report, byte for byte: GoldenTest (golden/verify-bare-vmlinuz.txt)
    assertThat(anonymous(r.out())).contains("  FAIL igb_uio: refused: ").endsWith("console log: <tmp>/work/console.log\n");
    assertThat(anonymous(r.err())).isEqualTo("kmodkit: booting 6.1.0-56-cloud-amd64 under QEMU (tcg, no network) to load 11 modules in 2 sets; console: <tmp>/work/console.log\n"
        + "kmodkit: kernel up: release=6.1.0-56-cloud-amd64 uptime=2.51 tainted=0; loading, unloading, reloading\n");
    assertThat(started).hasSize(1);
  }

  @Test
  void theJsonReportFollowsTheDocumentedSchema() throws IOException {
    Run r = run("console-56-bare-vmlinuz.log", "verify", "--vm", "--json", "--kernel", vmlinuz.toString(), "--modules", REAL.resolve("6.1.0-56").toString(), REAL.resolve("6.1.0-53").toString(), "--work-dir", dir.resolve("work").toString());
    assertThat(r.code()).isEqualTo(1);
    JsonNode j = r.json();
    assertThat(j.get("schema").asText()).isEqualTo("kmodkit.verify/1");
    assertThat(j.get("kernel").get("release").asText()).isEqualTo("6.1.0-56-cloud-amd64");
    assertThat(j.get("kernel").get("tree").isNull()).isTrue();
    assertThat(j.get("kernel").get("accel").asText()).isEqualTo("tcg");
    assertThat(j.get("run").get("outcome").asText()).isEqualTo("completed");
    assertThat(j.get("run").get("tainted_at_end").asLong()).isEqualTo(12288);
    assertThat(j.get("run").get("console_log").asText()).isEqualTo(dir.resolve("work/console.log").toString());
    assertThat(j.get("sets")).hasSize(2);
    JsonNode igb = null;
    for (JsonNode m : j.get("sets").get(0).get("modules")) {
      assertThat(m.has("name") && m.has("source") && m.has("origin") && m.has("requested") && m.has("ok") && m.has("load") && m.has("unload") && m.has("reload") && m.has("kernel_log")).isTrue();
      if (m.get("name").asText().equals("igb_uio")) {
        igb = m;
      }
    }
    assertThat(igb.get("load").get("result").asText()).isEqualTo("refused");
    assertThat(igb.get("load").get("errno").asInt()).isEqualTo(2);
    assertThat(igb.get("load").get("reasons").get(0).get("kind").asText()).isEqualTo("unknown_symbol");
    assertThat(igb.get("load").get("reasons").get(0).get("symbol").asText()).isEqualTo("__uio_register_device");
    assertThat(igb.get("unload").get("result").asText()).isEqualTo("not_tried");
    assertThat(j.get("missing").get(0).get("dependency").asText()).isEqualTo("uio");
    assertThat(j.get("summary").get("requested").asInt()).isEqualTo(11);
    assertThat(j.get("summary").get("ok").asInt()).isEqualTo(7);
    assertThat(j.get("summary").get("exit_code").asInt()).isEqualTo(1);
  }

  @Test
  void everyRequestedModuleLoadedUnloadedAndReloadedExitsZero() throws IOException {
    Run r = run("console-56-hello.log", "verify", "--vm", "--kernel", vmlinuz.toString(), "--modules", REAL.resolve("6.1.0-56/hello.ko").toString(), "--work-dir", dir.resolve("work").toString());
    assertThat(r.code()).as(r.out() + r.err()).isZero();
    assertThat(r.out()).contains("  ok   hello: loaded (taint OE), unloaded, reloaded\n").contains("1 module requested: 1 loaded, unloaded and reloaded, 0 did not");
  }

  @Test
  void aMissingQemuIsAnEnvironmentErrorThatNamesThePackageAndBootsNothing() throws IOException {
    Files.delete(root.resolve("usr/bin/qemu-system-x86_64"));
    Run r = run(null, "verify", "--vm", "--kernel", vmlinuz.toString(), "--modules", REAL.resolve("6.1.0-56").toString());
    assertThat(r.code()).isEqualTo(3);
    assertThat(r.err()).isEqualTo("kmodkit: qemu-system-x86_64 not found on PATH (/usr/bin): install it (Debian/Ubuntu: apt-get install qemu-system-x86; RHEL: dnf install qemu-kvm)\n");
    assertThat(r.out()).isEmpty();
    assertThat(started).isEmpty();
  }

  @Test
  void aMissingModuleFileIsNamedAndNothingIsBootedWhenNothingElseIsLeft() throws IOException {
    Path gone = dir.resolve("gone.ko");
    Run r = run(null, "verify", "--vm", "--kernel", vmlinuz.toString(), "--modules", gone.toString(), "--work-dir", dir.resolve("work").toString());
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.err()).isEqualTo("kmodkit: " + gone + ": no such file or directory; check the path\n");
    assertThat(started).isEmpty();
  }

  @Test
  void anUnreadableModuleIsNamedAndTheOthersAreStillVerifiedButTheRunExitsTwo() throws IOException {
    Path text = Files.writeString(dir.resolve("notes.ko"), "not a module");
    Run r = run("console-56-hello.log", "verify", "--vm", "--kernel", vmlinuz.toString(), "--modules", REAL.resolve("6.1.0-56/hello.ko").toString(), text.toString(), "--work-dir", dir.resolve("work").toString());
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.err()).startsWith("kmodkit: " + text + ": ");
    assertThat(r.out()).contains("ok   hello: loaded (taint OE), unloaded, reloaded").contains("1 input unreadable (see stderr)");
  }

  @Test
  void aLoadNameNobodyHasIsBadInput() throws IOException {
    Run r = run(null, "verify", "--vm", "--kernel", vmlinuz.toString(), "--load", "nosuch", "--work-dir", dir.resolve("work").toString());
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.err()).isEqualTo("kmodkit: --load nosuch: no module nosuch in the given modules (and no module tree for kernel 6.1.0-56-cloud-amd64: pass --root or the kernel's image package); check the name (modinfo -F name FILE)\n");
  }

  @Test
  void nothingToLoadAndAFileThatIsNoKernelAreBadInput() throws IOException {
    Run none = run(null, "verify", "--vm", "--kernel", vmlinuz.toString());
    assertThat(none.code()).isEqualTo(2);
    assertThat(none.err()).startsWith("kmodkit: verify: nothing to load: give --modules DIR|PACKAGE…");
    Run notKernel = run(null, "verify", "--vm", "--kernel", REAL.resolve("6.1.0-56/hello.ko").toString(), "--modules", REAL.resolve("6.1.0-56").toString(), "--work-dir", dir.resolve("work").toString());
    assertThat(notKernel.code()).isEqualTo(2);
    assertThat(notKernel.err()).contains("hello.ko: is not an x86 kernel image (no bzImage setup header 'HdrS' at 0x202)");
    assertThat(started).isEmpty();
  }

  @Test
  void withoutVmTheCommandSaysWhatItNeeds() throws IOException {
    Run r = run(null, "verify", "--kernel", vmlinuz.toString(), "--modules", REAL.resolve("6.1.0-56").toString());
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.err()).contains("Missing required option: '--vm'");
  }

  List<Path> workDirsLeft() throws IOException {
    try (var s = Files.list(dir.resolve("tmp"))) {
      return s.filter(p -> p.getFileName().toString().startsWith("kmodkit-verify-")).toList();
    }
  }

  @Test
  void aWorkDirectoryKmodkitMadeIsRemovedAfterARunThatSucceeded() throws IOException {
    Run r = run("console-56-hello.log", "verify", "--vm", "--kernel", vmlinuz.toString(), "--modules", REAL.resolve("6.1.0-56/hello.ko").toString());
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(workDirsLeft()).isEmpty();
  }

  @Test
  void aFailedRunKeepsItsWorkDirectoryAndSaysWhereTheConsoleLogIs() throws IOException {
    Run r = run("console-56-bare-vmlinuz.log", "verify", "--vm", "--kernel", vmlinuz.toString(), "--modules", REAL.resolve("6.1.0-56").toString(), REAL.resolve("6.1.0-53").toString());
    assertThat(r.code()).isEqualTo(1);
    assertThat(workDirsLeft()).hasSize(1);
    Path kept = workDirsLeft().get(0);
    assertThat(kept.resolve("console.log")).exists();
    assertThat(kept.resolve("unpacked")).doesNotExist();
    assertThat(r.err()).endsWith("kmodkit: kept " + kept + " (console.log holds the kernel's whole console); remove it when done\n");
  }

  @Test
  void keepWorkDirKeepsItAfterSuccessAndAGivenWorkDirIsNeverRemoved() throws IOException {
    Run kept = run("console-56-hello.log", "verify", "--vm", "--keep-work-dir", "--kernel", vmlinuz.toString(), "--modules", REAL.resolve("6.1.0-56/hello.ko").toString());
    assertThat(kept.code()).isZero();
    assertThat(workDirsLeft()).singleElement().satisfies(d -> assertThat(d.resolve("console.log")).exists());
    assertThat(kept.err()).contains("kmodkit: kept " + workDirsLeft().get(0) + " (console.log");
    Run given = run("console-56-hello.log", "verify", "--vm", "--kernel", vmlinuz.toString(), "--modules", REAL.resolve("6.1.0-56/hello.ko").toString(), "--work-dir", dir.resolve("work").toString());
    assertThat(given.code()).isZero();
    assertThat(dir.resolve("work/console.log")).exists();
    assertThat(given.err()).doesNotContain("kmodkit: kept");
  }

  @Test
  void aRunRefusedBeforeBootingLeavesNoWorkDirectory() throws IOException {
    Run r = run(null, "verify", "--vm", "--kernel", vmlinuz.toString(), "--modules", dir.resolve("gone.ko").toString());
    assertThat(r.code()).isEqualTo(2);
    Run thrown = run(null, "verify", "--vm", "--kernel", vmlinuz.toString(), "--load", "nosuch");
    assertThat(thrown.code()).isEqualTo(2);
    assertThat(workDirsLeft()).isEmpty();
  }
}
