package org.kmodkit.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.kmodkit.testkit.FakeRoot;
import org.kmodkit.testkit.KoBuilder;

/** status --prometheus: what node_exporter's textfile collector reads, and how the file is replaced. */
class PrometheusCliTest {
  static final String K1 = "5.14.0-1.el9.x86_64";
  static final String K2 = "5.14.0-2.el9.x86_64";
  static final String K3 = "5.14.0-3.el9.x86_64";

  @TempDir Path dir;

  /** hello built for K1; K2 exports the same CRCs (links), K3 another _printk CRC (refuses). */
  Path root() {
    Path r = dir.resolve("root");
    FakeRoot root = FakeRoot.at(r).kernel(K1, 0x1, 0xaa, "_printk").kernel(K2, 0x1, 0xaa, "_printk").kernel(K3, 0x1, 0xbb, "_printk");
    root.module(K1, "extra/hello/hello.ko", KoBuilder.module("hello").vermagic(K1 + " SMP preempt mod_unload modversions ").version("module_layout", 0x1).uses("_printk", 0xaa));
    CliTest.Run w = CliTest.run("weak-modules", "--root", r.toString(), "--no-initramfs", "--add-kernel", K2);
    assertThat(w.code()).as(w.err()).isZero();
    return r;
  }

  static List<String> samples(String text) {
    return Arrays.stream(text.split("\n")).filter(l -> !l.startsWith("#")).toList();
  }

  @Test
  void metricsGiveEachPairsStateTheFirstRefusalsKindAndTheNewerKernelThatWouldNotLoad() throws Exception {
    Path r = root();
    Path prom = dir.resolve("kmodkit.prom");
    CliTest.Run run = CliTest.run("status", "--root", r.toString(), "--prometheus", prom.toString(), "--running-kernel", K1);
    assertThat(run.code()).as(run.err()).isEqualTo(1);
    List<String> s = samples(Files.readString(prom));
    String set = CliTest.run("status", "--root", r.toString(), "--json").json().get("sets").get(0).get("name").asText();
    assertThat(s).contains(
        "kmodkit_module_set_state{set=\"" + set + "\",kernel=\"" + K1 + "\",state=\"native\",refusal=\"\"} 1",
        "kmodkit_module_set_state{set=\"" + set + "\",kernel=\"" + K2 + "\",state=\"linked\",refusal=\"\"} 1",
        "kmodkit_module_set_state{set=\"" + set + "\",kernel=\"" + K3 + "\",state=\"incompatible\",refusal=\"crc_mismatch\"} 1",
        "kmodkit_running_kernel_info{kernel=\"" + K1 + "\",installed=\"true\"} 1",
        "kmodkit_running_kernel_loads{set=\"" + set + "\",kernel=\"" + K1 + "\",state=\"native\",refusal=\"\"} 1",
        "kmodkit_newer_kernel_would_not_load{set=\"" + set + "\",kernel=\"" + K2 + "\",running=\"" + K1 + "\",state=\"linked\",refusal=\"\"} 0",
        "kmodkit_newer_kernel_would_not_load{set=\"" + set + "\",kernel=\"" + K3 + "\",running=\"" + K1 + "\",state=\"incompatible\",refusal=\"crc_mismatch\"} 1",
        "kmodkit_weak_links{kernel=\"" + K2 + "\",by=\"kmodkit\"} 1",
        "kmodkit_weak_links{kernel=\"" + K3 + "\",by=\"kmodkit\"} 0");
    assertThat(s).anyMatch(l -> l.matches("kmodkit_last_run_timestamp_seconds \\d+\\.\\d{3}")).anyMatch(l -> l.matches("kmodkit_run_duration_seconds \\d+\\.\\d{3}"));
    double at = Double.parseDouble(s.stream().filter(l -> l.startsWith("kmodkit_last_run_timestamp_seconds ")).findFirst().orElseThrow().split(" ")[1]);
    assertThat(at).isCloseTo(System.currentTimeMillis() / 1000.0, org.assertj.core.data.Offset.offset(60.0));
  }

  @Test
  void aRootWithoutARunningKernelHasNoRunningKernelSeries() throws Exception {
    Path r = root();
    Path prom = dir.resolve("kmodkit.prom");
    CliTest.run("status", "--root", r.toString(), "--prometheus", prom.toString());
    assertThat(Files.readString(prom)).contains("kmodkit_module_set_state{").doesNotContain("kmodkit_running_kernel").doesNotContain("kmodkit_newer_kernel");
  }

  @Test
  void theFileIsReplacedWholeAndALinkAtItsNameIsReplacedNotFollowed() throws Exception {
    Path r = root();
    Path victim = Files.writeString(dir.resolve("victim"), "keep");
    Path prom = dir.resolve("out").resolve("kmodkit.prom");
    Files.createDirectories(prom.getParent());
    Files.createSymbolicLink(prom, victim);
    CliTest.Run run = CliTest.run("status", "--root", r.toString(), "--prometheus", prom.toString());
    assertThat(run.code()).as(run.err()).isEqualTo(1);
    assertThat(victim).hasContent("keep");
    assertThat(Files.isSymbolicLink(prom)).isFalse();
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(prom))).isEqualTo("rw-r--r--");
    try (var names = Files.list(prom.getParent())) {
      assertThat(names.map(p -> p.getFileName().toString()).toList()).containsExactly("kmodkit.prom");
    }
  }

  @Test
  void theHtmlPagesTemporaryNameIsNeverALinkFollowed() throws Exception {
    Path r = root();
    Path victim = Files.writeString(dir.resolve("victim"), "keep");
    Path html = dir.resolve("status.html");
    Files.createSymbolicLink(dir.resolve("status.html.tmp"), victim);
    CliTest.Run run = CliTest.run("status", "--root", r.toString(), "--html", html.toString());
    assertThat(run.code()).as(run.err()).isEqualTo(1);
    assertThat(victim).hasContent("keep");
    assertThat(html).content().contains("<table id=\"matrix\">");
  }

  @Test
  void labelValuesEscapeQuotesBackslashesAndControls() {
    assertThat(PrometheusOutput.label("a\"b\\c\nd\u001be")).isEqualTo("a\\\"b\\\\c\\\\nd\\\\x1be");
  }
}
