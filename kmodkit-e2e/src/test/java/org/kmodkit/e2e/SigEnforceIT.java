package org.kmodkit.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.kmodkit.core.elf.ModuleReader;
import org.kmodkit.formats.sign.KernelModuleSigner;

/**
 * A kernel that enforces module signatures (booted with module.sig_enforce=1) refuses an unsigned
 * module and one signed with a key it does not trust (kmodkit's signature, made with a fresh key),
 * and loads one signed with Debian's build key — which is why a cluster must enroll its own key
 * (README: MOK or the built-in keyring) before it runs modules kmodkit rebuilt and signed.
 */
class SigEnforceIT {
  static final int K = 56;

  @Test
  void aSignatureEnforcingKernelRefusesUnsignedAndUntrustedModulesAndLoadsDebiansOwn() throws Exception {
    Path dir = Corpus.work().resolve("sig-enforce");
    Proc.run(Corpus.work(), 60, "rm", "-rf", dir.toString());
    Path mods = Files.createDirectories(dir.resolve("modules"));
    Path tree = Corpus.modules(K).resolve("kernel/lib");
    // Debian-signed, trusted by the kernel's built-in keyring
    Files.copy(tree.resolve("crc7.ko"), mods.resolve("crc7.ko"));
    // the same kind of module with its signature cut off
    byte[] itu = Files.readAllBytes(tree.resolve("crc-itu-t.ko"));
    long unsignedLength = ModuleReader.parse("crc-itu-t.ko", itu).signature().orElseThrow().offset();
    Files.write(mods.resolve("crc-itu-t.ko"), java.util.Arrays.copyOf(itu, (int) unsignedLength));
    // signed by kmodkit with a key the kernel has never seen
    byte[] cordic = Files.readAllBytes(Corpus.modules(K).resolve("kernel/lib/math/cordic.ko"));
    long cordicLength = ModuleReader.parse("cordic.ko", cordic).signature().orElseThrow().offset();
    Path key = dir.resolve("key.pem");
    Path cert = dir.resolve("cert.pem");
    Proc.check(dir, 120, "openssl", "req", "-new", "-nodes", "-utf8", "-sha256", "-days", "3650", "-batch", "-x509", "-newkey", "rsa:2048",
        "-subj", "/O=kmodkit e2e/CN=cluster signing key", "-keyout", key.toString(), "-out", cert.toString());
    byte[] ours = KernelModuleSigner.load(key, cert, "sha256").sign("cordic.ko", java.util.Arrays.copyOf(cordic, (int) cordicLength));
    Files.write(mods.resolve("cordic.ko"), ours);
    assertThat(ModuleReader.read(mods.resolve("cordic.ko")).signature().orElseThrow().signer()).isEqualTo("cluster signing key");

    Kmodkit.Run run = Kmodkit.run("verify", "--vm", "--json", "--root", Corpus.root(K).toString(), "--kernel", Corpus.release(K),
        "--kernel-arg", "module.sig_enforce=1", "--modules", mods.toString(), "--work-dir", dir.resolve("vm").toString());
    JsonNode report = run.json();
    assertThat(report.get("run").get("outcome").asText()).as(run.err()).isEqualTo("completed");
    Map<String, JsonNode> byName = new TreeMap<>();
    for (JsonNode set : report.get("sets")) {
      set.get("modules").forEach(m -> byName.put(m.get("name").asText(), m));
    }
    assertThat(byName.get("crc7").get("ok").asBoolean()).as("Debian's own signature is trusted").isTrue();
    JsonNode unsigned = byName.get("crc_itu_t").get("load");
    assertThat(unsigned.get("result").asText()).isEqualTo("refused");
    assertThat(unsigned.get("reasons").get(0).get("kind").asText()).isEqualTo("signature");
    assertThat(unsigned.get("reasons").get(0).get("message").asText()).isEqualTo("Loading of unsigned module is rejected");
    JsonNode untrusted = byName.get("cordic").get("load");
    assertThat(untrusted.get("result").asText()).isEqualTo("refused");
    assertThat(untrusted.get("reasons").get(0).get("message").asText()).isEqualTo("Loading of module with unavailable key is rejected");
    assertThat(run.code()).isEqualTo(1);
  }
}
