package org.kmodkit.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.stream.Stream;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.params.provider.MethodSource;
import org.kmodkit.core.BadInputException;
import org.kmodkit.core.abi.Symvers;

/**
 * Any bytes given to the symvers reader are read as symbols or refused with the domain error. Seeds:
 * real Module.symvers files under SymversFuzzTestInputs/ and the layouts below.
 */
class SymversFuzzTest {
  private static final String SOURCE = "Module.symvers";

  static Stream<Named<byte[]>> syntheticSymvers() {
    return Stream.of(
        Named.of("current layout", bytes("0x4c9d28b0\tphys_base\tvmlinux\tEXPORT_SYMBOL\t\n0x84b45156\tinsert_resource\tvmlinux\tEXPORT_SYMBOL_GPL\tCXL\n")),
        Named.of("5.4 to 5.8 layout", bytes("0x12345678\tusb_stor_probe1\tUSB_STORAGE\tdrivers/usb/storage/usb-storage\tEXPORT_SYMBOL_GPL\n")),
        Named.of("space separated", bytes("0x0000abcd old_style vmlinux EXPORT_SYMBOL_GPL\n\n")),
        Named.of("module path", bytes("0x33000673\t__SCK__tp_func\tdrivers/net/ethernet/mellanox/mlx5/core/mlx5_core.ko\tEXPORT_SYMBOL\n")));
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @MethodSource("syntheticSymvers")
  @FuzzTest(maxDuration = "60s")
  void anyBytesReadAsSymversOrFailWithTheDomainError(byte[] data) {
    try {
      Symvers.parse(SOURCE, new ByteArrayInputStream(data));
    } catch (BadInputException e) {
      DomainError.mustName(SOURCE, e);
    }
  }
}
