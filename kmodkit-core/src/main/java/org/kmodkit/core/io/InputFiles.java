package org.kmodkit.core.io;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import org.kmodkit.core.BadInputException;

/**
 * The one gate every input file passes before it is opened: it must be a regular file. Opening a
 * FIFO blocks until a writer comes (a hang), a device reads forever or nothing, so neither is ever
 * opened; the attributes are those of the file a link resolves to, as the open would see it.
 */
public final class InputFiles {
  private InputFiles() {}

  /** Refuses {@code file} unless it is (or links to) a regular file; {@code source} names it. */
  public static void requireRegular(Path file, String source) throws BadInputException {
    BasicFileAttributes a;
    try {
      // one stat(2), links followed as open(2) follows them (a thousand modules: no realpath walk each)
      a = Files.readAttributes(file, BasicFileAttributes.class);
    } catch (NoSuchFileException e) {
      throw new BadInputException(source, "no such file; check the path");
    } catch (AccessDeniedException e) {
      throw new BadInputException(source, "permission denied; run as a user who can read it");
    } catch (IOException e) {
      throw cannotRead(source, e);
    }
    if (a.isDirectory()) {
      throw new BadInputException(source, "is a directory, not a file");
    }
    if (!a.isRegularFile()) {
      throw new BadInputException(source, "not a regular file (a pipe, device or socket); pass the file itself");
    }
  }

  /** The bytes of {@code file}, a regular file. */
  public static byte[] readAll(Path file, String source) throws BadInputException {
    requireRegular(file, source);
    try {
      return Files.readAllBytes(file);
    } catch (IOException e) {
      throw cannotRead(source, e);
    }
  }

  /** A stream of {@code file}, a regular file; the caller closes it. */
  public static InputStream open(Path file, String source) throws BadInputException {
    requireRegular(file, source);
    try {
      return Files.newInputStream(file);
    } catch (IOException e) {
      throw cannotRead(source, e);
    }
  }

  /** Up to {@code n} first bytes of {@code file}, a regular file. */
  public static byte[] head(Path file, String source, int n) throws BadInputException {
    try (InputStream in = open(file, source)) {
      return in.readNBytes(n);
    } catch (IOException e) {
      throw cannotRead(source, e);
    }
  }

  /** {@code e}, met while reading the input {@code source}, as one line naming it. */
  public static BadInputException cannotRead(String source, IOException e) {
    return new BadInputException(source, "cannot read (" + Compression.oneLine(e) + "); check the path and permissions", e);
  }
}
