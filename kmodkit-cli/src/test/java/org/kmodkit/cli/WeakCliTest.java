package org.kmodkit.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.kmodkit.testkit.FakeRoot;
import org.kmodkit.testkit.KoBuilder;

/** weak-modules and status as a package's scriptlet and a user's terminal meet them: hostile names, missing paths. */
class WeakCliTest {
  static final String K1 = "5.14.0-1.el9.x86_64";
  static final String K2 = "5.14.0-2.el9.x86_64";
  static final String ESC = "\u001b]0;owned\u0007";

  @TempDir Path dir;

  static KoBuilder mod(String name) {
    return KoBuilder.module(name).vermagic(K1 + " SMP preempt mod_unload modversions ").version("module_layout", 0x1).uses("_printk", 0xaa);
  }

  /** Two kernels, a good module, and modules whose names hold a newline, a terminal escape and DEL. */
  FakeRoot hostileRoot() {
    FakeRoot root = FakeRoot.at(dir).kernel(K1, 0x1, 0xaa, "_printk").kernel(K2, 0x1, 0xaa, "_printk");
    root.module(K1, "extra/hello/hello.ko", mod("hello"));
    root.module(K1, "extra/nl/a\nb.ko", mod("nl"));
    root.module(K1, "extra/" + ESC + "/x.ko", mod("esc"));
    root.module(K1, "extra/del/x\u007f.ko", mod("del"));
    return root;
  }

  /** No control character but the line ends and inspect's column tabs (the names above hold no tab). */
  static void assertNothingRaw(String text) {
    assertThat(text.codePoints().filter(c -> c != '\n' && c != '\t' && Character.isISOControl(c)).mapToObj(Integer::toHexString).toList()).as(text).isEmpty();
  }

  @Test
  void addModulesNamesAPathThatDoesNotExistAndChangesNothing() throws Exception {
    FakeRoot.at(dir).kernel(K1, 0x1, 0xaa, "_printk").kernel(K2, 0x1, 0xaa, "_printk");
    String gone = "/lib/modules/" + K1 + "/extra/vendor/gone.ko";
    CliTest.Run r = CliTest.run("weak-modules", "--root", dir.toString(), "--no-initramfs", "--add-modules", gone);
    assertThat(r.code()).as(r.err()).isEqualTo(2);
    assertThat(r.err()).startsWith("kmodkit: " + gone + ": does not exist in " + dir);
    assertThat(dir.resolve("lib/modules/.kmodkit-weak")).doesNotExist();
  }

  @Test
  void namesAPackageControlsArePrintedEscapedNeverRaw() throws Exception {
    hostileRoot();
    List<String> texts = new ArrayList<>();
    for (String[] args : List.of(
        new String[] {"status", "--root", dir.toString(), "--html", dir.resolve("status.html").toString()},
        new String[] {"weak-modules", "--root", dir.toString(), "--add-kernel", K2, "--dry-run"})) {
      CliTest.Run r = CliTest.run(args);
      assertThat(r.code()).as(r.err()).isIn(0, 1);
      texts.add(r.out());
    }
    texts.add(Files.readString(dir.resolve("status.html")));
    for (String out : texts) {
      assertNothingRaw(out);
      assertThat(out).contains("extra/nl/a\\nb.ko").contains("extra/\\x1b]0;owned\\x07/x.ko").contains("extra/del/x\\x7f.ko");
    }
  }

  @Test
  void jsonCarriesHostileNamesExactlyAndEscaped() throws Exception {
    hostileRoot();
    for (String[] args : List.of(
        new String[] {"status", "--root", dir.toString(), "--json"},
        new String[] {"weak-modules", "--root", dir.toString(), "--add-kernel", K2, "--dry-run", "--json"})) {
      CliTest.Run r = CliTest.run(args);
      assertNothingRaw(r.out());
      JsonNode notes = r.json().get("notes");
      List<String> all = new ArrayList<>();
      notes.forEach(n -> all.add(n.asText()));
      assertThat(all).anyMatch(n -> n.contains("extra/nl/a\nb.ko")).anyMatch(n -> n.contains("extra/" + ESC + "/x.ko")).anyMatch(n -> n.contains("extra/del/x\u007f.ko"));
    }
  }

  @Test
  void inspectPrintsModinfoAPackageWroteEscaped() throws Exception {
    Path ko = dir.resolve("m.ko");
    Files.write(ko, mod("m").modinfo("description", "nice\u001b[2J" + ESC + "\ndriver").build());
    CliTest.Run text = CliTest.run("inspect", ko.toString());
    assertThat(text.code()).as(text.err()).isZero();
    assertNothingRaw(text.out());
    assertThat(text.out()).contains("nice\\x1b[2J\\x1b]0;owned\\x07\\ndriver");
    CliTest.Run json = CliTest.run("inspect", "--json", ko.toString());
    assertNothingRaw(json.out());
    assertThat(json.out()).contains("nice\\u001B[2J").doesNotContain("\u001b");
  }
}
