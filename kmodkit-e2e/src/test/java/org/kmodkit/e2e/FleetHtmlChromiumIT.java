package org.kmodkit.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.awt.image.BufferedImage;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;

/**
 * `fleet report --html` as Debian's headless Chromium shows it: the counts per state it lays out
 * are those of `fleet report --json`, each state has its own computed colour, the skipped file is
 * listed, and the screenshot shows those colours.
 */
class FleetHtmlChromiumIT {
  static final Pattern STATE = Pattern.compile("<tr data-set=\"([^\"]*)\" data-kernel=\"([^\"]*)\">|<span class=\"state [^\"]*\" data-state=\"([^\"]*)\" data-count=\"(\\d+)\"( data-bg=\"([^\"]*)\")?");

  @Test
  void theBrowserShowsEachCellsCountsAsJsonGivesThemInOneColourPerState() throws Exception {
    Path work = Files.createTempDirectory(Corpus.work(), "fleet-html");
    Path gathered = work.resolve("gathered");
    int i = 0;
    for (long crc : new long[] {0xaa, 0xaa, 0xbb, 0xaa, 0xbb}) {
      Path root = AnsibleIT.root(work.resolve("roots/n" + i), crc);
      assertThat(Kmodkit.run("weak-modules", "--root", root.toString(), "--no-initramfs", "--add-kernel", AnsibleIT.K2).code()).isZero();
      Files.createDirectories(gathered.resolve("node" + i));
      Files.writeString(gathered.resolve("node" + i + "/status.json"), Kmodkit.run("status", "--root", root.toString(), "--json").out());
      i++;
    }
    Files.writeString(Files.createDirectories(gathered.resolve("node9")).resolve("status.json"), "{\"schema\":\"kmodkit.status/1\",");
    Path page = StatusHtmlChromiumIT.reports().resolve("fleet.html");
    Kmodkit.Run r = Kmodkit.run("fleet", "report", gathered.toString(), "--html", page.toString());
    assertThat(r.code()).as(r.err()).isEqualTo(1);
    Map<String, Integer> expected = new TreeMap<>();
    Kmodkit.run("fleet", "report", gathered.toString(), "--json").json().get("cells")
        .forEach(c -> c.get("states").fields().forEachRemaining(s -> expected.put(c.get("set").asText() + " @ " + c.get("kernel").asText() + " " + s.getKey(), s.getValue().get("count").asInt())));
    assertThat(expected).containsEntry("extra/hello @ " + AnsibleIT.K2 + " linked", 3).containsEntry("extra/hello @ " + AnsibleIT.K2 + " incompatible", 2);

    // a probe after the page's body records the colour the browser computes for each state
    String probe = "<script>document.querySelectorAll('span.state').forEach(function(s){s.setAttribute('data-bg', getComputedStyle(s).backgroundColor);});</script>";
    Path probed = StatusHtmlChromiumIT.reports().resolve("fleet-probed.html");
    Files.writeString(probed, Files.readString(page, StandardCharsets.UTF_8).replace("</body>", probe + "</body>"), StandardCharsets.UTF_8);
    String dom = StatusHtmlChromiumIT.chromium("--dump-dom", probed.toUri().toString()).out();
    Map<String, Integer> shown = new TreeMap<>();
    Map<String, String> colour = new HashMap<>();
    String row = null;
    Matcher m = STATE.matcher(dom);
    while (m.find()) {
      if (m.group(1) != null) {
        row = StatusHtmlChromiumIT.unescape(m.group(1)) + " @ " + StatusHtmlChromiumIT.unescape(m.group(2));
        continue;
      }
      shown.put(row + " " + m.group(3), Integer.parseInt(m.group(4)));
      assertThat(m.group(6)).as("computed colour of " + m.group(3)).isNotNull().isNotEqualTo("rgba(0, 0, 0, 0)");
      String before = colour.putIfAbsent(m.group(3), m.group(6));
      assertThat(before == null || before.equals(m.group(6))).as("one colour for " + m.group(3)).isTrue();
    }
    assertThat(shown).isEqualTo(expected);
    assertThat(new java.util.HashSet<>(colour.values())).as("a colour per state").hasSameSizeAs(colour.keySet());
    assertThat(dom).contains("<ul id=\"skipped\"><li>" + gathered.resolve("node9/status.json") + ": not JSON");

    Path png = StatusHtmlChromiumIT.reports().resolve("fleet.png");
    Files.deleteIfExists(png);
    StatusHtmlChromiumIT.chromium("--screenshot=" + png, "--window-size=1200,700", "--hide-scrollbars", page.toUri().toString());
    BufferedImage img = ImageIO.read(png.toFile());
    Map<Integer, Integer> counts = new HashMap<>();
    for (int y = 0; y < img.getHeight(); y++) {
      for (int x = 0; x < img.getWidth(); x++) {
        counts.merge(img.getRGB(x, y) & 0xffffff, 1, Integer::sum);
      }
    }
    for (Map.Entry<String, String> c : colour.entrySet()) {
      Matcher rgb = Pattern.compile("rgb\\((\\d+), (\\d+), (\\d+)\\)").matcher(c.getValue());
      assertThat(rgb.matches()).as(c.getValue()).isTrue();
      int px = (Integer.parseInt(rgb.group(1)) << 16) | (Integer.parseInt(rgb.group(2)) << 8) | Integer.parseInt(rgb.group(3));
      // a state's badge is a line high and ~80 px wide: hundreds of pixels of its exact colour
      assertThat(counts.getOrDefault(px, 0)).as("pixels of " + c.getKey() + "'s colour " + c.getValue()).isGreaterThan(300);
    }
  }
}
