package org.kmodkit.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.kmodkit.testkit.FakeRoot;
import org.kmodkit.testkit.KoBuilder;

/**
 * The repository's Ansible role (ansible/roles/kmodkit) run by Debian's ansible-core against three
 * local "hosts" (local connection, each judging its own root with --root): it gathers each host's
 * status --json and, for one, a preflight --json against a real Debian kernel package; the files
 * it writes are what kmodkit prints, fleet report reads them, and a second run changes nothing.
 */
class AnsibleIT {
  static final String K1 = "5.14.0-1.el9.x86_64";
  static final String K2 = "5.14.0-2.el9.x86_64";
  static final Pattern RECAP = Pattern.compile("^(\\S+)\\s*: ok=(\\d+)\\s+changed=(\\d+)\\s+unreachable=(\\d+)\\s+failed=(\\d+)", Pattern.MULTILINE);

  /** hello built for K1; K2 exports _printk with {@code k2crc}: 0xaa links, anything else refuses. */
  static Path root(Path dir, long k2crc) {
    FakeRoot.at(dir).kernel(K1, 0x1, 0xaa, "_printk").kernel(K2, 0x1, k2crc, "_printk")
        .module(K1, "extra/hello/hello.ko", KoBuilder.module("hello").vermagic(K1 + " SMP preempt mod_unload modversions ").version("module_layout", 0x1).uses("_printk", 0xaa));
    return dir;
  }

  static Proc.Result playbook(Path work, Path inventory) throws IOException, InterruptedException {
    List<String> cmd = List.of("ansible-playbook", "-i", inventory.toString(), Corpus.repo().resolve("ansible/playbook.yml").toString());
    ProcessBuilder pb = new ProcessBuilder(cmd).directory(work.toFile()).redirectErrorStream(true).redirectOutput(work.resolve("ansible.log").toFile());
    Map<String, String> env = pb.environment();
    env.put("ANSIBLE_ROLES_PATH", Corpus.repo().resolve("ansible/roles").toString());
    env.put("ANSIBLE_HOME", work.resolve("ansible-home").toString());
    env.put("ANSIBLE_LOCAL_TEMP", work.resolve("ansible-tmp").toString());
    env.put("ANSIBLE_REMOTE_TEMP", work.resolve("ansible-remote-tmp").toString());
    env.put("ANSIBLE_NOCOLOR", "1");
    env.put("ANSIBLE_RETRY_FILES_ENABLED", "0");
    env.put("ANSIBLE_HOST_KEY_CHECKING", "0");
    Process p;
    try {
      p = pb.start();
    } catch (IOException e) {
      throw new AssertionError("ansible-playbook is not installed (scripts/install-test-deps installs ansible-core)", e);
    }
    if (!p.waitFor(600, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError("ansible-playbook did not finish in 600 s");
    }
    return new Proc.Result(p.exitValue(), Files.readString(work.resolve("ansible.log")), "");
  }

  /** host → {ok, changed, unreachable, failed} from PLAY RECAP. */
  static Map<String, int[]> recap(String log) {
    Map<String, int[]> m = new TreeMap<>();
    Matcher x = RECAP.matcher(log.substring(log.lastIndexOf("PLAY RECAP")));
    while (x.find()) {
      m.put(x.group(1), new int[] {Integer.parseInt(x.group(2)), Integer.parseInt(x.group(3)), Integer.parseInt(x.group(4)), Integer.parseInt(x.group(5))});
    }
    return m;
  }

  @Test
  void theRoleGathersEachHostsAnswersForFleetReportAndASecondRunChangesNothing() throws Exception {
    Path work = Files.createTempDirectory(Corpus.work(), "ansible");
    Map<String, Path> hosts = new TreeMap<>(Map.of(
        "linked-a", root(work.resolve("roots/a"), 0xaa),
        "linked-b", root(work.resolve("roots/b"), 0xaa),
        "broken-c", root(work.resolve("roots/c"), 0xbb)));
    Path dest = work.resolve("gathered");
    StringBuilder inv = new StringBuilder("[nodes]\n");
    hosts.forEach((h, r) -> inv.append(h).append(" ansible_connection=local kmodkit_root=").append(r).append('\n'));
    inv.append("[nodes:vars]\nansible_python_interpreter=/usr/bin/python3\nkmodkit_bin=").append(Corpus.repo().resolve("bin/kmodkit"))
        .append("\nkmodkit_fetch_dest=").append(dest).append('\n');
    // one host asks what a real Debian kernel not installed there would do with its module set
    Path hostVars = Files.createDirectories(work.resolve("host_vars"));
    Files.writeString(hostVars.resolve("broken-c.yml"), "kmodkit_preflight:\n  - name: debian56\n    packages:\n      - " + Corpus.image(56) + "\n");
    Path inventory = work.resolve("inventory.ini");
    Files.writeString(inventory, inv);
    // weak-modules links hello into K2 where its CRC matches, as a package's scriptlet would
    hosts.values().forEach(r -> assertThat(Kmodkit.run("weak-modules", "--root", r.toString(), "--no-initramfs", "--add-kernel", K2).code()).isZero());

    Proc.Result first = playbook(work, inventory);
    assertThat(first.code()).as(first.out()).isZero();
    Map<String, int[]> r1 = recap(first.out());
    assertThat(r1.keySet()).containsExactlyElementsOf(hosts.keySet());
    r1.forEach((h, c) -> assertThat(c[1]).as("changed on the first run for " + h).isGreaterThan(0));

    ObjectMapper json = new ObjectMapper();
    for (Map.Entry<String, Path> h : hosts.entrySet()) {
      JsonNode gathered = json.readTree(dest.resolve(h.getKey()).resolve("status.json").toFile());
      JsonNode direct = Kmodkit.run("status", "--root", h.getValue().toString(), "--json").json();
      assertThat(gathered).as("what the role gathered for " + h.getKey()).isEqualTo(direct);
    }
    JsonNode pre = json.readTree(dest.resolve("broken-c/preflight-debian56.json").toFile());
    assertThat(pre.get("schema").asText()).isEqualTo("kmodkit.preflight/1");
    assertThat(pre.get("release").asText()).isEqualTo(Corpus.release(56));
    assertThat(pre.get("sets").get(0).get("state").asText()).isEqualTo("incompatible");

    Proc.Result second = playbook(work, inventory);
    assertThat(second.code()).as(second.out()).isZero();
    Map<String, int[]> r2 = recap(second.out());
    assertThat(r2.keySet()).containsExactlyElementsOf(hosts.keySet());
    r2.forEach((h, c) -> assertThat(c[1]).as("changed on the second run for " + h + "\n" + second.out()).isZero());

    Kmodkit.Run report = Kmodkit.run("fleet", "report", dest.toString(), "--json");
    assertThat(report.code()).as(report.err()).isEqualTo(1);
    assertThat(report.err()).isEmpty();
    JsonNode fleet = report.json();
    assertThat(fleet.get("nodes").asInt()).isEqualTo(3);
    assertThat(fleet.get("preflight_reports").asInt()).isEqualTo(1);
    List<String> linked = new ArrayList<>();
    List<String> incompatible = new ArrayList<>();
    for (JsonNode c : fleet.get("cells")) {
      if (c.get("kernel").asText().equals(K2)) {
        c.path("states").path("linked").path("nodes").forEach(n -> linked.add(n.asText()));
        c.path("states").path("incompatible").path("nodes").forEach(n -> incompatible.add(n.asText()));
      }
    }
    assertThat(linked).containsExactly("linked-a", "linked-b");
    assertThat(incompatible).containsExactly("broken-c");
  }
}
