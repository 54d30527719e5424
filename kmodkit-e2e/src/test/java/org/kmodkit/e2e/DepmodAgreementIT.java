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
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * kmodkit check against kmod's depmod, the referee: every module of the older corpus image placed
 * under the newer kernel's extra/ (winning over the in-tree namesakes, as `search extra built-in`
 * says), `depmod -e -E <newer Module.symvers>`; kmodkit checks the same modules as one set against
 * the same Module.symvers. Every module depmod warns about must be incompatible in kmodkit with the
 * same symbols; every other incompatible module must be explained by a check depmod does not make.
 */
class DepmodAgreementIT {
  private static final Pattern WARNING = Pattern.compile("^depmod: WARNING: (\\S+) (disagrees about version of symbol|needs unknown symbol) (\\S+)$");
  /** Checks the kernel makes and depmod does not: a verdict made only by these is "explained". */
  static final Set<String> BEYOND_DEPMOD = Set.of("provider_unloadable", "namespace_not_imported", "gpl_only", "vermagic", "duplicate_export", "needs_force");
  private static final List<String> TABLE = new ArrayList<>();

  record Referee(Map<String, Set<String>> disagrees, Map<String, Set<String>> unknown) {}

  static Referee depmod(int from, int to) throws IOException {
    Path root = Corpus.work().resolve("depmod-" + from + "-" + to);
    Proc.run(Corpus.work(), 120, "rm", "-rf", root.toString());
    Path tree = root.resolve("lib/modules/" + Corpus.release(to));
    Files.createDirectories(tree.getParent());
    Proc.check(Corpus.work(), 120, "cp", "-al", Corpus.modules(to).toString(), tree.toString());
    Files.createDirectories(tree.resolve("extra"));
    Proc.check(Corpus.work(), 120, "cp", "-al", Corpus.modules(from).resolve("kernel").toString(), tree.resolve("extra/kernel").toString());
    Path conf = root.resolve("depmod.d");
    Files.createDirectories(conf);
    Files.writeString(conf.resolve("search.conf"), "search extra built-in\n");
    Proc.Result r = Proc.check(root, 300, "depmod", "-b", root.toString(), "-C", conf.toString(), "-e", "-E", Corpus.symvers(to).toString(), Corpus.release(to));
    Map<String, Set<String>> disagrees = new TreeMap<>();
    Map<String, Set<String>> unknown = new TreeMap<>();
    String prefix = tree.resolve("extra/kernel").toString() + "/";
    for (String line : r.err().split("\n")) {
      Matcher m = WARNING.matcher(line);
      if (m.matches()) {
        assertThat(m.group(1)).as("depmod warned about a module kmodkit was not asked about: " + line).startsWith(prefix);
        String rel = m.group(1).substring(prefix.length());
        (m.group(2).startsWith("disagrees") ? disagrees : unknown).computeIfAbsent(rel, k -> new TreeSet<>()).add(m.group(3));
      } else if (!line.isBlank()) {
        throw new AssertionError("unexpected depmod output: " + line);
      }
    }
    return new Referee(disagrees, unknown);
  }

  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource({"53, 54", "54, 55", "55, 56"})
  void everyModuleOfTheOlderImageIsJudgedAsDepmodJudgesIt(int from, int to) throws IOException {
    Referee ref = depmod(from, to);
    Path kernelDir = Corpus.modules(from).resolve("kernel");
    Kmodkit.Run run = Kmodkit.run("check", "--json", "--kernel", Corpus.symvers(to).toString(), kernelDir.toString());
    JsonNode sets = run.json().get("sets");
    assertThat(sets).hasSize(1);
    String prefix = kernelDir + "/";
    int modules = 0;
    int incompatible = 0;
    int agree = 0;
    Map<String, Integer> explained = new TreeMap<>();
    List<String> disagreements = new ArrayList<>();
    for (JsonNode m : sets.get(0).get("modules")) {
      modules++;
      String rel = m.get("path").asText().substring(prefix.length());
      Set<String> crc = new TreeSet<>();
      Set<String> unk = new TreeSet<>();
      Set<String> other = new TreeSet<>();
      for (JsonNode p : m.get("problems")) {
        if (!p.get("severity").asText().equals("error")) {
          continue;
        }
        String kind = p.get("kind").asText();
        switch (kind) {
          case "crc_mismatch", "module_layout" -> crc.add(p.get("symbol").asText());
          case "unknown_symbol" -> unk.add(p.get("symbol").asText());
          default -> other.add(kind);
        }
      }
      boolean loads = m.get("loads").asBoolean();
      if (!loads) {
        incompatible++;
      }
      Set<String> dd = ref.disagrees().getOrDefault(rel, Set.of());
      Set<String> du = ref.unknown().getOrDefault(rel, Set.of());
      boolean same = dd.equals(crc) && du.equals(unk);
      boolean depmodFlags = !dd.isEmpty() || !du.isEmpty();
      if (same && (depmodFlags || loads || BEYOND_DEPMOD.containsAll(other) && !other.isEmpty())) {
        agree++;
        if (!depmodFlags && !loads) {
          for (String k : other) {
            explained.merge(k, 1, Integer::sum);
          }
        }
      } else {
        disagreements.add(rel + ": depmod disagrees " + dd + " unknown " + du + "; kmodkit crc " + crc + " unknown " + unk + " other " + other);
      }
    }
    int flagged = new TreeSet<String>() {{ addAll(ref.disagrees().keySet()); addAll(ref.unknown().keySet()); }}.size();
    String row = String.format("| %d → %d | %d | %d | %d | %d | %s | %d/%d (%.1f%%) |", from, to, modules, modules - incompatible, incompatible, flagged, explained, agree, modules, 100.0 * agree / modules);
    TABLE.add(row);
    System.out.println(row);
    assertThat(disagreements).as("modules where kmodkit and depmod differ").isEmpty();
    assertThat(modules).isEqualTo(1121);
  }

  @Test
  void theMlx5StackOf53DoesNotLoadOn54AndNamesTheDifferingSymbols() {
    Kmodkit.Run run = Kmodkit.run("check", "--json", "--kernel", Corpus.symvers(54).toString(), Corpus.modules(53).resolve("kernel").toString());
    Map<String, JsonNode> byName = new TreeMap<>();
    run.json().get("sets").get(0).get("modules").forEach(m -> byName.put(m.get("name").asText(), m));
    for (String name : List.of("mlx5_core", "mlx5_ib", "ib_core", "ib_uverbs", "mlxfw", "rdma_cm", "rdma_ucm")) {
      JsonNode m = byName.get(name);
      assertThat(m).as(name).isNotNull();
      assertThat(m.get("loads").asBoolean()).as(name).isFalse();
      List<String> differing = new ArrayList<>();
      m.get("problems").forEach(p -> {
        if (p.get("kind").asText().equals("crc_mismatch")) {
          assertThat(p.get("module_crc").asText()).isNotEqualTo(p.get("kernel_crc").asText());
          differing.add(p.get("symbol").asText());
        }
      });
      assertThat(differing).as(name + " lists the symbols that differ").isNotEmpty();
    }
    // the counts as kmod sees them: the module's __versions (modprobe --dump-modversions) against 54's Module.symvers
    Path mlx5 = Corpus.modules(53).resolve("kernel/drivers/net/ethernet/mellanox/mlx5/core/mlx5_core.ko");
    Map<String, String> kernel = new TreeMap<>();
    try {
      for (String line : Files.readAllLines(Corpus.symvers(54))) {
        String[] f = line.split("\t");
        kernel.put(f[1], f[0]);
      }
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    List<String> versions = Proc.check(Corpus.work(), 60, "modprobe", "--dump-modversions", mlx5.toString()).out().lines().toList();
    long differ = versions.stream().map(l -> l.split("\t")).filter(f -> kernel.containsKey(f[1]) && !Long.decode(f[0]).equals(Long.decode(kernel.get(f[1])))).count();
    assertThat(differ).as("kmod sees symbols of mlx5_core whose CRC 54 changed").isPositive();
    assertThat(byName.get("mlx5_core").get("summary").asText()).startsWith("mlx5_core: " + differ + " of " + versions.size() + " symbols differ; first: ");
  }

  @Test
  void theMlx5StackOf55LoadsOn56() {
    Kmodkit.Run run = Kmodkit.run("check", "--kernel", Corpus.symvers(56).toString(), Corpus.modules(55).resolve("kernel").toString());
    assertThat(run.code()).as(run.out()).isZero();
    long modules;
    try (var s = Files.walk(Corpus.modules(55).resolve("kernel"))) {
      modules = s.filter(p -> p.toString().endsWith(".ko")).count();
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    assertThat(run.out()).contains(modules + " modules in 1 set: " + modules + " load, 0 would not");
  }

  @AfterAll
  static void writeTable() throws IOException {
    Path report = Path.of("target", "e2e-reports");
    Files.createDirectories(report);
    List<String> lines = new ArrayList<>(List.of("| transition | modules | compatible | incompatible | depmod flagged | incompatible for reasons depmod does not check | agreement |", "|---|---|---|---|---|---|---|"));
    lines.addAll(TABLE);
    Files.write(report.resolve("depmod-agreement.md"), lines);
  }
}
