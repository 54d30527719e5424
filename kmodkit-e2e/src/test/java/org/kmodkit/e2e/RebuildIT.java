package org.kmodkit.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.kmodkit.formats.sign.KernelModuleSigner;

/**
 * kmodkit rebuild on the real corpus: Debian's three *-dkms sources rebuilt for kernels 53–56 from
 * their headers packages (unpacked into the cache, never installed), with the real gcc-12 and the
 * packages' own Kbuild. Referees: kmodkit check, kmod's depmod, the kernel's own sign-file.
 */
class RebuildIT {
  static final List<String> DRIVERS = List.of("vpoll", "acpi-call", "dpdk-kmods");
  static final List<String> MODULES = List.of("vpoll/vpoll.ko", "acpi-call/acpi_call.ko", "dpdk-kmods/igb_uio.ko");
  static Path out;
  static Kmodkit.Run run;

  @BeforeAll
  static void rebuildTheThreeDkmsSourcesForTheFourCorpusKernels() throws Exception {
    out = Corpus.work().resolve("rebuild-out");
    Proc.run(Corpus.work(), 120, "rm", "-rf", out.toString());
    List<String> args = new ArrayList<>(List.of("rebuild", "--json", "--out", out.toString()));
    for (String d : List.of("vpoll-dkms_", "acpi-call-dkms_", "dpdk-kmods-dkms_")) {
      args.add("--source");
      args.add(Corpus.deb(d).toString());
    }
    for (int abi : Corpus.ABIS) {
      args.addAll(List.of("--kernel", Corpus.headers(abi).toString(), "--kernel", Corpus.headersCommon(abi).toString()));
    }
    args.addAll(List.of("--kernel", Corpus.deb("linux-kbuild-6.1_").toString()));
    run = Kmodkit.run(args.toArray(String[]::new));
  }

  @Test
  void everyDriverIsBuiltForEveryKernelAndEveryModuleIsCheckedGood() {
    assertThat(run.code()).as(run.err()).isZero();
    JsonNode j = run.json();
    assertThat(j.get("summary").get("built").asInt()).isEqualTo(12);
    for (JsonNode b : j.get("builds")) {
      assertThat(b.get("status").asText()).as(b.toString()).isEqualTo("built");
      for (JsonNode m : b.get("modules")) {
        assertThat(m.get("check").get("loads").asBoolean()).isTrue();
        assertThat(m.get("check").get("vermagic").asText()).startsWith(b.get("kernel").asText() + " SMP preempt mod_unload modversions");
      }
    }
    for (int abi : Corpus.ABIS) {
      for (String m : MODULES) {
        assertThat(out.resolve(Corpus.release(abi) + "/extra/" + m)).isRegularFile();
      }
    }
  }

  @ParameterizedTest
  @ValueSource(ints = {53, 54, 55, 56})
  void kmodkitCheckAcceptsTheRebuiltModulesForTheirOwnKernel(int abi) {
    Kmodkit.Run c = Kmodkit.run("check", "--kernel", Corpus.symvers(abi).toString(), out.resolve(Corpus.release(abi) + "/extra").toString());
    assertThat(c.code()).as(c.out() + c.err()).isZero();
    assertThat(c.out()).contains("3 modules in 1 set: 3 load");
  }

  @Test
  void modulesRebuiltFor54DoNotLoadOn55ButThoseFor55LoadOn56AsTheCorpusAbiSays() {
    assertThat(Kmodkit.run("check", "--kernel", Corpus.symvers(55).toString(), out.resolve(Corpus.release(54) + "/extra").toString()).code()).isEqualTo(1);
    assertThat(Kmodkit.run("check", "--kernel", Corpus.symvers(56).toString(), out.resolve(Corpus.release(55) + "/extra").toString()).code()).isZero();
  }

  @ParameterizedTest
  @ValueSource(ints = {53, 56})
  void kmodsDepmodResolvesEverySymbolOfTheRebuiltModules(int abi) throws Exception {
    Path root = Corpus.work().resolve("rebuild-depmod-" + abi);
    Proc.run(Corpus.work(), 120, "rm", "-rf", root.toString());
    Path tree = root.resolve("lib/modules/" + Corpus.release(abi));
    Files.createDirectories(tree.getParent());
    Proc.check(Corpus.work(), 120, "cp", "-al", Corpus.modules(abi).toString(), tree.toString());
    Proc.check(Corpus.work(), 120, "cp", "-r", out.resolve(Corpus.release(abi) + "/extra").toString(), tree.resolve("extra").toString());
    Path conf = Files.createDirectories(root.resolve("depmod.d"));
    Files.writeString(conf.resolve("search.conf"), "search extra built-in\n");
    Proc.Result r = Proc.check(root, 300, "depmod", "-b", root.toString(), "-C", conf.toString(), "-e", "-E", Corpus.symvers(abi).toString(), Corpus.release(abi));
    assertThat(r.err()).as("depmod warnings").isBlank();
    assertThat(Files.readString(tree.resolve("modules.dep"))).contains("extra/dpdk-kmods/igb_uio.ko: kernel/drivers/uio/uio.ko");
  }

  @ParameterizedTest
  @ValueSource(strings = {"sha256", "sha512"})
  void kmodkitsSignatureOfARealRebuiltModuleIsByteForByteTheKernelsSignFile(String hash) throws Exception {
    Path dir = Files.createDirectories(Corpus.work().resolve("sign-" + hash));
    Path key = dir.resolve("key.pem");
    Path cert = dir.resolve("cert.pem");
    Proc.check(dir, 120, "openssl", "req", "-new", "-nodes", "-utf8", "-sha256", "-days", "3650", "-batch", "-x509", "-newkey", "rsa:3072",
        "-subj", "/O=kmodkit e2e/CN=kmodkit e2e signing key", "-keyout", key.toString(), "-out", cert.toString());
    Path module = out.resolve(Corpus.release(56) + "/extra/dpdk-kmods/igb_uio.ko");
    Path buildDir = Path.of(run.json().get("kernels").get(3).get("build_dir").asText());
    Path signFile = buildDir.resolve("scripts/sign-file");
    assertThat(signFile).as("the corpus's linux-kbuild-6.1 ships sign-file").isExecutable();
    Path theirs = dir.resolve("igb_uio.sign-file.ko");
    Proc.check(dir, 120, signFile.toString(), hash, key.toString(), cert.toString(), module.toString(), theirs.toString());
    byte[] ours = KernelModuleSigner.load(key, cert, hash).sign(module.toString(), Files.readAllBytes(module));
    assertThat(ours.length).isEqualTo(Files.size(theirs));
    assertThat(java.util.Arrays.mismatch(ours, Files.readAllBytes(theirs))).as("first differing byte").isEqualTo(-1);
  }

  /** A Kbuild driver in {@code dir} that does not compile: broken.c:3: error: 'undeclared_thing' undeclared. */
  static Path brokenSource(Path dir) throws java.io.IOException {
    Path src = Files.createDirectories(dir);
    Files.writeString(src.resolve("Kbuild"), "obj-m := broken.o\n");
    Files.writeString(src.resolve("broken.c"), "#include <linux/module.h>\nMODULE_LICENSE(\"GPL\");\nstatic int __init b_init(void) { return undeclared_thing; }\nmodule_init(b_init);\n");
    return src;
  }

  @Test
  void aBrokenSourceFailsWithTheCompilersOwnErrorWhileTheOtherDriverBuilds() throws Exception {
    Path src = brokenSource(Corpus.work().resolve("broken-src/broken-1.0"));
    Path o = Corpus.work().resolve("rebuild-broken-out");
    Proc.run(Corpus.work(), 60, "rm", "-rf", o.toString());
    Kmodkit.Run r = Kmodkit.run("rebuild", "--out", o.toString(), "--source", src.toString(), "--source", Corpus.deb("vpoll-dkms_").toString(),
        "--kernel", Corpus.headers(56).toString(), "--kernel", Corpus.headersCommon(56).toString(), "--kernel", Corpus.deb("linux-kbuild-6.1_").toString());
    assertThat(r.code()).isEqualTo(1);
    assertThat(r.err()).contains("FAIL  broken-1.0 for " + Corpus.release(56)).contains("broken.c:3:").contains("error: 'undeclared_thing' undeclared")
        .contains("log: " + o.resolve("logs/" + Corpus.release(56) + "/broken.log"));
    assertThat(o.resolve(Corpus.release(56) + "/extra/vpoll/vpoll.ko")).isRegularFile();
    try (Stream<Path> s = Files.list(o.resolve(Corpus.release(56) + "/extra"))) {
      assertThat(s.map(p -> p.getFileName().toString()).toList()).containsExactly("vpoll");
    }
  }
}
