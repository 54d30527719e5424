package org.kmodkit.repo.yum;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.kmodkit.core.BadInputException;
import org.kmodkit.formats.PackageSpec;
import org.kmodkit.formats.PayloadFile;
import org.kmodkit.repo.RepoOptions;
import org.kmodkit.formats.Scriptlets;
import org.kmodkit.formats.rpm.RpmWriter;

class YumTraversalTest {
  @TempDir Path tmp;

  @Test
  void aPackageListingAFileOutsideTheRootIsRefusedByNameAndNoMetadataIsWritten() throws Exception {
    Path src = Files.writeString(tmp.resolve("f"), "x");
    Path repo = Files.createDirectories(tmp.resolve("repo"));
    Path rpm = new RpmWriter().write(new PackageSpec("evil", "1", "1", "x86_64", "s", "d", null, null, null, 1L,
        List.of(new PayloadFile("/xy/f", 0644, src)), List.of(), List.of(), List.of(), Scriptlets.NONE), repo, null);
    byte[] b = Files.readAllBytes(rpm);
    String text = new String(b, StandardCharsets.ISO_8859_1);
    int at = text.indexOf("/xy/\0");
    System.arraycopy("/../".getBytes(StandardCharsets.ISO_8859_1), 0, b, at, 4);
    Files.write(rpm, b);
    assertThatThrownBy(() -> new YumRepository().create(repo, new RepoOptions("r", null, false, List.of(), "file:///r")))
        .isInstanceOf(BadInputException.class)
        .hasMessageStartingWith(rpm + ": lists the file '/../f'");
    assertThatThrownBy(() -> Files.readSymbolicLink(repo.resolve("repodata"))).isInstanceOf(java.io.IOException.class);
  }
}
