package org.kmodkit.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.kmodkit.formats.PackageSpec;
import org.kmodkit.formats.PayloadFile;
import org.kmodkit.formats.deb.DebWriter;
import org.kmodkit.testkit.FakeRoot;
import org.kmodkit.testkit.ImageBuilder;
import org.kmodkit.testkit.KoBuilder;

/**
 * docs/json.md lists every key of every schema kmodkit prints. Each {@code --json} command runs
 * here on fixtures made to reach every branch of its writer (every problem kind with extra fields,
 * every build status, a refused load and an unload that failed), and the keys the real output
 * holds must be exactly the keys the page lists: a key the writer adds without the page, or one
 * the page keeps after the writer dropped it, fails.
 */
class JsonDocsTest {
  static final Path DOC = ReadmeTest.ROOT.resolve("docs/json.md");
  static final Pattern HEADING = Pattern.compile("^## `(kmodkit\\.[a-z-]+/\\d+)`");
  static final Pattern ROW = Pattern.compile("^\\| `([^`]+)` \\|");
  /** A schema that embeds another's object: rebuild's module check is check's module object. */
  static final Map<String, String[]> EMBEDDED = Map.of("kmodkit.rebuild/1 builds[].modules[].check", new String[] {"kmodkit.check/1", "sets[].modules[]"});

  @TempDir Path tmp;

  /** schema → the key paths docs/json.md lists under its heading. */
  static Map<String, Set<String>> documented() throws Exception {
    Map<String, Set<String>> out = new LinkedHashMap<>();
    Set<String> current = null;
    boolean keyTable = false; // only the tables headed "| key | type | meaning |"
    for (String line : Files.readAllLines(DOC)) {
      Matcher h = HEADING.matcher(line);
      if (h.find()) {
        current = out.computeIfAbsent(h.group(1), k -> new TreeSet<>());
      } else if (line.startsWith("## ")) {
        current = null;
      }
      keyTable = line.startsWith("|") && (keyTable || line.startsWith("| key | type | meaning |"));
      Matcher r = ROW.matcher(line);
      if (current != null && keyTable && r.find()) {
        current.add(r.group(1));
      }
    }
    return out;
  }

  final Map<String, Set<String>> doc;
  final Map<String, Set<String>> seen = new LinkedHashMap<>();

  JsonDocsTest() throws Exception {
    doc = documented();
  }

  /** Records the key paths of one output under its schema. */
  void record(String json) throws Exception {
    JsonNode n = new ObjectMapper().readTree(json);
    String schema = n.get("schema").asText();
    assertThat(doc).as("docs/json.md has a section for %s", schema).containsKey(schema);
    walk(schema, n, "");
  }

  private void walk(String schema, JsonNode n, String path) {
    if (n.isArray()) {
      n.forEach(e -> walk(schema, e, path + "[]"));
      return;
    }
    if (!n.isObject()) {
      return;
    }
    String[] embedded = EMBEDDED.get(schema + " " + path);
    if (embedded != null) {
      walk(embedded[0], n, embedded[1]);
      return;
    }
    String prefix = path.isEmpty() ? "" : path + ".";
    boolean data = doc.getOrDefault(schema, Set.of()).contains(prefix + "*");
    for (Iterator<Map.Entry<String, JsonNode>> it = n.fields(); it.hasNext();) {
      Map.Entry<String, JsonNode> f = it.next();
      String key = prefix + (data ? "*" : f.getKey());
      seen.computeIfAbsent(schema, k -> new TreeSet<>()).add(key);
      walk(schema, f.getValue(), key);
    }
  }

  String json(String... args) {
    CliTest.Run r = CliTest.run(args);
    assertThat(r.out()).as("kmodkit %s (exit %d, stderr: %s)", String.join(" ", args), r.code(), r.err()).startsWith("{");
    return r.out();
  }

  static final String REL = "9.9.9-docs";
  static final String MAGIC = REL + " SMP preempt mod_unload modversions ";

  static KoBuilder mod(String name) {
    return KoBuilder.module(name).vermagic(MAGIC).version("module_layout", 0x1).uses("_printk", 0xaa);
  }

  void check() throws Exception {
    // the real modules of 6.1.0-53 against 56: crc_mismatch, module_layout, provider_unloadable; one unreadable file
    Path text = Files.writeString(tmp.resolve("notes.ko"), "not a module\n");
    record(json("check", "--json", "--kernel", CliTest.K56, CliTest.REAL.resolve("6.1.0-53").toString(), text.toString()));
    // an installed kernel whose .config gives the vermagic, and one module per remaining kind with extra fields
    FakeRoot root = FakeRoot.at(tmp.resolve("root")).symvers(REL, "0x00000001\tmodule_layout\tvmlinux\tEXPORT_SYMBOL\t\n0x000000aa\t_printk\tvmlinux\tEXPORT_SYMBOL\t\n"
        + "0x000000bb\tgpl_thing\tvmlinux\tEXPORT_SYMBOL_GPL\t\n0x000000cc\tns_thing\tvmlinux\tEXPORT_SYMBOL\tNS_DOCS\n");
    root.write("/boot/config-" + REL, FakeRoot.CONFIG.getBytes(StandardCharsets.US_ASCII));
    root.module(REL, "kernel/drivers/misc/other.ko", mod("other")); // a tree of modules, so a dependency can be missing from it
    Path set = Files.createDirectories(tmp.resolve("set"));
    mod("gpl").license("Proprietary").uses("gpl_thing", 0xbb).writeTo(set);
    mod("ns").uses("ns_thing", 0xcc).writeTo(set);
    mod("dep").depends("not_there").writeTo(set);
    mod("dup").exports("_printk", 0xaa).writeTo(set);
    KoBuilder.module("magic").vermagic("1.2.3 SMP mod_unload ").withoutVersions().uses("_printk", 0xaa).writeTo(set);
    record(json("check", "--json", "--root", root.path().toString(), "--kernel", REL, set.toString()));
  }

  void inspect() throws Exception {
    Path vmlinux = Files.write(tmp.resolve("vmlinux"), ImageBuilder.vmlinux().export("_printk", 0xaa, false, "").export("ns_thing", 0xcc, true, "NS_DOCS").elf());
    Path signed;
    try (Stream<Path> s = Files.walk(CliTest.REAL)) {
      signed = s.filter(p -> p.toString().endsWith(".ko")).filter(p -> {
        try {
          return Files.readString(p, StandardCharsets.ISO_8859_1).endsWith("~Module signature appended~\n");
        } catch (Exception e) {
          throw new AssertionError(e);
        }
      }).findFirst().orElseThrow();
    }
    Path text = Files.writeString(tmp.resolve("notes.ko"), "not a module\n");
    record(json("inspect", "--json", CliTest.REAL.resolve("6.1.0-56/hello_export.ko").toString(), signed.toString(), vmlinux.toString(), text.toString()));
  }

  static final String K1 = "5.14.0-1.el9.x86_64";
  static final String K2 = "5.14.0-2.el9.x86_64";

  void statusWeakAndPreflight() throws Exception {
    Path dir = tmp.resolve("node");
    FakeRoot root = FakeRoot.at(dir).kernel(K1, RebuildCliTest.LAYOUT, RebuildCliTest.PRINTK, "_printk").kernel(K2, RebuildCliTest.LAYOUT, RebuildCliTest.PRINTK, "_printk");
    KoBuilder hello = KoBuilder.module("hello").vermagic(K1 + " SMP preempt mod_unload modversions ").version("module_layout", RebuildCliTest.LAYOUT).uses("_printk", RebuildCliTest.PRINTK);
    root.module(K1, "extra/hello/hello.ko", hello);
    record(json("status", "--root", dir.toString(), "--json"));
    record(json("weak-modules", "--root", dir.toString(), "--add-kernel", K2, "--dry-run", "--json"));
    // the new kernel as its headers package, read without installing
    Path headers = RebuildCliTest.kernelDir(tmp.resolve("headers"), "gcc-12");
    List<PayloadFile> files = new ArrayList<>();
    try (Stream<Path> s = Files.walk(headers)) {
      for (Path f : (Iterable<Path>) s.filter(Files::isRegularFile)::iterator) {
        files.add(new PayloadFile("/usr/src/linux-headers-" + RebuildCliTest.RELEASE + "/" + headers.relativize(f), 0644, f));
      }
    }
    Path deb = new DebWriter().write(new PackageSpec("linux-headers-docs", "1", "1", "x86_64", "headers", "Headers.", null, null, null, 1_700_000_000L, files, List.of(), List.of(), List.of(), null),
        Files.createDirectories(tmp.resolve("debs")), null);
    record(json("preflight", "--kernel-package", deb.toString(), "--root", dir.toString(), "--json"));
    // the fleet view over this node's answers, one other node refusing, and a file that is no report
    Path gathered = tmp.resolve("gathered");
    Files.createDirectories(gathered.resolve("n1"));
    Files.writeString(gathered.resolve("n1/status.json"), json("status", "--root", dir.toString(), "--json"));
    Files.writeString(gathered.resolve("n1/preflight.json"), json("preflight", "--kernel-package", deb.toString(), "--root", dir.toString(), "--json"));
    Path other = tmp.resolve("node2");
    FakeRoot.at(other).kernel(K1, RebuildCliTest.LAYOUT, RebuildCliTest.PRINTK, "_printk").kernel(K2, RebuildCliTest.LAYOUT, RebuildCliTest.PRINTK + 1, "_printk")
        .module(K1, "extra/hello/hello.ko", hello);
    Files.createDirectories(gathered.resolve("n2"));
    Files.writeString(gathered.resolve("n2/status.json"), json("status", "--root", other.toString(), "--json"));
    Files.writeString(gathered.resolve("broken.json"), "{");
    record(json("fleet", "report", gathered.toString(), "--json"));
  }

  void verify() throws Exception {
    VerifyCommandTest v = new VerifyCommandTest();
    v.dir = Files.createDirectories(tmp.resolve("verify"));
    v.machine();
    String[] args = {"verify", "--vm", "--json", "--kernel", v.vmlinuz.toString(), "--modules", CliTest.REAL.resolve("6.1.0-56").toString(), CliTest.REAL.resolve("6.1.0-53").toString(),
      v.dir.resolve("notes.ko").toString(), "--work-dir", v.dir.resolve("work").toString()};
    Files.writeString(v.dir.resolve("notes.ko"), "not a module\n");
    // a recorded boot, and the same boot where vpoll (8) would not unload and hello (2) was refused on reload
    String recorded = Files.readString(VerifyCommandTest.CONSOLES.resolve("console-56-bare-vmlinuz.log"));
    String edited = recorded
        .replaceFirst("(\\[ *[0-9.]+\\] )@@ END 8 unload rc=0 taint=\n", "$1@@ OUT 8 unload rmmod: can't unload module 'vpoll': Resource temporarily unavailable\n$1@@ END 8 unload rc=1 taint=\n")
        .replaceFirst("(\\[ *[0-9.]+\\] )hello: loaded, kmalloc=\\S+ netif_rx=\\S+\n(\\[ *[0-9.]+\\] )@@ END 2 reload rc=0 taint=OE\n",
            "$1hello: disagrees about version of symbol netif_rx\n$1@@ OUT 2 reload insmod: can't insert '/m/1/hello.ko': invalid module format\n$2@@ END 2 reload rc=1 taint=\n");
    assertThat(edited).as("the console edits applied").contains("rc=1 taint=\n").contains("'vpoll': Resource");
    for (String console : List.of(recorded, edited)) {
      Path file = Files.writeString(v.dir.resolve("console.log"), console);
      VerifyCommandTest.Run r = v.run(file.toString(), args);
      record(r.out());
    }
    record(v.run("console-56-panic.log", args).out());
  }

  void rebuildAndAddKernelSupport() throws Exception {
    RebuildCliTest t = new RebuildCliTest();
    t.tmp = Files.createDirectories(tmp.resolve("rebuild"));
    t.standInKernel();
    Path broken = t.dkmsTree("broken", RebuildCliTest.PRINTK);
    Files.writeString(broken.resolve("broken"), "");
    Path skipped = t.dkmsTree("skipped", RebuildCliTest.PRINTK);
    Files.writeString(skipped.resolve("dkms.conf"), "BUILD_EXCLUSIVE_KERNEL=\"^no-such-kernel\"\n", java.nio.file.StandardOpenOption.APPEND);
    record(t.rebuild("--json", "-s", t.dkmsTree("vpoll", RebuildCliTest.PRINTK).toString(), "-s", t.kbuildTree("hello").toString(), "-s", broken.toString(), "-s", skipped.toString()).out());
    record(t.rebuild("--json", "--dry-run", "-s", t.dkmsTree("planned", RebuildCliTest.PRINTK).toString(), "-s", skipped.toString()).out());
    Path bundle = Files.createDirectories(t.tmp.resolve("bundle"));
    Files.writeString(bundle.resolve("kmodkit-bundle.conf"), "name=acme-nic\nversion=5.2-1\ndistro=debian12\ndrivers=drv\n");
    Files.move(t.dkmsTree("acme", RebuildCliTest.PRINTK), bundle.resolve("drv"));
    record(json("add-kernel-support", "--json", "--bundle", bundle.toString(), "--kernel", t.kernel.toString(), "--tmpdir", t.tmp.resolve("t").toString()));
  }

  void cache() throws Exception {
    Path c = tmp.resolve("cache");
    CacheCliTest.entry(c.resolve("kernels/0123456789abcdef"), 1024, 1);
    record(json("cache", "list", "--json", "--cache", c.toString()));
  }

  @Test
  void everyKeyEveryJsonCommandPrintsIsInDocsJsonMdAndEveryKeyThereIsPrinted() throws Exception {
    check();
    inspect();
    statusWeakAndPreflight();
    verify();
    rebuildAndAddKernelSupport();
    cache();
    for (String schema : doc.keySet()) {
      Set<String> printed = seen.getOrDefault(schema, Set.of());
      assertThat(printed.stream().filter(k -> !doc.get(schema).contains(k))).as("keys %s prints that docs/json.md does not list", schema).isEmpty();
      assertThat(doc.get(schema).stream().filter(k -> !printed.contains(k))).as("keys docs/json.md lists for %s that no run printed", schema).isEmpty();
    }
  }

  @Test
  void everySchemaTheCommandsNameHasASectionInDocsJsonMd() throws Exception {
    Set<String> named = new TreeSet<>();
    Pattern schema = Pattern.compile("\"(kmodkit\\.[a-z-]+/\\d+)\"");
    try (Stream<Path> s = Files.walk(ReadmeTest.ROOT.resolve("kmodkit-cli/src/main/java"))) {
      for (Path p : (Iterable<Path>) s.filter(p -> p.toString().endsWith(".java"))::iterator) {
        Matcher m = schema.matcher(Files.readString(p));
        while (m.find()) {
          named.add(m.group(1));
        }
      }
    }
    assertThat(named).hasSizeGreaterThanOrEqualTo(8);
    assertThat(documented().keySet()).containsExactlyInAnyOrderElementsOf(named);
  }
}
