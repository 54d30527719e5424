package org.kmodkit.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.kmodkit.testkit.FakeRoot;
import org.kmodkit.testkit.KoBuilder;

/** fleet report over nodes' real status --json answers, and over files that are not such answers. */
class FleetCliTest {
  static final String K1 = PrometheusCliTest.K1;
  static final String K2 = PrometheusCliTest.K2;

  @TempDir Path dir;

  /** A node whose K2 exports _printk with CRC {@code k2crc}: 0xaa links hello, anything else refuses it. */
  String statusOf(String name, long k2crc) throws Exception {
    Path r = dir.resolve("roots").resolve(name);
    FakeRoot root = FakeRoot.at(r).kernel(K1, 0x1, 0xaa, "_printk").kernel(K2, 0x1, k2crc, "_printk");
    root.module(K1, "extra/hello/hello.ko", KoBuilder.module("hello").vermagic(K1 + " SMP preempt mod_unload modversions ").version("module_layout", 0x1).uses("_printk", 0xaa));
    CliTest.run("weak-modules", "--root", r.toString(), "--no-initramfs", "--add-kernel", K2);
    return CliTest.run("status", "--root", r.toString(), "--json").out();
  }

  Path gathered() throws Exception {
    Path g = dir.resolve("gathered");
    for (String node : new String[] {"web1", "web2", "db1"}) {
      Files.createDirectories(g.resolve(node));
      Files.writeString(g.resolve(node).resolve("status.json"), statusOf(node, node.startsWith("web") ? 0xaa : 0xbb));
    }
    return g;
  }

  @Test
  void nodesAreCountedPerSetKernelAndStateWithTheirNamesAndTheRefusalReason() throws Exception {
    Path g = gathered();
    CliTest.Run r = CliTest.run("fleet", "report", g.toString(), "--json");
    assertThat(r.code()).as(r.err()).isEqualTo(1);
    assertThat(r.err()).isEmpty();
    JsonNode j = r.json();
    assertThat(j.get("nodes").asInt()).isEqualTo(3);
    JsonNode k2 = null;
    JsonNode k1 = null;
    for (JsonNode c : j.get("cells")) {
      if (c.get("kernel").asText().equals(K2)) {
        k2 = c;
      } else {
        k1 = c;
      }
    }
    assertThat(k1.get("states").get("native").get("nodes").toString()).isEqualTo("[\"db1\",\"web1\",\"web2\"]");
    assertThat(k2.get("states").get("linked").get("count").asInt()).isEqualTo(2);
    assertThat(k2.get("states").get("incompatible").get("nodes").toString()).isEqualTo("[\"db1\"]");
    assertThat(k2.get("reasons").get(0).get("reason").asText()).isEqualTo("hello: disagrees about version of symbol _printk (build for " + K1 + ")");
    assertThat(k2.get("reasons").get(0).get("count").asInt()).isEqualTo(1);
    CliTest.Run text = CliTest.run("fleet", "report", g.toString(), "--html", dir.resolve("fleet.html").toString());
    assertThat(text.out()).contains("fleet: 3 nodes (3 status, 0 preflight reports), 0 files skipped")
        .contains("extra/hello on " + K2 + ": 3 nodes\n  incompatible 1: db1\n  linked 2: web1, web2\n    1× hello: disagrees about version of symbol _printk");
    assertThat(dir.resolve("fleet.html")).content().contains("data-state=\"incompatible\" data-count=\"1\"").contains("data-state=\"linked\" data-count=\"2\"");
  }

  @Test
  void aFileThatIsNoReportIsNamedAndSkippedAndTheRestIsStillCounted() throws Exception {
    Path g = gathered();
    Files.createDirectories(g.resolve("broken"));
    Files.writeString(g.resolve("broken/status.json"), "{\"schema\":\"kmodkit.status/1\",\"sets\":[{\"name\":\"x\",\"kernels\"");
    Files.writeString(g.resolve("other.json"), "{\"schema\":\"something.else/2\"}");
    Files.writeString(g.resolve("badstate.json"), "{\"schema\":\"kmodkit.status/1\",\"sets\":[{\"name\":\"x\",\"kernels\":{\"k\":{\"state\":\"\\u001b[31mfine\"}}}]}");
    Files.createSymbolicLink(g.resolve("link.json"), g.resolve("web1/status.json"));
    CliTest.Run r = CliTest.run("fleet", "report", g.toString());
    assertThat(r.code()).as(r.err()).isEqualTo(1);
    assertThat(r.err().lines().toList()).hasSize(4)
        .anySatisfy(l -> assertThat(l).startsWith("kmodkit: " + g.resolve("broken/status.json") + ": skipped: not JSON ("))
        .anySatisfy(l -> assertThat(l).isEqualTo("kmodkit: " + g.resolve("other.json") + ": skipped: schema 'something.else/2', not kmodkit.status/1 or kmodkit.preflight/1"))
        .anySatisfy(l -> assertThat(l).isEqualTo("kmodkit: " + g.resolve("badstate.json") + ": skipped: unknown state '\\x1b[31mfine' for x on k"))
        .anySatisfy(l -> assertThat(l).isEqualTo("kmodkit: " + g.resolve("link.json") + ": skipped: not a regular file (links are not followed)"));
    assertThat(r.out()).contains("fleet: 3 nodes (3 status, 0 preflight reports), 4 files skipped");
  }

  @Test
  void preflightAnswersAreTheirOwnColumnAndASecondReportOfANodeIsNotCountedTwice() throws Exception {
    Path g = gathered();
    String pre = "{\"schema\":\"kmodkit.preflight/1\",\"release\":\"5.14.0-9.el9.x86_64\",\"sets\":[{\"set\":\"extra/hello\",\"state\":\"incompatible\",\"from\":[],\"modules\":[],\"reason\":\"hello: Unknown symbol _printk (err -2)\"}]}";
    Files.writeString(g.resolve("web1/preflight.json"), pre);
    Files.writeString(g.resolve("web1/status2.json"), Files.readString(g.resolve("web1/status.json")));
    CliTest.Run r = CliTest.run("fleet", "report", g.toString());
    assertThat(r.out()).contains("extra/hello on 5.14.0-9.el9.x86_64 (preflight: not installed): 1 nodes\n  incompatible 1: web1\n    1× hello: Unknown symbol _printk (err -2)")
        .contains("fleet: 3 nodes (3 status, 1 preflight reports), 1 files skipped");
    assertThat(r.err()).contains("status2.json: skipped: a second kmodkit.status/1 report for node web1; the first one counts");
  }

  @Test
  void noReportAtAllOrNoDirectoryIsBadInput() throws Exception {
    Files.createDirectories(dir.resolve("empty"));
    CliTest.Run r = CliTest.run("fleet", "report", dir.resolve("empty").toString());
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.err()).startsWith("kmodkit: " + dir.resolve("empty") + ": holds no kmodkit status --json or preflight --json report");
    CliTest.Run missing = CliTest.run("fleet", "report", dir.resolve("nope").toString());
    assertThat(missing.code()).isEqualTo(2);
    assertThat(missing.err()).startsWith("kmodkit: " + dir.resolve("nope") + ": is not a directory");
  }

  @Test
  void allNodesLoadingEverySetExitsZero() throws Exception {
    Path g = dir.resolve("ok");
    Files.createDirectories(g.resolve("a"));
    Files.writeString(g.resolve("a/status.json"), statusOf("a", 0xaa));
    assertThat(CliTest.run("fleet", "report", g.toString()).code()).isZero();
  }
}
