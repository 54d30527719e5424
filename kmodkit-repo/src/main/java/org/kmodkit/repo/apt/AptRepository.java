package org.kmodkit.repo.apt;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;
import org.bouncycastle.openpgp.PGPPublicKey;
import org.kmodkit.core.BadInputException;
import org.kmodkit.core.EnvironmentException;
import org.kmodkit.core.io.InputFiles;
import org.kmodkit.core.io.OutputFiles;
import org.kmodkit.core.build.BuildRunner;
import org.kmodkit.formats.sign.OpenPgpSigner;
import org.kmodkit.repo.RepoOptions;
import org.kmodkit.repo.RepoSummary;
import org.kmodkit.repo.RepoDirectory;
import org.kmodkit.repo.RepositoryWriter;
import org.kmodkit.formats.deb.DebArchive;
import org.kmodkit.formats.deb.DebControl;
import org.kmodkit.formats.deb.DebSignature;
import org.tukaani.xz.LZMA2Options;
import org.tukaani.xz.XZ;
import org.tukaani.xz.XZOutputStream;

/**
 * Writes an APT repository over the .deb files of a directory: suite {@value #SUITE}, component
 * {@code main}, the standard {@code dists/} layout rather than a flat one, because a standard
 * repository is what {@code apt} handles best on nodes (per-architecture indexes, one sources line
 * with {@code signed-by}, no "flat repository" warnings, and room for a second suite later).
 *
 * <p>The new {@code dists} tree is written into {@code DIR/.kmodkit/dists-<unique>}, then
 * {@code DIR/dists} becomes a symlink to it by renaming a fresh symlink over the old one (one
 * rename(2), atomic), then older trees are deleted: a kill -9 at any instant leaves a complete
 * tree served. Indexes are also published by hash (Acquire-By-Hash), with the previous run's kept,
 * so a node that read the old InRelease just before a switch still gets matching indexes. Runs on
 * one directory take turns ({@code .kmodkit/lock}). A {@code dists} that is a real directory was not made by kmodkit: refused, nothing deleted.
 * Packages indexes hold no time, so the same packages give the same indexes; Release carries the
 * date of the run (from the clock) and the signatures their own.
 */
public final class AptRepository implements RepositoryWriter {
  public static final String SUITE = "kmodkit";
  public static final String COMPONENT = "main";
  /** Used when every package is Architecture: all, so apt on either still finds them. */
  private static final String PREFIX = "dists-";
  private static final List<String> DEFAULT_ARCHES = List.of("amd64", "arm64");
  private static final DateTimeFormatter DATE = DateTimeFormatter.ofPattern("EEE, dd MMM yyyy HH:mm:ss 'UTC'", Locale.ROOT).withZone(ZoneOffset.UTC);

  private final Clock clock;

  public AptRepository() {
    this(Clock.systemUTC());
  }

  public AptRepository(Clock clock) {
    this.clock = clock;
  }

  private record Deb(Path file, String relative, DebControl control, long size, String md5, String sha256) {}

  @Override
  public RepoSummary create(Path dir, RepoOptions options) throws BadInputException, EnvironmentException {
    return OutputFiles.under(dir, () -> update(dir, options));
  }

  private RepoSummary update(Path dir, RepoOptions options) throws IOException, BadInputException, EnvironmentException {
    if (!Files.isDirectory(dir)) {
      throw new BadInputException(dir.toString(), Files.exists(dir) ? "is not a directory; pass the directory that holds the .deb files"
          : "no such directory; pass the directory that holds the .deb files");
    }
    Path dists = dir.resolve("dists");
    if (Files.exists(dists, LinkOption.NOFOLLOW_LINKS) && !RepoDirectory.ours(dists, PREFIX)) {
      throw new BadInputException(dists.toString(), "is a real directory kmodkit did not make (kmodkit keeps dists as a symlink into .kmodkit/); move it away or use another directory — nothing was changed");
    }
    List<PGPPublicKey> trusted = options.verify() ? RepoDirectory.trustedKeys(options, dir) : List.of();
    List<Deb> debs = new ArrayList<>();
    for (Path file : RepoDirectory.packages(dir, ".deb")) {
      try { // a package is input: what cannot be read of it is bad input, not the repository's write failing
        if (options.verify()) {
          DebSignature.verify(file, trusted);
        }
        debs.add(read(dir, file));
      } catch (IOException e) {
        throw InputFiles.cannotRead(file.toString(), e);
      }
    }
    if (debs.isEmpty()) {
      throw new BadInputException(dir.toString(), "holds no .deb package (hidden directories are skipped); write some with `kmodkit package --format deb` first");
    }

    TreeSet<String> arches = new TreeSet<>();
    for (Deb d : debs) {
      String a = d.control.get("Architecture");
      if (!a.equals("all")) {
        arches.add(a);
      }
    }
    if (arches.isEmpty()) {
      arches.addAll(DEFAULT_ARCHES);
    }
    // index path (relative to dists/<suite>) -> bytes, sorted so Release lists them in order
    Map<String, byte[]> indexes = new TreeMap<>();
    for (String arch : arches) {
      StringBuilder packages = new StringBuilder();
      for (Deb d : debs) {
        String a = d.control.get("Architecture");
        if (a.equals(arch) || a.equals("all")) {
          packages.append(paragraph(d)).append('\n');
        }
      }
      byte[] text = packages.toString().getBytes(StandardCharsets.UTF_8);
      String base = COMPONENT + "/binary-" + arch + "/";
      indexes.put(base + "Packages", text);
      indexes.put(base + "Packages.xz", xz(text));
    }
    String release = release(options.name(), arches, indexes);

    try (FileChannel lock = RepoDirectory.lock(dir)) {
      return write(dir, dists, dir.resolve(RepoDirectory.STATE_DIR), options, debs, indexes, release);
    }
  }

  private RepoSummary write(Path dir, Path dists, Path state, RepoOptions options, List<Deb> debs, Map<String, byte[]> indexes, String release)
      throws IOException, EnvironmentException {
    String unique = PREFIX + DATE_ID.format(clock.instant()) + "-" + UUID.randomUUID().toString().substring(0, 8);
    Path fresh = state.resolve(unique);
    Path suite = fresh.resolve(SUITE);
    List<Path> metadata = new ArrayList<>();
    try {
      for (Map.Entry<String, byte[]> e : indexes.entrySet()) {
        Path p = suite.resolve(e.getKey());
        Files.createDirectories(p.getParent());
        Files.write(p, e.getValue());
        metadata.add(dists.resolve(SUITE).resolve(e.getKey()));
        Path byHash = byHash(suite, e.getKey(), digest("SHA-256", e.getValue()));
        Files.createDirectories(byHash.getParent());
        Files.write(byHash, e.getValue());
      }
      keepPreviousByHash(dists.resolve(SUITE), suite);
      Files.writeString(suite.resolve("Release"), release, StandardCharsets.UTF_8);
      metadata.add(dists.resolve(SUITE).resolve("Release"));
      OpenPgpSigner signer = options.signer();
      if (signer != null) {
        Files.writeString(suite.resolve("InRelease"), signer.clearsign(release), StandardCharsets.US_ASCII);
        Files.writeString(suite.resolve("Release.gpg"), signer.detachedArmored(release.getBytes(StandardCharsets.UTF_8)), StandardCharsets.US_ASCII);
        metadata.add(dists.resolve(SUITE).resolve("InRelease"));
        metadata.add(dists.resolve(SUITE).resolve("Release.gpg"));
      }
    } catch (IOException | RuntimeException e) {
      BuildRunner.deleteTree(fresh);
      throw e;
    }

    List<Path> client = new ArrayList<>();
    String sourceOptions;
    if (options.signer() != null) {
      Path key = dir.resolve(options.name() + ".gpg");
      OutputFiles.writeAtomically(key, options.signer().publicKeyBinary(), "rw-r--r--");
      client.add(key);
      Path asc = dir.resolve(options.name() + ".asc");
      OutputFiles.writeAtomically(asc, options.signer().publicKeyArmored().getBytes(StandardCharsets.US_ASCII), "rw-r--r--");
      client.add(asc);
      sourceOptions = "[signed-by=/etc/apt/keyrings/" + options.name() + ".gpg]";
    } else {
      // unsigned metadata: apt refuses it unless told to trust this source
      sourceOptions = "[trusted=yes]";
    }
    Path list = dir.resolve(options.name() + ".list");
    OutputFiles.writeAtomically(list, ("deb " + sourceOptions + " " + options.baseUrl() + " " + SUITE + " " + COMPONENT + "\n").getBytes(StandardCharsets.UTF_8), "rw-r--r--");
    client.add(0, list);

    // the previous indexes live on in the new tree's by-hash/: no older tree is kept
    RepoDirectory.switchTo(dir, "dists", PREFIX, unique, Set.of());
    return new RepoSummary(dir, debs.size(), metadata, client);
  }

  /** Where apt fetches an index by its SHA256 (Acquire-By-Hash): next to it, by-hash/SHA256/HASH. */
  private static Path byHash(Path suite, String index, String sha256) {
    Path p = suite.resolve(index);
    return p.getParent().resolve("by-hash/SHA256").resolve(sha256);
  }

  /**
   * Copies the indexes the current Release names into the new tree's by-hash directories: a node
   * that fetched the old InRelease just before the switch then still finds the indexes it names,
   * instead of a "Hash Sum mismatch". One generation is kept; older ones go with their tree.
   */
  private static void keepPreviousByHash(Path currentSuite, Path newSuite) throws IOException {
    Path release = currentSuite.resolve("Release");
    if (!Files.isRegularFile(release)) {
      return;
    }
    boolean sha = false;
    for (String line : Files.readAllLines(release, StandardCharsets.UTF_8)) {
      if (!line.startsWith(" ")) {
        sha = line.equals("SHA256:");
        continue;
      }
      String[] f = line.trim().split("\\s+");
      if (!sha || f.length != 3 || !f[0].matches("[0-9a-f]{64}") || f[2].contains("..") || f[2].startsWith("/")) {
        continue;
      }
      Path from = currentSuite.resolve(f[2]);
      Path to = byHash(newSuite, f[2], f[0]);
      if (Files.isRegularFile(from) && !Files.exists(to)) {
        Files.createDirectories(to.getParent());
        Files.copy(from, to);
      }
    }
  }

  private static final DateTimeFormatter DATE_ID = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss", Locale.ROOT).withZone(ZoneOffset.UTC);


  private String release(String name, TreeSet<String> arches, Map<String, byte[]> indexes) {
    StringBuilder r = new StringBuilder();
    r.append("Origin: ").append(name).append('\n');
    r.append("Label: ").append(name).append('\n');
    r.append("Suite: ").append(SUITE).append('\n');
    r.append("Codename: ").append(SUITE).append('\n');
    r.append("Date: ").append(DATE.format(clock.instant())).append('\n');
    r.append("Architectures: ").append(String.join(" ", arches)).append('\n');
    r.append("Components: ").append(COMPONENT).append('\n');
    r.append("Description: kernel driver packages written by kmodkit\n");
    r.append("Acquire-By-Hash: yes\n");
    for (String[] algo : new String[][] {{"MD5Sum", "MD5"}, {"SHA256", "SHA-256"}}) {
      r.append(algo[0]).append(":\n");
      for (Map.Entry<String, byte[]> e : indexes.entrySet()) {
        r.append(' ').append(digest(algo[1], e.getValue())).append(' ')
            .append(String.format("%16d", e.getValue().length)).append(' ').append(e.getKey()).append('\n');
      }
    }
    return r.toString();
  }

  private static String paragraph(Deb d) {
    return d.control.text() + "\nFilename: " + d.relative + "\nSize: " + d.size + "\nMD5sum: " + d.md5 + "\nSHA256: " + d.sha256 + "\n";
  }



  private static Deb read(Path dir, Path file) throws IOException, BadInputException {
    DebControl control = DebArchive.control(file);
    DebArchive.contents(file); // refuses absolute and '..' entries, naming them: dpkg would write outside the root
    MessageDigest md5 = md("MD5");
    MessageDigest sha = md("SHA-256");
    long size = 0;
    try (InputStream in = InputFiles.open(file, file.toString())) {
      byte[] buf = new byte[1 << 16];
      for (int n; (n = in.read(buf)) > 0; ) {
        md5.update(buf, 0, n);
        sha.update(buf, 0, n);
        size += n;
      }
    }
    String rel = dir.relativize(file).toString().replace('\\', '/');
    return new Deb(file, rel, control, size, HexFormat.of().formatHex(md5.digest()), HexFormat.of().formatHex(sha.digest()));
  }



  private static byte[] xz(byte[] data) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (XZOutputStream xz = new XZOutputStream(out, new LZMA2Options(6), XZ.CHECK_CRC64)) {
      xz.write(data);
    }
    return out.toByteArray();
  }

  private static MessageDigest md(String algorithm) {
    try {
      return MessageDigest.getInstance(algorithm);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static String digest(String algorithm, byte[] data) {
    return HexFormat.of().formatHex(md(algorithm).digest(data));
  }
}
