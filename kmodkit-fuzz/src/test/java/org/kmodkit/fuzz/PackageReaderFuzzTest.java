package org.kmodkit.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.kmodkit.core.BadInputException;
import org.kmodkit.formats.PackageReader;

/**
 * Any bytes given to the package reader as a file are streamed entry by entry or refused with the
 * domain error. Every regular entry is read to its end, as the module and kernel ABI loaders do,
 * so the payload decompressors and archive readers see the fuzzed bytes too. Seeds: .deb (xz,
 * gzip, zstd data.tar) and .rpm (xz, gzip, zstd payload) files built by dpkg-deb and rpmbuild
 * around a real module, under PackageReaderFuzzTestInputs/.
 */
class PackageReaderFuzzTest {
  // one file for the whole run, rewritten per input: a temporary directory per input would cost
  // more than the read itself
  private static final Path FILE = createFile();

  private static Path createFile() {
    try {
      Path f = Files.createTempFile("kmodkit-fuzz-", ".pkg");
      f.toFile().deleteOnExit();
      return f;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @FuzzTest(maxDuration = "60s")
  void anyBytesReadAsAPackageOrFailWithTheDomainError(byte[] data) throws IOException {
    Files.write(FILE, data);
    try {
      PackageReader.read(FILE, (entry, in) -> in.transferTo(OutputStream.nullOutputStream()));
    } catch (BadInputException e) {
      DomainError.mustName(FILE.toString(), e);
    }
  }
}
