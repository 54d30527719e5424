package org.kmodkit.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** kmodkit verify --vm on the real corpus: what it loads matches modprobe, and a dying kernel is reported, not waited for. */
class VerifyIT {
  static final int K = 56;

  /** modules.dep of the corpus kernel, written by kmod's depmod into a linked copy of the tree. */
  static Map<String, List<String>> modulesDep() throws IOException {
    Path root = Corpus.work().resolve("verify-depmod-" + K);
    Path tree = root.resolve("lib/modules/" + Corpus.release(K));
    if (!Files.isRegularFile(tree.resolve("modules.dep"))) {
      Proc.run(Corpus.work(), 60, "rm", "-rf", root.toString());
      Files.createDirectories(tree.getParent());
      Proc.check(Corpus.work(), 120, "cp", "-al", Corpus.modules(K).toString(), tree.toString());
      Proc.check(root, 300, "depmod", "-b", root.toString(), Corpus.release(K));
    }
    Map<String, List<String>> dep = new HashMap<>();
    for (String line : Files.readAllLines(tree.resolve("modules.dep"))) {
      int colon = line.indexOf(':');
      List<String> deps = new ArrayList<>();
      for (String d : line.substring(colon + 1).trim().split("\\s+")) {
        if (!d.isEmpty()) {
          deps.add(name(d));
        }
      }
      dep.put(name(line.substring(0, colon)), deps);
    }
    return dep;
  }

  static String name(String path) {
    String base = path.substring(path.lastIndexOf('/') + 1);
    return base.substring(0, base.indexOf(".ko")).replace('-', '_');
  }

  @Test
  void theKernelsOwnMlx5AndRdmaStacksLoadWhatModprobeLoadsDependenciesFirstAndReload() throws IOException {
    Map<String, List<String>> dep = modulesDep();
    List<String> targets = List.of("mlx5_ib", "rdma_ucm");
    Set<String> modprobe = new LinkedHashSet<>();
    for (String t : targets) {
      // modprobe --show-depends: the referee's closure for the same request
      Proc.Result r = Proc.check(Corpus.work(), 60, "modprobe", "-d", Corpus.work().resolve("verify-depmod-" + K).toString(), "-S", Corpus.release(K), "--show-depends", t);
      for (String line : r.out().split("\n")) {
        if (line.startsWith("insmod ")) {
          modprobe.add(name(line.substring(7).trim()));
        }
      }
    }
    Kmodkit.Run run = Kmodkit.run("verify", "--vm", "--json", "--root", Corpus.root(K).toString(), "--kernel", Corpus.release(K), "--load", String.join(",", targets), "--work-dir", Corpus.work().resolve("verify-intree").toString());
    assertThat(run.code()).as(run.out() + run.err()).isZero();
    JsonNode sets = run.json().get("sets");
    assertThat(sets).hasSize(1);
    List<String> order = new ArrayList<>();
    for (JsonNode m : sets.get(0).get("modules")) {
      String n = m.get("name").asText();
      for (String d : dep.get(n)) {
        assertThat(order).as(n + " is loaded after its dependency " + d + " (modules.dep)").contains(d);
      }
      assertThat(m.get("ok").asBoolean()).as(n + " loads, unloads and reloads").isTrue();
      assertThat(m.get("origin").asText()).isEqualTo("tree");
      assertThat(m.get("requested").asBoolean()).isEqualTo(targets.contains(n));
      order.add(n);
    }
    assertThat(order).containsExactlyInAnyOrderElementsOf(modprobe);
  }

  @Test
  void aKernelPanicEndsTheRunAtOnceNamesTheModuleAndShowsTheLastConsoleLines() throws IOException {
    Path dir = Files.createDirectories(Corpus.work().resolve("verify-panic/modules"));
    Files.copy(Builds.faults(K).ko("kmodkit_panic"), dir.resolve("kmodkit_panic.ko"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    Kmodkit.Run run = Kmodkit.run("verify", "--vm", "--kernel", Corpus.root(K).resolve("boot/vmlinuz-" + Corpus.release(K)).toString(), "--modules", dir.toString(), "--work-dir", Corpus.work().resolve("verify-panic/vm").toString());
    assertThat(run.code()).as(run.out() + run.err()).isEqualTo(1);
    assertThat(run.out())
        .contains("FAIL kmodkit_panic: the kernel stopped while loading it: Kernel panic - not syncing: kmodkit_panic: panicking on purpose")
        .contains("the run did not complete: kernel panic (Kernel panic - not syncing: kmodkit_panic: panicking on purpose (kmodkit verify test fixture)) while loading kmodkit_panic; last console lines:")
        .contains("  | ");
    String log = Files.readString(Corpus.work().resolve("verify-panic/vm/console.log"));
    assertThat(log).as("the console log is kept").contains("@@ BEGIN 1 load").contains("Kernel panic - not syncing");
  }

  @Test
  void aHungKernelIsStoppedAtTheTimeoutAndTheLastConsoleLinesAreShown() throws IOException {
    Path dir = Files.createDirectories(Corpus.work().resolve("verify-hang/modules"));
    Files.copy(Builds.faults(K).ko("kmodkit_hang"), dir.resolve("kmodkit_hang.ko"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    long start = System.nanoTime();
    Kmodkit.Run run = Kmodkit.run("verify", "--vm", "--json", "--root", Corpus.root(K).toString(), "--kernel", Corpus.release(K), "--modules", dir.toString(), "--timeout", "25", "--work-dir", Corpus.work().resolve("verify-hang/vm").toString());
    double seconds = (System.nanoTime() - start) / 1e9;
    assertThat(run.code()).as(run.err()).isEqualTo(1);
    JsonNode j = run.json();
    assertThat(j.get("run").get("outcome").asText()).isEqualTo("timed_out");
    assertThat(j.get("run").get("message").asText()).contains("while loading kmodkit_hang");
    JsonNode m = j.get("sets").get(0).get("modules").get(0);
    assertThat(m.get("load").get("result").asText()).isEqualTo("kernel_stopped");
    assertThat(j.get("run").get("last_lines").toString()).contains("kmodkit_hang: spinning with interrupts off");
    assertThat(seconds).as("stopped at the timeout, not later").isLessThan(60);
  }
}
