package org.kmodkit.core.build;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.kmodkit.core.host.SystemProcessRunner;
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

  static final Map<String, String> ENV = Map.of("kernelver", "6.1.0-56-cloud-amd64", "kernel_source_dir", "/k", "dkms_tree", "/w", "arch", "x86_64",
      "source_tree", "/usr/src", "install_tree", "/lib/modules", "module", "x", "module_version", "1");
  static final String BASE = "PACKAGE_NAME=x\nPACKAGE_VERSION=1\nBUILT_MODULE_NAME[0]=x\nDEST_MODULE_LOCATION[0]=/extra\n";

  @TempDir Path tmp;

  /** {@code text} as dkms.conf of a tree in {@code dir}, sourced with {@code env} through {@code shell}. */
  static DkmsConf eval(DkmsShell shell, Path dir, String text, Map<String, String> env) throws Exception {
    Files.createDirectories(dir);
    Files.writeString(dir.resolve("dkms.conf"), text);
    return DkmsConf.evaluate(shell, dir.resolve("dkms.conf"), dir, env);
  }

  static DkmsConf eval(Path dir, String text) throws Exception {
    return eval(DkmsShell.detect(), dir, text, ENV);
  }

  DkmsConf eval(String text) throws Exception {
    return eval(tmp.resolve("src"), text);
  }

  @Test
  void aMakeWithoutIndexIsMakeZeroAndSingleQuotesStayForTheShell() throws Exception {
    DkmsConf c = eval(DPDK);
    assertThat(c.packageName()).isEqualTo("dpdk-kmods");
    assertThat(c.packageVersion()).isEqualTo("0~20220829+git");
    assertThat(c.makeFor("6.1.0-56-cloud-amd64").orElseThrow().constant())
        .isEqualTo("make -C /k M=/w/dpdk-kmods/0~20220829+git/build MODULE_CFLAGS='-fno-PIE' modules");
    assertThat(c.modules()).hasSize(1);
    assertThat(c.modules().get(0).builtName().constant()).isEqualTo("igb_uio");
    assertThat(c.modules().get(0).destLocation().constant()).isEqualTo("/updates/dkms");
  }

  @Test
  void aModuleNamedAfterThePackageTakesThePackagesName() throws Exception {
    DkmsConf c = eval(VPOLL);
    assertThat(c.modules().get(0).builtName().constant()).isEqualTo("vpoll");
    assertThat(c.modules().get(0).destName().constant()).isEqualTo("vpoll");
    assertThat(c.clean().orElseThrow().constant()).isEqualTo("make -C /k M=/w/vpoll/0.1/build clean");
  }

  @Test
  void commentsAndBlankLinesAreSkippedAndExclusiveConfigIsRead() throws Exception {
    DkmsConf c = eval(ACPI_CALL);
    assertThat(c.exclusiveConfig()).containsExactly("CONFIG_ACPI");
    assertThat(c.modules().get(0).builtName().constant()).isEqualTo("acpi_call");
  }

  @Test
  void makeMatchChoosesTheMakeLineForMatchingKernelsTheLastMatchWinningAsInDkms() throws Exception {
    DkmsConf c = eval(BASE + """
        MAKE[0]="make old"
        MAKE[1]="make new"
        MAKE_MATCH[1]="^6\\.[0-9]+"
        MAKE[2]="make newest"
        MAKE_MATCH[2]="^6\\.1"
        """);
    assertThat(c.makeFor("6.1.0-56-cloud-amd64").orElseThrow().constant()).isEqualTo("make newest");
    assertThat(c.makeFor("6.0.0-1-amd64").orElseThrow().constant()).isEqualTo("make new");
    assertThat(c.makeFor("5.10.0-30-amd64").orElseThrow().constant()).isEqualTo("make old");
    assertThat(eval(BASE + "MAKE[0]=\"make a\"\nMAKE_MATCH[0]=\"^5\"\n").makeFor("6.1.0-56-cloud-amd64")).as("MAKE_MATCH[0] set: no fallback").isEmpty();
  }

  @Test
  void helperVariablesOfAnyCaseArraysAndCommandSubstitutionAreTheShells() throws Exception {
    DkmsConf c = eval("""
        PACKAGE_NAME=x
        PACKAGE_VERSION=$(echo 1.$((1+1)))
        src=driver/core
        PSRC=$src BDIR=build
        mods=(a b)
        for i in "${!mods[@]}"; do
          BUILT_MODULE_NAME[$i]=${mods[$i]}
          BUILT_MODULE_LOCATION[$i]="$PSRC/"
          DEST_MODULE_LOCATION[$i]=/updates/dkms
        done
        MAKE="make -C $kernel_source_dir M=$dkms_tree/$PACKAGE_NAME/$PACKAGE_VERSION/$BDIR"
        """);
    assertThat(c.packageVersion()).isEqualTo("1.2");
    assertThat(c.modules()).extracting(m -> m.builtName().constant() + "@" + m.builtLocation().constant()).containsExactly("a@driver/core/", "b@driver/core/");
    assertThat(c.makeFor("6.1.0-56-cloud-amd64").orElseThrow().constant()).isEqualTo("make -C /k M=/w/x/1.2/build");
  }

  @Test
  void theIssuesConstructsAreEvaluatedPerKernelAgainstItsHeaders() throws Exception {
    // both kernels' headers, one with CONFIG_X=m in its .config, one without any .config
    Path withX = Files.createDirectories(tmp.resolve("headers-a"));
    Files.writeString(withX.resolve(".config"), "CONFIG_X=m\nCONFIG_ARCH=x86\n");
    Path bare = Files.createDirectories(tmp.resolve("headers-b"));
    Path src = Files.createDirectories(tmp.resolve("src"));
    Files.writeString(src.resolve("VERSION"), "4.5\n");
    String conf = """
        pushd `dirname $BASH_SOURCE` >/dev/null
        LOAD=$(cat VERSION)
        popd >/dev/null
        PACKAGE_NAME=x
        PACKAGE_VERSION=$LOAD
        KCONFIG=none
        if [ -f $kernel_source_dir/.config ]; then
          KCONFIG=$(sed -n 's/^CONFIG_ARCH=//p' $kernel_source_dir/.config)
        fi
        ARCH=$KCONFIG
        BUILT_MODULE_NAME[0]=x_$ARCH
        DEST_MODULE_LOCATION[0]=/updates/dkms
        if ! grep -q "^CONFIG_X=[ym]$" "$kernel_source_dir/.config" 2>/dev/null; then
          BUILD_EXCLUSIVE_KERNEL="^$"
        fi
        """;
    Map<String, String> a = new HashMap<>(ENV);
    a.put("kernel_source_dir", withX.toString());
    Map<String, String> b = new HashMap<>(ENV);
    b.put("kernel_source_dir", bare.toString());
    DkmsConf ca = eval(DkmsShell.detect(), src, conf, a);
    DkmsConf cb = eval(DkmsShell.detect(), src, conf, b);
    assertThat(ca.packageVersion()).isEqualTo("4.5");
    assertThat(ca.modules().get(0).builtName().constant()).isEqualTo("x_x86");
    assertThat(ca.exclusiveKernel()).isEmpty();
    assertThat(cb.modules().get(0).builtName().constant()).isEqualTo("x_none");
    assertThat(cb.exclusiveKernel()).contains("^$");
  }

  @Test
  void valuesAreExpandedTwiceAsDkmsSafeSourceDoes() throws Exception {
    // DKMS echoes NAME[i]="value" and sources that: a value holding '$kernelver' is expanded again
    DkmsConf c = eval(BASE + "MAKE[0]='make KVER=$kernelver'\n");
    assertThat(c.makeFor("6.1.0-56-cloud-amd64").orElseThrow().constant()).isEqualTo("make KVER=6.1.0-56-cloud-amd64");
  }

  @Test
  void whatDkmsRefusesIsRefusedInItsWords() {
    assertThatThrownBy(() -> eval("PACKAGE_VERSION=1\nBUILT_MODULE_NAME[0]=x\nDEST_MODULE_LOCATION[0]=/extra\n"))
        .isInstanceOf(BadInputException.class).hasMessageContaining("No 'PACKAGE_NAME' directive specified");
    assertThatThrownBy(() -> eval("PACKAGE_NAME=x\nBUILT_MODULE_NAME[0]=x\nDEST_MODULE_LOCATION[0]=/extra\n"))
        .hasMessageContaining("No 'PACKAGE_VERSION' directive specified");
    assertThatThrownBy(() -> eval("PACKAGE_NAME=x\nPACKAGE_VERSION=1\nBUILT_MODULE_NAME[0]=x\n"))
        .hasMessageContaining("No 'DEST_MODULE_LOCATION' directive specified for record #0");
    assertThatThrownBy(() -> eval(BASE + "BUILT_MODULE_NAME[1]=y\nDEST_MODULE_LOCATION[1]=/extra\nDEST_MODULE_LOCATION[2]=/extra\n"))
        .hasMessageContaining("No 'BUILT_MODULE_NAME' directive specified for record #2");
    assertThatThrownBy(() -> eval("PACKAGE_NAME=x\nPACKAGE_VERSION=1\nBUILT_MODULE_NAME[0]=x.ko\nDEST_MODULE_LOCATION[0]=/extra\n"))
        .hasMessageContaining("ends in '.o' or '.ko' in record #0");
    assertThatThrownBy(() -> eval("PACKAGE_NAME=x\nPACKAGE_VERSION=1\nBUILT_MODULE_NAME[0]=x\nDEST_MODULE_LOCATION[0]=/lib\n"))
        .hasMessageContaining("does not begin with '/kernel', '/updates', or '/extra' in record #0");
  }

  @Test
  void withOneDestinationTheBuiltModuleIsNamedAfterThePackageAsInDebiansDkms() throws Exception {
    DkmsConf c = eval("PACKAGE_NAME=x\nPACKAGE_VERSION=1\nDEST_MODULE_LOCATION[0]=/extra\n");
    assertThat(c.modules().get(0).builtName().constant()).isEqualTo("x");
  }

  @Test
  void patchesApplyToTheKernelsTheirMatchChooses() throws Exception {
    DkmsConf c = eval(BASE + "PATCH[0]=all.patch\nPATCH[1]=old.patch\nPATCH_MATCH[1]=\"^5\\.\"\nPATCH[2]=six.patch\nPATCH_MATCH[2]=\"^6\"\n");
    assertThat(c.patches()).containsExactly("all.patch", "six.patch");
  }

  @Test
  void exclusiveRegularExpressionsAreValidated() {
    assertThatThrownBy(() -> eval(BASE + "BUILD_EXCLUSIVE_KERNEL=\"^(6\"\n"))
        .hasMessageContaining("is not a regular expression kmodkit accepts (unbalanced '('");
  }

  @Test
  void aSyntaxErrorEndsTheFileThereAsWithDkmsAndIsQuotedWhenSomethingIsThenMissing() throws Exception {
    assertThat(eval(BASE + "if then\nPACKAGE_VERSION=2\n").packageVersion()).isEqualTo("1");
    assertThatThrownBy(() -> eval("PACKAGE_NAME=x\nif then\n" + BASE))
        .isInstanceOf(BadInputException.class).hasMessageContaining("No 'PACKAGE_VERSION' directive specified").hasMessageContaining("bash said: ").hasMessageContaining("syntax error");
  }

  @Test
  void underBubblewrapTheFileCannotWriteOutsideNorReachTheNetwork() throws Exception {
    DkmsShell shell = DkmsShell.detect();
    org.junit.jupiter.api.Assumptions.assumeTrue(shell.confinement().bubblewrap(), shell.confinement().description());
    Path outside = tmp.resolve("outside");
    DkmsConf c = eval(shell, tmp.resolve("src"), BASE + """
        echo pwned > %s && PACKAGE_VERSION=wrote
        touch ./in-source && PACKAGE_VERSION=wrote-source
        (exec 3<>/dev/tcp/127.0.0.1/22) 2>/dev/null && PACKAGE_VERSION=network
        [ -n "$(ip -o link 2>/dev/null | grep -v ' lo:')" ] && PACKAGE_VERSION=interfaces
        kill -0 1 2>/dev/null && [ "$(cat /proc/1/comm)" != bwrap ] && [ "$(cat /proc/1/comm)" != bash ] && PACKAGE_VERSION=sees-$(cat /proc/1/comm)
        echo scratch > "$TMPDIR/s" && PACKAGE_NAME=$(cat "$TMPDIR/s")
        """.formatted(outside), ENV);
    assertThat(outside).doesNotExist();
    assertThat(tmp.resolve("src/in-source")).doesNotExist();
    assertThat(c.packageVersion()).isEqualTo("1");
    assertThat(c.packageName()).as("$TMPDIR is the scratch space").isEqualTo("scratch");
  }

  @Test
  void aDkmsConfThatNeverEndsIsKilledAtTheTimeLimitEitherWay() {
    for (DkmsShell shell : List.of(DkmsShell.detect(), new DkmsShell(new DkmsShell.Confinement(false, "none: test"), Duration.ofSeconds(2)))) {
      DkmsShell limited = new DkmsShell(shell.confinement(), Duration.ofSeconds(2));
      long start = System.nanoTime();
      assertThatThrownBy(() -> eval(limited, tmp.resolve("src"), BASE + "while :; do :; done\n", ENV))
          .as(shell.confinement().description()).isInstanceOf(BadInputException.class).hasMessageContaining("ran past 2 s and was killed")
          .hasMessageContaining("confinement: " + shell.confinement().description());
      assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(20));
    }
  }

  @Test
  void withoutBubblewrapOrItsNamespacesTheConfinementIsNoneAndSaysWhy() {
    assertThat(DkmsShell.probe(new SystemProcessRunner(), List.of("/nonexistent/bwrap")).description()).startsWith("none: bubblewrap unavailable (").endsWith("install the bubblewrap package");
    assertThat(DkmsShell.probe(new SystemProcessRunner(), List.of("/bin/sh", "-c", "echo 'bwrap: No permissions to creating new namespace'; exit 1")))
        .isEqualTo(new DkmsShell.Confinement(false, "none: bubblewrap cannot confine here (bwrap: No permissions to creating new namespace)"));
    assertThat(DkmsShell.probe(new SystemProcessRunner(), List.of("/bin/true")).bubblewrap()).isTrue();
  }

  @Test
  void withoutConfinementTheSameValuesComeBack() throws Exception {
    DkmsShell none = new DkmsShell(new DkmsShell.Confinement(false, "none: test"), Duration.ofSeconds(30));
    DkmsConf c = eval(none, tmp.resolve("src"), DPDK, ENV);
    assertThat(c).isEqualTo(eval(DPDK));
  }

  @Test
  void theValuesBashHandsBackAreParsedStrictly() {
    assertThatThrownBy(() -> DkmsShell.triples("f", "PACKAGE_NAME\u00000\u0000x".getBytes()))
        .hasMessageContaining("cut short");
    assertThatThrownBy(() -> DkmsShell.triples("f", "PATH\u00000\u0000x\u0000".getBytes()))
        .hasMessageContaining("not a dkms.conf variable");
    assertThatThrownBy(() -> DkmsShell.triples("f", "MAKE\u000001\u0000x\u0000".getBytes()))
        .hasMessageContaining("not a dkms.conf variable");
  }

  @Test
  void regularExpressionsOutsideTheEreSubsetAreRefusedBeforeAnythingCompilesThem() {
    for (String bad : java.util.List.of("a**", "(?i)x", "[[:digit:]]", "x{2,1}", "[z-a]", "^*", "a{", "\\d", "[]", "x)", "[a&&b]")) {
      assertThatThrownBy(() -> eval(BASE + "BUILD_EXCLUSIVE_KERNEL='" + bad + "'\n"))
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

}
