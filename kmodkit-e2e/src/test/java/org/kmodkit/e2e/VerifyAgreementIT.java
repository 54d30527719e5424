package org.kmodkit.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The project's referee: {@code kmodkit check}'s verdict against what the booted kernel does, module
 * by module. For each corpus transition (modules built for one ABI, the next ABI's kernel) one VM
 * boot loads every set: recipes/hello and the three DKMS drivers built for the older ABI, the mlx5
 * stack of the older image in modprobe order, and controls built for the newer ABI (a positive
 * one, a missing dependency, a module whose {@code __versions} was renamed away). They agree when
 * the verdicts match and the kernel's refusal is what check predicted: the same module_layout or
 * vermagic refusal, or, when the kernel got to the symbols, the same symbols disagreeing and the
 * same symbols unknown.
 */
class VerifyAgreementIT {
  /** The mlx5 stack as modprobe loads it, and where each lies in a Debian image. */
  static final Map<String, String> MLX5 = new LinkedHashMap<>();

  static {
    MLX5.put("ib_core", "kernel/drivers/infiniband/core/ib_core.ko");
    MLX5.put("ib_uverbs", "kernel/drivers/infiniband/core/ib_uverbs.ko");
    MLX5.put("mlxfw", "kernel/drivers/net/ethernet/mellanox/mlxfw/mlxfw.ko");
    MLX5.put("psample", "kernel/net/psample/psample.ko");
    MLX5.put("pci_hyperv_intf", "kernel/drivers/pci/controller/pci-hyperv-intf.ko");
    MLX5.put("mlx5_core", "kernel/drivers/net/ethernet/mellanox/mlx5/core/mlx5_core.ko");
    MLX5.put("mlx5_ib", "kernel/drivers/infiniband/hw/mlx5/mlx5_ib.ko");
  }

  static final List<String> OTHERS = List.of("hello", "hello_nonet", "hello_user", "vpoll", "acpi_call", "igb_uio", "hello_export", "hello_import");
  static final Path REAL = Corpus.repo().resolve("kmodkit-core/src/test/resources/real");
  private static final List<String> SUMMARY = new ArrayList<>();
  private static final List<String> DETAIL = new ArrayList<>();

  /** Builds what the committed fixtures lack (53's DKMS and export modules, all of 54's and 55's), two at a time. */
  @BeforeAll
  static void buildModules() throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(2);
    try {
      List<Future<Builds.Build>> all = new ArrayList<>();
      for (int abi : List.of(53, 54, 55)) {
        if (abi != 53) {
          all.add(pool.submit(() -> Builds.hello(abi)));
        }
        all.add(pool.submit(() -> Builds.export(abi)));
        all.add(pool.submit(() -> Builds.vpoll(abi)));
        all.add(pool.submit(() -> Builds.acpiCall(abi)));
        all.add(pool.submit(() -> Builds.igbUio(abi)));
      }
      for (Future<Builds.Build> f : all) {
        f.get();
      }
    } finally {
      pool.shutdownNow();
    }
  }

  /** Module {@code name} built for ABI {@code abi}: the committed fixture when there is one, else this build's. */
  static Path built(int abi, String name) {
    Path real = REAL.resolve("6.1.0-" + abi + "/" + name + ".ko");
    if (Files.isRegularFile(real)) {
      return real;
    }
    return switch (name) {
      case "hello", "hello_nonet", "hello_user" -> Builds.hello(abi).ko(name);
      case "hello_export", "hello_import" -> Builds.export(abi).ko(name);
      case "vpoll" -> Builds.vpoll(abi).ko(name);
      case "acpi_call" -> Builds.acpiCall(abi).ko(name);
      case "igb_uio" -> Builds.igbUio(abi).ko(name);
      default -> throw new IllegalArgumentException(name);
    };
  }

  @ParameterizedTest(name = "modules built for 6.1.0-{0}, booted on 6.1.0-{1}")
  @CsvSource({"53, 54", "54, 55", "55, 56"})
  void checkAndTheBootedKernelAgreeOnEveryModule(int from, int to) throws IOException {
    Path work = Corpus.work().resolve("agreement-" + from + "-" + to);
    Proc.run(Corpus.work(), 60, "rm", "-rf", work.toString());
    Map<String, Path> sets = new LinkedHashMap<>();
    sets.put("hello", set(work, from + "-hello", built(from, "hello"), built(from, "hello_nonet"), built(from, "hello_user")));
    sets.put("dkms", set(work, from + "-dkms", built(from, "vpoll"), built(from, "acpi_call"), built(from, "igb_uio")));
    sets.put("export", set(work, from + "-export", built(from, "hello_export"), built(from, "hello_import")));
    sets.put("mlx5", set(work, from + "-mlx5", MLX5.values().stream().map(p -> Corpus.modules(from).resolve(p)).toArray(Path[]::new)));
    sets.put("control", set(work, to + "-control", built(to, "hello"), built(to, "hello_user")));
    sets.put("missing-dependency", set(work, to + "-missing-dependency", built(to, "hello_user"), built(to, "hello_import")));
    sets.put("no-versions-same", noVersions(work, to + "-no-versions", built(to, "hello")));
    sets.put("no-versions-older", noVersions(work, from + "-no-versions", built(from, "hello")));

    List<String> kernel = switch (to) {
      case 54 -> List.of("--root", Corpus.root(to).toString(), "--kernel", Corpus.release(to));
      case 55 -> List.of("--kernel", Corpus.root(to).resolve("boot/vmlinuz-" + Corpus.release(to)).toString());
      default -> List.of("--kernel", Corpus.image(to).toString());
    };
    List<String> load = new ArrayList<>(MLX5.keySet());
    load.addAll(OTHERS);
    List<String> args = new ArrayList<>(List.of("verify", "--vm", "--json", "--work-dir", work.resolve("vm").toString(), "--load", String.join(",", load)));
    args.addAll(kernel);
    args.add("--modules");
    sets.values().forEach(p -> args.add(p.toString()));
    Kmodkit.Run vm = Kmodkit.run(args.toArray(String[]::new));
    JsonNode v = vm.json();
    assertThat(v.get("run").get("outcome").asText()).as(vm.err()).isEqualTo("completed");
    assertThat(v.get("run").get("guest_release").asText()).as("the booted kernel is the one asked for (uname -r in the guest)").isEqualTo(Corpus.release(to));
    assertThat(v.get("kernel").get("release").asText()).isEqualTo(Corpus.release(to));
    assertThat(vm.code()).as("some modules are refused on every transition, so verify exits 1").isEqualTo(1);

    List<String> checkArgs = new ArrayList<>(List.of("check", "--json", "--root", Corpus.root(to).toString(), "--kernel", Corpus.release(to)));
    sets.values().forEach(p -> checkArgs.add(p.toString()));
    Kmodkit.Run check = Kmodkit.run(checkArgs.toArray(String[]::new));
    Map<String, JsonNode> verdicts = new LinkedHashMap<>();
    for (JsonNode s : check.json().get("sets")) {
      for (JsonNode m : s.get("modules")) {
        verdicts.put(s.get("name").asText() + "|" + m.get("name").asText(), m);
      }
    }

    int modules = 0;
    int bothLoad = 0;
    int bothRefuse = 0;
    int verdictAgree = 0;
    int reasonAgree = 0;
    List<String> disagreements = new ArrayList<>();
    Map<String, JsonNode> byKey = new LinkedHashMap<>();
    for (JsonNode s : v.get("sets")) {
      String setName = s.get("name").asText();
      String label = setName.substring(setName.lastIndexOf('/') + 1);
      for (JsonNode m : s.get("modules")) {
        if (!m.get("requested").asBoolean()) {
          continue;
        }
        modules++;
        String name = m.get("name").asText();
        byKey.put(label + "|" + name, m);
        JsonNode c = verdicts.get(setName + "|" + name);
        assertThat(c).as("check judged " + name + " of " + setName).isNotNull();
        boolean kernelLoads = m.get("load").get("result").asText().equals("loaded");
        boolean checkLoads = c.get("loads").asBoolean();
        String reason = null;
        if (kernelLoads == checkLoads) {
          verdictAgree++;
          if (kernelLoads) {
            bothLoad++;
          } else {
            bothRefuse++;
            reason = reasonDisagreement(m.get("load").get("reasons"), c.get("problems"));
            if (reason == null) {
              reasonAgree++;
            }
          }
        } else {
          reason = "verdicts differ";
        }
        if (reason != null) {
          disagreements.add(label + " " + name + ": " + reason + "; check: " + c.get("summary").asText() + "; kernel: " + m.get("load"));
        }
        DETAIL.add(String.format("| %d → %d | %s | %s | %s | %s | %s | %s |", from, to, label, name, checkLoads ? "loads" : "refused", kernelWords(m), m.get("reload").get("result").asText(), reason == null ? "yes" : "**no**: " + reason));
      }
    }
    String row = String.format("| %d → %d | %s | %d | %d | %d | %d/%d (%.0f%%) | %d/%d | %.1f s |", from, to, String.join(" ", kernel).replace(Corpus.work() + "/", "").replace(Corpus.debs() + "/", ""), modules, bothLoad, bothRefuse, verdictAgree, modules, 100.0 * verdictAgree / modules, reasonAgree, bothRefuse, v.get("run").get("wall_seconds").asDouble());
    SUMMARY.add(row);
    System.out.println(row);
    assertThat(disagreements).as("modules where check and the booted kernel differ").isEmpty();

    // the mlx5 stack went in as modprobe loads it
    List<String> mlx5Order = new ArrayList<>();
    for (JsonNode s : v.get("sets")) {
      if (s.get("name").asText().endsWith("-mlx5")) {
        s.get("modules").forEach(m -> mlx5Order.add(m.get("name").asText()));
      }
    }
    assertThat(mlx5Order).containsExactlyElementsOf(MLX5.keySet());
    // the controls behave as the kernel's rules say, whatever the transition
    assertThat(byKey.get(to + "-control|hello").get("ok").asBoolean()).as("a module built for the kernel loads and reloads").isTrue();
    assertThat(byKey.get(to + "-control|hello_user").get("ok").asBoolean()).as("with its provider loaded first").isTrue();
    assertThat(reasonKinds(byKey.get(to + "-missing-dependency|hello_user"))).as("without its provider").containsExactly("unknown_symbol");
    JsonNode forced = byKey.get(to + "-no-versions|hello");
    assertThat(forced.get("load").get("taint").asText()).as("no __versions and the exact vermagic: loaded, forced (F)").contains("F");
    assertThat(reasonKinds(byKey.get(from + "-no-versions|hello"))).as("no __versions and another release: vermagic refused").containsExactly("vermagic");
    if (from == 55) {
      for (String n : MLX5.keySet()) {
        assertThat(byKey.get(from + "-mlx5|" + n).get("ok").asBoolean()).as("55's " + n + " loads and reloads on 56").isTrue();
      }
    }
    if (from == 53) {
      assertThat(byKey.get(from + "-mlx5|mlx5_core").get("load").get("result").asText()).isEqualTo("refused");
      assertThat(byKey.get(from + "-mlx5|mlx5_ib").get("load").get("result").asText()).isEqualTo("refused");
    }
  }

  /**
   * Null when the kernel's refusal is what check predicted. The loader stops at its first failing
   * stage (module_layout, then vermagic, then the symbols), where check lists every problem: so a
   * module_layout or vermagic refusal must be among check's, and a refusal over symbols must name
   * the same symbols.
   */
  static String reasonDisagreement(JsonNode kernelReasons, JsonNode checkProblems) {
    Set<String> kCrc = new TreeSet<>();
    Set<String> kUnknown = new TreeSet<>();
    Set<String> kNamespace = new TreeSet<>();
    Set<String> kMagic = new TreeSet<>();
    for (JsonNode r : kernelReasons) {
      String kind = r.get("kind").asText();
      switch (kind) {
        case "crc_mismatch", "module_layout" -> kCrc.add(r.get("symbol").asText());
        // -22 follows a CRC or namespace refusal of the same symbol: the consequence, not a reason
        case "unknown_symbol" -> {
          if (r.get("message").asText().endsWith("(err -2)")) {
            kUnknown.add(r.get("symbol").asText());
          }
        }
        case "namespace_not_imported" -> kNamespace.add(r.get("symbol").asText());
        case "vermagic" -> kMagic.add(r.get("message").asText());
        default -> {
          return "the kernel refused for a reason kmodkit does not model: " + r.get("message").asText();
        }
      }
    }
    Set<String> cCrc = new TreeSet<>();
    Set<String> cUnknown = new TreeSet<>();
    Set<String> cNamespace = new TreeSet<>();
    Set<String> cMagic = new TreeSet<>();
    for (JsonNode p : checkProblems) {
      if (!p.get("severity").asText().equals("error")) {
        continue;
      }
      String symbol = p.get("symbol").isNull() ? null : p.get("symbol").asText();
      switch (p.get("kind").asText()) {
        case "crc_mismatch", "module_layout" -> cCrc.add(symbol);
        case "unknown_symbol", "gpl_only", "provider_unloadable" -> {
          if (symbol != null) {
            cUnknown.add(symbol);
          }
        }
        case "namespace_not_imported" -> cNamespace.add(symbol);
        case "vermagic" -> cMagic.add(p.get("message").asText());
        default -> { }
      }
    }
    if (kCrc.contains("module_layout")) {
      return cCrc.contains("module_layout") ? null : "the kernel refused module_layout, check did not";
    }
    if (!kMagic.isEmpty()) {
      return cMagic.containsAll(kMagic) ? null : "the kernel refused the vermagic " + kMagic + ", check said " + cMagic;
    }
    if (kCrc.isEmpty() && kUnknown.isEmpty() && kNamespace.isEmpty()) {
      return "the kernel refused without saying why";
    }
    List<String> diff = new ArrayList<>();
    if (!kCrc.equals(cCrc)) {
      diff.add("CRCs: kernel " + kCrc + ", check " + cCrc);
    }
    if (!kUnknown.equals(cUnknown)) {
      diff.add("unknown: kernel " + kUnknown + ", check " + cUnknown);
    }
    if (!kNamespace.equals(cNamespace)) {
      diff.add("namespaces: kernel " + kNamespace + ", check " + cNamespace);
    }
    return diff.isEmpty() ? null : String.join("; ", diff);
  }

  static List<String> reasonKinds(JsonNode module) {
    Set<String> kinds = new LinkedHashSet<>();
    JsonNode reasons = module.get("load").get("reasons");
    if (reasons != null) {
      reasons.forEach(r -> kinds.add(r.get("kind").asText()));
    }
    return new ArrayList<>(kinds);
  }

  /** The kernel's verdict in a table cell: loaded (taint), or its first words of refusal and how many. */
  static String kernelWords(JsonNode m) {
    JsonNode load = m.get("load");
    if (load.get("result").asText().equals("loaded")) {
      return "loaded" + (load.get("taint").asText().isEmpty() ? "" : " (" + load.get("taint").asText() + ")");
    }
    JsonNode reasons = load.get("reasons");
    if (reasons == null || reasons.isEmpty()) {
      return load.get("result").asText();
    }
    String first = reasons.get(0).get("message").asText();
    first = first.substring(first.indexOf(": ") + 2);
    return "`" + first.replace("|", "\\|") + "`" + (reasons.size() > 1 ? " +" + (reasons.size() - 1) : "");
  }

  private static Path set(Path work, String name, Path... modules) throws IOException {
    Path dir = Files.createDirectories(work.resolve(name));
    for (Path m : modules) {
      Files.copy(m, dir.resolve(m.getFileName()), StandardCopyOption.REPLACE_EXISTING);
    }
    return dir;
  }

  /** {@code module} with its __versions section renamed away, as a stripped-down vendor build might ship it. */
  private static Path noVersions(Path work, String name, Path module) throws IOException {
    Path dir = Files.createDirectories(work.resolve(name));
    Proc.check(work, 60, "objcopy", "--rename-section", "__versions=.kmodkit_no_versions", module.toString(), dir.resolve(module.getFileName()).toString());
    return dir;
  }

  @AfterAll
  static void writeTable() throws IOException {
    Path report = Path.of("target", "e2e-reports");
    Files.createDirectories(report);
    List<String> lines = new ArrayList<>();
    lines.add("# kmodkit check vs the booted kernel (kmodkit verify --vm)");
    lines.add("");
    lines.add("| transition | kernel given as | modules | load on both | refused by both | verdicts agree | refusals with the reasons check gave | VM run (one boot) |");
    lines.add("|---|---|---|---|---|---|---|---|");
    lines.addAll(SUMMARY);
    lines.add("");
    lines.add("| transition | set | module | check | booted kernel | reload | agree |");
    lines.add("|---|---|---|---|---|---|---|");
    lines.addAll(DETAIL);
    Files.write(report.resolve("verify-agreement.md"), lines);
    lines.forEach(System.out::println);
  }
}
