package org.kmodkit.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The kernel image as the only ABI source: the exports kmodkit recovers from each corpus vmlinuz
 * must equal the vmlinux rows of that kernel's Module.symvers (the headers package is the
 * referee), whatever compression the payload uses (recompressed with the real tools the kernel
 * build runs), and check verdicts must not change when KERNEL is the image package alone.
 */
class ImageAbiIT {
  /** Module.symvers' vmlinux rows as "crc type namespace", read with nothing of kmodkit. */
  static Map<String, String> symversVmlinux(int abi) throws IOException {
    Map<String, String> out = new TreeMap<>();
    for (String line : Files.readAllLines(Corpus.symvers(abi))) {
      String[] f = line.split("\t", -1);
      if (f[2].equals("vmlinux")) {
        out.put(f[1], f[0] + " " + f[3] + " " + (f.length > 4 ? f[4] : ""));
      }
    }
    return out;
  }

  static Map<String, String> imageExports(Path image) {
    Kmodkit.Run run = Kmodkit.run("inspect", "--json", image.toString());
    assertThat(run.code()).as(run.err()).isZero();
    Map<String, String> out = new TreeMap<>();
    for (JsonNode e : run.json().get("images").get(0).get("exports")) {
      out.put(e.get("symbol").asText(), e.get("crc").asText() + " " + e.get("type").asText() + " " + e.get("namespace").asText());
    }
    return out;
  }

  static Path vmlinuz(int abi) {
    return Corpus.root(abi).resolve("boot/vmlinuz-" + Corpus.release(abi));
  }

  @ParameterizedTest(name = "6.1.0-{0}")
  @ValueSource(ints = {53, 54, 55, 56})
  void theAbiInEveryCorpusImageEqualsItsModuleSymvers(int abi) throws IOException {
    Map<String, String> expected = symversVmlinux(abi);
    assertThat(expected).hasSizeGreaterThan(9000);
    assertThat(imageExports(vmlinuz(abi))).isEqualTo(expected);
  }

  /** The vmlinux inside 56's image, decompressed by the real lz4 tool (not by kmodkit). */
  static byte[] vmlinux56(Path work) throws IOException {
    byte[] img = Files.readAllBytes(vmlinuz(56));
    ByteBuffer h = ByteBuffer.wrap(img).order(ByteOrder.LITTLE_ENDIAN);
    int start = ((img[0x1f1] & 0xff) + 1) * 512 + h.getInt(0x248);
    int len = h.getInt(0x24c);
    Path payload = work.resolve("payload.lz4");
    Files.write(payload, java.util.Arrays.copyOfRange(img, start, start + len));
    Path out = work.resolve("vmlinux");
    Proc.check(work, 120, "sh", "-c", "lz4 -d -c payload.lz4 > vmlinux 2>/dev/null; test -s vmlinux");
    return Files.readAllBytes(out);
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"gzip -n -9", "bzip2 -9", "lzma -9", "xz --check=crc32 --x86 --lzma2=dict=32MiB", "lzop -9", "lz4 -l -9", "zstd -22 --ultra"})
  void aPayloadRecompressedByTheKernelsOwnToolsGivesTheSameAbi(String tool) throws IOException {
    Path work = Corpus.work().resolve("recompress-" + tool.split(" ")[0]);
    Files.createDirectories(work);
    byte[] vmlinux = vmlinux56(work);
    Proc.check(work, 600, "sh", "-c", tool + " -c < vmlinux > payload.new");
    ByteArrayOutputStream payload = new ByteArrayOutputStream();
    payload.writeBytes(Files.readAllBytes(work.resolve("payload.new")));
    if (!tool.startsWith("gzip")) { // size_append, as scripts/Makefile.lib does
      payload.writeBytes(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(vmlinux.length).array());
    }
    byte[] img = Files.readAllBytes(vmlinuz(56));
    ByteBuffer h = ByteBuffer.wrap(img).order(ByteOrder.LITTLE_ENDIAN);
    int start = ((img[0x1f1] & 0xff) + 1) * 512 + h.getInt(0x248);
    ByteBuffer spliced = ByteBuffer.allocate(start + payload.size()).order(ByteOrder.LITTLE_ENDIAN);
    spliced.put(img, 0, start).put(payload.toByteArray());
    spliced.putInt(0x24c, payload.size());
    Path out = work.resolve("vmlinuz-recompressed");
    Files.write(out, spliced.array());
    assertThat(imageExports(out)).isEqualTo(symversVmlinux(56));
    assertThat(imageExports(work.resolve("vmlinux"))).as("the plain ELF vmlinux too").isEqualTo(symversVmlinux(56));
  }

  static Map<String, String> verdicts(Kmodkit.Run run) {
    Map<String, String> out = new TreeMap<>();
    for (JsonNode m : run.json().get("sets").get(0).get("modules")) {
      StringBuilder sb = new StringBuilder(m.get("loads").asText());
      m.get("problems").forEach(p -> sb.append(' ').append(p.get("kind").asText()).append(':').append(p.get("symbol").asText()));
      out.put(m.get("path").asText(), sb.toString());
    }
    return out;
  }

  @ParameterizedTest(name = "{0} -> {1}")
  @org.junit.jupiter.params.provider.CsvSource({"53, 54", "54, 55", "55, 56"})
  void theImagePackageAloneJudgesAsModuleSymversDoes(int from, int to) {
    String modules = Corpus.modules(from).resolve("kernel").toString();
    Kmodkit.Run bySymvers = Kmodkit.run("check", "--json", "--kernel", Corpus.symvers(to).toString(), modules);
    Kmodkit.Run byImage = Kmodkit.run("check", "--json", "--kernel", Corpus.image(to).toString(), modules);
    assertThat(byImage.err()).isEmpty();
    assertThat(byImage.json().get("kernel").get("sources").toString()).contains("vmlinuz: ").contains("lz4");
    assertThat(verdicts(byImage)).isEqualTo(verdicts(bySymvers));
  }

  @Test
  void anInstalledTreeWithOnlyTheImageIsEnough() throws IOException {
    Path root = Corpus.work().resolve("image-only-root");
    Proc.run(Corpus.work(), 60, "rm", "-rf", root.toString());
    Proc.check(Corpus.work(), 300, "dpkg-deb", "-x", Corpus.image(54).toString(), root.toString());
    String modules = Corpus.modules(53).resolve("kernel").toString();
    Kmodkit.Run byTree = Kmodkit.run("check", "--json", "--root", root.toString(), "--kernel", Corpus.release(54), modules);
    Kmodkit.Run bySymvers = Kmodkit.run("check", "--json", "--kernel", Corpus.symvers(54).toString(), modules);
    assertThat(byTree.json().get("kernel").get("sources").toString()).contains("vmlinuz: ");
    assertThat(verdicts(byTree)).isEqualTo(verdicts(bySymvers));
  }

  @Test
  void symversAndImageFromDifferentBuildsAreAnError() throws IOException {
    Path root = Corpus.work().resolve("mismatched-root");
    Proc.run(Corpus.work(), 60, "rm", "-rf", root.toString());
    Proc.check(Corpus.work(), 300, "dpkg-deb", "-x", Corpus.image(53).toString(), root.toString());
    ByteArrayOutputStream gz = new ByteArrayOutputStream();
    try (GZIPOutputStream out = new GZIPOutputStream(gz)) {
      out.write(Files.readAllBytes(Corpus.symvers(54)));
    }
    Files.write(root.resolve("boot/symvers-" + Corpus.release(53) + ".gz"), gz.toByteArray());
    Kmodkit.Run run = Kmodkit.run("check", "--root", root.toString(), "--kernel", Corpus.release(53), Corpus.modules(53).resolve("kernel/lib/crc7.ko").toString());
    assertThat(run.code()).isEqualTo(2);
    assertThat(run.err().strip()).startsWith("kmodkit: " + root.resolve("boot/vmlinuz-" + Corpus.release(53)) + ": disagrees with the kernel's symvers about ")
        .contains("different builds");
  }
}
