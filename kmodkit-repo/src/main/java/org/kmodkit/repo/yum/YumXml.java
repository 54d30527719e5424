package org.kmodkit.repo.yum;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.kmodkit.core.BadInputException;
import org.kmodkit.formats.rpm.RpmHeaders;
import org.kmodkit.formats.rpm.RpmHeaders.Dependency;
import org.kmodkit.formats.rpm.RpmHeaders.FileEntry;

/**
 * primary.xml, filelists.xml and other.xml as createrepo_c renders them (parsehdr.c, xml_dump_*.c):
 * rpmlib() requires and duplicate entries dropped, only /etc, *bin/ and /usr/lib/sendmail paths in
 * primary, every path in filelists, dependency versions split into epoch, ver and rel.
 */
final class YumXml {
  private YumXml() {}

  /** One package's primary, filelists and other fragments, as UTF-8. */
  static YumRepository.PackageMeta fragments(RpmHeaders h, String pkgid, String href, long mtime) throws BadInputException {
    StringBuilder primary = new StringBuilder(8192);
    primary(primary, h, pkgid, href, mtime);
    StringBuilder filelists = new StringBuilder(512);
    filelists(filelists, h, pkgid);
    StringBuilder other = new StringBuilder(256);
    other(other, h, pkgid);
    return new YumRepository.PackageMeta(h.buildTime(), mtime, utf8(primary), utf8(filelists), utf8(other));
  }

  /** The whole file of TYPE, UTF-8: the packages' fragments copied once into an array of the exact size. */
  static byte[] render(String type, List<YumRepository.PackageMeta> packages) {
    byte[] head = utf8(new StringBuilder("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n").append(switch (type) {
      case "primary" -> "<metadata xmlns=\"http://linux.duke.edu/metadata/common\" xmlns:rpm=\"http://linux.duke.edu/metadata/rpm\" packages=\"";
      case "filelists" -> "<filelists xmlns=\"http://linux.duke.edu/metadata/filelists\" packages=\"";
      default -> "<otherdata xmlns=\"http://linux.duke.edu/metadata/other\" packages=\"";
    }).append(packages.size()).append("\">\n"));
    byte[] tail = (switch (type) {
      case "primary" -> "</metadata>\n";
      case "filelists" -> "</filelists>\n";
      default -> "</otherdata>\n";
    }).getBytes(StandardCharsets.UTF_8);
    int size = head.length + tail.length;
    for (YumRepository.PackageMeta p : packages) {
      size = Math.addExact(size, fragment(type, p).length);
    }
    byte[] x = new byte[size];
    System.arraycopy(head, 0, x, 0, head.length);
    int at = head.length;
    for (YumRepository.PackageMeta p : packages) {
      byte[] f = fragment(type, p);
      System.arraycopy(f, 0, x, at, f.length);
      at += f.length;
    }
    System.arraycopy(tail, 0, x, at, tail.length);
    return x;
  }

  private static byte[] utf8(StringBuilder b) {
    return b.toString().getBytes(StandardCharsets.UTF_8);
  }

  private static byte[] fragment(String type, YumRepository.PackageMeta p) {
    return switch (type) {
      case "primary" -> p.primary();
      case "filelists" -> p.filelists();
      default -> p.other();
    };
  }

  private static void primary(StringBuilder x, RpmHeaders h, String pkgid, String href, long mtime) throws BadInputException {
    x.append("<package type=\"rpm\">\n");
    el(x, "  ", "name", h.name());
    el(x, "  ", "arch", arch(h));
    version(x, "  ", h);
    x.append("  <checksum type=\"sha256\" pkgid=\"YES\">").append(pkgid).append("</checksum>\n");
    el(x, "  ", "summary", h.summary());
    el(x, "  ", "description", h.description());
    el(x, "  ", "packager", h.packager());
    el(x, "  ", "url", h.url());
    x.append("  <time file=\"").append(mtime).append("\" build=\"").append(h.buildTime()).append("\"/>\n");
    x.append("  <size package=\"").append(h.fileSize()).append("\" installed=\"").append(h.sizeInstalled())
        .append("\" archive=\"").append(h.sizeArchive()).append("\"/>\n");
    x.append("  <location href=\"").append(esc(href)).append("\"/>\n");
    x.append("  <format>\n");
    el(x, "    ", "rpm:license", h.license());
    el(x, "    ", "rpm:vendor", h.vendor());
    el(x, "    ", "rpm:group", h.group());
    el(x, "    ", "rpm:buildhost", h.buildHost());
    el(x, "    ", "rpm:sourcerpm", h.sourceRpm());
    x.append("    <rpm:header-range start=\"").append(h.headerStart()).append("\" end=\"").append(h.headerEnd()).append("\"/>\n");
    List<FileEntry> files = h.files();
    Set<String> primaryFiles = new HashSet<>();
    for (FileEntry f : files) {
      if (isPrimary(f.path())) {
        primaryFiles.add(f.path());
      }
    }
    List<Dependency> provides = h.provides();
    // a requirement the package meets itself (rpmbuild's config(name) = EVR) is dropped, as
    // createrepo_c does: it compares with the last provide of that name only
    Map<String, Dependency> provided = new HashMap<>();
    for (Dependency d : provides) {
      provided.put(d.name(), d);
    }
    deps(x, "provides", provides, false, primaryFiles, Map.of());
    deps(x, "requires", h.requires(), true, primaryFiles, provided);
    deps(x, "conflicts", h.conflicts(), false, primaryFiles, Map.of());
    deps(x, "obsoletes", h.obsoletes(), false, primaryFiles, Map.of());
    for (FileEntry f : files) {
      if (isPrimary(f.path())) {
        file(x, "    ", f);
      }
    }
    x.append("  </format>\n</package>\n");
  }

  private static void filelists(StringBuilder x, RpmHeaders h, String pkgid) throws BadInputException {
    x.append("<package pkgid=\"").append(pkgid).append("\" name=\"").append(esc(h.name())).append("\" arch=\"").append(esc(arch(h))).append("\">\n");
    version(x, "  ", h);
    for (FileEntry f : h.files()) {
      file(x, "  ", f);
    }
    x.append("</package>\n");
  }

  private static void other(StringBuilder x, RpmHeaders h, String pkgid) throws BadInputException {
    x.append("<package pkgid=\"").append(pkgid).append("\" name=\"").append(esc(h.name())).append("\" arch=\"").append(esc(arch(h))).append("\">\n");
    version(x, "  ", h);
    List<RpmHeaders.Change> changes = h.changelog();
    // createrepo_c keeps the newest ten entries (--changelog-limit) and lists them oldest first
    List<RpmHeaders.Change> kept = new ArrayList<>(changes.subList(0, Math.min(10, changes.size())));
    Collections.reverse(kept);
    for (RpmHeaders.Change c : kept) {
      x.append("  <changelog author=\"").append(esc(c.author())).append("\" date=\"").append(c.time()).append("\">").append(esc(c.text())).append("</changelog>\n");
    }
    x.append("</package>\n");
  }

  /** A source package has no SOURCERPM; YUM calls its arch "src". */
  private static String arch(RpmHeaders h) {
    return h.sourceRpm().isEmpty() ? "src" : h.arch();
  }

  private static void version(StringBuilder x, String indent, RpmHeaders h) {
    x.append(indent).append("<version epoch=\"").append(h.epoch()).append("\" ver=\"").append(esc(h.version())).append("\" rel=\"").append(esc(h.release())).append("\"/>\n");
  }

  private static void deps(StringBuilder x, String tag, List<Dependency> deps, boolean requires, Set<String> primaryFiles, Map<String, Dependency> provided) {
    Set<String> seen = new HashSet<>();
    // entries go straight after the opening tag, which is taken back if none follows
    int start = x.length();
    x.append("    <rpm:").append(tag).append(">\n");
    int empty = x.length();
    for (Dependency d : deps) {
      if (requires && (d.rpmlib() || primaryFiles.contains(d.name()))) {
        continue;
      }
      String flags = d.yumFlags();
      boolean pre = requires && d.pre();
      Dependency self = provided.get(d.name());
      if (self != null && !pre && Objects.equals(self.yumFlags(), flags) && self.version().equals(d.version())) {
        continue;
      }
      if (!seen.add(d.name() + '\0' + flags + '\0' + d.version() + '\0' + pre)) {
        continue;
      }
      x.append("      <rpm:entry name=\"").append(esc(d.name())).append('"');
      if (flags != null) {
        x.append(" flags=\"").append(flags).append('"');
        String[] evr = evr(d.version());
        x.append(" epoch=\"").append(esc(evr[0])).append("\" ver=\"").append(esc(evr[1])).append('"');
        if (evr[2] != null) {
          x.append(" rel=\"").append(esc(evr[2])).append('"');
        }
      }
      if (pre) {
        x.append(" pre=\"1\"");
      }
      x.append("/>\n");
    }
    if (x.length() == empty) {
      x.setLength(start);
    } else {
      x.append("    </rpm:").append(tag).append(">\n");
    }
  }

  /** [epoch, version, release-or-null] as createrepo_c splits "E:V-R" (epoch 0 when absent). */
  static String[] evr(String s) {
    String epoch = "0";
    int colon = s.indexOf(':');
    if (colon >= 0) {
      epoch = colon == 0 ? "0" : s.substring(0, colon);
      s = s.substring(colon + 1);
    }
    int dash = s.indexOf('-');
    return dash < 0 ? new String[] {epoch, s, null} : new String[] {epoch, s.substring(0, dash), s.substring(dash + 1)};
  }

  private static void file(StringBuilder x, String indent, FileEntry f) {
    x.append(indent).append("<file");
    if (f.dir()) {
      x.append(" type=\"dir\"");
    } else if (f.ghost()) {
      x.append(" type=\"ghost\"");
    }
    x.append('>').append(esc(f.path())).append("</file>\n");
  }

  /** createrepo_c's cr_is_primary. */
  static boolean isPrimary(String path) {
    return path.startsWith("/etc/") || path.equals("/usr/lib/sendmail") || path.contains("bin/");
  }

  private static void el(StringBuilder x, String indent, String name, String value) {
    x.append(indent).append('<').append(name).append('>').append(esc(value)).append("</").append(name).append(">\n");
  }

  static String esc(String s) {
    StringBuilder b = null;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      String r = switch (c) {
        case '&' -> "&amp;";
        case '<' -> "&lt;";
        case '>' -> "&gt;";
        case '"' -> "&quot;";
        default -> c < 0x20 && c != '\t' && c != '\n' && c != '\r' ? "" : null;
      };
      if (r != null && b == null) {
        b = new StringBuilder(s.length() + 16).append(s, 0, i);
      }
      if (b != null) {
        b.append(r != null ? r : String.valueOf(c));
      }
    }
    return b == null ? s : b.toString();
  }
}
