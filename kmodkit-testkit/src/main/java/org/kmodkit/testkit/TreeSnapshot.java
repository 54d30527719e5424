package org.kmodkit.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.stream.Stream;

/** A directory tree as text (every path with its link target or content hash, links never followed): equal trees, equal strings. */
public final class TreeSnapshot {
  private TreeSnapshot() {}

  public static String of(Path dir) {
    StringBuilder sb = new StringBuilder();
    try (Stream<Path> s = Files.walk(dir)) {
      for (Path p : s.sorted().toList()) {
        sb.append(dir.relativize(p)).append(' ');
        if (Files.isSymbolicLink(p)) {
          sb.append("-> ").append(Files.readSymbolicLink(p));
        } else if (Files.isRegularFile(p)) {
          sb.append(HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(p))));
        }
        sb.append('\n');
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
    return sb.toString();
  }
}
