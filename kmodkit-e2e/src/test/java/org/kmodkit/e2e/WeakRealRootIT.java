package org.kmodkit.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * weak-updates on a real root: corpus kernels 53 and 55 installed, 55's mlx stack copied under
 * 55's extra/mlnx as a vendor package does, hello built for 53 under 53's extra/hello; then kernels
 * 54 and 56 arrive one by one and `kmodkit weak-modules --add-kernel` runs as their posttrans
 * would. Referees: kmod's depmod (-e -E on the result reports nothing about linked modules) and
 * the modules.dep it writes (every path resolves; the vendor modules win over the in-tree ones).
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class WeakRealRootIT {
  static final Set<String> MLX = Set.of("ib_core", "ib_uverbs", "mlxfw", "mlx5_core", "mlx5_ib", "rdma_cm", "rdma_ucm");
  static Path root;

  static void install(int abi) {
    Path src = Corpus.root(abi);
    for (String d : List.of("lib/modules/" + Corpus.release(abi), "usr/src/linux-headers-" + Corpus.release(abi))) {
      Path to = root.resolve(d);
      Proc.check(root, 120, "mkdir", "-p", to.getParent().toString());
      Proc.check(root, 300, "cp", "-al", src.resolve(d).toString(), to.toString());
    }
    Proc.check(root, 60, "mkdir", "-p", root.resolve("boot").toString());
    Proc.check(root, 60, "sh", "-c", "cp -l " + src.resolve("boot") + "/* " + root.resolve("boot") + "/");
  }

  @BeforeAll
  static void buildRoot() throws IOException {
    root = Corpus.work().resolve("weak-root");
    Proc.run(Corpus.work(), 120, "rm", "-rf", root.toString());
    Files.createDirectories(root);
    install(53);
    install(55);
    Path k55 = root.resolve("lib/modules/" + Corpus.release(55));
    Files.createDirectories(k55.resolve("extra/mlnx"));
    try (Stream<Path> s = Files.walk(Corpus.modules(55).resolve("kernel"))) {
      for (Path p : (Iterable<Path>) s::iterator) {
        String n = p.getFileName().toString();
        if (n.endsWith(".ko") && MLX.contains(n.substring(0, n.length() - 3))) {
          Files.copy(p, k55.resolve("extra/mlnx/" + n)); // a copy, as the vendor package installs it
        }
      }
    }
    Path hello = root.resolve("lib/modules/" + Corpus.release(53) + "/extra/hello");
    Files.createDirectories(hello);
    Path fixtures = Corpus.repo().resolve("kmodkit-core/src/test/resources/real/6.1.0-53");
    for (String m : List.of("hello.ko", "hello_user.ko", "hello_nonet.ko")) {
      Files.copy(fixtures.resolve(m), hello.resolve(m));
    }
  }

  static Kmodkit.Run weak(String... args) {
    List<String> a = new ArrayList<>(List.of("weak-modules", "--root", root.toString(), "--no-initramfs"));
    a.addAll(List.of(args));
    Kmodkit.Run r = Kmodkit.run(a.toArray(String[]::new));
    assertThat(r.code()).as(r.out() + r.err()).isZero();
    return r;
  }

  /** kmodkit's links of a kernel: module name → the target kernel. */
  static Map<String, String> links(int abi) throws IOException {
    Map<String, String> out = new TreeMap<>();
    Path live = root.resolve("lib/modules/" + Corpus.release(abi) + "/weak-updates/kmodkit");
    if (!Files.exists(live)) {
      return out;
    }
    try (Stream<Path> s = Files.walk(live, java.nio.file.FileVisitOption.FOLLOW_LINKS)) {
      for (Path p : (Iterable<Path>) s::iterator) {
        if (p.toString().endsWith(".ko")) {
          Path real = p.toRealPath();
          assertThat(real).startsWith(root.toRealPath());
          String rel = root.toRealPath().relativize(real).toString();
          out.put(p.getFileName().toString().replace(".ko", ""), rel.split("/")[2]);
        }
      }
    }
    return out;
  }

  /** depmod -e -E on the kernel's tree: warnings about linked modules, and modules.dep paths that do not exist. */
  static void assertDepmodAgrees(int abi) throws IOException {
    String k = Corpus.release(abi);
    List<String> cmd = new ArrayList<>(List.of("depmod", "-b", root.toString(), "-e", "-E", root.resolve("usr/src/linux-headers-" + k + "/Module.symvers").toString()));
    for (String d : List.of("etc/depmod.d", "lib/depmod.d")) {
      if (Files.isDirectory(root.resolve(d))) {
        cmd.add("-C");
        cmd.add(root.resolve(d).toString());
      }
    }
    cmd.add("-n");
    cmd.add(k);
    Proc.Result r = Proc.check(root, 300, cmd.toArray(String[]::new));
    List<String> aboutLinks = r.err().lines().filter(l -> l.contains("/weak-updates/")).toList();
    assertThat(aboutLinks).as("depmod -e about linked modules on " + k).isEmpty();
    Path dep = root.resolve("lib/modules/" + k + "/modules.dep");
    for (String line : Files.readAllLines(dep)) {
      for (String p : line.replace(":", "").split(" ")) {
        if (!p.isBlank()) {
          assertThat(root.resolve("lib/modules/" + k).resolve(p)).as("modules.dep of " + k + " names " + p).exists();
        }
      }
    }
  }

  @Test
  @Order(1)
  void kernel54ArrivesAndLinksNoneOfTheMlxStack() throws IOException {
    install(54);
    weak("--add-kernel", Corpus.release(54));
    Map<String, String> l = links(54);
    assertThat(l.keySet()).doesNotContainAnyElementsOf(MLX);
    assertThat(l).containsEntry("hello_nonet", Corpus.release(53)); // independent of hello: judged alone
    assertThat(l).doesNotContainKeys("hello", "hello_user"); // hello disagrees about netif_rx; hello_user needs hello
    assertDepmodAgrees(54);
  }

  @Test
  @Order(2)
  void kernel56ArrivesAndLinksTheWhole55SetWhichThenWinsOverTheInTreeDrivers() throws IOException {
    install(56);
    Kmodkit.Run dry = Kmodkit.run("weak-modules", "--root", root.toString(), "--add-kernel", Corpus.release(56), "--dry-run", "--json");
    assertThat(dry.json().get("applied").asBoolean()).isFalse();
    assertThat(links(56)).isEmpty();
    weak("--add-kernel", Corpus.release(56));
    Map<String, String> l = links(56);
    for (String m : MLX) {
      assertThat(l).containsEntry(m, Corpus.release(55));
    }
    assertThat(l).doesNotContainKeys("hello", "hello_user", "hello_nonet"); // module_layout differs 53 → 56
    assertDepmodAgrees(56);
    String dep = Files.readString(root.resolve("lib/modules/" + Corpus.release(56) + "/modules.dep"));
    assertThat(dep).contains("weak-updates/kmodkit/mlnx/mlx5_ib.ko: weak-updates/kmodkit/mlnx/mlx5_core.ko")
        .doesNotContain("kernel/drivers/infiniband/hw/mlx5/mlx5_ib.ko:");
  }

  @Test
  @Order(3)
  void noPartOfADependencyGroupIsEverLinkedAlone() throws IOException {
    for (int abi : new int[] {53, 54, 55, 56}) {
      Set<String> linked = links(abi).keySet();
      long mlx = linked.stream().filter(MLX::contains).count();
      assertThat(mlx).as("mlx stack on " + abi).isIn(0L, (long) MLX.size());
      assertThat(linked.contains("hello_user")).as("hello_user without hello on " + abi).isEqualTo(linked.contains("hello"));
    }
  }

  @Test
  @Order(4)
  void statusShowsTheMatrixAndASecondRunChangesNothing() throws IOException {
    Kmodkit.Run st = Kmodkit.run("status", "--json", "--root", root.toString());
    JsonNode sets = st.json().get("sets");
    Map<String, JsonNode> byName = new TreeMap<>();
    sets.forEach(s -> byName.put(s.get("name").asText(), s.get("kernels")));
    JsonNode mlnx = byName.get("extra/mlnx");
    assertThat(mlnx.get(Corpus.release(55)).get("state").asText()).isEqualTo("native");
    assertThat(mlnx.get(Corpus.release(56)).get("state").asText()).isEqualTo("linked");
    assertThat(mlnx.get(Corpus.release(56)).get("from").get(0).asText()).isEqualTo(Corpus.release(55));
    assertThat(mlnx.get(Corpus.release(54)).get("state").asText()).isEqualTo("incompatible");
    assertThat(mlnx.get(Corpus.release(54)).get("detail").asText()).contains("disagrees about version of symbol module_layout");
    assertThat(byName.get("extra/hello").get(Corpus.release(54)).get("state").asText()).isEqualTo("partial");
    Map<String, String> before = links(56);
    Kmodkit.Run again = Kmodkit.run("weak-modules", "--root", root.toString(), "--no-initramfs", "--add-kernel", Corpus.release(56), "--json");
    assertThat(again.json().get("kernels").get(0).get("change").asText()).isEqualTo("none");
    assertThat(links(56)).isEqualTo(before);
  }

  @Test
  @Order(5)
  void removingTheVendorPackageRemovesItsLinksAndTheOverrides() throws IOException {
    Path saved = Corpus.work().resolve("weak-root-mlnx-saved");
    Proc.run(Corpus.work(), 60, "rm", "-rf", saved.toString());
    Path mlnx = root.resolve("lib/modules/" + Corpus.release(55) + "/extra/mlnx");
    Proc.check(root, 60, "mv", mlnx.toString(), saved.toString());
    weak("--remove-modules", saved.resolve("mlx5_core.ko").toString());
    assertThat(links(56)).isEmpty();
    assertThat(root.resolve("etc/depmod.d/kmodkit-weak-" + Corpus.release(56) + ".conf")).doesNotExist();
    assertDepmodAgrees(56);
    assertThat(Files.readString(root.resolve("lib/modules/" + Corpus.release(56) + "/modules.dep"))).contains("kernel/drivers/infiniband/hw/mlx5/mlx5_ib.ko:");
    Proc.check(root, 60, "mv", saved.toString(), mlnx.toString());
    weak("--add-modules", mlnx.resolve("mlx5_core.ko").toString());
    assertThat(links(56)).hasSize(MLX.size());
  }
}
