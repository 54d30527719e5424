package org.kmodkit.core.verify;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GuestInitTest {
  @TempDir Path dir;

  static BootPlan.Step step(int id, String name, String guest, boolean requested) {
    return new BootPlan.Step(id, name, requested ? BootPlan.Origin.SET : BootPlan.Origin.TREE, name + ".ko", Path.of("/h/" + name + ".ko"), guest, requested);
  }

  static BootPlan twoUnits() {
    return new BootPlan("6.1.0-56-cloud-amd64", List.of(
        new BootPlan.Unit(1, "/sets/igb", List.of(step(1, "uio", "/k/uio.ko", false), step(2, "igb_uio", "/m/1/igb_uio.ko", true))),
        new BootPlan.Unit(2, "/sets/hello", List.of(step(3, "hello", "/m/2/hello.ko", true)))), List.of());
  }

  static List<String> body(String script) {
    return script.lines().map(String::strip).filter(l -> l.startsWith("ld ") || l.startsWith("[ -n ") || l.startsWith("k \"UNIT")).toList();
  }

  @Test
  void eachUnitLoadsInOrderUnloadsInReverseReloadsWhatWasUnloadedAndCleansUpBeforeTheNext() {
    assertThat(body(GuestInit.script(twoUnits()))).containsExactly(
        "k \"UNIT 1\"",
        "ld 1 load uio /k/uio.ko && L1=1",
        "ld 2 load igb_uio /m/1/igb_uio.ko && L2=1",
        "[ -n \"$L2\" ] && ul 2 unload igb_uio && U2=1",
        "[ -n \"$L1\" ] && ul 1 unload uio && U1=1",
        "[ -n \"$U1\" ] && ld 1 reload uio /k/uio.ko && R1=1",
        "[ -n \"$U2\" ] && ld 2 reload igb_uio /m/1/igb_uio.ko && R2=1",
        "[ -n \"$R2\" ] && ul 2 cleanup igb_uio",
        "[ -n \"$R1\" ] && ul 1 cleanup uio",
        "k \"UNIT 2\"",
        "ld 3 load hello /m/2/hello.ko && L3=1",
        "[ -n \"$L3\" ] && ul 3 unload hello && U3=1",
        "[ -n \"$U3\" ] && ld 3 reload hello /m/2/hello.ko && R3=1");
  }

  @Test
  void theScriptReportsThroughTheKernelLogAndEndsByPoweringOff() {
    String s = GuestInit.script(twoUnits());
    assertThat(s).startsWith("#!/bin/busybox sh\n");
    assertThat(s).contains("k() { echo \"<5>@@ $*\" > /dev/kmsg; }");
    assertThat(s).contains("k \"BOOTED release=$r uptime=$up tainted=$t\"");
    assertThat(s.strip()).endsWith("k \"DONE uptime=$up tainted=$t\"\npoweroff -f");
  }

  @Test
  void busyboxShParsesTheScript() throws Exception {
    Path script = dir.resolve("init");
    Files.writeString(script, GuestInit.script(twoUnits()), StandardCharsets.UTF_8);
    Process p = new ProcessBuilder("busybox", "sh", "-n", script.toString()).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(out).isZero();
  }
}
