package org.kmodkit.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.kmodkit.testkit.FakeRoot;
import org.kmodkit.testkit.KoBuilder;

/**
 * `status --prometheus` read by the real programs (Debian's prometheus-node-exporter and
 * prometheus): node_exporter's textfile collector on 127.0.0.1 reads the file written for the demo
 * root (corpus kernels 53–56, 55's mlx stack as the vendor set, linked where it fits), Prometheus
 * scrapes it with the shipped alert rules loaded, and PromQL over the HTTP API gives back the
 * states `status --json` gives; promtool checks every file written, the rules and their tests.
 */
class PrometheusIT {
  static final HttpClient HTTP = HttpClient.newHttpClient();
  static Path root;

  @BeforeAll
  static void demoRoot() {
    Path cache = Corpus.work().resolve("prometheus-demo");
    root = cache.resolve("root");
    if (!Files.isDirectory(root.resolve("lib/modules/" + Corpus.release(56) + "/weak-updates"))) {
      Proc.run(Corpus.work(), 120, "rm", "-rf", cache.toString());
      Kmodkit.Run r = Kmodkit.run("demo", "--debs", Corpus.debs().toString(), "--cache", cache.toString());
      assertThat(r.code()).as(r.err()).isZero();
    }
  }

  static Path fleetFile(String name) {
    return Corpus.repo().resolve("scripts/fleet").resolve(name);
  }

  static void promtoolPasses(String... args) {
    List<String> cmd = new ArrayList<>(List.of("promtool"));
    cmd.addAll(List.of(args));
    Proc.Result r = Proc.run(Corpus.work(), 120, cmd.toArray(String[]::new));
    assertThat(r.code()).as("promtool " + String.join(" ", args) + " (install it: scripts/install-test-deps) said: " + r.out() + r.err()).isZero();
  }

  /** `promtool check metrics` reads the exposition on stdin: a lint error (or a parse error) exits 1. */
  static void checkMetrics(Path file) {
    Proc.Result r = Proc.run(Corpus.work(), 60, "sh", "-c", "promtool check metrics < \"$1\"", "sh", file.toString());
    assertThat(r.code()).as("promtool check metrics " + file + ": " + r.out() + r.err()).isZero();
  }

  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  static Process start(Path log, String... cmd) throws IOException {
    return new ProcessBuilder(cmd).directory(Corpus.work().toFile()).redirectErrorStream(true).redirectOutput(log.toFile()).start();
  }

  static void stop(Process p) throws InterruptedException {
    if (p != null) {
      p.destroy();
      if (!p.waitFor(10, TimeUnit.SECONDS)) {
        p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
    }
  }

  static JsonNode get(String url) throws IOException, InterruptedException {
    HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
    return new ObjectMapper().readTree(r.body());
  }

  static JsonNode query(int port, String promql) throws IOException, InterruptedException {
    JsonNode j = get("http://127.0.0.1:" + port + "/api/v1/query?query=" + URLEncoder.encode(promql, StandardCharsets.UTF_8));
    assertThat(j.path("status").asText()).as(j.toString()).isEqualTo("success");
    return j.get("data").get("result");
  }

  @Test
  void prometheusScrapesTheDemoRootsStatesThroughNodeExporterAndTheShippedRulesFire() throws Exception {
    Path work = Files.createTempDirectory(Corpus.work(), "prometheus");
    Path textDir = Files.createDirectories(work.resolve("textfile"));
    Path prom = textDir.resolve("kmodkit.prom");
    String running = Corpus.release(53);
    Kmodkit.Run st = Kmodkit.run("status", "--root", root.toString(), "--prometheus", prom.toString(), "--running-kernel", running);
    assertThat(st.code()).as(st.err()).isEqualTo(1);
    checkMetrics(prom);
    Map<String, String> expected = new TreeMap<>();
    Kmodkit.run("status", "--root", root.toString(), "--json").json().get("sets")
        .forEach(set -> set.get("kernels").fields().forEachRemaining(e -> expected.put(set.get("name").asText() + " @ " + e.getKey(), e.getValue().get("state").asText())));
    assertThat(expected).hasSize(4).containsEntry("extra/mlnx @ " + Corpus.release(54), "incompatible").containsEntry("extra/mlnx @ " + Corpus.release(56), "linked");

    int exporterPort = freePort();
    int prometheusPort = freePort();
    Path config = work.resolve("prometheus.yml");
    Files.writeString(config, "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nrule_files:\n  - " + fleetFile("kmodkit.rules.yml") + "\n"
        + "scrape_configs:\n  - job_name: node\n    static_configs:\n      - targets: ['127.0.0.1:" + exporterPort + "']\n");
    promtoolPasses("check", "config", config.toString());
    Process exporter = null;
    Process prometheus = null;
    try {
      exporter = start(work.resolve("node-exporter.log"), "prometheus-node-exporter", "--web.listen-address=127.0.0.1:" + exporterPort,
          "--collector.disable-defaults", "--collector.textfile", "--collector.textfile.directory=" + textDir);
      prometheus = start(work.resolve("prometheus.log"), "prometheus", "--config.file=" + config, "--storage.tsdb.path=" + work.resolve("tsdb"),
          "--web.listen-address=127.0.0.1:" + prometheusPort);
      Map<String, String> scraped = new TreeMap<>();
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
      while (scraped.size() < expected.size() && System.nanoTime() < deadline) {
        Thread.sleep(1000);
        assertThat(exporter.isAlive()).as(Files.readString(work.resolve("node-exporter.log"))).isTrue();
        assertThat(prometheus.isAlive()).as(Files.readString(work.resolve("prometheus.log"))).isTrue();
        try {
          scraped.clear();
          query(prometheusPort, "kmodkit_module_set_state == 1").forEach(s -> scraped.put(s.get("metric").get("set").asText() + " @ " + s.get("metric").get("kernel").asText(), s.get("metric").get("state").asText()));
        } catch (IOException notYetListening) {
          // Prometheus opens its port after the TSDB: try again
        }
      }
      assertThat(scraped).as("states Prometheus scraped through node_exporter").isEqualTo(expected);
      JsonNode refusal = query(prometheusPort, "kmodkit_module_set_state{kernel=\"" + Corpus.release(54) + "\"}");
      assertThat(refusal.get(0).get("metric").get("refusal").asText()).isNotEmpty();
      JsonNode breaking = query(prometheusPort, "kmodkit_newer_kernel_would_not_load == 1");
      List<String> kernels = new ArrayList<>();
      breaking.forEach(s -> kernels.add(s.get("metric").get("kernel").asText()));
      assertThat(kernels).as("installed kernels newer than " + running + " that would not load extra/mlnx").containsExactly(Corpus.release(54));
      // the shipped rule sees it too: pending (its for: has not passed) with the kernel and the refusal kind
      JsonNode alert = null;
      while (alert == null && System.nanoTime() < deadline) {
        for (JsonNode a : get("http://127.0.0.1:" + prometheusPort + "/api/v1/alerts").get("data").get("alerts")) {
          if (a.get("labels").get("alertname").asText().equals("KmodkitNextKernelLosesDriver")) {
            alert = a;
          }
        }
        Thread.sleep(500);
      }
      assertThat(alert).as("KmodkitNextKernelLosesDriver in /api/v1/alerts").isNotNull();
      assertThat(alert.get("state").asText()).isEqualTo("pending");
      assertThat(alert.get("labels").get("kernel").asText()).isEqualTo(Corpus.release(54));
      assertThat(alert.get("annotations").get("summary").asText()).contains("rebooting into " + Corpus.release(54) + " loses extra/mlnx");
    } finally {
      stop(prometheus);
      stop(exporter);
    }
  }

  @Test
  void promtoolAcceptsTheRulesTheirTestsAndEveryFileWritten() throws Exception {
    promtoolPasses("check", "rules", fleetFile("kmodkit.rules.yml").toString());
    promtoolPasses("test", "rules", fleetFile("kmodkit.rules.test.yml").toString());
    Path work = Files.createTempDirectory(Corpus.work(), "prometheus-files");
    // the demo root with and without a running kernel, and a root whose names hold quotes, backslashes and
    // controls, running an installed kernel and one it does not hold (empty families)
    Path fake = work.resolve("hostile");
    String k = "5.14.0-1.el9.x86_64";
    FakeRoot r = FakeRoot.at(fake).kernel(k, 0x1, 0xaa, "_printk").kernel("5.14.0-2.el9.x86_64", 0x1, 0xbb, "_printk");
    for (String dir : List.of("q\"uote", "back\\slash", "nl\nx", "esc\u001b[31m")) {
      r.module(k, "extra/" + dir + "/m.ko", KoBuilder.module("m").vermagic(k + " SMP preempt mod_unload modversions ").version("module_layout", 0x1).uses("_printk", 0xaa));
    }
    List<String[]> runs = List.of(
        new String[] {"--root", root.toString()},
        new String[] {"--root", root.toString(), "--running-kernel", Corpus.release(56)},
        new String[] {"--root", fake.toString(), "--running-kernel", k},
        new String[] {"--root", fake.toString(), "--running-kernel", "9.9.9-not-installed"});
    int i = 0;
    for (String[] args : runs) {
      Path out = work.resolve("run" + i++ + ".prom");
      List<String> cmd = new ArrayList<>(List.of("status", "--prometheus", out.toString()));
      cmd.addAll(List.of(args));
      Kmodkit.Run st = Kmodkit.run(cmd.toArray(String[]::new));
      assertThat(st.code()).as(st.err()).isIn(0, 1);
      checkMetrics(out);
    }
    assertThat(Files.readString(work.resolve("run2.prom"))).contains("set=\"extra/q\\\"uote\"").contains("set=\"extra/back\\\\slash\"");
  }

  @Test
  void systemdAcceptsTheUnits() throws Exception {
    Path units = Files.createTempDirectory(Corpus.work(), "units");
    for (String u : List.of("kmodkit-metrics.service", "kmodkit-metrics.timer", "kmodkit-metrics.path")) {
      // the installed binary is not here: point ExecStart at the checkout's launcher
      Files.writeString(units.resolve(u), Files.readString(fleetFile(u)).replace("/usr/bin/kmodkit", Corpus.repo().resolve("bin/kmodkit").toString()));
    }
    Proc.Result r = Proc.run(units, 60, "systemd-analyze", "verify", "--man=no", "kmodkit-metrics.service", "kmodkit-metrics.timer", "kmodkit-metrics.path");
    assertThat(r.code()).as(r.out() + r.err()).isZero();
    assertThat(r.out() + r.err()).as("systemd-analyze verify").doesNotContain("kmodkit-metrics");
  }
}
