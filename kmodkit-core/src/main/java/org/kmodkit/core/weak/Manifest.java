package org.kmodkit.core.weak;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A generation's manifest: the links and override lines it holds, one per line, tab-separated. No
 * field holds a control character: the inventory leaves such names out. Read without following
 * links, so a manifest someone linked elsewhere is no manifest.
 */
final class Manifest {
  static final String HEADER = "kmodkit-weak 1";

  private Manifest() {}

  static String write(String release, List<Inventory.Link> links, List<String> overrides) {
    StringBuilder sb = new StringBuilder(HEADER).append('\n').append("release ").append(release).append('\n');
    for (Inventory.Link l : links) {
      sb.append("link ").append(l.path()).append('\t').append(l.targetRelease()).append('\t').append(l.targetRelPath()).append('\t').append(l.set()).append('\n');
    }
    for (String o : overrides) {
      sb.append("override ").append(o).append('\n');
    }
    return sb.toString();
  }

  /** Reads a generation; null when it is incomplete (no manifest: a crash before the switch). */
  static Inventory.Generation read(String release, Path dir) throws IOException {
    Path m = dir.resolve(WeakLayout.MANIFEST);
    if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS) || !Files.isRegularFile(m, LinkOption.NOFOLLOW_LINKS)) {
      return null;
    }
    List<String> lines = Files.readAllLines(m, StandardCharsets.UTF_8);
    if (lines.isEmpty() || !lines.get(0).equals(HEADER)) {
      return null;
    }
    List<Inventory.Link> links = new ArrayList<>();
    List<String> overrides = new ArrayList<>();
    for (String line : lines) {
      if (line.startsWith("link ")) {
        String[] f = line.substring(5).split("\t");
        if (f.length == 4) {
          links.add(new Inventory.Link(f[0], f[1], f[2], f[3]));
        }
      } else if (line.startsWith("override ")) {
        overrides.add(line.substring(9));
      }
    }
    return new Inventory.Generation(release, dir.getFileName().toString(), dir, links, overrides, Files.exists(dir.resolve(WeakLayout.DEPMOD_DONE), LinkOption.NOFOLLOW_LINKS));
  }
}
