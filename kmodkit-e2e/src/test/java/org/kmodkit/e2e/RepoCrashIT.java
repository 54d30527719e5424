package org.kmodkit.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.kmodkit.formats.sign.OpenPgpSigner;
import org.kmodkit.formats.PackageSpec;
import org.kmodkit.formats.PayloadFile;
import org.kmodkit.formats.Relation;
import org.kmodkit.formats.Scriptlets;
import org.kmodkit.formats.deb.DebWriter;
import org.kmodkit.formats.rpm.RpmWriter;

/**
 * {@code kmodkit repo create} killed with SIGKILL at random instants while it rewrites a served
 * repository (bin/kmodkit, a real process each time): after every kill the repository is whole —
 * repomd.xml, its signature (checked by gpgv) and every file it names (size and sha256) belong to
 * one generation, listing either the old packages or the new — and the next run finishes the job.
 * The same for an APT repository (InRelease checked by gpgv, every index it lists by size and SHA256).
 */
class RepoCrashIT {
  @TempDir Path tmp;

  /** Writes one signed package named NAME into REPO. */
  interface Packager {
    void write(Path repo, String name, Path payload, OpenPgpSigner signer) throws Exception;
  }

  /** Checks REPO's metadata is one whole signed generation and returns the package names it lists. */
  interface Whole {
    Set<String> check(Path repo, Path keyring) throws Exception;
  }

  @Test
  void aKillAtAnyInstantLeavesTheOldOrTheNewMetadataWholeAndTheNextRunRepairs() throws Exception {
    RpmWriter w = new RpmWriter();
    crashStory("--yum", (repo, name, payload, signer) -> write(w, repo, name, payload, signer), RepoCrashIT::whole, 300, 30, 25, 42, 5);
  }

  @Test
  void theSameHoldsForAnAptRepository() throws Exception {
    DebWriter w = new DebWriter();
    crashStory("--apt", (repo, name, payload, signer) -> writeDeb(w, repo, name, payload, signer), RepoCrashIT::wholeApt, 150, 20, 20, 7, 3);
  }

  /**
   * OLD packages made a repository with KIND; NEW more added; ROUNDS runs of bin/kmodkit repo
   * create each killed at a random instant (rounds go on until more than MINKILLED were killed
   * midway), every one leaving the old or the new listing whole; then a run that finishes.
   */
  private void crashStory(String kind, Packager packager, Whole whole, int oldCount, int newCount, int rounds, long seed, int minKilled) throws Exception {
    OpenPgpSigner signer = OpenPgpSigner.generate("crash test <c@example>", 2048);
    Path key = Files.writeString(tmp.resolve("key.asc"), signer.secretKeyArmored());
    Path keyring = Files.write(tmp.resolve("pub.gpg"), signer.publicKeyBinary());
    Path repo = Files.createDirectories(tmp.resolve("repo"));
    Path payload = Files.write(tmp.resolve("m.ko"), new byte[40_000]);
    for (int i = 0; i < oldCount; i++) {
      packager.write(repo, "kmod-old" + i, payload, signer);
    }
    Kmodkit.Run first = Kmodkit.run("repo", "create", kind, repo.toString(), "--pgp-key", key.toString());
    assertThat(first.code()).as(first.err()).isZero();
    Set<String> old = whole.check(repo, keyring);
    assertThat(old).hasSize(oldCount);
    for (int i = 0; i < newCount; i++) {
      packager.write(repo, "kmod-new" + i, payload, signer);
    }
    Random random = new Random(seed);
    String launcher = Path.of("..", "bin", "kmodkit").toAbsolutePath().normalize().toString();
    int killed = 0;
    // kill instants drawn from [lo, hi) ms; a run that finished first narrows the window, so the
    // story needs no assumption on how fast this machine runs kmodkit (a loaded or a quiet one)
    int lo = 100;
    int hi = 1600;
    for (int round = 0; round < rounds || killed <= minKilled; round++) {
      assertThat(round).as("runs could not be killed midway: each finished within %d ms", hi).isLessThan(rounds * 4);
      Process p = new ProcessBuilder(launcher, "repo", "create", kind, repo.toString(), "--pgp-key", key.toString())
          .redirectErrorStream(true).redirectOutput(tmp.resolve("run.log").toFile()).start();
      if (!p.waitFor(lo + random.nextInt(hi - lo), TimeUnit.MILLISECONDS)) {
        // the launcher and its JVM (a child while it writes the class-data archive) die together
        p.descendants().forEach(ProcessHandle::destroyForcibly);
        p.destroyForcibly().waitFor();
        killed++;
      } else {
        hi = Math.max(lo + 20, hi * 7 / 10);
        lo = Math.min(lo, hi / 4);
      }
      Set<String> seen = whole.check(repo, keyring);
      assertThat(seen.size()).as("round %d: the old %d packages or the new %d", round, oldCount, oldCount + newCount).isIn(oldCount, oldCount + newCount);
      assertThat(seen).containsAll(old);
    }
    assertThat(killed).as("some runs were killed midway").isGreaterThan(minKilled);
    Kmodkit.Run last = Kmodkit.run("repo", "create", kind, repo.toString(), "--pgp-key", key.toString());
    assertThat(last.code()).as(last.err()).isZero();
    assertThat(whole.check(repo, keyring)).hasSize(oldCount + newCount);
  }

  private static void writeDeb(DebWriter w, Path repo, String name, Path payload, OpenPgpSigner signer) throws Exception {
    w.write(new PackageSpec(name, "1.0", "1", "x86_64", "crash test", "A package.", null, null, null, 1_700_000_000L,
        List.of(new PayloadFile("/lib/modules/6.1.0-56-cloud-amd64/extra/" + name + "/m.ko", 0644, payload)),
        List.of(Relation.any("linux-image-6.1.0-56-cloud-amd64")), List.of(), List.of(), Scriptlets.NONE), repo, signer);
  }

  /** InRelease verified by gpgv; every index it lists has its size and SHA256; returns the Package names. */
  private static Set<String> wholeApt(Path repo, Path keyring) throws Exception {
    Path dist = repo.resolve("dists/kmodkit");
    Proc.Result gpgv = Proc.run(repo, 60, "gpgv", "--keyring", keyring.toString(), dist.resolve("InRelease").toString());
    assertThat(gpgv.code()).as("gpgv: " + gpgv.err()).isZero();
    String release = Files.readString(dist.resolve("InRelease"));
    String sha = release.substring(release.indexOf("\nSHA256:\n") + 9);
    Matcher row = Pattern.compile("^ ([0-9a-f]{64}) +(\\d+) (\\S+)$", Pattern.MULTILINE).matcher(sha.substring(0, sha.indexOf("-----BEGIN PGP SIGNATURE")));
    Set<String> names = new TreeSet<>();
    int n = 0;
    while (row.find()) {
      Path f = dist.resolve(row.group(3));
      if (!Files.exists(f)) {
        continue; // Release may list index forms it does not ship (by-hash only); apt skips those too
      }
      n++;
      byte[] bytes = Files.readAllBytes(f);
      assertThat((long) bytes.length).as(row.group(3)).isEqualTo(Long.parseLong(row.group(2)));
      assertThat(HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes))).as(row.group(3)).isEqualTo(row.group(1));
      if (row.group(3).endsWith("/Packages")) {
        Matcher m = Pattern.compile("^Package: (\\S+)$", Pattern.MULTILINE).matcher(new String(bytes, java.nio.charset.StandardCharsets.UTF_8));
        while (m.find()) {
          names.add(m.group(1));
        }
      }
    }
    assertThat(n).as("indexes listed in InRelease").isGreaterThan(0);
    return names;
  }

  private static void write(RpmWriter w, Path repo, String name, Path payload, OpenPgpSigner signer) throws Exception {
    w.write(new PackageSpec(name, "1.0", "1", "x86_64", "crash test", "A package.", null, null, null, 1_700_000_000L,
        List.of(new PayloadFile("/lib/modules/6.1.0-56-cloud-amd64/extra/" + name + "/m.ko", 0644, payload)),
        List.of(Relation.eq("kernel(printk)", "0x12345678")), List.of(Relation.any("kmod(" + name + ".ko)")), List.of(), Scriptlets.NONE), repo, signer);
  }

  /** Checks REPO's metadata is one whole signed generation; returns the package names primary.xml lists. */
  private static Set<String> whole(Path repo, Path keyring) throws Exception {
    Path repomd = repo.resolve("repodata/repomd.xml");
    assertThat(repomd).exists();
    Proc.Result gpgv = Proc.run(repo, 60, "gpgv", "--keyring", keyring.toString(), repo.resolve("repodata/repomd.xml.asc").toString(), repomd.toString());
    assertThat(gpgv.code()).as("gpgv: " + gpgv.err()).isZero();
    String xml = Files.readString(repomd);
    Matcher data = Pattern.compile("<data type=\"(\\w+)\">.*?<checksum type=\"sha256\">(\\w+)</checksum>.*?<location href=\"([^\"]+)\"/>.*?<size>(\\d+)</size>", Pattern.DOTALL).matcher(xml);
    Set<String> names = new TreeSet<>();
    int n = 0;
    while (data.find()) {
      n++;
      Path f = repo.resolve(data.group(3));
      assertThat(f).as("repomd.xml names %s", data.group(3)).exists();
      byte[] bytes = Files.readAllBytes(f);
      assertThat((long) bytes.length).isEqualTo(Long.parseLong(data.group(4)));
      assertThat(HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes))).isEqualTo(data.group(2));
      if (data.group(1).equals("primary")) {
        try (InputStream in = new GZIPInputStream(Files.newInputStream(f))) {
          Matcher m = Pattern.compile("<name>([^<]+)</name>").matcher(new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8));
          while (m.find()) {
            names.add(m.group(1));
          }
        }
      }
    }
    assertThat(n).as("primary, filelists, other").isEqualTo(3);
    return names;
  }
}
