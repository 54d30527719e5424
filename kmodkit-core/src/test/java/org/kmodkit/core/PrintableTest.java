package org.kmodkit.core;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class PrintableTest {
  @Test
  void controlFormatAndSeparatorCharactersAreEscapedAndEverythingElseIsLeftAsItIs() {
    assertThat(Printable.escape("a\nb\tc\r\u0000\u001b[31m\u007f\u009b\u202e\u2028")).isEqualTo("a\\nb\\tc\\r\\x00\\x1b[31m\\x7f\\x9b\\u202e\\u2028");
    String plain = "extra/mlnx/mlx5_core.ko: disagrees about version of symbol ib_register — é ü 中";
    assertThat(Printable.escape(plain)).isSameAs(plain);
    assertThat(Printable.hasControl("extra/ven\tdor")).isTrue();
    assertThat(Printable.hasControl("extra/ven dor")).isFalse();
  }

  /** Every char of the BMP, alone and amid printable ASCII: escaped exactly when {@link Printable#unsafe} says so. */
  @Test
  void everyCharIsEscapedExactlyWhenItIsUnsafe() {
    for (int c = 0; c <= 0xffff; c++) {
      if (Character.isSurrogate((char) c)) {
        continue;
      }
      String s = "mlx5_core " + (char) c + " ib_register";
      String escaped = Printable.escape(s);
      if (Printable.unsafe(c)) {
        assertThat(escaped).as("U+%04X", c).doesNotContain(String.valueOf((char) c)).startsWith("mlx5_core \\").endsWith(" ib_register");
      } else {
        assertThat(escaped).as("U+%04X", c).isSameAs(s);
      }
    }
  }
}
