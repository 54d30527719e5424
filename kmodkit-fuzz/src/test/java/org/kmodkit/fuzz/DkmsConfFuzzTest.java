package org.kmodkit.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.charset.StandardCharsets;
import java.util.stream.Stream;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.params.provider.MethodSource;
import org.kmodkit.core.BadInputException;
import org.kmodkit.core.build.DkmsConf;

/**
 * Any bytes given to the dkms.conf reader (a driver source is untrusted input: a tarball, a
 * downloaded *-dkms package) are read as a configuration or refused with the domain error. Seeds:
 * Debian bookworm's three real dkms.conf files (vpoll-dkms, acpi-call-dkms, dpdk-kmods-dkms) and
 * the constructs the reader refuses.
 */
class DkmsConfFuzzTest {
  private static final String SOURCE = "dkms.conf";

  static Stream<Named<byte[]>> dkmsConfs() {
    return Stream.of(
        Named.of("vpoll", bytes("PACKAGE_NAME=\"vpoll\"\nPACKAGE_VERSION=\"0.1\"\nBUILT_MODULE_NAME[0]=\"$PACKAGE_NAME\"\nDEST_MODULE_LOCATION[0]=\"/extra\"\nAUTOINSTALL=\"YES\"\n"
            + "MAKE[0]=\"make -C ${kernel_source_dir} M=${dkms_tree}/${PACKAGE_NAME}/${PACKAGE_VERSION}/build\"\nCLEAN=\"make -C ${kernel_source_dir} M=${dkms_tree}/${PACKAGE_NAME}/${PACKAGE_VERSION}/build clean\"\n")),
        Named.of("acpi-call", bytes("PACKAGE_NAME=\"acpi-call\"\nPACKAGE_VERSION=\"1.2.2\"\nMAKE[0]=\"make -C ${kernel_source_dir} M=${dkms_tree}/${PACKAGE_NAME}/${PACKAGE_VERSION}/build\"\n"
            + "BUILT_MODULE_NAME[0]=\"acpi_call\"\nDEST_MODULE_LOCATION[0]=\"/extra\"\nAUTOINSTALL=\"yes\"\n\n# Don't build module when ACPI is disabled\nBUILD_EXCLUSIVE_CONFIG=\"CONFIG_ACPI\"\n")),
        Named.of("dpdk-kmods", bytes("PACKAGE_NAME=\"dpdk-kmods\"\nPACKAGE_VERSION=\"0~20220829+git\"\nBUILT_MODULE_NAME[0]=\"igb_uio\"\n"
            + "MAKE=\"make -C $kernel_source_dir M=$dkms_tree/$PACKAGE_NAME/$PACKAGE_VERSION/build MODULE_CFLAGS='-fno-PIE' modules\"\nDEST_MODULE_LOCATION[0]=\"/updates/dkms\"\n")),
        Named.of("exclusive and match", bytes("PACKAGE_NAME=x\nPACKAGE_VERSION=1\nBUILT_MODULE_NAME[0]=x\nMAKE[1]=\"make new\"\nMAKE_MATCH[1]=\"^6\\\\.\"\n"
            + "BUILD_EXCLUSIVE_KERNEL=\"^6\"\nBUILD_EXCLUSIVE_ARCH=\"x86_64\"\nPRE_BUILD=\"configure $kernelver\"\nsrc=a\\\nb\nBUILT_MODULE_LOCATION[0]=$src\n")),
        Named.of("refused", bytes("PACKAGE_NAME=`x`\nif [ -f x ]; then\nPATCH[0]=p\n")));
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @MethodSource("dkmsConfs")
  @FuzzTest(maxDuration = "60s")
  void anyBytesReadAsDkmsConfOrFailWithTheDomainError(byte[] data) {
    try {
      DkmsConf.parse(SOURCE, new String(data, StandardCharsets.UTF_8));
    } catch (BadInputException e) {
      DomainError.mustName(SOURCE, e);
    }
  }
}
