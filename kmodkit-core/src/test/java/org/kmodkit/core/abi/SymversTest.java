package org.kmodkit.core.abi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.kmodkit.core.BadInputException;

class SymversTest {
  private static List<KernelSymbol> parse(String text) throws BadInputException {
    return Symvers.parse("Module.symvers", new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8)));
  }

  @Test
  void readsTheCurrentLayoutWithAndWithoutTheNamespaceColumn() throws Exception {
    List<KernelSymbol> s = parse("0x4c9d28b0\tphys_base\tvmlinux\tEXPORT_SYMBOL\t\n"
        + "0x84b45156\tinsert_resource_expand_to_fit\tvmlinux\tEXPORT_SYMBOL_GPL\tCXL\n"
        + "0x33000673\t__SCK__tp_func_mlx5_fs_add_fg\tdrivers/net/ethernet/mellanox/mlx5/core/mlx5_core\tEXPORT_SYMBOL\n"
        + "\n"
        + "0x0000abcd\told_style\tvmlinux\tEXPORT_SYMBOL_GPL\n");
    assertThat(s).containsExactly(
        new KernelSymbol("phys_base", Crc.of(0x4c9d28b0L), "vmlinux", ExportType.EXPORT_SYMBOL, ""),
        new KernelSymbol("insert_resource_expand_to_fit", Crc.of(0x84b45156L), "vmlinux", ExportType.EXPORT_SYMBOL_GPL, "CXL"),
        new KernelSymbol("__SCK__tp_func_mlx5_fs_add_fg", Crc.of(0x33000673L), "mlx5_core", ExportType.EXPORT_SYMBOL, ""),
        new KernelSymbol("old_style", Crc.of(0xabcdL), "vmlinux", ExportType.EXPORT_SYMBOL_GPL, ""));
  }

  @Test
  void readsThe54To58LayoutWithTheNamespaceThird() throws Exception {
    assertThat(parse("0x12345678\tusb_stor_probe1\tUSB_STORAGE\tdrivers/usb/storage/usb-storage\tEXPORT_SYMBOL_GPL\n"))
        .containsExactly(new KernelSymbol("usb_stor_probe1", Crc.of(0x12345678L), "usb_storage", ExportType.EXPORT_SYMBOL_GPL, "USB_STORAGE"));
  }

  @Test
  void aMalformedLineIsNamedByFileAndLine() {
    assertThatThrownBy(() -> parse("0x4c9d28b0\tphys_base\tvmlinux\tEXPORT_SYMBOL\nnot a symvers line\n"))
        .isInstanceOf(BadInputException.class)
        .hasMessageStartingWith("Module.symvers:2: malformed symvers line");
    assertThatThrownBy(() -> parse("0xZZ\tx\tvmlinux\tEXPORT_SYMBOL\n")).hasMessageContaining(":1: ").hasMessageContaining("not a 0x CRC");
    assertThatThrownBy(() -> parse("0x1\tx\tvmlinux\tEXPORT_WHATEVER\n")).hasMessageContaining("export type 'EXPORT_WHATEVER'");
  }

  @Test
  void aNineDigitCrcWiderThan32BitsIsAMalformedLineAndALeadingZeroIsNot() throws Exception {
    // found by SymversFuzzTest: the byte-level fast path took nine hex digits and handed a 36-bit
    // value to Crc.of, an IllegalArgumentException instead of the domain error
    assertThatThrownBy(() -> parse("0x4c9d28b0\tphys_base\tvmlinux\tEXPORT_SYMBOL\n0x594089660\tx\tvmlinux\tEXPORT_SYMBOL\n"))
        .isInstanceOf(BadInputException.class)
        .hasMessageStartingWith("Module.symvers:2: malformed symvers line")
        .hasMessageContaining("not a 0x CRC");
    assertThat(parse("0x012345678\tx\tvmlinux\tEXPORT_SYMBOL\n"))
        .containsExactly(new KernelSymbol("x", Crc.of(0x12345678L), "vmlinux", ExportType.EXPORT_SYMBOL, ""));
  }

  @Test
  void crcsAre32BitsAndPrintAsTheKernelDoes() {
    assertThat(Crc.parse("0x0000abcd").toString()).isEqualTo("0x0000abcd");
    assertThat(Crc.parse("0xffffffff92997ed8")).isEqualTo(Crc.of(0x92997ed8L));
    assertThatThrownBy(() -> Crc.of(1L << 32)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void vermagicIgnoresTheReleaseOnlyWhenTheModuleHasVersions() {
    String k = "6.1.0-56-cloud-amd64 SMP preempt mod_unload modversions ";
    String m = "6.1.0-53-cloud-amd64 SMP preempt mod_unload modversions ";
    assertThat(Vermagic.sameMagic(m, k, true)).isTrue();
    assertThat(Vermagic.sameMagic(m, k, false)).isFalse();
    assertThat(Vermagic.sameMagic("6.1.0-53-cloud-amd64 SMP mod_unload modversions ", k, true)).isFalse();
  }

  @Test
  void vermagicFollowsTheConfig() {
    KernelConfig c = new KernelConfig(java.util.Map.of("SMP", "y", "PREEMPT_BUILD", "y", "MODULE_UNLOAD", "y", "MODVERSIONS", "y"));
    assertThat(Vermagic.fromConfig("6.1.0-56-cloud-amd64", c)).isEqualTo("6.1.0-56-cloud-amd64 SMP preempt mod_unload modversions ");
    assertThat(Vermagic.fromConfig("6.1.0-56-cloud-amd64", KernelConfig.empty())).isNull();
  }
}
