package org.kmodkit.core.elf;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class SymbolNamesTest {
  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.ISO_8859_1);
  }

  @Test
  void theSameAsciiNameIsOneStringOneImportAndOneVersionPerCrc() {
    SymbolNames names = new SymbolNames();
    byte[] a = bytes("xx_printk\0");
    byte[] b = bytes("_printk");
    String first = names.name(a, 3, 6, StandardCharsets.UTF_8);
    assertThat(first).isEqualTo("printk");
    assertThat(names.name(b, 1, 6, StandardCharsets.ISO_8859_1)).isSameAs(first);
    assertThat(names.importOf(b, 1, 6, false, StandardCharsets.ISO_8859_1)).isSameAs(names.importOf(a, 3, 6, false, StandardCharsets.ISO_8859_1))
        .isEqualTo(new Import("printk", false));
    assertThat(names.importOf(b, 1, 6, true, StandardCharsets.ISO_8859_1)).isEqualTo(new Import("printk", true));
    SymbolVersion v = names.versionOf(b, 1, 6, 0x1234, StandardCharsets.UTF_8);
    assertThat(names.versionOf(a, 3, 6, 0x1234, StandardCharsets.UTF_8)).isSameAs(v);
    assertThat(names.versionOf(a, 3, 6, 0x5678, StandardCharsets.UTF_8).crc().value()).isEqualTo(0x5678);
    assertThat(names.name(bytes("_printk"), 0, 7, StandardCharsets.UTF_8)).isEqualTo("_printk"); // a prefix is another name
  }

  @Test
  void aNameWithOtherBytesIsDecodedInTheCallersCharsetEachTime() {
    SymbolNames names = new SymbolNames();
    byte[] utf8 = "café".getBytes(StandardCharsets.UTF_8);
    assertThat(names.name(utf8, 0, utf8.length, StandardCharsets.UTF_8)).isEqualTo("café");
    assertThat(names.name(utf8, 0, utf8.length, StandardCharsets.ISO_8859_1)).isEqualTo(new String(utf8, StandardCharsets.ISO_8859_1));
    assertThat(names.importOf(utf8, 0, utf8.length, false, StandardCharsets.UTF_8).name()).isEqualTo("café");
  }

  @Test
  void pastItsBoundTheTableStillNamesEverySymbolRightWithoutKeepingMore() {
    // hostile input can hold any number of distinct names: the table stops growing, reads go on
    SymbolNames names = new SymbolNames();
    for (int i = 0; i < 140_000; i++) {
      byte[] b = bytes("sym" + i);
      assertThat(names.name(b, 0, b.length, StandardCharsets.UTF_8)).isEqualTo("sym" + i);
    }
    byte[] early = bytes("sym7");
    assertThat(names.name(early, 0, 4, StandardCharsets.UTF_8)).isSameAs(names.name(bytes("sym7"), 0, 4, StandardCharsets.UTF_8));
    byte[] late = bytes("sym139999");
    assertThat(names.name(late, 0, late.length, StandardCharsets.UTF_8)).isEqualTo("sym139999").isNotSameAs(names.name(late, 0, late.length, StandardCharsets.UTF_8));
  }

  @Test
  void longNamesAndNamesPastFourMebibytesAreNotKept() {
    // section names may all be long suffixes of one huge string table: none of them may stay behind
    SymbolNames names = new SymbolNames();
    byte[] huge = bytes("x".repeat(1 << 20));
    String a = names.name(huge, 0, huge.length, StandardCharsets.UTF_8);
    assertThat(a).hasSize(1 << 20).isNotSameAs(names.name(huge, 0, huge.length, StandardCharsets.UTF_8));
    byte[] longest = bytes("y".repeat(512));
    assertThat(names.name(longest, 0, 512, StandardCharsets.UTF_8)).isSameAs(names.name(longest, 0, 512, StandardCharsets.UTF_8));
    for (int i = 0; i < 10_000; i++) { // 10,000 x 500 bytes: past 4 MiB after ~8,400
      byte[] b = bytes(String.format("%0500d", i));
      assertThat(names.name(b, 0, b.length, StandardCharsets.UTF_8)).isEqualTo(String.format("%0500d", i));
    }
    byte[] early = bytes(String.format("%0500d", 10));
    byte[] late = bytes(String.format("%0500d", 9_999));
    assertThat(names.name(early, 0, 500, StandardCharsets.UTF_8)).isSameAs(names.name(early, 0, 500, StandardCharsets.UTF_8));
    assertThat(names.name(late, 0, 500, StandardCharsets.UTF_8)).isNotSameAs(names.name(late, 0, 500, StandardCharsets.UTF_8));
  }

  /**
   * Names made to share one hash (blocks of "Aa" or "BB", as String.hashCode collides) crowd one
   * run of slots: past a few dozen in it they are decoded per use, so a lookup never walks them all
   * (a module of 100,000 such names made every read walk the run: n²). Every name still comes out right.
   */
  @Test
  void namesMadeToShareAHashAreNotSearchedPastAShortRun() {
    SymbolNames names = new SymbolNames();
    java.util.List<String> colliding = new java.util.ArrayList<>(java.util.List.of(""));
    for (int round = 0; round < 13; round++) { // 8,192 names of 26 bytes
      java.util.List<String> next = new java.util.ArrayList<>();
      for (String n : colliding) {
        next.add(n + "Aa");
        next.add(n + "BB");
      }
      colliding = next;
    }
    for (String n : colliding) {
      assertThat(names.name(bytes(n), 0, n.length(), StandardCharsets.UTF_8)).isEqualTo(n);
    }
    byte[] first = bytes(colliding.get(0));
    assertThat(names.name(first, 0, first.length, StandardCharsets.UTF_8)).isSameAs(names.name(first, 0, first.length, StandardCharsets.UTF_8));
    byte[] late = bytes(colliding.get(100));
    assertThat(names.name(late, 0, late.length, StandardCharsets.UTF_8)).isEqualTo(colliding.get(100))
        .isNotSameAs(names.name(late, 0, late.length, StandardCharsets.UTF_8));
    byte[] other = bytes("printk"); // a name of another hash is still kept
    assertThat(names.name(other, 0, 6, StandardCharsets.UTF_8)).isSameAs(names.name(other, 0, 6, StandardCharsets.UTF_8));
  }
}
