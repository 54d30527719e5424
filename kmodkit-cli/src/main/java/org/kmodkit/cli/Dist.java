package org.kmodkit.cli;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;
import java.util.zip.GZIPOutputStream;
import org.kmodkit.core.BadInputException;
import org.kmodkit.formats.sign.OpenPgpSigner;
import org.kmodkit.formats.PackageSpec;
import org.kmodkit.formats.PayloadFile;
import org.kmodkit.formats.Relation;
import org.kmodkit.formats.deb.DebWriter;
import org.kmodkit.formats.rpm.RpmWriter;
import org.kmodkit.formats.Scriptlets;

/**
 * Run by {@code scripts/dist}: packages kmodkit itself with its own writers (a .deb and an .rpm).
 * The script stages the installed tree (the jlink runtime, the jars, the launcher, man pages and
 * completion, the copyright file); this class turns every regular file of it into a payload file
 * with its mode, owns the directories only kmodkit uses, and adds what each format wants besides
 * (Debian: changelog.Debian.gz; the staged lintian overrides go to the .deb only). Arguments:
 * OUT VERSION RELEASE SIGN-KEY ARCH=STAGE..., one staged tree per architecture; with SIGN-KEY empty a
 * one-time key signs them all and its public half is written beside them.
 */
final class Dist {
  static final String MAINTAINER = "kmodkit <dev@kmodkit.invalid>";
  /** Directories no other package shares: removing kmodkit removes them. */
  private static final List<String> OWNED = List.of("/usr/lib/kmodkit", "/usr/share/doc/kmodkit", "/usr/share/kmodkit");
  private static final String SUMMARY = "judges, links, rebuilds and packages out-of-tree Linux kernel modules";
  // lines of at most 79 characters: rpm shows the description as written
  private static final String DESCRIPTION = """
      kmodkit checks out-of-tree kernel modules against a kernel's exported symbols
      and CRCs as the kernel's loader would, links compatible modules into new
      kernels (weak-modules), rebuilds the others against kernel headers, and
      writes RPM and Debian packages and repositories for them.

      It ships its own Java runtime, made by jlink, under /usr/lib/kmodkit: the
      node needs no Java.""";
  /** Staged files only the Debian package carries (its lintian overrides). */
  private static final String DEB_ONLY = "/usr/share/lintian/";

  /**
   * What the runtime's native code needs (the NEEDED entries of runtime/bin/* and lib/**.so: libc
   * and libm from the C library, libjvm's C++ runtime libstdc++ and libgcc_s, and libz), named as
   * each format does: Debian's packages, rpm's soname capabilities (as rpmbuild would find them),
   * and the launcher's bash. The same on x86_64 and aarch64 (DistIT reads the NEEDED entries).
   */
  private static final List<String> DEB_REQUIRES = List.of("libc6", "libgcc-s1", "libstdc++6", "zlib1g");
  private static final List<String> RPM_REQUIRES = List.of("/bin/bash", "libc.so.6()(64bit)", "libm.so.6()(64bit)", "libgcc_s.so.1()(64bit)",
      "libstdc++.so.6()(64bit)", "libz.so.1()(64bit)");

  private Dist() {}

  /** What was written, and how it was signed. */
  record Written(Path deb, Path rpm, String signedBy) {}

  /** The key that signs every package of one scripts/dist run, and how to say so. */
  record Signing(OpenPgpSigner signer, String signedBy) {}

  public static void main(String[] args) throws Exception {
    if (args.length < 5 || !Stream.of(args).skip(4).allMatch(a -> a.matches("[a-z0-9_]+=.+"))) {
      throw new IllegalArgumentException("usage: Dist OUT VERSION RELEASE SIGN-KEY|'' ARCH=STAGE...");
    }
    try {
      Path out = Path.of(args[0]);
      for (String archStage : List.of(args).subList(4, args.length)) {
        payload(Path.of(archStage.substring(archStage.indexOf('=') + 1))); // every tree is sound before anything is written
      }
      Signing signing = signing(out, args[1], args[2], args[3].isEmpty() ? null : Path.of(args[3]));
      long buildTime = buildTime();
      for (String archStage : List.of(args).subList(4, args.length)) {
        int eq = archStage.indexOf('=');
        Written w = write(Path.of(archStage.substring(eq + 1)), out, args[1], args[2], archStage.substring(0, eq), signing, buildTime);
        System.out.println(w.deb());
        System.out.println(w.rpm());
      }
      System.out.println(signing.signedBy());
    } catch (BadInputException e) {
      System.err.println("dist: " + e.getMessage());
      System.exit(ExitCode.BAD_INPUT.code());
    }
  }

  /** SIGN-KEY's signer, or (null) a one-time key whose public half is written to OUT. */
  static Signing signing(Path out, String version, String release, Path signKey) throws Exception {
    Files.createDirectories(out);
    OpenPgpSigner signer = PackageCommand.signer(signKey);
    if (signer != null) {
      return new Signing(signer, "signed with " + signKey + " (" + signer.fingerprint() + ")");
    }
    signer = OpenPgpSigner.generate("kmodkit " + version + "-" + release + " (one-time key made by scripts/dist)", 3072);
    Path pub = out.resolve("kmodkit-" + version + "-" + release + ".asc");
    Files.writeString(pub, signer.publicKeyArmored());
    return new Signing(signer, "signed with a one-time key " + signer.fingerprint() + "; its public half is " + pub);
  }

  static Written write(Path stage, Path out, String version, String release, String arch, Signing signing, long buildTime) throws Exception {
    List<PayloadFile> files = payload(stage);
    Files.createDirectories(out);
    OpenPgpSigner signer = signing.signer();

    Path debDocs = Files.createTempDirectory(out, ".dist-");
    try {
      List<PayloadFile> debFiles = new ArrayList<>(files);
      List<PayloadFile> rpmFiles = files.stream().filter(f -> !f.path().startsWith(DEB_ONLY) && !DEB_ONLY.startsWith(f.path() + "/")).toList();
      Path changelog = debDocs.resolve("changelog.Debian.gz");
      gzip(changelog, debianChangelog(version, release, buildTime));
      debFiles.add(new PayloadFile("/usr/share/doc/kmodkit/changelog.Debian.gz", 0644, changelog));
      Path deb = new DebWriter("admin").write(spec(version, release, arch, buildTime, debFiles, DEB_REQUIRES), out, signer);
      Path rpm = new RpmWriter().write(spec(version, release, arch, buildTime, rpmFiles, RPM_REQUIRES), out, signer);
      return new Written(deb, rpm, signing.signedBy());
    } finally {
      try (Stream<Path> left = Files.list(debDocs)) {
        for (Path p : left.toList()) {
          Files.delete(p);
        }
      }
      Files.delete(debDocs);
    }
  }

  /** Every regular file under STAGE with its mode; directories only kmodkit uses are owned; a link is refused. */
  static List<PayloadFile> payload(Path stage) throws IOException, BadInputException {
    if (!Files.isDirectory(stage)) {
      throw new BadInputException(stage.toString(), "is not a directory; run scripts/dist, which stages the installed tree");
    }
    List<PayloadFile> files = new ArrayList<>();
    try (Stream<Path> walk = Files.walk(stage)) {
      for (Path p : walk.sorted().toList()) {
        if (p.equals(stage)) {
          continue;
        }
        String path = "/" + stage.relativize(p).toString().replace('\\', '/');
        int mode = mode(p);
        if (Files.isSymbolicLink(p)) {
          throw new BadInputException(p.toString(), "is a symbolic link; the package writers take regular files: stage a copy (cp -L)");
        } else if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
          if (OWNED.stream().anyMatch(o -> path.equals(o) || path.startsWith(o + "/"))) {
            files.add(PayloadFile.directory(path, mode));
          }
        } else if (Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
          files.add(new PayloadFile(path, mode, p));
        } else {
          throw new BadInputException(p.toString(), "is neither a regular file nor a directory; remove it from the staged tree");
        }
      }
    }
    return files;
  }

  private static int mode(Path p) throws IOException {
    int mode = 0;
    for (PosixFilePermission perm : Files.getPosixFilePermissions(p, LinkOption.NOFOLLOW_LINKS)) {
      mode |= 0400 >> perm.ordinal();
    }
    return mode;
  }

  static PackageSpec spec(String version, String release, String arch, long buildTime, List<PayloadFile> files, List<String> requires) {
    return new PackageSpec("kmodkit", version, release, arch, SUMMARY, DESCRIPTION, LICENSE, MAINTAINER, null, buildTime, files,
        requires.stream().map(Relation::any).toList(), List.of(), List.of(), scriptlets());
  }

  /**
   * The maintainer scripts: removing kmodkit (dpkg's prerm "remove", rpm's %preun with 0 left)
   * gives /usr/sbin/weak-modules back when {@code kmodkit weak-modules --take-over} took it, so
   * no file of another package is left pointing at a kmodkit that is gone. A give-back that fails
   * stops the removal with kmodkit's own message (the scripts run under set -e).
   */
  static Scriptlets scriptlets() {
    String giveBack = "if { [ \"$1\" = remove ] || [ \"$1\" = 0 ]; } && [ -e " + WeakModulesTakeOver.STATE + " ]; then\n"
        + "  kmodkit weak-modules --give-back\n"
        + "fi\n";
    return new Scriptlets(null, null, giveBack, null);
  }

  /** The project declares no licence of its own yet: the packages say so rather than invent one. */
  static final String LICENSE = "LicenseRef-kmodkit-undeclared";

  /** One entry, in the format dpkg-parsechangelog reads (Policy 4.4). */
  static String debianChangelog(String version, String release, long buildTime) {
    String date = DateTimeFormatter.ofPattern("EEE, dd MMM yyyy HH:mm:ss Z", Locale.ROOT).format(Instant.ofEpochSecond(buildTime).atOffset(ZoneOffset.UTC));
    return "kmodkit (" + version + "-" + release + ") unstable; urgency=medium\n\n"
        + "  * Built by scripts/dist from the kmodkit source tree.\n\n"
        + " -- " + MAINTAINER + "  " + date + "\n";
  }

  /** gzip -9n: no name, no time, so the same text gives the same bytes. */
  private static void gzip(Path target, String text) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (OutputStream out = new GZIPOutputStream(bytes) {
      {
        def.setLevel(9);
      }
    }) {
      out.write(text.getBytes(StandardCharsets.UTF_8));
    }
    byte[] gz = bytes.toByteArray();
    gz[8] = 2; // XFL: "maximum compression", as gzip -9 says (RFC 1952 2.3.1); Java leaves it 0
    Files.write(target, gz);
  }

  /** SOURCE_DATE_EPOCH when set (scripts/dist sets the last commit's time), else now. */
  private static long buildTime() {
    String epoch = System.getenv("SOURCE_DATE_EPOCH");
    return epoch == null || epoch.isBlank() ? Instant.now().getEpochSecond() : Long.parseLong(epoch.strip());
  }
}
