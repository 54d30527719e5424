package org.kmodkit.formats.deb;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.kmodkit.core.BadInputException;
import org.kmodkit.core.EnvironmentException;
import org.kmodkit.core.io.OutputFiles;
import org.kmodkit.formats.sign.OpenPgpSigner;
import org.kmodkit.formats.PackageSpec;
import org.kmodkit.formats.PackageWriter;
import org.kmodkit.formats.PayloadFile;
import org.kmodkit.formats.Relation;
import org.tukaani.xz.LZMA2Options;
import org.tukaani.xz.XZ;
import org.tukaani.xz.XZOutputStream;

/**
 * Writes a Debian binary package in-process: {@code debian-binary}, {@code control.tar.xz} and
 * {@code data.tar.xz} in an ar archive, every entry owned by root:root and dated at the spec's
 * build time, so the same spec gives the same bytes (signatures aside, which carry their own time).
 *
 * <p>Relations: Debian relation fields only name packages, so of the spec's requires, provides and
 * conflicts only those whose names are valid Debian package names ({@code [a-z0-9][a-z0-9+.-]+})
 * are written (a name {@code a|b} is the alternatives {@code a | b}, each a valid name); RPM capabilities such as {@code kernel(sym) = crc} or {@code kmod(x.ko)} have no
 * Debian spelling and are left out. A Debian Provides may only carry {@code =} versions.
 *
 * <p>With a signer, a debsigs-style {@code _gpgorigin} member follows: a binary detached OpenPGP
 * signature over debian-binary, control.tar.xz and data.tar.xz concatenated, which is what
 * {@code debsig-verify} checks (and {@link DebSignature#verify} here).
 */
public final class DebWriter implements PackageWriter {
  private static final Pattern DEB_NAME = Pattern.compile("[a-z0-9][a-z0-9+.-]+");
  private static final Map<String, String> ARCH = Map.of(
      "x86_64", "amd64", "aarch64", "arm64", "noarch", "all", "i686", "i386", "ppc64le", "ppc64el", "ppc64", "ppc64", "s390x", "s390x", "riscv64", "riscv64");
  private static final int WIDTH = 79;
  private final String section;

  /** Packages in section kernel, where kernel modules belong. */
  public DebWriter() {
    this("kernel");
  }

  /** Packages in SECTION (Debian Policy 2.4: admin, kernel, utils, …). */
  public DebWriter(String section) {
    if (!DEB_NAME.matcher(section).matches()) {
      throw new IllegalArgumentException("Debian section '" + section + "': lower case letters, digits and + . -");
    }
    this.section = section;
  }

  /** The Debian architecture for an RPM one; x86_64 → amd64, aarch64 → arm64, noarch → all. */
  public static String debArch(String rpmArch) {
    String a = ARCH.get(rpmArch);
    if (a == null) {
      throw new IllegalArgumentException("no Debian architecture for '" + rpmArch + "'; use one of " + new TreeSet<>(ARCH.keySet()));
    }
    return a;
  }

  /** The Debian version: VERSION-RELEASE. */
  public static String debVersion(PackageSpec spec) {
    return spec.version() + "-" + spec.release();
  }

  @Override
  public String fileName(PackageSpec spec) {
    return spec.name() + "_" + debVersion(spec) + "_" + debArch(spec.arch()) + ".deb";
  }

  @Override
  public Path write(PackageSpec spec, Path outDir, OpenPgpSigner signer) throws BadInputException, EnvironmentException {
    if (!DEB_NAME.matcher(spec.name()).matches()) {
      throw new BadInputException(spec.name(), "is not a valid Debian package name (lower case letters, digits and + . -, two characters at least); rename the package");
    }
    debArch(spec.arch());
    for (String field : new String[] {spec.vendor(), spec.url(), spec.license()}) {
      if (field.contains("\n")) {
        throw new BadInputException(spec.name(), "a control field value holds a line break: '" + field + "'; give it on one line");
      }
    }
    if (!Files.isDirectory(outDir)) {
      throw new BadInputException(outDir.toString(), "is not a directory; create it or choose another output directory");
    }
    Path target = outDir.resolve(fileName(spec));
    return OutputFiles.writeAtomically(target, ar(spec, signer, data(spec)), "rw-r--r--");
  }

  /** The .deb's bytes, built in memory: an IOException here is a kmodkit bug, not the machine's. */
  private byte[] ar(PackageSpec spec, OpenPgpSigner signer, Data data) {
    try {
      byte[] debianBinary = "2.0\n".getBytes(StandardCharsets.US_ASCII);
      byte[] control = xz(controlTar(spec, data, section));
      byte[] payload = xz(data.tar);
      ByteArrayOutputStream out = new ByteArrayOutputStream(DebArchive.MAGIC.length + 3 * 60 + control.length + payload.length + 1024);
      out.write(DebArchive.MAGIC);
      member(out, "debian-binary", debianBinary, spec.buildTime());
      member(out, "control.tar.xz", control, spec.buildTime());
      member(out, "data.tar.xz", payload, spec.buildTime());
      if (signer != null) {
        ByteArrayOutputStream signed = new ByteArrayOutputStream(debianBinary.length + control.length + payload.length);
        signed.write(debianBinary);
        signed.write(control);
        signed.write(payload);
        member(out, "_gpgorigin", signer.detached(signed.toByteArray()), spec.buildTime());
      }
      return out.toByteArray();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private record Data(byte[] tar, List<String[]> md5sums, long installedKiB) {}

  private static Data data(PackageSpec spec) throws BadInputException {
    List<PayloadFile> files = new ArrayList<>(spec.files().stream().filter(f -> !f.isDirectory()).toList());
    files.sort(Comparator.comparing(PayloadFile::path));
    // dpkg removes the directories it made once they are empty: every parent is listed, owned or not
    TreeSet<String> dirs = new TreeSet<>();
    for (PayloadFile f : spec.files()) {
      String path = f.path() + (f.isDirectory() ? "/" : "");
      for (int i = path.indexOf('/', 1); i > 0; i = path.indexOf('/', i + 1)) {
        dirs.add(path.substring(0, i));
      }
    }
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    List<String[]> md5sums = new ArrayList<>();
    long kib = 0;
    try (TarArchiveOutputStream tar = tar(bytes)) {
      dir(tar, "./", spec.buildTime());
      for (String d : dirs) {
        dir(tar, "." + d + "/", spec.buildTime());
        kib += 1;
      }
      for (PayloadFile f : files) {
        byte[] content;
        try {
          content = Files.readAllBytes(f.source());
        } catch (java.nio.file.NoSuchFileException e) {
          throw new BadInputException(f.source().toString(), "no such file (to be installed as " + f.path() + "); build it first");
        } catch (java.nio.file.AccessDeniedException e) {
          throw new BadInputException(f.source().toString(), "cannot be read (permission denied); fix its permissions");
        } catch (IOException e) {
          throw new BadInputException(f.source().toString(), "cannot be read (" + e.getMessage() + "); fix the path to be installed as " + f.path());
        }
        TarArchiveEntry e = entry("." + f.path(), TarArchiveEntry.LF_NORMAL, f.mode(), spec.buildTime());
        e.setSize(content.length);
        tar.putArchiveEntry(e);
        tar.write(content);
        tar.closeArchiveEntry();
        md5sums.add(new String[] {hex("MD5", content), f.path().substring(1)});
        kib += (content.length + 1023) / 1024;
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e); // a tar in memory: a kmodkit bug, not the machine's
    }
    return new Data(bytes.toByteArray(), md5sums, kib);
  }

  private static byte[] controlTar(PackageSpec spec, Data data, String section) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (TarArchiveOutputStream tar = tar(bytes)) {
      dir(tar, "./", spec.buildTime());
      file(tar, "./control", 0644, controlText(spec, data.installedKiB, section), spec.buildTime());
      StringBuilder md5 = new StringBuilder();
      for (String[] m : data.md5sums) {
        md5.append(m[0]).append("  ").append(m[1]).append('\n');
      }
      file(tar, "./md5sums", 0644, md5.toString(), spec.buildTime());
      // every file under /etc is a conffile, as dh_installdeb marks them (Policy 10.7.2): dpkg keeps an edited one
      String conffiles = data.md5sums.stream().map(m -> "/" + m[1]).filter(p -> p.startsWith("/etc/")).map(p -> p + "\n").collect(Collectors.joining());
      if (!conffiles.isEmpty()) {
        file(tar, "./conffiles", 0644, conffiles, spec.buildTime());
      }
      String[][] scripts = {{"preinst", spec.scripts().pre()}, {"postinst", spec.scripts().post()},
          {"prerm", spec.scripts().preun()}, {"postrm", spec.scripts().postun()}};
      for (String[] s : scripts) {
        if (s[1] != null) {
          String body = s[1].endsWith("\n") ? s[1] : s[1] + "\n";
          file(tar, "./" + s[0], 0755, "#!/bin/sh\nset -e\n" + body, spec.buildTime());
        }
      }
    }
    return bytes.toByteArray();
  }

  /** The control paragraph for SPEC (package-visible for tests). */
  static String controlText(PackageSpec spec, long installedKiB, String section) {
    StringBuilder c = new StringBuilder();
    c.append("Package: ").append(spec.name()).append('\n');
    c.append("Version: ").append(debVersion(spec)).append('\n');
    c.append("Architecture: ").append(debArch(spec.arch())).append('\n');
    c.append("Maintainer: ").append(spec.vendor().isBlank() ? "kmodkit" : spec.vendor()).append('\n');
    c.append("Installed-Size: ").append(installedKiB).append('\n');
    relations(c, "Depends", spec.requires(), false);
    relations(c, "Provides", spec.provides(), true);
    relations(c, "Conflicts", spec.conflicts(), false);
    c.append("Section: ").append(section).append('\n');
    c.append("Priority: optional\n");
    if (!spec.url().isBlank()) {
      c.append("Homepage: ").append(spec.url()).append('\n');
    }
    c.append("Description: ").append(spec.summary()).append('\n');
    c.append(extendedDescription(spec.description()));
    return c.toString();
  }

  private static void relations(StringBuilder c, String field, List<Relation> relations, boolean provides) {
    List<String> items = new ArrayList<>();
    for (Relation r : relations) {
      String[] alternatives = r.name().split("\\|", -1);
      if (!Arrays.stream(alternatives).allMatch(a -> DEB_NAME.matcher(a).matches())) {
        continue; // an RPM capability such as kernel(sym): no Debian spelling
      }
      if (provides && (alternatives.length > 1 || (r.op() != Relation.Op.ANY && r.op() != Relation.Op.EQ))) {
        continue; // dpkg only knows '=' on a Provides, and no alternatives
      }
      if (alternatives.length > 1 && r.op() != Relation.Op.ANY) {
        continue; // which alternative would the version bind? the planner never asks for this
      }
      String item = alternatives.length > 1 ? String.join(" | ", alternatives) : r.debString();
      if (!items.contains(item)) {
        items.add(item);
      }
    }
    if (!items.isEmpty()) {
      c.append(field).append(": ").append(String.join(", ", items)).append('\n');
    }
  }

  /**
   * The long description as Debian folds it (Policy 5.6.13): every line starts with a space, an
   * empty line is " .", paragraphs are word-wrapped; lines already starting with a space are kept
   * verbatim, as dselect and apt show those unwrapped.
   */
  static String extendedDescription(String description) {
    StringBuilder out = new StringBuilder();
    String text = description.strip();
    if (text.isEmpty()) {
      return "";
    }
    for (String line : text.split("\n", -1)) {
      String l = line.stripTrailing();
      if (l.isEmpty()) {
        out.append(" .\n");
      } else if (l.startsWith(" ")) {
        out.append(' ').append(l).append('\n');
      } else {
        StringBuilder current = new StringBuilder();
        for (String word : l.split("\\s+")) {
          if (current.length() > 0 && current.length() + 1 + word.length() > WIDTH - 1) {
            out.append(' ').append(current).append('\n');
            current.setLength(0);
          }
          if (current.length() > 0) {
            current.append(' ');
          }
          current.append(word);
        }
        if (current.length() > 0) {
          // a lone "." would read as a blank line
          out.append(' ').append(current.toString().equals(".") ? ".." : current).append('\n');
        }
      }
    }
    return out.toString();
  }

  private static TarArchiveOutputStream tar(OutputStream out) {
    TarArchiveOutputStream tar = new TarArchiveOutputStream(out);
    tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_GNU);
    tar.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
    return tar;
  }

  private static TarArchiveEntry entry(String name, byte type, int mode, long time) {
    TarArchiveEntry e = new TarArchiveEntry(name, type);
    e.setMode((type == TarArchiveEntry.LF_DIR ? 040000 : 0100000) | mode);
    e.setIds(0, 0);
    e.setNames("root", "root");
    e.setModTime(time * 1000L);
    return e;
  }

  private static void dir(TarArchiveOutputStream tar, String name, long time) throws IOException {
    tar.putArchiveEntry(entry(name, TarArchiveEntry.LF_DIR, 0755, time));
    tar.closeArchiveEntry();
  }

  private static void file(TarArchiveOutputStream tar, String name, int mode, String text, long time) throws IOException {
    byte[] b = text.getBytes(StandardCharsets.UTF_8);
    TarArchiveEntry e = entry(name, TarArchiveEntry.LF_NORMAL, mode, time);
    e.setSize(b.length);
    tar.putArchiveEntry(e);
    tar.write(b);
    tar.closeArchiveEntry();
  }

  private static byte[] xz(byte[] data) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (XZOutputStream xz = new XZOutputStream(out, new LZMA2Options(6), XZ.CHECK_CRC64)) {
      xz.write(data);
    }
    return out.toByteArray();
  }

  private static void member(OutputStream out, String name, byte[] data, long time) throws IOException {
    String header = pad(name, 16) + pad(Long.toString(Math.max(0, time)), 12) + pad("0", 6) + pad("0", 6) + pad("100644", 8)
        + pad(Integer.toString(data.length), 10) + "`\n";
    out.write(header.getBytes(StandardCharsets.US_ASCII));
    out.write(data);
    if ((data.length & 1) != 0) {
      out.write('\n');
    }
  }

  private static String pad(String s, int width) {
    if (s.length() > width) {
      throw new IllegalArgumentException("ar header field '" + s + "' is wider than " + width);
    }
    return s + " ".repeat(width - s.length());
  }

  private static String hex(String algorithm, byte[] data) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance(algorithm).digest(data));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
