package org.kmodkit.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * kmodkit rebuild and the real dkms build (Debian's dkms 3.0.10) on the same source and the same
 * corpus 56 headers reach the same outcome: Debian's vpoll as it ships, and a tree whose dkms.conf
 * is the shell DKMS authors write (issue 12: pushd `dirname $BASH_SOURCE`, if [ -f
 * $kernel_source_dir/.config ], if ! grep -q "^CONFIG_X=[ym]$", upper-case helper variables) —
 * built where the kernel has the option, skipped where it lacks it; and a MAKE line that finds the
 * kernel at /lib/modules/$kernelver/build, as openrazer-driver-dkms's does (dkms builds as on a
 * machine with the headers installed; kmodkit shows its build that kernel there). Needs root and the dkms
 * package (it adds the tree to /usr/src and /var/lib/dkms, and removes it); skipped otherwise.
 */
class DkmsRefereeIT {
  static final int ABI = 56;
  static final String RELEASE = Corpus.release(ABI);

  /** DKMS's outcome in kmodkit's words: built (with the modules made), skipped, or failed. */
  record Outcome(String status, List<String> modules) {}

  @TempDir static Path tmp;

  @BeforeAll
  static void needsRootAndDkms() {
    Assumptions.assumeTrue("0".equals(Proc.run(Path.of("/"), 10, "id", "-u").out().strip()), "dkms build needs root");
    // the referee is installed by scripts/install-test-deps (and .ci/run): its absence is a failure, not a skip
    org.assertj.core.api.Assertions.assertThat(Path.of("/usr/sbin/dkms")).as("the dkms package is not installed: run scripts/install-test-deps (apt-get install --no-install-recommends dkms)").isExecutable();
  }

  static String shellDkmsConf(String option) {
    return """
        PACKAGE_NAME="vpollsh"
        PACKAGE_VERSION="0.1"
        pushd `dirname $BASH_SOURCE` > /dev/null
        PSRC=$(pwd)
        popd > /dev/null
        KCONFIG=$kernel_source_dir/.config
        BDIR=$dkms_tree/$PACKAGE_NAME/$PACKAGE_VERSION/build
        BUILT_MODULE_NAME[0]=vpoll
        DEST_MODULE_LOCATION[0]=/extra
        if [ -f $kernel_source_dir/.config ]; then
          MAKE[0]="make -C ${kernel_source_dir} M=$BDIR"
        fi
        if ! grep -q "^%s=[ym]$" "$KCONFIG"; then
          BUILD_EXCLUSIVE_KERNEL="^$"
        fi
        """.formatted(option);
  }

  /**
   * A MAKE line as openrazer-driver-dkms writes it (and ddcci's, dahdi's Makefiles look): the
   * kernel at /lib/modules/$kernelver/build, where linux-headers-&lt;release&gt; puts it.
   */
  static final String LIB_MODULES_DKMS_CONF = """
      PACKAGE_NAME="vpolllm"
      PACKAGE_VERSION="0.1"
      BUILT_MODULE_NAME[0]=vpoll
      DEST_MODULE_LOCATION[0]=/extra
      MAKE[0]="make -C /lib/modules/${kernelver}/build M=${dkms_tree}/${PACKAGE_NAME}/${PACKAGE_VERSION}/build"
      """;

  @ParameterizedTest
  @ValueSource(strings = {"debian vpoll", "CONFIG_EVENTFD", "CONFIG_NO_SUCH_OPTION", "lib modules build"})
  void kmodkitAndDkmsReachTheSameOutcome(String variant) throws Exception {
    Path vpoll = Builds.dkmsSource("vpoll-dkms_", "vpoll-0.1");
    String name = variant.startsWith("CONFIG") ? "vpollsh" : variant.startsWith("lib") ? "vpolllm" : "vpoll";
    Path src = tmp.resolve(variant.replace(' ', '-')).resolve(name + "-0.1");
    Proc.check(tmp, 60, "mkdir", "-p", src.getParent().toString());
    Proc.check(tmp, 60, "cp", "-a", vpoll.toString(), src.toString());
    if (variant.startsWith("CONFIG")) {
      Files.writeString(src.resolve("dkms.conf"), shellDkmsConf(variant));
    } else if (variant.startsWith("lib")) {
      Files.writeString(src.resolve("dkms.conf"), LIB_MODULES_DKMS_CONF);
    }
    Outcome dkms = dkms(src, name, "0.1");
    Outcome kmodkit = kmodkit(src, tmp.resolve(variant.replace(' ', '-') + "-out"));
    assertThat(kmodkit).as(variant).isEqualTo(dkms);
    assertThat(dkms.status()).as("the referee itself").isEqualTo(variant.equals("CONFIG_NO_SUCH_OPTION") ? "skipped" : "built");
  }

  static Outcome kmodkit(Path src, Path out) {
    Kmodkit.Run r = Kmodkit.run("rebuild", "--json", "--out", out.toString(), "--source", src.toString(), "--kernel", Builds.headers(ABI).toString());
    assertThat(r.err()).contains("confinement: ");
    JsonNode b = r.json().get("builds").get(0);
    List<String> modules = new ArrayList<>();
    if (b.has("modules")) {
      b.get("modules").forEach(m -> modules.add(m.get("name").asText()));
    }
    return new Outcome(b.get("status").asText(), modules.stream().sorted().toList());
  }

  static Outcome dkms(Path src, String name, String version) throws IOException {
    Path dir = Path.of("/");
    Path usrSrc = Path.of("/usr/src/" + name + "-" + version);
    Proc.run(dir, 120, "dkms", "remove", "-m", name, "-v", version, "--all");
    Proc.check(dir, 60, "rm", "-rf", usrSrc.toString());
    Proc.check(dir, 60, "cp", "-a", src.toString(), usrSrc.toString());
    try {
      Proc.check(dir, 120, "dkms", "add", "-m", name, "-v", version);
      // as on a machine with linux-headers-RELEASE installed: /lib/modules/RELEASE/build leads to
      // the headers, made over an overlay of /lib in a private mount namespace (nothing else sees it)
      Path lib = tmp.resolve("lib-" + name);
      Proc.check(dir, 60, "rm", "-rf", lib.toString());
      Proc.check(dir, 60, "mkdir", "-p", lib.resolve("upper").toString(), lib.resolve("work").toString());
      Proc.Result r = Proc.run(dir, 900, "unshare", "-m", "--propagation", "private", "sh", "-c",
          "l=$(readlink -f /lib) && mount -t overlay overlay -o \"lowerdir=$l,upperdir=$1/upper,workdir=$1/work\" \"$l\""
              + " && mkdir -p \"$l/modules/$2\" && ln -sfn \"$3\" \"$l/modules/$2/build\" && shift 3 && exec \"$@\"",
          "sh", lib.toString(), RELEASE, Builds.headers(ABI).toString(),
          "dkms", "build", "-m", name, "-v", version, "-k", RELEASE, "--kernelsourcedir", Builds.headers(ABI).toString());
      if ((r.out() + r.err()).contains("BUILD_EXCLUSIVE directive which does not match")) {
        return new Outcome("skipped", List.of());
      }
      if (r.code() != 0) {
        return new Outcome("failed", List.of());
      }
      try (Stream<Path> s = Files.list(Path.of("/var/lib/dkms", name, version, RELEASE, "x86_64", "module"))) {
        return new Outcome("built", s.map(p -> p.getFileName().toString().replaceFirst("\\.ko.*$", "")).sorted().toList());
      }
    } finally {
      Proc.run(dir, 120, "dkms", "remove", "-m", name, "-v", version, "--all");
      Proc.run(dir, 60, "rm", "-rf", usrSrc.toString());
    }
  }
}
