package org.kmodkit.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.kmodkit.testkit.KoBuilder;

class CliTest {
  static final Path REAL = Path.of("../kmodkit-core/src/test/resources/real").toAbsolutePath().normalize();
  static final String K56 = REAL.resolve("symvers/symvers-6.1.0-56-cloud-amd64").toString();

  @TempDir Path dir;

  record Run(int code, String out, String err) {
    JsonNode json() throws Exception {
      return new ObjectMapper().readTree(out);
    }
  }

  static Run run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = Main.run(new PrintWriter(out), new PrintWriter(err), args);
    return new Run(code, out.toString(), err.toString());
  }

  @Test
  void checkSaysWhatTheKernelWouldSayAndExitsOneWhenAModuleWouldNotLoad() {
    Run r = run("check", "-v", "--kernel", K56, REAL.resolve("6.1.0-53/hello.ko").toString());
    assertThat(r.code()).isEqualTo(1);
    assertThat(r.out())
        .contains("kernel 6.1.0-56-cloud-amd64: ")
        .contains("FAIL hello: module_layout differs (module 0x82164fbb, kernel 0x")
        .contains("4 of 8 symbols differ; first: netif_rx (module 0x0145819f, kernel 0x")
        .contains("next: rebuild the module against the headers of 6.1.0-56-cloud-amd64")
        .contains("error: hello: disagrees about version of symbol kmalloc_trace (module 0x19010afa, kernel 0x")
        .contains("1 module in 1 set: 0 load, 1 would not");
    assertThat(r.err()).isEmpty();
  }

  @Test
  void checkExitsZeroWhenEveryModuleLoads() {
    Run r = run("check", "--kernel", K56, REAL.resolve("6.1.0-56").toString());
    assertThat(r.code()).as(r.out()).isZero();
    assertThat(r.out()).contains("ok   igb_uio: loads (").contains("8 modules in 1 set: 8 load, 0 would not");
  }

  @Test
  void aModuleWhoseSymbolNameLiesBeyondItsStringTableIsRefusedByNameWhileItsSetIsJudged() throws Exception {
    // the tree is read through one batch (a reused buffer, shared names): the hostile module must
    // neither slip through nor spoil the modules read after it
    Path tree = dir.resolve("tree");
    Files.createDirectories(tree);
    for (String m : List.of("hello_nonet.ko", "igb_uio.ko", "vpoll.ko")) {
      Files.copy(REAL.resolve("6.1.0-56").resolve(m), tree.resolve(m));
    }
    byte[] b = Files.readAllBytes(REAL.resolve("6.1.0-56/hello.ko"));
    java.nio.ByteBuffer h = java.nio.ByteBuffer.wrap(b).order(java.nio.ByteOrder.LITTLE_ENDIAN);
    long shoff = h.getLong(40);
    for (int i = 0; i < h.getShort(60); i++) {
      int at = (int) shoff + i * 64;
      if (h.getInt(at + 4) == 2) { // SHT_SYMTAB: symbol 1's st_name far past the string table
        h.putInt((int) h.getLong(at + 24) + 24, 0x40000000);
      }
    }
    Path hostile = tree.resolve("hello.ko");
    Files.write(hostile, b);
    Run r = run("check", "--kernel", K56, tree.toString());
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.err().strip()).startsWith("kmodkit: " + hostile + ": symbol 1 name offset 1073741824 beyond the ").doesNotContain("\n");
    assertThat(r.out()).contains("ok   hello_nonet: loads").contains("ok   igb_uio: loads").contains("ok   vpoll: loads")
        .contains("3 modules in 1 set: 3 load, 0 would not; 1 input unreadable (see stderr)");
  }

  @Test
  void checkJsonFollowsTheDocumentedSchema() throws Exception {
    Run r = run("check", "--json", "--kernel", K56, REAL.resolve("6.1.0-53").toString());
    assertThat(r.code()).isEqualTo(1);
    JsonNode j = r.json();
    assertThat(j.get("schema").asText()).isEqualTo("kmodkit.check/1");
    assertThat(j.get("kernel").get("release").asText()).isEqualTo("6.1.0-56-cloud-amd64");
    JsonNode hello = null;
    for (JsonNode m : j.get("sets").get(0).get("modules")) {
      assertThat(m.has("name") && m.has("path") && m.has("loads") && m.has("problems")).isTrue();
      if (m.get("name").asText().equals("hello")) {
        hello = m;
      }
    }
    assertThat(hello).isNotNull();
    List<String> crcs = new ArrayList<>();
    for (JsonNode p : hello.get("problems")) {
      assertThat(p.get("kind").asText()).isIn("crc_mismatch", "module_layout");
      assertThat(p.get("module_crc").asText()).matches("0x[0-9a-f]{8}");
      assertThat(p.get("kernel_crc").asText()).matches("0x[0-9a-f]{8}").isNotEqualTo(p.get("module_crc").asText());
      crcs.add(p.get("symbol").asText());
    }
    assertThat(crcs).containsExactlyInAnyOrder("module_layout", "netif_rx", "kmalloc_trace", "kmalloc_caches");
    assertThat(j.get("summary").get("exit_code").asInt()).isEqualTo(1);
  }

  @Test
  void badInputsAreNamedOnOneLineEachAndTheOthersAreStillJudged() throws Exception {
    Path text = dir.resolve("notes.ko");
    Files.writeString(text, "just some text, not a module\n".repeat(10));
    byte[] good = KoBuilder.module("cut").uses("_printk", 0x92997ed8L).build();
    Path truncated = dir.resolve("cut.ko");
    Files.write(truncated, java.util.Arrays.copyOf(good, good.length / 3));
    Path arm = KoBuilder.module("armmod").machine(KoBuilder.EM_AARCH64).uses("_printk", 0x92997ed8L).writeTo(dir);
    Path xz = dir.resolve("broken.ko.xz");
    byte[] packed = KoBuilder.module("broken").compressed("xz").build();
    Files.write(xz, java.util.Arrays.copyOf(packed, packed.length - 20));
    Path ok = REAL.resolve("6.1.0-56/hello_nonet.ko");
    Run r = run("check", "--kernel", REAL.resolve("symvers").resolve("symvers-6.1.0-56-cloud-amd64").toString(), "--root", "/nonexistent-root-xyz", ok.toString());
    assertThat(r.code()).isEqualTo(2);
    // a real kernel tree gives the architecture; here the module set and errors mix
    r = run("check", "--kernel", K56, text.toString(), truncated.toString(), xz.toString(), ok.toString(), dir.resolve("missing.ko").toString());
    assertThat(r.code()).isEqualTo(2);
    String[] lines = r.err().strip().split("\n");
    assertThat(lines).hasSize(4);
    assertThat(r.err()).contains("kmodkit: " + text + ": not an ELF file")
        .contains("kmodkit: " + truncated + ": ")
        .contains("kmodkit: " + xz + ": corrupt xz data")
        .contains("kmodkit: " + dir.resolve("missing.ko") + ": no such file");
    assertThat(r.out()).contains("ok   hello_nonet: loads");
  }

  @Test
  void aModuleOfAnotherArchitectureIsBadInputAgainstAKernelOfKnownArchitecture() throws Exception {
    Path root = dir.resolve("root");
    Path tree = root.resolve("lib/modules/6.1.0-56-cloud-amd64/kernel");
    Files.createDirectories(tree);
    Files.copy(REAL.resolve("debian-6.1.0-56/uio.ko"), tree.resolve("uio.ko"));
    Files.createDirectories(root.resolve("boot"));
    Files.copy(Path.of(K56), root.resolve("boot/symvers-6.1.0-56-cloud-amd64.gz.tmp"));
    Files.write(root.resolve("boot/symvers-6.1.0-56-cloud-amd64.gz"), gzip(Files.readAllBytes(Path.of(K56))));
    Files.delete(root.resolve("boot/symvers-6.1.0-56-cloud-amd64.gz.tmp"));
    Path arm = KoBuilder.module("armmod").machine(KoBuilder.EM_AARCH64).uses("_printk", 0x92997ed8L).writeTo(dir);
    Run r = run("check", "--root", root.toString(), "--kernel", "6.1.0-56-cloud-amd64", arm.toString(), REAL.resolve("6.1.0-56/igb_uio.ko").toString());
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.err().strip()).isEqualTo("kmodkit: " + arm + ": is built for aarch64 (ELF64, little endian) but the kernel 6.1.0-56-cloud-amd64 is x86_64 (ELF64, little endian) (the kernel would refuse it: Invalid architecture in ELF header: 183); check it against a kernel of its own architecture");
    assertThat(r.out()).contains("ok   igb_uio: loads");
  }

  @Test
  void aHeadersDirectorysConfigSaysTheArchitectureAndABareSymversSaysItCannot() throws Exception {
    Path arm = REAL.resolve("arch/arm64/nls_ascii.ko");
    Run headers = run("check", "--kernel", REAL.resolve("arch/amd64/headers").toString(), arm.toString(), REAL.resolve("arch/amd64/nls_ascii.ko").toString());
    assertThat(headers.code()).isEqualTo(2);
    assertThat(headers.err().strip()).isEqualTo("kmodkit: " + arm + ": is built for aarch64 (ELF64, little endian) but the kernel 6.1.0-57-cloud-amd64 is x86_64 (ELF64, little endian) (the kernel would refuse it: Invalid architecture in ELF header: 183); check it against a kernel of its own architecture");
    assertThat(headers.out()).contains("ok   nls_ascii: loads (5 symbols match)").doesNotContain("note:");
    Run own = run("check", "--kernel", REAL.resolve("arch/arm64/headers").toString(), arm.toString());
    assertThat(own.code()).as(own.out()).isZero();
    Run bare = run("check", "--json", "--kernel", K56, REAL.resolve("6.1.0-56/hello.ko").toString());
    assertThat(bare.code()).isZero();
    assertThat(bare.json().at("/kernel/notes").toString()).contains("architecture unknown").contains("vermagic not derived: no .config");
    assertThat(run("check", "--kernel", K56, REAL.resolve("6.1.0-56/hello.ko").toString()).out()).contains("  note: architecture unknown (no .config, image or module of the kernel says it)");
  }

  static byte[] gzip(byte[] data) throws Exception {
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
    try (java.util.zip.GZIPOutputStream gz = new java.util.zip.GZIPOutputStream(out)) {
      gz.write(data);
    }
    return out.toByteArray();
  }

  @Test
  void aMalformedSymversLineIsNamedWithItsLineNumber() throws Exception {
    Path sv = dir.resolve("Module.symvers");
    Files.writeString(sv, "0x92997ed8\t_printk\tvmlinux\tEXPORT_SYMBOL\t\ngarbage here\n");
    Run r = run("check", "--kernel", sv.toString(), REAL.resolve("6.1.0-56/hello_nonet.ko").toString());
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.err().strip()).startsWith("kmodkit: " + sv + ":2: malformed symvers line");
  }

  @Test
  void aFileThatIsNotAPackageOrSymversIsNamed() throws Exception {
    Path fake = dir.resolve("kernel.deb");
    Files.writeString(fake, "not a deb");
    Run r = run("check", "--kernel", fake.toString(), fake.toString());
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.err()).startsWith("kmodkit: " + fake + ":1: malformed symvers line");
    Run usage = run("check", REAL.resolve("6.1.0-56/hello.ko").toString());
    assertThat(usage.code()).isEqualTo(2);
    assertThat(usage.err()).contains("Missing required option: '--kernel=KERNEL'");
  }

  @Test
  void inspectShowsWhatModinfoAndDumpModversionsShow() throws Exception {
    Run r = run("inspect", REAL.resolve("debian-6.1.0-56/uio.ko").toString());
    assertThat(r.code()).isZero();
    assertThat(r.out())
        .contains("  name:         uio\n")
        .contains("  signer:       Build time autogenerated kernel key\n")
        .contains("  sig_key:      1B:A0:DB:9D:B0:17:06:9F:06:2A:9E:8A:EB:3E:70:8E:9B:E8:94:C4\n")
        .contains("  sig_hashalgo: sha256\n")
        .contains("  symbol versions:\n")
        .contains("\tmodule_layout\n")
        .contains("\t__uio_register_device\tEXPORT_SYMBOL_GPL\n");
    JsonNode j = run("inspect", "--json", REAL.resolve("6.1.0-56/hello_export.ko").toString()).json();
    assertThat(j.get("schema").asText()).isEqualTo("kmodkit.inspect/1");
    JsonNode m = j.get("modules").get(0);
    assertThat(m.get("elf").get("machine").asText()).isEqualTo("x86_64");
    boolean ns = false;
    for (JsonNode e : m.get("exports")) {
      ns |= e.get("namespace").asText().equals("KMODKIT_TEST");
    }
    assertThat(ns).isTrue();
  }

  @Test
  void noCommandIsAUsageError() {
    Run r = run();
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.err()).contains("missing command");
  }
}
