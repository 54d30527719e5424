package org.kmodkit.formats.rpm;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.kmodkit.core.BadInputException;
import org.kmodkit.core.io.InputFiles;

/**
 * The signature header and main header of an RPM file, read from its bytes with every offset
 * range-checked (a truncated or corrupt file is a BadInputException naming it): what YUM metadata
 * and signature checks need, without rpm installed. The bytes stay referenced, so keep one of
 * these only as long as the package is being looked at.
 */
public final class RpmHeaders {
  /** One Requires/Provides/Conflicts/Obsoletes entry: FLAGS are rpm's RPMSENSE bits, VERSION is "" when none. */
  public record Dependency(String name, int flags, String version) {
    public Dependency {
      version = version == null ? "" : version;
    }

    /** EQ, LT, LE, GT, GE as YUM metadata spells the comparison, or null for none. */
    public String yumFlags() {
      int cmp = flags & (RpmTag.SENSE_LESS | RpmTag.SENSE_GREATER | RpmTag.SENSE_EQUAL);
      return switch (cmp) {
        case RpmTag.SENSE_EQUAL -> "EQ";
        case RpmTag.SENSE_LESS -> "LT";
        case RpmTag.SENSE_LESS | RpmTag.SENSE_EQUAL -> "LE";
        case RpmTag.SENSE_GREATER -> "GT";
        case RpmTag.SENSE_GREATER | RpmTag.SENSE_EQUAL -> "GE";
        default -> null;
      };
    }

    /** Needed before the package's own scriptlets can run (YUM's pre="1"). */
    public boolean pre() {
      return (flags & (RpmTag.SENSE_PREREQ | RpmTag.SENSE_SCRIPT_PRE | RpmTag.SENSE_SCRIPT_POST)) != 0;
    }

    public boolean rpmlib() {
      return name.startsWith("rpmlib(") || (flags & RpmTag.SENSE_RPMLIB) != 0;
    }

    /** As rpm -q --requires prints it. */
    @Override
    public String toString() {
      String f = yumFlags();
      return f == null ? name : name + " " + switch (f) {
        case "EQ" -> "=";
        case "LT" -> "<";
        case "LE" -> "<=";
        case "GT" -> ">";
        default -> ">=";
      } + " " + version;
    }
  }

  /** One file the package holds: absolute PATH, MODE with type bits, whether it is a directory or a %ghost. */
  public record FileEntry(String path, int mode, boolean dir, boolean ghost) {}

  /** One %changelog entry. */
  public record Change(String author, long time, String text) {}

  private static final int RPMFILE_GHOST = 1 << 6;

  private final String source;
  private final byte[] file;
  private final long fileSize;
  private final Section signature;
  private final Section header;

  private RpmHeaders(String source, byte[] file, long fileSize, Section signature, Section header) {
    this.source = source;
    this.file = file;
    this.fileSize = fileSize;
    this.signature = signature;
    this.header = header;
  }

  public static RpmHeaders read(Path file) throws BadInputException {
    return parse(file.toString(), InputFiles.readAll(file, file.toString()));
  }

  /**
   * The lead and both headers of FILE without its payload (a kernel package's payload is tens of
   * MiB), every length checked against the file's size as {@link #parse} checks it; the payload
   * starts at {@link #headerEnd()}. {@link #fileBytes()} holds only the headers.
   */
  public static RpmHeaders readHeaders(Path file) throws BadInputException {
    String source = file.toString();
    InputFiles.requireRegular(file, source);
    try (FileChannel ch = FileChannel.open(file)) {
      long size = ch.size();
      // each header's first 16 bytes give its length: the prefix grows at most twice
      byte[] prefix = prefix(ch, Math.min(96 + 16, size));
      long want;
      while (prefix.length < size && (want = headersEnd(prefix)) > prefix.length) {
        prefix = prefix(ch, Math.min(want, size));
      }
      return parse(source, prefix, size);
    } catch (IOException e) {
      throw InputFiles.cannotRead(source, e);
    }
  }

  private static byte[] prefix(FileChannel ch, long n) throws IOException {
    ByteBuffer b = ByteBuffer.allocate((int) n);
    while (b.hasRemaining() && ch.read(b, b.position()) >= 0) {
      // positional reads until full; a file that shrank meanwhile leaves the rest zero, which parse refuses
    }
    return b.array();
  }

  /** Where the headers end as far as B (at least lead + 16 bytes) tells; B's length when a count exceeds rpm's limits (parse names that). */
  private static long headersEnd(byte[] b) {
    ByteBuffer bb = ByteBuffer.wrap(b);
    long main = 0;
    for (long at = 96; ; at = main) {
      if (b.length < at + 16) {
        return at + 16;
      }
      long il = bb.getInt((int) at + 8) & 0xffffffffL;
      long dl = bb.getInt((int) at + 12) & 0xffffffffL;
      if (il > 0xffff || dl > 0x0fffffff) {
        return b.length;
      }
      long end = at + 16 + il * 16 + dl;
      if (at != 96) {
        return end;
      }
      main = end + (8 - (end - 96) % 8) % 8;
    }
  }

  /** Parses FILE's bytes; SOURCE names it in errors. */
  public static RpmHeaders parse(String source, byte[] file) throws BadInputException {
    return parse(source, file, file.length);
  }

  /** Parses the first bytes of a FILE_SIZE-byte file, enough to hold its lead and headers. */
  private static RpmHeaders parse(String source, byte[] file, long fileSize) throws BadInputException {
    if (file.length < 96 && file.length >= 4 && (file[0] & 0xff) == 0xed && (file[1] & 0xff) == 0xab) {
      throw new BadInputException(source, "is a truncated RPM (" + file.length + " bytes, not even its 96-byte lead); re-download or rebuild it");
    }
    if (file.length < 96 || (file[0] & 0xff) != 0xed || (file[1] & 0xff) != 0xab || (file[2] & 0xff) != 0xee || (file[3] & 0xff) != 0xdb) {
      throw new BadInputException(source, "is not an RPM package (no RPM lead); pass a .rpm file");
    }
    Section sig = Section.read(source, file, 96);
    int mainStart = sig.end + (8 - (sig.end - 96) % 8) % 8;
    Section main = Section.read(source, file, mainStart);
    RpmHeaders h = new RpmHeaders(source, file, fileSize, sig, main);
    int[] size = sig.ints(RpmTag.SIG_SIZE);
    if (size.length > 0 && (long) mainStart + Integer.toUnsignedLong(size[0]) != fileSize) {
      throw new BadInputException(source, "is a truncated or padded RPM (its signature header says " + (mainStart + Integer.toUnsignedLong(size[0]))
          + " bytes, the file has " + fileSize + "); re-download or rebuild it");
    }
    if (h.name().isEmpty() || h.version().isEmpty()) {
      throw new BadInputException(source, "is a corrupt RPM (no name or version in its header); rebuild or re-download it");
    }
    return h;
  }

  public String source() {
    return source;
  }

  public String name() {
    return header.string(RpmTag.NAME);
  }

  /** The epoch, 0 when the package has none. */
  public int epoch() {
    int[] e = header.ints(RpmTag.EPOCH);
    return e.length == 0 ? 0 : e[0];
  }

  public String version() {
    return header.string(RpmTag.VERSION);
  }

  public String release() {
    return header.string(RpmTag.RELEASE);
  }

  public String arch() {
    return header.string(RpmTag.ARCH);
  }

  public String summary() {
    return header.string(RpmTag.SUMMARY);
  }

  public String description() {
    return header.string(RpmTag.DESCRIPTION);
  }

  public String packager() {
    return header.string(RpmTag.PACKAGER);
  }

  public String url() {
    return header.string(RpmTag.URL);
  }

  public long buildTime() {
    int[] t = header.ints(RpmTag.BUILDTIME);
    return t.length == 0 ? 0 : Integer.toUnsignedLong(t[0]);
  }

  public String license() {
    return header.string(RpmTag.LICENSE);
  }

  public String vendor() {
    return header.string(RpmTag.VENDOR);
  }

  public String group() {
    return header.string(RpmTag.GROUP);
  }

  public String buildHost() {
    return header.string(RpmTag.BUILDHOST);
  }

  public String sourceRpm() {
    return header.string(RpmTag.SOURCERPM);
  }

  /** Where the main header starts in the file (YUM's header-range start). */
  public long headerStart() {
    return header.start;
  }

  /** Where the main header ends and the payload starts (YUM's header-range end). */
  public long headerEnd() {
    return header.end;
  }

  /** The main header's bytes, as its OpenPGP signature and SHA-256 digest cover them. */
  public byte[] headerBytes() {
    return java.util.Arrays.copyOfRange(file, header.start, header.end);
  }

  public long fileSize() {
    return fileSize;
  }

  /** The sum of the file sizes (LONGSIZE, else SIZE). */
  public long sizeInstalled() {
    long[] l = header.longs(RpmTag.LONGSIZE);
    if (l.length > 0) {
      return l[0];
    }
    int[] s = header.ints(RpmTag.SIZE);
    return s.length == 0 ? 0 : Integer.toUnsignedLong(s[0]);
  }

  /** The uncompressed payload size (the signature header's, else the main header's ARCHIVESIZE). */
  public long sizeArchive() {
    long[] l = signature.longs(RpmTag.SIG_LONGARCHIVESIZE);
    if (l.length > 0) {
      return l[0];
    }
    int[] s = signature.ints(RpmTag.SIG_PAYLOADSIZE);
    if (s.length > 0) {
      return Integer.toUnsignedLong(s[0]);
    }
    s = header.ints(RpmTag.ARCHIVESIZE);
    return s.length == 0 ? 0 : Integer.toUnsignedLong(s[0]);
  }

  public List<Dependency> requires() throws BadInputException {
    return deps(RpmTag.REQUIRENAME, RpmTag.REQUIREFLAGS, RpmTag.REQUIREVERSION);
  }

  public List<Dependency> provides() throws BadInputException {
    return deps(RpmTag.PROVIDENAME, RpmTag.PROVIDEFLAGS, RpmTag.PROVIDEVERSION);
  }

  public List<Dependency> conflicts() throws BadInputException {
    return deps(RpmTag.CONFLICTNAME, RpmTag.CONFLICTFLAGS, RpmTag.CONFLICTVERSION);
  }

  public List<Dependency> obsoletes() throws BadInputException {
    return deps(RpmTag.OBSOLETENAME, RpmTag.OBSOLETEFLAGS, RpmTag.OBSOLETEVERSION);
  }

  private List<Dependency> deps(int nameTag, int flagsTag, int versionTag) throws BadInputException {
    List<String> names = header.strings(nameTag);
    int[] flags = header.ints(flagsTag);
    List<String> versions = header.strings(versionTag);
    if (flags.length != names.size() || versions.size() != names.size()) {
      throw header.corrupt("dependency tag " + nameTag + " has " + names.size() + " names, " + flags.length + " flags, " + versions.size() + " versions");
    }
    List<Dependency> out = new ArrayList<>(names.size());
    for (int i = 0; i < names.size(); i++) {
      out.add(new Dependency(names.get(i), flags[i], versions.get(i)));
    }
    return out;
  }

  /** Every file and directory the package holds, in header order. */
  public List<FileEntry> files() throws BadInputException {
    List<String> base = header.strings(RpmTag.BASENAMES);
    List<String> dirs = header.strings(RpmTag.DIRNAMES);
    int[] index = header.ints(RpmTag.DIRINDEXES);
    int[] modes = header.shorts(RpmTag.FILEMODES);
    int[] flags = header.ints(RpmTag.FILEFLAGS);
    if (index.length != base.size() || (modes.length != 0 && modes.length != base.size()) || (flags.length != 0 && flags.length != base.size())) {
      throw header.corrupt("file list tags disagree on the file count (" + base.size() + " names)");
    }
    List<FileEntry> out = new ArrayList<>(base.size());
    for (int i = 0; i < base.size(); i++) {
      if (index[i] < 0 || index[i] >= dirs.size()) {
        throw header.corrupt("file " + base.get(i) + " points at directory " + index[i] + " of " + dirs.size());
      }
      int mode = modes.length == 0 ? 0100644 : modes[i];
      out.add(new FileEntry(dirs.get(index[i]) + base.get(i), mode, (mode & 0170000) == 0040000, flags.length != 0 && (flags[i] & RPMFILE_GHOST) != 0));
    }
    return out;
  }

  public List<Change> changelog() throws BadInputException {
    int[] times = header.ints(RpmTag.CHANGELOGTIME);
    List<String> names = header.strings(RpmTag.CHANGELOGNAME);
    List<String> texts = header.strings(RpmTag.CHANGELOGTEXT);
    if (names.size() != times.length || texts.size() != times.length) {
      throw header.corrupt("changelog tags disagree on the entry count");
    }
    List<Change> out = new ArrayList<>();
    for (int i = 0; i < times.length; i++) {
      out.add(new Change(names.get(i), Integer.toUnsignedLong(times[i]), texts.get(i)));
    }
    return out;
  }

  /** The OpenPGP signature packet over the main header (RSA or DSA/EdDSA tag), if the package is signed. */
  public Optional<byte[]> headerSignature() {
    byte[] rsa = signature.bin(RpmTag.SIG_RSA);
    if (rsa != null) {
      return Optional.of(rsa);
    }
    return Optional.ofNullable(signature.bin(RpmTag.SIG_DSA));
  }

  /** The legacy OpenPGP signature over header and payload (PGP or GPG tag), if any. */
  public Optional<byte[]> headerAndPayloadSignature() {
    byte[] pgp = signature.bin(RpmTag.SIG_PGP);
    return Optional.ofNullable(pgp != null ? pgp : signature.bin(RpmTag.SIG_GPG));
  }

  /** The header's payload SHA-256 digest in hex, or empty when the package predates payload digests. */
  public Optional<String> payloadSha256() {
    int[] algo = header.ints(RpmTag.PAYLOADDIGESTALGO);
    String d = header.string(RpmTag.PAYLOADDIGEST);
    if (d.isEmpty() || (algo.length > 0 && algo[0] != RpmTag.HASH_SHA256)) {
      return Optional.empty();
    }
    return Optional.of(d);
  }

  /** The signature header's SHA-256 of the main header, hex, or empty. */
  public Optional<String> headerSha256() {
    String s = signature.string(RpmTag.SIG_SHA256);
    return s.isEmpty() ? Optional.empty() : Optional.of(s);
  }

  /** The bytes after the main header (the compressed payload). */
  ByteBuffer payload() {
    return ByteBuffer.wrap(file, header.end, file.length - header.end).slice();
  }

  byte[] fileBytes() {
    return file;
  }

  /** One header structure: its index, read lazily per tag, every access range-checked. */
  private static final class Section {
    private record Entry(int type, int offset, int count) {}

    private final String source;
    private final byte[] b;
    private final int start;
    private final int end;
    private final int data;
    private final int dataLength;
    private final Map<Integer, Entry> index = new HashMap<>();

    private Section(String source, byte[] b, int start, int end, int data, int dataLength) {
      this.source = source;
      this.b = b;
      this.start = start;
      this.end = end;
      this.data = data;
      this.dataLength = dataLength;
    }

    static Section read(String source, byte[] b, int at) throws BadInputException {
      if (at + 16 > b.length) {
        throw new BadInputException(source, "is a truncated RPM (the file ends at byte " + b.length + ", inside its headers); re-download or rebuild it");
      }
      if ((b[at] & 0xff) != 0x8e || (b[at + 1] & 0xff) != 0xad || (b[at + 2] & 0xff) != 0xe8 || b[at + 3] != 1) {
        throw new BadInputException(source, "is a corrupt RPM (no header magic at byte " + at + "); re-download or rebuild it");
      }
      ByteBuffer bb = ByteBuffer.wrap(b);
      int il = bb.getInt(at + 8);
      int dl = bb.getInt(at + 12);
      // rpm's own limits (hdrchkTags, hdrchkData): anything larger is corruption, not a package
      if (il < 1 || il > 0xffff || dl < 0 || dl > 0x0fffffff) {
        throw new BadInputException(source, "is a corrupt RPM (a header of " + il + " entries and " + dl + " data bytes at byte " + at + "); re-download or rebuild it");
      }
      long end = (long) at + 16 + (long) il * 16 + dl;
      if (end > b.length) {
        throw new BadInputException(source, "is a truncated RPM (its header at byte " + at + " needs " + end + " bytes, the file has " + b.length + "); re-download or rebuild it");
      }
      Section s = new Section(source, b, at, (int) end, at + 16 + il * 16, dl);
      for (int i = 0; i < il; i++) {
        int e = at + 16 + i * 16;
        int tag = bb.getInt(e), type = bb.getInt(e + 4), offset = bb.getInt(e + 8), count = bb.getInt(e + 12);
        if (type < 0 || type > RpmTag.I18NSTRING || offset < 0 || offset > dl || count < 0 || count > dl + 16) {
          throw s.corrupt("index entry " + i + " (tag " + tag + ") points outside its data");
        }
        s.index.putIfAbsent(tag, new Entry(type, offset, count));
      }
      return s;
    }

    BadInputException corrupt(String why) {
      return new BadInputException(source, "is a corrupt RPM (" + why + "); re-download or rebuild it");
    }

    /** A STRING or the first of a STRING_ARRAY/I18NSTRING; "" when absent or malformed. */
    String string(int tag) {
      Entry e = index.get(tag);
      if (e == null || (e.type != RpmTag.STRING && e.type != RpmTag.I18NSTRING && e.type != RpmTag.STRING_ARRAY)) {
        return "";
      }
      int p = data + e.offset;
      int z = nul(p);
      return z < 0 ? "" : new String(b, p, z - p, StandardCharsets.UTF_8);
    }

    List<String> strings(int tag) throws BadInputException {
      Entry e = index.get(tag);
      if (e == null) {
        return List.of();
      }
      if (e.type != RpmTag.STRING_ARRAY && e.type != RpmTag.STRING && e.type != RpmTag.I18NSTRING) {
        throw corrupt("tag " + tag + " is of type " + e.type + ", not strings");
      }
      int n = e.type == RpmTag.STRING ? 1 : e.count;
      List<String> out = new ArrayList<>(n);
      int p = data + e.offset;
      for (int i = 0; i < n; i++) {
        int z = nul(p);
        if (z < 0) {
          throw corrupt("string " + i + " of tag " + tag + " runs past the header");
        }
        out.add(new String(b, p, z - p, StandardCharsets.UTF_8));
        p = z + 1;
      }
      return out;
    }

    private int nul(int p) {
      for (int i = p; i < data + dataLength; i++) {
        if (b[i] == 0) {
          return i;
        }
      }
      return -1;
    }

    int[] ints(int tag) {
      return numbers(tag, RpmTag.INT32, 4);
    }

    int[] shorts(int tag) {
      int[] v = numbers(tag, RpmTag.INT16, 2);
      for (int i = 0; i < v.length; i++) {
        v[i] &= 0xffff;
      }
      return v;
    }

    long[] longs(int tag) {
      Entry e = index.get(tag);
      if (e == null || e.type != RpmTag.INT64 || (long) e.offset + 8L * e.count > dataLength) {
        return new long[0];
      }
      ByteBuffer bb = ByteBuffer.wrap(b);
      long[] out = new long[e.count];
      for (int i = 0; i < e.count; i++) {
        out[i] = bb.getLong(data + e.offset + 8 * i);
      }
      return out;
    }

    private int[] numbers(int tag, int type, int width) {
      Entry e = index.get(tag);
      if (e == null || e.type != type || (long) e.offset + (long) width * e.count > dataLength) {
        return new int[0];
      }
      ByteBuffer bb = ByteBuffer.wrap(b);
      int[] out = new int[e.count];
      for (int i = 0; i < e.count; i++) {
        out[i] = width == 4 ? bb.getInt(data + e.offset + 4 * i) : bb.getShort(data + e.offset + 2 * i);
      }
      return out;
    }

    byte[] bin(int tag) {
      Entry e = index.get(tag);
      if (e == null || e.type != RpmTag.BIN || (long) e.offset + e.count > dataLength) {
        return null;
      }
      return java.util.Arrays.copyOfRange(b, data + e.offset, data + e.offset + e.count);
    }
  }
}
