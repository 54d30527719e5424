package org.kmodkit.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * `kmodkit demo` on the corpus's kernel images (--debs, so no download): a root is built in the
 * cache, the 55 mlx stack is linked where it fits, and the matrix says what the real corpus
 * kernels are known to do with it; a second run reuses the root and changes nothing. The first
 * run is the README's demo command, and its output is the README's sample.
 */
class DemoIT {
  /** The README's demo sample: its command line (after {@code $ bin/kmodkit }) and the output shown. */
  static final Pattern README_DEMO = Pattern.compile("<!-- demo: [^\\n]*-->\\n```\\n\\$ bin/kmodkit (demo[^\\n]*)\\n(.*?)```", Pattern.DOTALL);
  /** How the README writes the cache directory: kmodkit's default, which this test replaces with its own. */
  static final String README_CACHE = "~/.cache/kmodkit/demo";

  @Test
  void theDemoBuildsARootOfRealKernelsLinksTheVendorStackWhereItFitsAndShowsTheMatrix() throws IOException {
    Path cache = Corpus.work().resolve("demo-cache");
    Proc.run(Corpus.work(), 120, "rm", "-rf", cache.toString());
    Matcher sample = README_DEMO.matcher(Files.readString(Corpus.repo().resolve("README.md")));
    assertThat(sample.find()).as("README.md shows a demo run").isTrue();
    // the README's command as a user types it; only the packages', the cache's and the page's places are this test's
    List<String> args = new ArrayList<>(List.of(sample.group(1).split(" ")));
    args.addAll(List.of("--debs", Corpus.debs().toString(), "--cache", cache.toString()));
    Path html = Corpus.work().resolve("demo.html");
    String readmeHtml = args.set(args.indexOf("--html") + 1, html.toString());
    Files.deleteIfExists(html);
    Kmodkit.Run r = Kmodkit.run(args.toArray(String[]::new));
    assertThat(r.code()).as(r.err()).isZero(); // the demo ran; that 53 and 54 cannot take the stack is what it shows
    assertThat(r.out().replace(cache.toString(), README_CACHE).replace(html.toString(), readmeHtml)).as("README.md's demo sample is what `%s` prints", sample.group(1)).isEqualTo(sample.group(2));
    assertThat(html).content().contains("data-state=\"linked\"");
    Path root = cache.resolve("root");
    assertThat(r.err()).contains("kmodkit demo: root " + root);
    Kmodkit.Run json = Kmodkit.run("demo", "--debs", Corpus.debs().toString(), "--cache", cache.toString(), "--json");
    assertThat(json.code()).as(json.err()).isZero();
    JsonNode mlnx = json.json().get("sets").get(0);
    assertThat(mlnx.get("name").asText()).isEqualTo("extra/mlnx");
    JsonNode k = mlnx.get("kernels");
    assertThat(k.get(Corpus.release(55)).get("state").asText()).isEqualTo("native");
    assertThat(k.get(Corpus.release(56)).get("state").asText()).isEqualTo("linked");
    assertThat(k.get(Corpus.release(56)).get("from").get(0).asText()).isEqualTo(Corpus.release(55));
    assertThat(k.get(Corpus.release(54)).get("state").asText()).isEqualTo("incompatible");
    assertThat(k.get(Corpus.release(53)).get("state").asText()).isEqualTo("incompatible");
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
