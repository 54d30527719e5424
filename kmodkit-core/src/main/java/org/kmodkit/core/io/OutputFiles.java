package org.kmodkit.core.io;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import org.kmodkit.core.BadInputException;
import org.kmodkit.core.EnvironmentException;

/**
 * The output side of {@link InputFiles}: a file kmodkit writes is written whole or not at all, and
 * a write the machine refuses (a read-only or full filesystem, a directory in the way, no
 * permission) is an {@link EnvironmentException} naming the path and the next step — the input was
 * fine, so never exit 2, and never an internal error with a stack trace.
 */
public final class OutputFiles {
  private OutputFiles() {}

  /** Writes {@code target} under a temporary name beside it and renames it over, with {@code permissions} ("rw-r--r--"). */
  public static Path writeAtomically(Path target, byte[] data, String permissions) throws EnvironmentException {
    Path tmp = null;
    try {
      tmp = Files.createTempFile(target.toAbsolutePath().getParent(), "." + target.getFileName() + "-", ".tmp");
      Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString(permissions));
      Files.write(tmp, data);
      try {
        Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
      }
      return target;
    } catch (IOException e) {
      throw cannotWrite(target, e);
    } finally {
      if (tmp != null) {
        try {
          Files.deleteIfExists(tmp);
        } catch (IOException e) {
          // the write's own failure, if any, is the one to report; a stray .tmp is harmless
        }
      }
    }
  }

  /** Creates {@code dir} and its parents, or says why the machine will not. */
  public static Path createDirectories(Path dir) throws EnvironmentException {
    try {
      return Files.createDirectories(dir);
    } catch (IOException e) {
      throw cannotWrite(dir, e);
    }
  }

  /** A new empty directory in {@code parent}, named {@code prefix} and a random suffix. */
  public static Path createTempDirectory(Path parent, String prefix) throws EnvironmentException {
    try {
      return Files.createTempDirectory(parent, prefix);
    } catch (IOException e) {
      throw cannotWrite(parent, e);
    }
  }

  /** Work that writes files under one directory, and may find its input wanting. */
  @FunctionalInterface
  public interface Writing<T> {
    T run() throws IOException, BadInputException, EnvironmentException;
  }

  /**
   * Runs {@code work} at a module's edge: an IOException it lets out is the machine refusing a
   * write under {@code dir}, named by the file it names (else {@code dir}).
   */
  public static <T> T under(Path dir, Writing<T> work) throws BadInputException, EnvironmentException {
    try {
      return work.run();
    } catch (IOException e) {
      String named = e instanceof FileSystemException f ? (f.getOtherFile() != null ? f.getOtherFile() : f.getFile()) : null;
      throw cannotWrite(named != null ? Path.of(named) : dir, e);
    }
  }

  /** {@code e}, met while writing {@code path}, as one line: what, where, why, and what to do. */
  public static EnvironmentException cannotWrite(Path path, IOException e) {
    String why = why(e);
    String next;
    if (why.equals("is a directory") || why.equals("not a directory") || why.equals("file exists")) {
      next = "move it away or choose another output directory";
    } else if (why.startsWith("no space") || why.startsWith("disk quota")) {
      next = "free space there or choose another output directory";
    } else if (why.equals("permission denied") || why.equals("operation not permitted") || why.startsWith("read-only")) {
      next = "make the directory writable or choose another one";
    } else {
      next = "check the path, its permissions and free space, or choose another output directory";
    }
    return new EnvironmentException(path + ": cannot write (" + why + "); " + next, e);
  }

  /**
   * Why, in the words {@code strerror} uses (lower case, as in "cannot write (...)"), without the
   * temporary file's name, which the user never gave.
   */
  static String why(IOException e) {
    if (e instanceof AccessDeniedException) {
      return "permission denied";
    }
    if (e instanceof NoSuchFileException) {
      return "no such file or directory";
    }
    if (e instanceof NotDirectoryException) {
      return "not a directory";
    }
    if (e instanceof FileAlreadyExistsException) {
      return "file exists";
    }
    String reason = e instanceof FileSystemException f && f.getReason() != null ? f.getReason() : Compression.oneLine(e);
    return reason.isEmpty() ? e.getClass().getSimpleName() : Character.toLowerCase(reason.charAt(0)) + reason.substring(1).replace('\n', ' ');
  }
}
