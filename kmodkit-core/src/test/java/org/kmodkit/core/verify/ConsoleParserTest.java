package org.kmodkit.core.verify;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.kmodkit.core.abi.KernelAbi;
import org.kmodkit.core.host.ProcessRunner;
import org.kmodkit.core.tree.ModuleFiles;
import org.kmodkit.core.tree.ModuleTree;

/** Consoles recorded from real boots of corpus kernel 6.1.0-56 under QEMU (src/test/resources/verify). */
class ConsoleParserTest {
  static final Path REAL = Path.of("src/test/resources/real");
  static final Path CONSOLES = Path.of("src/test/resources/verify");
  static final ProcessRunner.Result POWERED_OFF = new ProcessRunner.Result(0, false, Duration.ofMillis(4200));

  static VerifySet set(Path dir) throws Exception {
    List<ModuleSource> m = new ArrayList<>();
    for (ModuleFiles.Read r : ModuleFiles.readAll(ModuleFiles.find(dir), Path::toString)) {
      m.add(new ModuleSource(r.module(), r.file()));
    }
    return new VerifySet(dir.toString(), m);
  }

  /** The plan of the recorded run: a bare vmlinuz (no tree), the 56 fixtures, then the 53 ones. */
  static BootPlan barePlan() throws Exception {
    String r = "6.1.0-56-cloud-amd64";
    return new LoadPlanner(ModuleTree.none(r), KernelAbi.builder().release(r).build()).plan(List.of(set(REAL.resolve("6.1.0-56")), set(REAL.resolve("6.1.0-53"))), List.of());
  }

  static List<String> lines(String name) throws Exception {
    return Files.readAllLines(CONSOLES.resolve(name));
  }

  static ModuleResult named(VerifyReport r, int unit, String name) {
    return r.modules().stream().filter(m -> m.name().equals(name) && m.step().guestPath().startsWith("/m/" + unit + "/")).findFirst().orElseThrow();
  }

  @Test
  void aCompletedRunGivesEveryModulesLoadUnloadAndReloadInTheKernelsWords() throws Exception {
    BootPlan plan = barePlan();
    VerifyReport r = ConsoleParser.parse(plan, lines("console-56-bare-vmlinuz.log"), VerifyReport.Accel.TCG, POWERED_OFF);
    assertThat(r.outcome()).isInstanceOf(BootOutcome.Completed.class);
    assertThat(r.release()).isEqualTo("6.1.0-56-cloud-amd64");
    assertThat(r.bootSeconds()).isEqualTo(2.51);
    assertThat(r.taintedAtBoot()).isZero();
    assertThat(r.taintedAtEnd()).isEqualTo(12288); // O and E
    assertThat(r.modules()).hasSize(plan.steps().size());

    ModuleResult hello = named(r, 1, "hello");
    assertThat(hello.ok()).isTrue();
    assertThat(hello.taint()).isEqualTo("OE");
    assertThat(hello.kernelLog()).anyMatch(l -> l.startsWith("hello: loaded, kmalloc=")).contains("hello: unloaded");

    ModuleResult igb = named(r, 1, "igb_uio");
    assertThat(igb.load()).isInstanceOf(LoadOutcome.Refused.class);
    LoadOutcome.Refused refused = (LoadOutcome.Refused) igb.load();
    assertThat(refused.errno()).isEqualTo(2);
    assertThat(refused.insmod()).isEqualTo("insmod: can't insert '/m/1/igb_uio.ko': unknown symbol in module, or unknown parameter");
    // busybox insmod tries twice and the kernel says it all twice: each reason once
    assertThat(refused.reasons()).extracting(Refusal::message).containsExactly(
        "igb_uio: Unknown symbol __uio_register_device (err -2)", "igb_uio: Unknown symbol uio_event_notify (err -2)", "igb_uio: Unknown symbol uio_unregister_device (err -2)");
    assertThat(refused.reasons()).allSatisfy(x -> assertThat(x).isInstanceOf(Refusal.UnknownSymbol.class));
    assertThat(igb.unload()).isEqualTo(new UnloadOutcome.NotTried("not loaded"));
    assertThat(igb.reload()).isEqualTo(new LoadOutcome.NotTried("not loaded"));

    ModuleResult old = named(r, 2, "hello");
    LoadOutcome.Refused layout = (LoadOutcome.Refused) old.load();
    assertThat(layout.errno()).isEqualTo(8);
    assertThat(layout.reasons()).singleElement().satisfies(x -> {
      assertThat(x).isEqualTo(new Refusal.DisagreesAboutVersion("hello: disagrees about version of symbol module_layout", "module_layout"));
      assertThat(x.kind()).isEqualTo("module_layout");
    });
    assertThat(r.allRequestedOk()).isFalse();
    assertThat(r.requested().stream().filter(ModuleResult::ok).count()).isEqualTo(7);
  }

  @Test
  void aPanicStopsTheModuleBeingLoadedAndLeavesTheRestNotTried() throws Exception {
    BootPlan plan = new BootPlan("6.1.0-56-cloud-amd64", List.of(
        new BootPlan.Unit(1, "/p1", List.of(new BootPlan.Step(1, "kmodkit_panic", BootPlan.Origin.SET, "/p1/kmodkit_panic.ko", Path.of("/p1/kmodkit_panic.ko"), "/m/1/kmodkit_panic.ko", true))),
        new BootPlan.Unit(2, "hello.ko", List.of(new BootPlan.Step(2, "hello", BootPlan.Origin.SET, "hello.ko", Path.of("hello.ko"), "/m/2/hello.ko", true)))), List.of());
    VerifyReport r = ConsoleParser.parse(plan, lines("console-56-panic.log"), VerifyReport.Accel.TCG, new ProcessRunner.Result(0, false, Duration.ofSeconds(5)));
    String panic = "Kernel panic - not syncing: kmodkit_panic: panicking on purpose (kmodkit verify test fixture)";
    assertThat(r.outcome()).isEqualTo(new BootOutcome.KernelPanic(panic));
    assertThat(r.modules().get(0).load()).isEqualTo(new LoadOutcome.KernelStopped(panic));
    assertThat(r.modules().get(1).load()).isEqualTo(new LoadOutcome.NotTried("the VM ended before it"));
    assertThat(r.lastLines()).hasSize(ConsoleParser.LAST_LINES).last().asString().contains("Kernel Offset");
    assertThat(r.taintedAtEnd()).isEqualTo(-1);
  }

  @Test
  void aRunTheHostHadToStopIsATimeoutAndTheModuleInFlightIsTheOneThatHung() throws Exception {
    BootPlan plan = new BootPlan("6.1.0-56-cloud-amd64", List.of(
        new BootPlan.Unit(1, "/h1", List.of(new BootPlan.Step(1, "kmodkit_hang", BootPlan.Origin.SET, "/h1/kmodkit_hang.ko", Path.of("/h1/kmodkit_hang.ko"), "/m/1/kmodkit_hang.ko", true)))), List.of());
    VerifyReport r = ConsoleParser.parse(plan, lines("console-56-hang.log"), VerifyReport.Accel.TCG, new ProcessRunner.Result(-1, true, Duration.ofMillis(20_040)));
    assertThat(r.outcome()).isEqualTo(new BootOutcome.TimedOut(20));
    assertThat(r.modules().get(0).load()).isEqualTo(new LoadOutcome.KernelStopped("the kernel stopped answering; kmodkit stopped the VM after 20 s"));
    assertThat(r.modules().get(0).kernelLog()).contains("kmodkit_hang: spinning with interrupts off (kmodkit verify test fixture)");
    assertThat(r.lastLines()).last().isEqualTo("[    2.308780] kmodkit_hang: spinning with interrupts off (kmodkit verify test fixture)");
  }

  @Test
  void aKernelThatNeverRanInitLeavesEveryModuleNotTried() throws Exception {
    BootPlan plan = barePlan();
    VerifyReport r = ConsoleParser.parse(plan, List.of("qemu-system-x86_64: -kernel /x: Could not open '/x'"), VerifyReport.Accel.TCG, new ProcessRunner.Result(1, false, Duration.ofMillis(30)));
    assertThat(r.booted()).isFalse();
    assertThat(r.outcome()).isEqualTo(new BootOutcome.VmExited(1));
    assertThat(r.modules()).allSatisfy(m -> assertThat(m.load()).isEqualTo(new LoadOutcome.NotTried("the kernel never ran kmodkit's init")));
    assertThat(r.lastLines()).containsExactly("qemu-system-x86_64: -kernel /x: Could not open '/x'");
  }

  @Test
  void aModuleThatCannotBeUnloadedIsNotReloadedAndItsRmmodMessageIsKept() throws Exception {
    BootPlan plan = new BootPlan("r", List.of(new BootPlan.Unit(1, "s", List.of(new BootPlan.Step(1, "sticky", BootPlan.Origin.SET, "sticky.ko", Path.of("sticky.ko"), "/m/1/sticky.ko", true)))), List.of());
    List<String> console = List.of(
        "[    2.0] @@ BOOTED release=r uptime=2.0 tainted=0",
        "[    2.1] @@ BEGIN 1 load",
        "[    2.2] sticky: no exit function, cannot be removed",
        "[    2.3] @@ END 1 load rc=0 taint=OE",
        "[    2.4] @@ BEGIN 1 unload",
        "[    2.5] @@ OUT 1 unload rmmod: can't unload module 'sticky': Device or resource busy",
        "[    2.6] @@ END 1 unload rc=1 taint=",
        "[    2.7] @@ DONE uptime=2.7 tainted=12288");
    VerifyReport r = ConsoleParser.parse(plan, console, VerifyReport.Accel.KVM, POWERED_OFF);
    ModuleResult m = r.modules().get(0);
    assertThat(m.loaded()).isTrue();
    assertThat(m.unload()).isEqualTo(new UnloadOutcome.StillLoaded(1, "rmmod: can't unload module 'sticky': Device or resource busy"));
    assertThat(m.reload()).isEqualTo(new LoadOutcome.NotTried("not unloaded"));
    assertThat(m.ok()).isFalse();
    assertThat(r.allRequestedOk()).isFalse();
  }

  @Test
  void theKernelsOtherRefusalsAreReadInItsWords() {
    assertThat(Refusal.parse("m", "m: version magic '6.1.0-53-cloud-amd64 SMP preempt mod_unload modversions ' should be '6.1.0-54-cloud-amd64 SMP preempt mod_unload modversions '"))
        .contains(new Refusal.VersionMagic("m: version magic '6.1.0-53-cloud-amd64 SMP preempt mod_unload modversions ' should be '6.1.0-54-cloud-amd64 SMP preempt mod_unload modversions '", "6.1.0-53-cloud-amd64 SMP preempt mod_unload modversions ", "6.1.0-54-cloud-amd64 SMP preempt mod_unload modversions "));
    assertThat(Refusal.parse("m", "m: module uses symbol (cxl_thing) from namespace CXL, but does not import it."))
        .contains(new Refusal.NamespaceNotImported("m: module uses symbol (cxl_thing) from namespace CXL, but does not import it.", "cxl_thing", "CXL"));
    assertThat(Refusal.parse("m", "m: exports duplicate symbol netif_rx (owned by kernel)"))
        .contains(new Refusal.DuplicateExport("m: exports duplicate symbol netif_rx (owned by kernel)", "netif_rx", "kernel"));
    assertThat(Refusal.parse("m", "m: Unknown symbol netif_rx (err -22)")).contains(new Refusal.UnknownSymbol("m: Unknown symbol netif_rx (err -22)", "netif_rx", -22));
    assertThat(Refusal.parse("m", "m: loading out-of-tree module taints kernel.")).isEmpty();
    assertThat(Refusal.parse("m", "other: disagrees about version of symbol x")).as("another module's line").isEmpty();
  }

  @Test
  void linesAModuleInTheGuestCouldPrintNeverMakeTheParserThrow() {
    BootPlan plan = new BootPlan("r", List.of(new BootPlan.Unit(1, "s", List.of(new BootPlan.Step(1, "m", BootPlan.Origin.SET, "m.ko", Path.of("m.ko"), "/m/1/m.ko", true)))), List.of());
    List<String> console = List.of(
        "[    2.0] @@ BOOTED release=r uptime=1.2.3 tainted=99999999999999999999999",
        "[    2.0] @@ BOOTED release=r uptime=2.0 tainted=0",
        "[    2.1] @@ BEGIN 99999999999 load",
        "[    2.1] @@ END 99999999999 load rc=0 taint=",
        "[    2.1] @@ OUT 1 load text for nobody",
        "[    2.2] @@ BEGIN 1 load",
        "[    2.3] m: Unknown symbol x (err -99999999999)",
        "[    2.4] @@ END 1 load rc=99999999999 taint=",
        "[    2.5] @@ END 1 load rc=2 taint=",
        "@@",
        "[ garbage ] @@ DONE uptime=x tainted=y");
    VerifyReport r = ConsoleParser.parse(plan, console, VerifyReport.Accel.TCG, POWERED_OFF);
    assertThat(r.release()).isEqualTo("r");
    assertThat(r.bootSeconds()).isEqualTo(2.0);
    assertThat(r.modules().get(0).load()).isEqualTo(new LoadOutcome.Refused(2, "", List.of()));
    assertThat(r.outcome()).isEqualTo(new BootOutcome.VmExited(0));
  }
}
