package org.kmodkit.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * `kmodkit demo` on the corpus's kernel images (--debs, so no download): a root is built in the
 * cache, the 55 mlx stack is linked where it fits, and the matrix says what the real corpus
 * kernels are known to do with it; a second run reuses the root and changes nothing.
 */
class DemoIT {
  @Test
  void theDemoBuildsARootOfRealKernelsLinksTheVendorStackWhereItFitsAndShowsTheMatrix() throws IOException {
    Path cache = Corpus.work().resolve("demo-cache");
    Proc.run(Corpus.work(), 120, "rm", "-rf", cache.toString());
    Path html = Corpus.work().resolve("demo.html");
    Kmodkit.Run r = Kmodkit.run("demo", "--debs", Corpus.debs().toString(), "--cache", cache.toString(), "--json", "--html", html.toString());
    assertThat(r.code()).as(r.err()).isZero(); // the demo ran; that 53 and 54 cannot take the stack is what it shows
    Path root = cache.resolve("root");
    assertThat(r.err()).contains("kmodkit demo: root " + root);
    JsonNode mlnx = r.json().get("sets").get(0);
    assertThat(mlnx.get("name").asText()).isEqualTo("extra/mlnx");
    JsonNode k = mlnx.get("kernels");
    assertThat(k.get(Corpus.release(55)).get("state").asText()).isEqualTo("native");
    assertThat(k.get(Corpus.release(56)).get("state").asText()).isEqualTo("linked");
    assertThat(k.get(Corpus.release(56)).get("from").get(0).asText()).isEqualTo(Corpus.release(55));
    assertThat(k.get(Corpus.release(54)).get("state").asText()).isEqualTo("incompatible");
    assertThat(k.get(Corpus.release(53)).get("state").asText()).isEqualTo("incompatible");
    assertThat(html).content().contains("data-state=\"linked\"");
    // the links are real and stay inside the demo root
    Path live = root.resolve("lib/modules/" + Corpus.release(56) + "/weak-updates/kmodkit");
    try (Stream<Path> s = Files.walk(live, java.nio.file.FileVisitOption.FOLLOW_LINKS)) {
      assertThat(s.filter(p -> p.toString().endsWith(".ko")).peek(p -> {
        try {
          assertThat(p.toRealPath()).startsWith(root.toRealPath());
        } catch (IOException e) {
          throw new AssertionError(e);
        }
      }).count()).isEqualTo(7);
    }
    Kmodkit.Run again = Kmodkit.run("demo", "--debs", Corpus.debs().toString(), "--cache", cache.toString());
    assertThat(again.code()).as(again.err()).isZero();
    assertThat(again.out()).contains("linked now: nothing new")
        .contains("demo done: 2 of 4 kernels cannot load a set (kmodkit status exits 1 on such a host); the demo itself succeeded").contains("extra/mlnx on " + Corpus.release(56) + ": linked (from " + Corpus.release(55) + ")");
  }
}
