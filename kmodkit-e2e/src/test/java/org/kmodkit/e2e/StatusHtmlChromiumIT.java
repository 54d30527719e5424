package org.kmodkit.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The status page as a browser shows it: `kmodkit status --html` on a real root (corpus kernels
 * 53–56, 55's mlx stack as a vendor set, hello built for 53; weak-modules run for 54 only, so the
 * matrix holds native, linked, partly linked, incompatible and compatible-but-not-linked cells),
 * loaded in Debian's headless Chromium: the DOM it builds (a cell per set × kernel with the
 * state `status --json` gives, a tooltip per cell, colours as computed by the browser, the click
 * handler filling the detail box) and a screenshot that shows those colours.
 */
class StatusHtmlChromiumIT {
  static final Set<String> MLX = Set.of("ib_core", "ib_uverbs", "mlxfw", "mlx5_core", "mlx5_ib", "rdma_cm", "rdma_ucm");
  static final Pattern CELL = Pattern.compile("<td class=\"([^\"]*)\" data-set=\"([^\"]*)\" data-kernel=\"([^\"]*)\" data-state=\"([^\"]*)\"([^>]*)>", Pattern.DOTALL);
  static Path root;
  static Path page;
  static Map<String, String> jsonStates = new TreeMap<>();

  @BeforeAll
  static void buildRootAndPage() throws IOException {
    root = Corpus.work().resolve("html-root");
    Proc.run(Corpus.work(), 120, "rm", "-rf", root.toString());
    for (int abi : new int[] {53, 54, 55, 56}) {
      Path src = Corpus.root(abi);
      for (String d : List.of("lib/modules/" + Corpus.release(abi), "usr/src/linux-headers-" + Corpus.release(abi))) {
        Files.createDirectories(root.resolve(d).getParent());
        Proc.check(root, 300, "cp", "-al", src.resolve(d).toString(), root.resolve(d).toString());
      }
      Files.createDirectories(root.resolve("boot"));
      Proc.check(root, 60, "sh", "-c", "cp -l " + src.resolve("boot") + "/* " + root.resolve("boot") + "/");
    }
    Path k55 = root.resolve("lib/modules/" + Corpus.release(55));
    Files.createDirectories(k55.resolve("extra/mlnx"));
    try (Stream<Path> s = Files.walk(Corpus.modules(55).resolve("kernel"))) {
      for (Path p : (Iterable<Path>) s::iterator) {
        String n = p.getFileName().toString();
        if (n.endsWith(".ko") && MLX.contains(n.substring(0, n.length() - 3))) {
          Files.copy(p, k55.resolve("extra/mlnx/" + n));
        }
      }
    }
    Path hello = Files.createDirectories(root.resolve("lib/modules/" + Corpus.release(53) + "/extra/hello"));
    for (String m : List.of("hello.ko", "hello_user.ko", "hello_nonet.ko")) {
      Files.copy(Corpus.repo().resolve("kmodkit-core/src/test/resources/real/6.1.0-53").resolve(m), hello.resolve(m));
    }
    Kmodkit.Run w = Kmodkit.run("weak-modules", "--root", root.toString(), "--no-initramfs", "--add-kernel", Corpus.release(54));
    assertThat(w.code()).as(w.err()).isZero();
    page = reports().resolve("status.html");
    Kmodkit.Run st = Kmodkit.run("status", "--root", root.toString(), "--html", page.toString());
    assertThat(st.code()).as(st.err()).isIn(0, 1);
    JsonNode json = Kmodkit.run("status", "--root", root.toString(), "--json").json();
    json.get("sets").forEach(set -> set.get("kernels").fields().forEachRemaining(e -> jsonStates.put(set.get("name").asText() + " @ " + e.getKey(), e.getValue().get("state").asText())));
  }

  static Path reports() throws IOException {
    return Files.createDirectories(Path.of("target", "e2e-reports").toAbsolutePath());
  }

  /** Debian's chromium, headless, with nothing reaching out; the page's URL last. */
  static Proc.Result chromium(String... args) throws IOException {
    Path profile = Files.createTempDirectory(Corpus.work(), "chromium-profile");
    List<String> cmd = new java.util.ArrayList<>(List.of("chromium", "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run", "--user-data-dir=" + profile));
    cmd.addAll(List.of(args));
    Proc.Result r = Proc.run(Corpus.work(), 180, cmd.toArray(String[]::new));
    assertThat(r.code()).as("chromium (install it: scripts/install-test-deps) said: " + r.err()).isZero();
    return r;
  }

  /** The page with a probe appended after its own script: records computed colours and clicks one cell. */
  static Path probed() throws IOException {
    String html = Files.readString(page, StandardCharsets.UTF_8);
    String probe = "<script>\n"
        + "document.querySelectorAll('td.cell').forEach(function(td){td.setAttribute('data-bg', getComputedStyle(td).backgroundColor);});\n"
        + "var cells=document.querySelectorAll('td.cell'); var before=document.getElementById('detail').textContent; var pick=cells[cells.length-1];\n"
        + "pick.dispatchEvent(new MouseEvent('click', {bubbles:true}));\n"
        + "document.body.setAttribute('data-probe-before', before);\n"
        + "document.body.setAttribute('data-probe-cell', pick.getAttribute('data-set')+' @ '+pick.getAttribute('data-kernel'));\n"
        + "document.body.setAttribute('data-probe-detail', document.getElementById('detail').textContent);\n"
        + "</script>\n";
    assertThat(html).contains("</body>");
    Path p = reports().resolve("status-probed.html");
    Files.writeString(p, html.replace("</body>", probe + "</body>"), StandardCharsets.UTF_8);
    return p;
  }

  static String attr(String attrs, String name) {
    Matcher m = Pattern.compile(name + "=\"([^\"]*)\"", Pattern.DOTALL).matcher(attrs);
    return m.find() ? unescape(m.group(1)) : null;
  }

  static String unescape(String s) {
    return s.replace("&quot;", "\"").replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&");
  }

  @Test
  void everySetAndKernelHasACellInTheBrowserWithTheStateStatusJsonGivesAndATooltip() throws IOException {
    String dom = chromium("--dump-dom", page.toUri().toString()).out();
    Map<String, String> states = new TreeMap<>();
    Matcher m = CELL.matcher(dom);
    while (m.find()) {
      String key = unescape(m.group(2)) + " @ " + unescape(m.group(3));
      states.put(key, m.group(4));
      assertThat(m.group(1)).as("class of " + key).contains(m.group(4));
      assertThat(attr(m.group(5), "title")).as("tooltip of " + key).isNotBlank().startsWith(unescape(m.group(2)) + " on " + unescape(m.group(3)));
    }
    assertThat(states).isEqualTo(jsonStates);
    assertThat(states).hasSize(2 * 4);
    // what the root is known to hold: the vendor stack is native on 55, could link into 56, never into 54
    assertThat(states).containsEntry("extra/mlnx @ " + Corpus.release(55), "native")
        .containsEntry("extra/mlnx @ " + Corpus.release(56), "compatible_not_linked")
        .containsEntry("extra/mlnx @ " + Corpus.release(54), "incompatible")
        .containsEntry("extra/hello @ " + Corpus.release(54), "partial");
    assertThat(dom).contains("id=\"detail\"").contains("Click a cell for details.");
  }

  @Test
  void eachStateHasItsOwnColourAndAClickOnACellFillsTheDetailBox() throws IOException {
    String dom = chromium("--dump-dom", probed().toUri().toString()).out();
    Map<String, Set<String>> colours = new HashMap<>();
    Matcher m = CELL.matcher(dom);
    while (m.find()) {
      String bg = attr(m.group(5), "data-bg");
      assertThat(bg).as("computed background of " + m.group(2) + " @ " + m.group(3)).isNotNull().isNotEqualTo("rgba(0, 0, 0, 0)");
      colours.computeIfAbsent(m.group(4), x -> new HashSet<>()).add(bg);
    }
    assertThat(colours.keySet()).hasSizeGreaterThanOrEqualTo(4);
    colours.forEach((state, c) -> assertThat(c).as("one colour for " + state).hasSize(1));
    Set<String> distinct = new HashSet<>();
    colours.values().forEach(distinct::addAll);
    assertThat(distinct).as("a colour per state").hasSameSizeAs(colours.keySet());
    Matcher body = Pattern.compile("<body([^>]*)>", Pattern.DOTALL).matcher(dom);
    assertThat(body.find()).isTrue();
    String cell = attr(body.group(1), "data-probe-cell");
    String detail = attr(body.group(1), "data-probe-detail");
    assertThat(attr(body.group(1), "data-probe-before")).isEqualTo("Click a cell for details.");
    assertThat(detail).as("the detail box after a click on " + cell).isNotBlank().isNotEqualTo("Click a cell for details.")
        .startsWith(cell.replace(" @ ", " on ") + ": ");
  }

  @Test
  void theScreenshotShowsTheMatrixInItsColoursNotABlankPage() throws IOException {
    // the colours the browser computes for the states present, to look for in the picture
    String dom = chromium("--dump-dom", probed().toUri().toString()).out();
    Set<Integer> wanted = new HashSet<>();
    Matcher m = CELL.matcher(dom);
    while (m.find()) {
      Matcher rgb = Pattern.compile("rgb\\((\\d+), (\\d+), (\\d+)\\)").matcher(attr(m.group(5), "data-bg"));
      assertThat(rgb.matches()).isTrue();
      wanted.add((Integer.parseInt(rgb.group(1)) << 16) | (Integer.parseInt(rgb.group(2)) << 8) | Integer.parseInt(rgb.group(3)));
    }
    Path png = reports().resolve("status.png");
    Files.deleteIfExists(png);
    chromium("--screenshot=" + png, "--window-size=1400,900", "--hide-scrollbars", page.toUri().toString());
    assertThat(png).exists();
    assertThat(Files.size(png)).as("PNG size").isGreaterThan(10_000);
    BufferedImage img = ImageIO.read(png.toFile());
    assertThat(img.getWidth()).isEqualTo(1400);
    assertThat(img.getHeight()).isEqualTo(900);
    Map<Integer, Integer> counts = new LinkedHashMap<>();
    for (int y = 0; y < img.getHeight(); y++) {
      for (int x = 0; x < img.getWidth(); x++) {
        counts.merge(img.getRGB(x, y) & 0xffffff, 1, Integer::sum);
      }
    }
    assertThat(counts.size()).as("distinct colours in the screenshot").isGreaterThan(20);
    int white = counts.getOrDefault(0xffffff, 0);
    assertThat(white).as("white pixels").isLessThan(img.getWidth() * img.getHeight() * 95 / 100);
    for (int c : wanted) {
      // a cell is at least 140 px wide and a line high: hundreds of pixels of its exact colour
      assertThat(counts.getOrDefault(c, 0)).as(String.format("pixels of state colour #%06x", c)).isGreaterThan(500);
    }
  }
}
