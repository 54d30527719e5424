package org.kmodkit.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.params.provider.MethodSource;
import org.kmodkit.core.BadInputException;
import org.kmodkit.core.build.DkmsConf;

/**
 * Any bytes read back from the bash that sources a dkms.conf (a driver source is untrusted input,
 * and the file decides what bash prints) are read as a configuration or refused with the domain
 * error. Seeds: what Debian bookworm's three real dkms.conf files (vpoll-dkms, acpi-call-dkms,
 * dpdk-kmods-dkms) leave once sourced, MAKE_MATCH/PATCH/BUILD_EXCLUSIVE, and output cut short.
 */
class DkmsConfFuzzTest {
  private static final String SOURCE = "dkms.conf";
  private static final Map<String, String> VARS = Map.of("kernelver", "6.1.0-56-cloud-amd64", "arch", "x86_64", "module", "x");

  static Stream<Named<byte[]>> dkmsConfs() {
    return Stream.of(
        Named.of("vpoll", triples("PACKAGE_NAME", "0", "vpoll", "PACKAGE_VERSION", "0", "0.1", "BUILT_MODULE_NAME", "0", "vpoll", "DEST_MODULE_LOCATION", "0", "/extra",
            "AUTOINSTALL", "0", "YES", "MAKE", "0", "make -C /k M=/w/vpoll/0.1/build", "CLEAN", "0", "make -C /k M=/w/vpoll/0.1/build clean")),
        Named.of("acpi-call", triples("PACKAGE_NAME", "0", "acpi-call", "PACKAGE_VERSION", "0", "1.2.2", "MAKE", "0", "make -C /k M=/w/acpi-call/1.2.2/build",
            "BUILT_MODULE_NAME", "0", "acpi_call", "DEST_MODULE_LOCATION", "0", "/extra", "AUTOINSTALL", "0", "yes", "BUILD_EXCLUSIVE_CONFIG", "0", "CONFIG_ACPI")),
        Named.of("dpdk-kmods", triples("PACKAGE_NAME", "0", "dpdk-kmods", "PACKAGE_VERSION", "0", "0~20220829+git", "BUILT_MODULE_NAME", "0", "igb_uio",
            "MAKE", "0", "make -C /k M=/w/dpdk-kmods/0~20220829+git/build MODULE_CFLAGS='-fno-PIE' modules", "DEST_MODULE_LOCATION", "0", "/updates/dkms")),
        Named.of("match, patch and exclusive", triples("PACKAGE_NAME", "0", "x", "PACKAGE_VERSION", "0", "1", "DEST_MODULE_LOCATION", "0", "/extra",
            "MAKE", "1", "make new", "MAKE_MATCH", "1", "^6\\.", "PATCH", "0", "a.patch", "PATCH_MATCH", "0", "^6", "BUILD_EXCLUSIVE_KERNEL", "0", "^6",
            "BUILD_EXCLUSIVE_ARCH", "0", "x86_64", "PRE_BUILD", "0", "configure 6.1.0-56-cloud-amd64", "BUILT_MODULE_LOCATION", "0", "a/b")),
        Named.of("cut short", bytes("PACKAGE_NAME\u00000\u0000x\u0000PACKAGE_VERSION\u0000")));
  }

  private static byte[] triples(String... fields) {
    return bytes(String.join("\u0000", fields) + "\u0000");
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @MethodSource("dkmsConfs")
  @FuzzTest(maxDuration = "60s")
  void anyBytesReadBackFromBashReadAsDkmsConfOrFailWithTheDomainError(byte[] data) {
    try {
      DkmsConf.read(SOURCE, data, VARS);
    } catch (BadInputException e) {
      DomainError.mustName(SOURCE, e);
    }
  }
}
