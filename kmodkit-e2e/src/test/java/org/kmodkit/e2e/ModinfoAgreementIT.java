package org.kmodkit.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.kmodkit.testkit.KoBuilder;

/**
 * kmodkit inspect against kmod's own readers: for every module of corpus kernel 56 (and synthetic
 * modules of every ELF class and byte order), `modinfo` gives the same .modinfo fields and signer,
 * and `modprobe --dump-modversions` the same symbol versions.
 */
class ModinfoAgreementIT {
  static List<String> modinfoFields(Path ko) {
    // modinfo -0 prints NUL-terminated records: "filename: …" first, then the raw key=value strings
    String out = Proc.check(ko.getParent(), 60, "modinfo", "-0", ko.toString()).out();
    List<String> fields = new ArrayList<>();
    for (String rec : out.split("\0")) {
      int eq = rec.indexOf('=');
      if (rec.startsWith("filename:") || eq < 0 || !rec.substring(0, eq).matches("[A-Za-z0-9_.]+")) {
        continue;
      }
      String key = rec.substring(0, eq);
      if (List.of("signature", "sig_id", "signer", "sig_key", "sig_hashalgo", "parm", "parmtype").contains(key)) {
        continue;
      }
      fields.add(rec);
    }
    return fields;
  }

  static List<String> dumpModversions(Path ko) {
    String out = Proc.run(ko.getParent(), 60, "modprobe", "--dump-modversions", ko.toString()).out();
    return out.lines().filter(l -> !l.isBlank()).map(l -> {
      String[] f = l.trim().split("\\s+");
      return String.format("0x%08x %s", Long.decode(f[0]), f[1]);
    }).toList();
  }

  static void assertAgrees(List<Path> modules) {
    for (int from = 0; from < modules.size(); from += 200) {
      List<Path> chunk = modules.subList(from, Math.min(modules.size(), from + 200));
      List<String> args = new ArrayList<>(List.of("inspect", "--json"));
      chunk.forEach(p -> args.add(p.toString()));
      Kmodkit.Run run = Kmodkit.run(args.toArray(String[]::new));
      assertThat(run.code()).as(run.err()).isZero();
      JsonNode mods = run.json().get("modules");
      assertThat(mods).hasSize(chunk.size());
      for (int i = 0; i < chunk.size(); i++) {
        JsonNode m = mods.get(i);
        Path ko = chunk.get(i);
        List<String> ours = new ArrayList<>();
        // modinfo merges parm and parmtype into one formatted line, so those are compared below
        m.get("modinfo").forEach(kv -> {
          if (!kv.get("key").asText().startsWith("parm")) {
            ours.add(kv.get("key").asText() + "=" + kv.get("value").asText());
          }
        });
        java.util.Set<String> parms = new java.util.TreeSet<>(); // modinfo lists a parameter known from parm or parmtype
        m.get("modinfo").forEach(kv -> {
          if (kv.get("key").asText().startsWith("parm")) {
            parms.add(kv.get("value").asText().split(":", 2)[0]);
          }
        });
        List<String> theirParms = java.util.Arrays.stream(Proc.check(ko.getParent(), 60, "modinfo", "-0", "-F", "parm", ko.toString()).out().split("\0")).filter(l -> !l.isBlank()).map(l -> l.split(":", 2)[0]).toList();
        assertThat(parms).as("parameters of " + ko).containsExactlyInAnyOrderElementsOf(theirParms);
        List<String> theirs = modinfoFields(ko);
        assertThat(ours.stream().map(String::strip).toList()).as("modinfo of " + ko).containsExactlyInAnyOrderElementsOf(theirs.stream().map(String::strip).toList());
        List<String> versions = new ArrayList<>();
        m.get("versions").forEach(v -> versions.add(v.get("crc").asText() + " " + v.get("symbol").asText()));
        assertThat(versions).as("versions of " + ko).containsExactlyElementsOf(dumpModversions(ko));
        String signer = Proc.check(ko.getParent(), 60, "modinfo", "-F", "signer", ko.toString()).out().strip();
        if (!signer.isEmpty()) {
          assertThat(m.get("signature").get("signer").asText()).isEqualTo(signer);
          String key = Proc.check(ko.getParent(), 60, "modinfo", "-F", "sig_key", ko.toString()).out().strip();
          assertThat(m.get("signature").get("key_id").asText()).isEqualTo(key);
        } else {
          assertThat(m.get("signature").isNull()).as("signature of " + ko).isTrue();
        }
      }
    }
  }

  @Test
  void everyModuleOfACorpusKernelReadsAsKmodReadsIt() throws IOException {
    List<Path> all;
    try (Stream<Path> s = Files.walk(Corpus.modules(56).resolve("kernel"))) {
      all = s.filter(p -> p.toString().endsWith(".ko")).sorted().toList();
    }
    assertThat(all).as("the cloud flavour's modules").hasSizeGreaterThan(1000);
    // every 4th module keeps the run short; the depmod agreement covers all of them
    List<Path> sample = new ArrayList<>();
    for (int i = 0; i < all.size(); i += 4) {
      sample.add(all.get(i));
    }
    assertAgrees(sample);
  }

  @Test
  void syntheticModulesOfEveryClassAndByteOrderReadAsKmodReadsThem() throws IOException {
    Path dir = Corpus.work().resolve("synthetic-modinfo");
    Proc.run(Corpus.work(), 60, "rm", "-rf", dir.toString());
    List<Path> mods = new ArrayList<>();
    int n = 0;
    for (int bits : new int[] {64, 32}) {
      for (boolean big : new boolean[] {false, true}) {
        KoBuilder b = KoBuilder.module("synth" + n++).bits(bits).importNs("CXL").modinfo("alias", "pci:v00001234d*sv*sd*bc*sc*i*").modinfo("srcversion", "ABCDEF0123456789ABCDEF")
            .version("module_layout", 0x1234L).uses("_printk", 0x92997ed8L).uses("netif_rx", 0xdeadbeefL).exportsGpl("synth_api", 0x77L)
            .signed("Test signing key", new byte[] {0x12, 0x34, 0x56}, "2.16.840.1.101.3.4.2.1", new byte[] {1, 2, 3});
        if (big) {
          b.bigEndian().machine(KoBuilder.EM_S390);
        } else if (bits == 32) {
          b.machine(KoBuilder.EM_386);
        }
        mods.add(b.writeTo(dir));
      }
    }
    assertAgrees(mods);
  }
}
