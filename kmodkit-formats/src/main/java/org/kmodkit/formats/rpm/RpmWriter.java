package org.kmodkit.formats.rpm;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.zip.GZIPOutputStream;
import org.kmodkit.core.BadInputException;
import org.kmodkit.core.EnvironmentException;
import org.kmodkit.core.io.InputFiles;
import org.kmodkit.core.io.OutputFiles;
import org.kmodkit.formats.sign.OpenPgpSigner;
import org.kmodkit.formats.PackageSpec;
import org.kmodkit.formats.PackageWriter;
import org.kmodkit.formats.PayloadFile;
import org.kmodkit.formats.Relation;

/**
 * Writes an RPM v4 package as rpm 4.18 expects it: the signature header carries the header's
 * SHA-1/SHA-256 digests, size and MD5, and (when signed) an OpenPGP signature over the header in the
 * RSA tag, which covers the payload through the header's payload SHA-256 digest; the payload is a
 * gzip newc cpio whose names start with "./". Every file is root:root with the spec's mode and the
 * build time as mtime, so equal inputs give equal bytes (a signature adds its own creation time).
 */
public final class RpmWriter implements PackageWriter {
  private static final int RPMFILE_CONFIG = 1;
  private static final int RPMFILE_DOC = 1 << 1;
  private static final int RPMFILE_NOREPLACE = 1 << 4;
  private static final List<String> DOC_DIRS = List.of("/usr/share/doc/", "/usr/share/man/", "/usr/share/info/");
  private static final byte[] LEAD_MAGIC = {(byte) 0xed, (byte) 0xab, (byte) 0xee, (byte) 0xdb};

  @Override
  public String fileName(PackageSpec spec) {
    return spec.nevra() + ".rpm";
  }

  @Override
  public Path write(PackageSpec spec, Path outDir, OpenPgpSigner signer) throws BadInputException, EnvironmentException {
    if (!Files.isDirectory(outDir)) {
      throw new BadInputException(outDir.toString(), "is not a directory; create it or pass another output directory");
    }
    List<Staged> files = new ArrayList<>();
    for (PayloadFile f : spec.files()) {
      if (f.isDirectory()) {
        files.add(new Staged(f.path(), 040000 | f.mode(), new byte[0]));
        continue;
      }
      if (!Files.isRegularFile(f.source())) {
        throw new BadInputException(f.source().toString(), "is not a regular file (wanted for " + f.path() + " in " + spec.name() + "); rebuild the module or fix the path");
      }
      files.add(new Staged(f.path(), 0100000 | f.mode(), InputFiles.readAll(f.source(), f.source().toString())));
    }
    // rpm looks files up by path: keep them sorted, as rpmbuild does
    files.sort(Comparator.comparing(Staged::path));

    long total = files.stream().mapToLong(f -> f.bytes().length + 512L).sum();
    if (total > Integer.MAX_VALUE / 2) {
      // the header's SIZE tags are 32-bit and the package is built in memory: kernel modules never come close
      throw new BadInputException(spec.name(), "payload of " + total + " bytes is too large for kmodkit's RPM writer (limit 1 GiB); split the package");
    }
    byte[] cpio = cpio(files, spec.buildTime());
    byte[] payload = gzip(cpio);
    byte[] header = header(spec, files, payload);
    byte[] signature = signatureHeader(header, payload, cpio.length, signer);

    ByteArrayOutputStream out = new ByteArrayOutputStream(96 + signature.length + 8 + header.length + payload.length);
    out.writeBytes(lead(spec));
    out.writeBytes(signature);
    out.writeBytes(new byte[(8 - signature.length % 8) % 8]);
    out.writeBytes(header);
    out.writeBytes(payload);

    // readable by everyone: a package is meant to be served and copied around
    return OutputFiles.writeAtomically(outDir.resolve(fileName(spec)), out.toByteArray(), "rw-r--r--");
  }

  /** MODE with the file type bits: a regular file, or a directory the package owns (no bytes). */
  private record Staged(String path, int mode, byte[] bytes) {
    boolean isDirectory() {
      return (mode & 0170000) == 040000;
    }
  }

  private static byte[] lead(PackageSpec spec) {
    ByteBuffer b = ByteBuffer.allocate(96);
    b.put(LEAD_MAGIC).put((byte) 3).put((byte) 0).putShort((short) 0).putShort((short) 1);
    byte[] name = (spec.name() + "-" + spec.version() + "-" + spec.release()).getBytes(StandardCharsets.UTF_8);
    b.put(name, 0, Math.min(name.length, 65));
    b.position(10 + 66);
    b.putShort((short) 1).putShort((short) 5);
    return b.array();
  }

  private static byte[] header(PackageSpec spec, List<Staged> files, byte[] payload) {
    HeaderBlob h = new HeaderBlob();
    h.strings(RpmTag.HEADERI18NTABLE, List.of("C"));
    h.string(RpmTag.NAME, spec.name()).string(RpmTag.VERSION, spec.version()).string(RpmTag.RELEASE, spec.release());
    h.i18n(RpmTag.SUMMARY, spec.summary()).i18n(RpmTag.DESCRIPTION, spec.description());
    h.int32(RpmTag.BUILDTIME, (int) spec.buildTime());
    // a fixed build host keeps the bytes reproducible; the real host says nothing useful here
    h.string(RpmTag.BUILDHOST, "kmodkit");
    long installed = files.stream().mapToLong(f -> f.bytes().length).sum();
    h.int32(RpmTag.SIZE, (int) installed);
    if (!spec.vendor().isEmpty()) {
      h.string(RpmTag.VENDOR, spec.vendor());
    }
    h.string(RpmTag.LICENSE, spec.license());
    h.i18n(RpmTag.GROUP, "Unspecified");
    if (!spec.url().isEmpty()) {
      h.string(RpmTag.URL, spec.url());
    }
    h.string(RpmTag.OS, "linux").string(RpmTag.ARCH, spec.arch());
    script(h, RpmTag.PREIN, RpmTag.PREINPROG, spec.scripts().pre());
    script(h, RpmTag.POSTIN, RpmTag.POSTINPROG, spec.scripts().post());
    script(h, RpmTag.PREUN, RpmTag.PREUNPROG, spec.scripts().preun());
    script(h, RpmTag.POSTUN, RpmTag.POSTUNPROG, spec.scripts().postun());

    if (!files.isEmpty()) {
      int n = files.size();
      int[] sizes = new int[n], modes = new int[n], fileFlags = new int[n], mtimes = new int[n], verify = new int[n], devices = new int[n], inodes = new int[n], dirIndexes = new int[n];
      List<String> digests = new ArrayList<>(), empty = new ArrayList<>(), root = new ArrayList<>(), baseNames = new ArrayList<>();
      Map<String, Integer> dirs = new TreeMap<>();
      for (Staged f : files) {
        dirs.put(f.path().substring(0, f.path().lastIndexOf('/') + 1), 0);
      }
      int d = 0;
      for (Map.Entry<String, Integer> e : dirs.entrySet()) {
        e.setValue(d++);
      }
      for (int i = 0; i < n; i++) {
        Staged f = files.get(i);
        sizes[i] = f.bytes().length;
        modes[i] = f.mode();
        mtimes[i] = (int) spec.buildTime();
        verify[i] = -1;
        // as rpmbuild marks them (%_docdir, %_mandir, %_infodir): rpm --excludedocs leaves them out
        fileFlags[i] = DOC_DIRS.stream().anyMatch(f.path()::startsWith) ? RPMFILE_DOC : 0;
        // and /etc files as %config(noreplace): an edited one is kept, the package's beside it as .rpmnew;
        // not an executable one (a hook, as dkms's /etc/kernel/postinst.d/dkms): rpm would keep a stale script
        if (f.path().startsWith("/etc/") && !f.isDirectory() && (f.mode() & 0111) == 0) {
          fileFlags[i] |= RPMFILE_CONFIG | RPMFILE_NOREPLACE;
        }
        devices[i] = 1;
        inodes[i] = i + 1;
        digests.add(f.isDirectory() ? "" : HexFormat.of().formatHex(sha256(f.bytes())));
        empty.add("");
        root.add("root");
        int slash = f.path().lastIndexOf('/');
        dirIndexes[i] = dirs.get(f.path().substring(0, slash + 1));
        baseNames.add(f.path().substring(slash + 1));
      }
      h.int32(RpmTag.FILESIZES, sizes).int16(RpmTag.FILEMODES, modes).int16(RpmTag.FILERDEVS, new int[n]);
      h.int32(RpmTag.FILEMTIMES, mtimes).strings(RpmTag.FILEDIGESTS, digests).strings(RpmTag.FILELINKTOS, empty);
      h.int32(RpmTag.FILEFLAGS, fileFlags).strings(RpmTag.FILEUSERNAME, root).strings(RpmTag.FILEGROUPNAME, root);
      h.int32(RpmTag.FILEVERIFYFLAGS, verify).int32(RpmTag.FILEDEVICES, devices).int32(RpmTag.FILEINODES, inodes);
      h.strings(RpmTag.FILELANGS, empty).int32(RpmTag.DIRINDEXES, dirIndexes).strings(RpmTag.BASENAMES, baseNames);
      h.strings(RpmTag.DIRNAMES, new ArrayList<>(dirs.keySet())).int32(RpmTag.FILEDIGESTALGO, RpmTag.HASH_SHA256);
    }
    h.string(RpmTag.SOURCERPM, spec.name() + "-" + spec.version() + "-" + spec.release() + ".src.rpm");

    List<Relation> requires = new ArrayList<>(spec.requires());
    List<Integer> requireFlags = new ArrayList<>();
    for (Relation r : spec.requires()) {
      requireFlags.add(flags(r.op()));
    }
    // what rpmbuild adds: the interpreter of each scriptlet, and the rpmlib features the file uses
    int[][] interp = {{spec.scripts().pre() == null ? 0 : RpmTag.SENSE_SCRIPT_PRE}, {spec.scripts().post() == null ? 0 : RpmTag.SENSE_SCRIPT_POST},
        {spec.scripts().preun() == null ? 0 : RpmTag.SENSE_SCRIPT_PREUN}, {spec.scripts().postun() == null ? 0 : RpmTag.SENSE_SCRIPT_POSTUN}};
    for (int[] s : interp) {
      if (s[0] != 0) {
        requires.add(Relation.any("/bin/sh"));
        requireFlags.add(RpmTag.SENSE_INTERP | s[0]);
      }
    }
    for (String[] lib : new String[][] {{"rpmlib(CompressedFileNames)", "3.0.4-1"}, {"rpmlib(FileDigests)", "4.6.0-1"}, {"rpmlib(PayloadFilesHavePrefix)", "4.0-1"}}) {
      requires.add(new Relation(lib[0], Relation.Op.LE, lib[1]));
      requireFlags.add(RpmTag.SENSE_RPMLIB | RpmTag.SENSE_LESS | RpmTag.SENSE_EQUAL);
    }
    relations(h, RpmTag.REQUIRENAME, RpmTag.REQUIREFLAGS, RpmTag.REQUIREVERSION, requires, requireFlags);

    List<Relation> provides = new ArrayList<>(spec.provides());
    String evr = spec.version() + "-" + spec.release();
    provides.add(Relation.eq(spec.name(), evr));
    if (spec.arch().equals("x86_64")) {
      provides.add(Relation.eq(spec.name() + "(x86-64)", evr));
    }
    relations(h, RpmTag.PROVIDENAME, RpmTag.PROVIDEFLAGS, RpmTag.PROVIDEVERSION, provides, provides.stream().map(r -> flags(r.op())).toList());
    relations(h, RpmTag.CONFLICTNAME, RpmTag.CONFLICTFLAGS, RpmTag.CONFLICTVERSION, spec.conflicts(), spec.conflicts().stream().map(r -> flags(r.op())).toList());

    h.string(RpmTag.PAYLOADFORMAT, "cpio").string(RpmTag.PAYLOADCOMPRESSOR, "gzip").string(RpmTag.PAYLOADFLAGS, "9");
    h.strings(RpmTag.PAYLOADDIGEST, List.of(HexFormat.of().formatHex(sha256(payload)))).int32(RpmTag.PAYLOADDIGESTALGO, RpmTag.HASH_SHA256);
    return h.build(RpmTag.HEADERIMMUTABLE);
  }

  private static void script(HeaderBlob h, int bodyTag, int progTag, String body) {
    if (body != null) {
      h.string(bodyTag, body).string(progTag, "/bin/sh");
    }
  }

  private static void relations(HeaderBlob h, int nameTag, int flagsTag, int versionTag, List<Relation> rels, List<Integer> flags) {
    if (rels.isEmpty()) {
      return;
    }
    h.strings(nameTag, rels.stream().map(Relation::name).toList());
    h.int32(flagsTag, flags.stream().mapToInt(Integer::intValue).toArray());
    h.strings(versionTag, rels.stream().map(Relation::version).toList());
  }

  static int flags(Relation.Op op) {
    return switch (op) {
      case ANY -> 0;
      case EQ -> RpmTag.SENSE_EQUAL;
      case LT -> RpmTag.SENSE_LESS;
      case LE -> RpmTag.SENSE_LESS | RpmTag.SENSE_EQUAL;
      case GT -> RpmTag.SENSE_GREATER;
      case GE -> RpmTag.SENSE_GREATER | RpmTag.SENSE_EQUAL;
    };
  }

  private static byte[] signatureHeader(byte[] header, byte[] payload, long cpioSize, OpenPgpSigner signer) {
    HeaderBlob s = new HeaderBlob();
    if (signer != null) {
      s.bin(RpmTag.SIG_RSA, signer.detached(header));
    }
    s.string(RpmTag.SIG_SHA1, HexFormat.of().formatHex(digest("SHA-1", header)));
    s.string(RpmTag.SIG_SHA256, HexFormat.of().formatHex(sha256(header)));
    s.int32(RpmTag.SIG_SIZE, header.length + payload.length);
    MessageDigest md5 = md("MD5");
    md5.update(header);
    md5.update(payload);
    s.bin(RpmTag.SIG_MD5, md5.digest());
    s.int32(RpmTag.SIG_PAYLOADSIZE, (int) cpioSize);
    return s.build(RpmTag.HEADERSIGNATURES);
  }

  private static byte[] cpio(List<Staged> files, long mtime) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    int ino = 1;
    for (Staged f : files) {
      cpioEntry(out, "." + f.path(), ino++, f.mode(), mtime, f.bytes());
    }
    cpioEntry(out, "TRAILER!!!", 0, 0, 0, new byte[0]);
    return out.toByteArray();
  }

  private static void cpioEntry(ByteArrayOutputStream out, String name, int ino, int mode, long mtime, byte[] data) {
    byte[] n = name.getBytes(StandardCharsets.UTF_8);
    String head = String.format("070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X",
        ino, mode, 0, 0, mode == 0 ? 0 : 1, mtime, data.length, 0, 0, 0, 0, n.length + 1, 0);
    out.writeBytes(head.getBytes(StandardCharsets.US_ASCII));
    out.writeBytes(n);
    out.write(0);
    pad(out);
    out.writeBytes(data);
    pad(out);
  }

  private static void pad(ByteArrayOutputStream out) {
    while (out.size() % 4 != 0) {
      out.write(0);
    }
  }

  /** In memory: an IOException here is a kmodkit bug, not the machine's. */
  private static byte[] gzip(byte[] data) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(data.length / 2 + 64);
    // GZIPOutputStream writes mtime 0 and no name: the same input gives the same bytes
    try (GZIPOutputStream gz = new GZIPOutputStream(out, 65536) {
      {
        def.setLevel(9);
      }
    }) {
      gz.write(data);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    return out.toByteArray();
  }

  static byte[] sha256(byte[] data) {
    return digest("SHA-256", data);
  }

  private static byte[] digest(String algorithm, byte[] data) {
    return md(algorithm).digest(data);
  }

  private static MessageDigest md(String algorithm) {
    try {
      return MessageDigest.getInstance(algorithm);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(algorithm + " missing from the JDK", e);
    }
  }
}
