package org.kmodkit.repo.yum;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinTask;
import java.util.zip.GZIPOutputStream;
import org.kmodkit.core.BadInputException;
import org.kmodkit.core.EnvironmentException;
import org.kmodkit.core.io.OutputFiles;
import org.kmodkit.core.build.BuildRunner;
import org.kmodkit.core.io.InputFiles;
import org.kmodkit.repo.RepoOptions;
import org.kmodkit.repo.RepoSummary;
import org.kmodkit.repo.RepoDirectory;
import org.kmodkit.repo.RepositoryWriter;
import org.kmodkit.formats.rpm.RpmHeaders;
import org.kmodkit.formats.rpm.RpmSignatures;

/**
 * Writes {@code repodata/} for every RPM under a directory, with the content createrepo_c gives
 * (primary, filelists, other, repomd.xml with SHA-256 checksums, files named by their checksum),
 * plus {@code repomd.xml.asc}, {@code RPM-GPG-KEY-NAME} and {@code NAME.repo} when signed.
 *
 * <p>The metadata goes into a fresh {@code .kmodkit/repodata-*} directory and {@code repodata} is a
 * symlink renamed over in one step, so a client never sees a repomd.xml pointing at files that are
 * not there yet. Revision and timestamp are the newest package build or file time, so writing the
 * same packages twice gives the same bytes.
 */
public final class YumRepository implements RepositoryWriter {
  private static final String PREFIX = "repodata-";

  @Override
  public RepoSummary create(Path dir, RepoOptions options) throws BadInputException, EnvironmentException {
    return OutputFiles.under(dir, () -> update(dir, options));
  }

  private RepoSummary update(Path dir, RepoOptions options) throws IOException, BadInputException, EnvironmentException {
    if (!Files.exists(dir)) {
      throw new BadInputException(dir.toString(), "no such directory; put the .rpm files in a directory and pass it");
    }
    if (!Files.isDirectory(dir)) {
      throw new BadInputException(dir.toString(), "is not a directory; pass the directory that holds the .rpm files");
    }
    Path repodata = dir.resolve("repodata");
    Path state = dir.resolve(RepoDirectory.STATE_DIR);
    if (Files.exists(repodata, LinkOption.NOFOLLOW_LINKS) && !RepoDirectory.ours(repodata, PREFIX)) {
      throw new BadInputException(repodata.toString(), "exists and was not written by kmodkit (createrepo's?); kmodkit will not replace it: move it away (e.g. `mv "
          + repodata + " " + repodata + ".old`) and run again");
    }
    List<Path> rpms = RepoDirectory.packages(dir, ".rpm");
    if (rpms.isEmpty()) {
      throw new BadInputException(dir.toString(), "holds no .rpm files; build them with `kmodkit package` or copy them in first");
    }

    RpmSignatures verifier = options.verify() ? new RpmSignatures(RepoDirectory.trustedKeys(options, dir)) : null;

    List<PackageMeta> packages = read(dir, rpms, verifier);
    long revision = packages.stream().mapToLong(p -> Math.max(p.buildTime(), p.mtime())).max().orElse(0);

    List<Path> metadata = new ArrayList<>();
    try (FileChannel lock = RepoDirectory.lock(dir)) {
      String unique = PREFIX + UUID.randomUUID();
      Path fresh = state.resolve(unique);
      Files.createDirectory(fresh);
      try {
        StringBuilder repomd = new StringBuilder("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
            + "<repomd xmlns=\"http://linux.duke.edu/metadata/repo\" xmlns:rpm=\"http://linux.duke.edu/metadata/rpm\">\n"
            + "  <revision>" + revision + "</revision>\n");
        for (String type : List.of("primary", "filelists", "other")) {
          byte[] xml = YumXml.render(type, packages);
          // the plain file's checksum (open-checksum) is hashed on another core while this one
          // compresses it: the two longest steps left on one thread (~30 and ~25 ms for a
          // 2.2 MB primary.xml under C1), and the pool is idle once the packages are read
          ForkJoinTask<String> openSum = ForkJoinPool.commonPool().submit(() -> sha256(xml));
          byte[] gz = gzip(xml);
          String sum = sha256(gz);
          String file = sum + "-" + type + ".xml.gz";
          Files.write(fresh.resolve(file), gz);
          metadata.add(repodata.resolve(file));
          repomd.append("  <data type=\"").append(type).append("\">\n")
              .append("    <checksum type=\"sha256\">").append(sum).append("</checksum>\n")
              .append("    <open-checksum type=\"sha256\">").append(openSum.join()).append("</open-checksum>\n")
              .append("    <location href=\"repodata/").append(file).append("\"/>\n")
              .append("    <timestamp>").append(revision).append("</timestamp>\n")
              .append("    <size>").append(gz.length).append("</size>\n")
              .append("    <open-size>").append(xml.length).append("</open-size>\n")
              .append("  </data>\n");
        }
        repomd.append("</repomd>\n");
        byte[] repomdBytes = repomd.toString().getBytes(StandardCharsets.UTF_8);
        Files.write(fresh.resolve("repomd.xml"), repomdBytes);
        metadata.add(repodata.resolve("repomd.xml"));
        if (options.signer() != null) {
          Files.writeString(fresh.resolve("repomd.xml.asc"), options.signer().detachedArmored(repomdBytes), StandardCharsets.US_ASCII);
          metadata.add(repodata.resolve("repomd.xml.asc"));
        }
        // keep the generation just replaced, for clients that fetched its repomd.xml a moment ago
        String previous = RepoDirectory.current(dir, "repodata");
        RepoDirectory.switchTo(dir, "repodata", PREFIX, unique, previous == null ? Set.of() : Set.of(previous));
      } catch (IOException | RuntimeException e) {
        BuildRunner.deleteTree(fresh);
        throw e;
      }
    }

    List<Path> client = new ArrayList<>();
    String base = options.baseUrl().endsWith("/") ? options.baseUrl().substring(0, options.baseUrl().length() - 1) : options.baseUrl();
    StringBuilder repo = new StringBuilder("[" + options.name() + "]\nname=" + options.name() + " (kmodkit)\nbaseurl=" + base + "\nenabled=1\n");
    if (options.signer() != null) {
      Path key = dir.resolve("RPM-GPG-KEY-" + options.name());
      OutputFiles.writeAtomically(key, options.signer().publicKeyArmored().getBytes(StandardCharsets.US_ASCII), "rw-r--r--");
      client.add(key);
      repo.append("gpgcheck=1\nrepo_gpgcheck=1\ngpgkey=").append(base).append("/RPM-GPG-KEY-").append(options.name()).append('\n');
    } else {
      // unsigned metadata: nodes can only take it with checks off; the CLI warns about this
      repo.append("gpgcheck=0\nrepo_gpgcheck=0\n");
    }
    Path repoFile = dir.resolve(options.name() + ".repo");
    OutputFiles.writeAtomically(repoFile, repo.toString().getBytes(StandardCharsets.UTF_8), "rw-r--r--");
    client.add(repoFile);
    return new RepoSummary(dir, packages.size(), metadata, client);
  }


  /**
   * What one package contributes to the metadata: its three XML fragments (UTF-8), rendered while its
   * file is in memory (in parallel with the others), so the file's bytes are not kept.
   */
  record PackageMeta(long buildTime, long mtime, byte[] primary, byte[] filelists, byte[] other) {}

  private static List<PackageMeta> read(Path dir, List<Path> rpms, RpmSignatures verifier) throws BadInputException {
    // hashing and parsing dominate and the packages are independent; failures are reported in
    // path order so the same bad input always gives the same message
    List<Object> results = rpms.parallelStream().map(p -> {
      try {
        byte[] bytes = InputFiles.readAll(p, p.toString());
        RpmHeaders h = RpmHeaders.parse(p.toString(), bytes);
        for (RpmHeaders.FileEntry f : h.files()) {
          // rpm would write such a file outside the node's root (or refuse halfway): no repository serves it
          if (!f.path().startsWith("/") || ("/" + f.path() + "/").contains("/../")) {
            throw new BadInputException(p.toString(), "lists the file '" + f.path() + "', which is not an absolute path inside the root; rebuild the package");
          }
        }
        if (verifier != null) {
          verifier.verify(h);
        }
        String href = dir.relativize(p).toString().replace('\\', '/');
        return (Object) YumXml.fragments(h, HexFormat.of().formatHex(md().digest(bytes)), href, Files.getLastModifiedTime(p).toMillis() / 1000);
      } catch (IOException e) { // a package is input: bad input, not the repository's write failing
        return InputFiles.cannotRead(p.toString(), e);
      } catch (BadInputException e) {
        return e;
      }
    }).toList();
    List<PackageMeta> out = new ArrayList<>(results.size());
    for (Object r : results) {
      if (r instanceof BadInputException e) {
        throw e;
      }
      out.add((PackageMeta) r);
    }
    return out;
  }



  private static byte[] gzip(byte[] data) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream(data.length / 4 + 64);
    try (GZIPOutputStream gz = new GZIPOutputStream(out, 65536)) {
      gz.write(data);
    }
    return out.toByteArray();
  }

  private static String sha256(byte[] data) {
    return HexFormat.of().formatHex(md().digest(data));
  }

  private static MessageDigest md() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

}
