package org.kmodkit.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/** A directory tree as a value, to prove a run left it alone: equal trees, equal maps. */
public final class TreeSnapshot {
  private TreeSnapshot() {}

  /** Every entry under {@code top}, links not followed: relative path → "dir", "link → target" or the file's SHA-256; empty when top is absent. */
  public static Map<String, String> of(Path top) {
    Map<String, String> out = new TreeMap<>();
    if (!Files.exists(top, LinkOption.NOFOLLOW_LINKS)) {
      return out;
    }
    try (Stream<Path> s = Files.walk(top)) {
      for (Path p : (Iterable<Path>) s::iterator) {
        String rel = top.relativize(p).toString();
        if (Files.isSymbolicLink(p)) {
          out.put(rel, "link → " + Files.readSymbolicLink(p));
        } else if (Files.isDirectory(p)) {
          out.put(rel, "dir");
        } else {
          out.put(rel, HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(p))));
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
    return out;
  }
}
