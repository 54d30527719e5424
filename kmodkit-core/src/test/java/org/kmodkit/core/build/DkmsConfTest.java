package org.kmodkit.core.build;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.kmodkit.core.BadInputException;

class DkmsConfTest {
  /** Debian bookworm's dpdk-kmods-dkms 0~20220829+git-3 dkms.conf, verbatim: MAKE without an index. */
  static final String DPDK = """
      PACKAGE_NAME="dpdk-kmods"
      PACKAGE_VERSION="0~20220829+git"
      BUILT_MODULE_NAME[0]="igb_uio"
      MAKE="make -C $kernel_source_dir M=$dkms_tree/$PACKAGE_NAME/$PACKAGE_VERSION/build MODULE_CFLAGS='-fno-PIE' modules"
      CLEAN="make -C $kernel_source_dir M=$dkms_tree/$PACKAGE_NAME/$PACKAGE_VERSION/build clean"
      DEST_MODULE_LOCATION[0]="/updates/dkms"
      AUTOINSTALL="YES"
      """;
  /** Debian bookworm's vpoll-dkms 0.1-3 dkms.conf, verbatim: the module named after the package. */
  static final String VPOLL = """
      PACKAGE_NAME="vpoll"
      PACKAGE_VERSION="0.1"
      BUILT_MODULE_NAME[0]="$PACKAGE_NAME"
      DEST_MODULE_LOCATION[0]="/extra"
      AUTOINSTALL="YES"
      MAKE[0]="make -C ${kernel_source_dir} M=${dkms_tree}/${PACKAGE_NAME}/${PACKAGE_VERSION}/build"
      CLEAN="make -C ${kernel_source_dir} M=${dkms_tree}/${PACKAGE_NAME}/${PACKAGE_VERSION}/build clean"
      """;
  /** Debian bookworm's acpi-call-dkms 1.2.2-2.1 dkms.conf, verbatim: a comment and BUILD_EXCLUSIVE_CONFIG. */
  static final String ACPI_CALL = """
      PACKAGE_NAME="acpi-call"
      PACKAGE_VERSION="1.2.2"
      MAKE[0]="make -C ${kernel_source_dir} M=${dkms_tree}/${PACKAGE_NAME}/${PACKAGE_VERSION}/build"
      CLEAN="make -C ${kernel_source_dir} M=${dkms_tree}/${PACKAGE_NAME}/${PACKAGE_VERSION}/build clean"
      BUILT_MODULE_NAME[0]="acpi_call"
      DEST_MODULE_LOCATION[0]="/extra"
      AUTOINSTALL="yes"

      # Don't build module when ACPI is disabled
      BUILD_EXCLUSIVE_CONFIG="CONFIG_ACPI"
      """;

  static final Map<String, String> ENV = Map.of("kernelver", "6.1.0-56-cloud-amd64", "kernel_source_dir", "/k", "dkms_tree", "/w", "arch", "x86_64");

  @Test
  void aMakeWithoutIndexIsMakeZeroAndSingleQuotesStayForTheShell() throws Exception {
    DkmsConf c = DkmsConf.parse("dkms.conf", DPDK);
    assertThat(c.packageName()).isEqualTo("dpdk-kmods");
    assertThat(c.packageVersion()).isEqualTo("0~20220829+git");
    assertThat(c.makeFor("6.1.0-56-cloud-amd64").orElseThrow().expand(ENV))
        .isEqualTo("make -C /k M=/w/dpdk-kmods/0~20220829+git/build MODULE_CFLAGS='-fno-PIE' modules");
    assertThat(c.modules()).hasSize(1);
    assertThat(c.modules().get(0).builtName().constant()).isEqualTo("igb_uio");
    assertThat(c.modules().get(0).destLocation().constant()).isEqualTo("/updates/dkms");
  }

  @Test
  void aModuleNamedAfterThePackageTakesThePackagesName() throws Exception {
    DkmsConf c = DkmsConf.parse("dkms.conf", VPOLL);
    assertThat(c.modules().get(0).builtName().constant()).isEqualTo("vpoll");
    assertThat(c.modules().get(0).destName().constant()).isEqualTo("vpoll");
    assertThat(c.clean().orElseThrow().expand(ENV)).isEqualTo("make -C /k M=/w/vpoll/0.1/build clean");
  }

  @Test
  void commentsAndBlankLinesAreSkippedAndExclusiveConfigIsRead() throws Exception {
    DkmsConf c = DkmsConf.parse("dkms.conf", ACPI_CALL);
    assertThat(c.exclusiveConfig()).containsExactly("CONFIG_ACPI");
    assertThat(c.modules().get(0).builtName().constant()).isEqualTo("acpi_call");
  }

  @Test
  void makeMatchChoosesTheMakeLineForMatchingKernels() throws Exception {
    DkmsConf c = DkmsConf.parse("dkms.conf", """
        PACKAGE_NAME=x
        PACKAGE_VERSION=1
        BUILT_MODULE_NAME[0]=x
        MAKE[0]="make old"
        MAKE[1]="make new"
        MAKE_MATCH[1]="^6\\.[0-9]+"
        """);
    assertThat(c.makeFor("6.1.0-56-cloud-amd64").orElseThrow().constant()).isEqualTo("make new");
    assertThat(c.makeFor("5.10.0-30-amd64").orElseThrow().constant()).isEqualTo("make old");
  }

  @Test
  void lowerCaseHelperVariablesMayBeDefinedAndUsed() throws Exception {
    DkmsConf c = DkmsConf.parse("dkms.conf", """
        PACKAGE_NAME=x
        PACKAGE_VERSION=1
        src=driver/core
        BUILT_MODULE_NAME[0]=x
        BUILT_MODULE_LOCATION[0]="$src/"
        """);
    assertThat(c.modules().get(0).builtLocation().constant()).isEqualTo("driver/core/");
  }

  @Test
  void anUnknownUpperCaseKeyIsRefusedByFileAndLine() {
    assertThatThrownBy(() -> DkmsConf.parse("/src/x/dkms.conf", "PACKAGE_NAME=x\nPACKAGE_VERSION=1\nBUILT_MODULES_NAME[0]=x\n"))
        .isInstanceOf(BadInputException.class)
        .hasMessageStartingWith("/src/x/dkms.conf:3: unknown key BUILT_MODULES_NAME");
  }

  @Test
  void missingKeysAreNamed() {
    assertThatThrownBy(() -> DkmsConf.parse("dkms.conf", "PACKAGE_VERSION=1\nBUILT_MODULE_NAME[0]=x\n"))
        .hasMessageContaining("PACKAGE_NAME is missing");
    assertThatThrownBy(() -> DkmsConf.parse("dkms.conf", "PACKAGE_NAME=x\nBUILT_MODULE_NAME[0]=x\n"))
        .hasMessageContaining("PACKAGE_VERSION is missing");
    assertThatThrownBy(() -> DkmsConf.parse("dkms.conf", "PACKAGE_NAME=x\nPACKAGE_VERSION=1\n"))
        .hasMessageContaining("BUILT_MODULE_NAME[0] is missing");
    assertThatThrownBy(() -> DkmsConf.parse("dkms.conf", "PACKAGE_NAME=x\nPACKAGE_VERSION=1\nBUILT_MODULE_NAME[0]=x\nDEST_MODULE_LOCATION[1]=/extra\n"))
        .hasMessageContaining("DEST_MODULE_LOCATION[1] has no BUILT_MODULE_NAME[1]");
  }

  @Test
  void shellThatKmodkitWouldHaveToRunIsRefusedWithTheLine() {
    for (String line : List.of("PACKAGE_VERSION=\"$(cat VERSION)\"", "PACKAGE_VERSION=`cat VERSION`", "if [ -f x ]; then", "PACKAGE_VERSION=1 2")) {
      assertThatThrownBy(() -> DkmsConf.parse("dkms.conf", "PACKAGE_NAME=x\n" + line + "\n"))
          .as(line).isInstanceOf(BadInputException.class).hasMessageStartingWith("dkms.conf:2: ");
    }
  }

  @Test
  void anIndexTooLargeForAnArrayIsNotAnAssignment() {
    assertThatThrownBy(() -> DkmsConf.parse("dkms.conf", "PACKAGE_NAME=x\nMAKE[99999999999]=make\n"))
        .isInstanceOf(BadInputException.class).hasMessageStartingWith("dkms.conf:2: 'MAKE[99999999999]=make' is not a KEY=\"value\" assignment");
  }

  @Test
  void anUndefinedVariableIsRefusedRatherThanExpandedToNothing() {
    assertThatThrownBy(() -> DkmsConf.parse("dkms.conf", "PACKAGE_NAME=x\nPACKAGE_VERSION=1\nBUILT_MODULE_NAME[0]=$MODNAME\n"))
        .hasMessageStartingWith("dkms.conf:3: $MODNAME is neither set above nor one of DKMS's variables");
  }

  @Test
  void patchesAreRefusedWithAdvice() {
    assertThatThrownBy(() -> DkmsConf.parse("dkms.conf", "PACKAGE_NAME=x\nPATCH[0]=fix.patch\n"))
        .hasMessageContaining("PATCH is not supported").hasMessageContaining("apply the patches");
  }

  @Test
  void exclusiveSettingsAreValidated() {
    assertThatThrownBy(() -> DkmsConf.parse("dkms.conf", "PACKAGE_NAME=x\nPACKAGE_VERSION=1\nBUILT_MODULE_NAME[0]=x\nBUILD_EXCLUSIVE_CONFIG=\"ACPI\"\n"))
        .hasMessageContaining("'ACPI' is not CONFIG_NAME or !CONFIG_NAME");
    assertThatThrownBy(() -> DkmsConf.parse("dkms.conf", "PACKAGE_NAME=x\nPACKAGE_VERSION=1\nBUILT_MODULE_NAME[0]=x\nBUILD_EXCLUSIVE_KERNEL=\"^(6\"\n"))
        .hasMessageContaining("is not a regular expression kmodkit accepts (unbalanced '('");
    assertThatThrownBy(() -> DkmsConf.parse("dkms.conf", "PACKAGE_NAME=x\nPACKAGE_VERSION=1\nBUILT_MODULE_NAME[0]=x\nCLEAN[1]=x\n"))
        .hasMessageContaining("CLEAN takes no [index]");
  }

  @Test
  void regularExpressionsOutsideTheEreSubsetAreRefusedBeforeAnythingCompilesThem() {
    for (String bad : java.util.List.of("a**", "(?i)x", "[[:digit:]]", "x{2,1}", "[z-a]", "^*", "a{", "\\d", "[]", "x)", "[a&&b]")) {
      assertThatThrownBy(() -> DkmsConf.parse("dkms.conf", "PACKAGE_NAME=x\nPACKAGE_VERSION=1\nBUILT_MODULE_NAME[0]=x\nBUILD_EXCLUSIVE_KERNEL='" + bad + "'\n"))
          .as(bad).isInstanceOf(BadInputException.class).hasMessageContaining("is not a regular expression kmodkit accepts");
    }
  }

  @Test
  void theSubsetMatchesAsBashWould() {
    assertThat(DkmsRegex.find("^6\\.(1|2)\\.[0-9]+-[0-9]{2}-(cloud-)?amd64$", "6.1.0-56-cloud-amd64")).isTrue();
    assertThat(DkmsRegex.find("arm", "x86_64")).isFalse();
    // (a+)+$ on 40 a's and a '!' is 2^40 steps of backtracking: the budget ends it in milliseconds
    boolean found = org.junit.jupiter.api.Assertions.assertTimeoutPreemptively(java.time.Duration.ofSeconds(5), () -> DkmsRegex.find("(a+)+$", "a".repeat(40) + "!"));
    assertThat(found).isFalse();
  }

  @Test
  void thePackageNameMustNotDependOnTheKernel() {
    assertThatThrownBy(() -> DkmsConf.parse("dkms.conf", "PACKAGE_NAME=x-$kernelver\nPACKAGE_VERSION=1\nBUILT_MODULE_NAME[0]=x\n"))
        .hasMessageContaining("depends on the kernel");
  }
}
