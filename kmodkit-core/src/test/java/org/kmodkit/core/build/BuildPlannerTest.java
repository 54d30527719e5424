package org.kmodkit.core.build;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.kmodkit.core.abi.KernelConfig;

class BuildPlannerTest {
  static final BuildPlanner.Layout LAYOUT = new BuildPlanner.Layout(Path.of("/w"), Path.of("/out"));

  static KernelTarget kernel(String release, Map<String, String> config) {
    return new KernelTarget(release, Path.of("/k/" + release), "x86_64", new KernelConfig(config), "gcc-12", Optional.empty(), release);
  }

  @org.junit.jupiter.api.io.TempDir Path tmp;

  DriverSource dkms(String conf) throws Exception {
    Path dir = tmp.resolve("d" + java.util.UUID.randomUUID());
    DkmsConfTest.eval(dir, conf);
    return DriverSource.of(dir, dir.toString());
  }

  DkmsConf conf(String text) throws Exception {
    return DkmsConfTest.eval(tmp.resolve("c" + java.util.UUID.randomUUID()), text);
  }

  @Test
  void everyDriverIsPlannedForEveryKernelAndMakeGetsTheDkmsTreeLayout() throws Exception {
    KernelTarget k55 = kernel("6.1.0-55-cloud-amd64", Map.of());
    KernelTarget k56 = kernel("6.1.0-56-cloud-amd64", Map.of());
    DriverSource vpoll = dkms(DkmsConfTest.VPOLL);
    DriverSource hello = new DriverSource.Kbuild("hello", "1.0", Path.of("/src/hello"), "/src/hello");
    BuildPlan plan = BuildPlanner.plan(List.of(vpoll, hello), List.of(k55, k56), LAYOUT);
    assertThat(plan.builds()).extracting(BuildPlan.Item::id).containsExactly(
        "vpoll-0.1 for 6.1.0-55-cloud-amd64", "hello-1.0 for 6.1.0-55-cloud-amd64", "vpoll-0.1 for 6.1.0-56-cloud-amd64", "hello-1.0 for 6.1.0-56-cloud-amd64");
    BuildPlan.Build v = plan.builds().get(2);
    assertThat(v.buildDir()).isEqualTo(Path.of("/w/6.1.0-56-cloud-amd64/vpoll/0.1/build"));
    assertThat(v.steps()).containsExactly(new BuildPlan.Step("MAKE", "make KERNELRELEASE='6.1.0-56-cloud-amd64' -C /k/6.1.0-56-cloud-amd64 M=/w/6.1.0-56-cloud-amd64/vpoll/0.1/build"));
    assertThat(v.modules()).containsExactly(new BuildPlan.ExpectedModule("vpoll", "", "vpoll", "/lib/modules/6.1.0-56-cloud-amd64/extra/vpoll.ko"));
    assertThat(v.outDir()).isEqualTo(Path.of("/out/6.1.0-56-cloud-amd64/extra/vpoll"));
    assertThat(v.log()).isEqualTo(Path.of("/out/logs/6.1.0-56-cloud-amd64/vpoll.log"));
    BuildPlan.Build h = plan.builds().get(3);
    assertThat(h.steps()).containsExactly(new BuildPlan.Step("make", "make KERNELRELEASE='6.1.0-56-cloud-amd64' -C '/k/6.1.0-56-cloud-amd64' M='/w/6.1.0-56-cloud-amd64/hello/1.0/build' modules"));
    assertThat(h.modules()).isEmpty();
  }

  @Test
  void anSrpmIsBuiltByRpmbuildInItsOwnTopdirWithTheKernelAsMlnxAndKmodtoolSpecsTakeIt() throws Exception {
    DriverSource srpm = new DriverSource.Srpm("hello-kmod", "1.0", Path.of("/w/sources/hello-kmod-1.0-1.src.rpm"), "SOURCES/hello-kmod.spec", "hello-kmod-1.0-1.src.rpm");
    BuildPlan.Build b = BuildPlanner.plan(List.of(srpm), List.of(kernel("6.1.0-56-cloud-amd64", Map.of())), LAYOUT).builds().get(0);
    assertThat(b.buildDir()).isEqualTo(Path.of("/w/6.1.0-56-cloud-amd64/hello-kmod/1.0/build"));
    assertThat(b.steps()).containsExactly(new BuildPlan.Step("rpmbuild", "timeout --kill-after=30 7200 rpmbuild -bb --nodeps"
        + " --define '_topdir /w/6.1.0-56-cloud-amd64/hello-kmod/1.0/build' --define '_tmppath /w/6.1.0-56-cloud-amd64/hello-kmod/1.0/build/tmp'"
        + " --define '_smp_mflags %{nil}' --define 'KVERSION 6.1.0-56-cloud-amd64' --define 'K_SRC /k/6.1.0-56-cloud-amd64' --define 'kernels 6.1.0-56-cloud-amd64'"
        + " '/w/6.1.0-56-cloud-amd64/hello-kmod/1.0/build/SOURCES/hello-kmod.spec'"));
    assertThat(b.modules()).as("the modules are those the RPMs hold").isEmpty();
    assertThat(b.packageDir()).contains(Path.of("/out/6.1.0-56-cloud-amd64/rpms/hello-kmod"));
    assertThat(b.outDir()).isEqualTo(Path.of("/out/6.1.0-56-cloud-amd64/extra/hello-kmod"));
  }

  @Test
  void aDriverExclusiveToAConfigOptionIsSkippedOnKernelsWithoutIt() throws Exception {
    DriverSource acpi = dkms(DkmsConfTest.ACPI_CALL);
    BuildPlan plan = BuildPlanner.plan(List.of(acpi), List.of(kernel("6.1.0-56-cloud-amd64", Map.of("ACPI", "y")), kernel("6.1.0-56-arm64", Map.of())), LAYOUT);
    assertThat(plan.items().get(0)).isInstanceOf(BuildPlan.Build.class);
    assertThat(plan.items().get(1)).isInstanceOfSatisfying(BuildPlan.Skip.class,
        s -> assertThat(s.reason()).isEqualTo("BUILD_EXCLUSIVE_CONFIG: CONFIG_ACPI is not set in 6.1.0-56-arm64"));
  }

  @Test
  void exclusiveKernelArchAndVersionBoundsSkipAsDkmsWould() throws Exception {
    String base = "PACKAGE_NAME=x\nPACKAGE_VERSION=1\nBUILT_MODULE_NAME[0]=x\nDEST_MODULE_LOCATION[0]=/extra\n";
    KernelTarget k = kernel("6.1.0-56-cloud-amd64", Map.of());
    assertThat(BuildPlanner.excluded(conf(base + "BUILD_EXCLUSIVE_KERNEL=\"^5\\.\"\n"), k)).hasValueSatisfying(r -> assertThat(r).startsWith("BUILD_EXCLUSIVE_KERNEL"));
    assertThat(BuildPlanner.excluded(conf(base + "BUILD_EXCLUSIVE_KERNEL=\"^6\\.1\"\n"), k)).isEmpty();
    assertThat(BuildPlanner.excluded(conf(base + "BUILD_EXCLUSIVE_ARCH=\"aarch64\"\n"), k)).hasValueSatisfying(r -> assertThat(r).contains("does not match x86_64"));
    assertThat(BuildPlanner.excluded(conf(base + "BUILD_EXCLUSIVE_KERNEL_MIN=\"6.2\"\n"), k)).isPresent();
    assertThat(BuildPlanner.excluded(conf(base + "BUILD_EXCLUSIVE_KERNEL_MAX=\"6.1.0-55\"\n"), k)).isPresent();
    assertThat(BuildPlanner.excluded(conf(base + "BUILD_EXCLUSIVE_KERNEL_MIN=\"6.1.0-9\"\nBUILD_EXCLUSIVE_KERNEL_MAX=\"6.1.0-100\"\n"), k)).isEmpty();
    assertThat(BuildPlanner.excluded(conf(base + "BUILD_EXCLUSIVE_CONFIG=\"!CONFIG_ACPI\"\n"), kernel("r", Map.of("ACPI", "m")))).isPresent();
    assertThat(BuildPlanner.excluded(conf(base + "BUILD_EXCLUSIVE_CONFIG=\"ACPI\"\n"), kernel("r", Map.of("ACPI", "m")))).as("DKMS skips, not refuses")
        .contains("BUILD_EXCLUSIVE_CONFIG: ACPI is not set in r");
  }

  @Test
  void prePostBuildScriptsRunFromTheBuildDirectoryAroundMake() throws Exception {
    DriverSource d = dkms("PACKAGE_NAME=x\nPACKAGE_VERSION=1\nBUILT_MODULE_NAME[0]=x\nBUILT_MODULE_LOCATION[0]=src/\nDEST_MODULE_NAME[0]=x_new\nDEST_MODULE_LOCATION[0]=/updates/dkms\n"
        + "PRE_BUILD=\"configure --kernel=$kernelver\"\nPOST_BUILD=post.sh\n");
    BuildPlan.Build b = BuildPlanner.plan(List.of(d), List.of(kernel("6.1.0-56-cloud-amd64", Map.of())), LAYOUT).builds().get(0);
    assertThat(b.steps()).extracting(BuildPlan.Step::name).containsExactly("PRE_BUILD", "MAKE", "POST_BUILD");
    assertThat(b.steps().get(0).command()).isEqualTo("./configure --kernel=6.1.0-56-cloud-amd64");
    assertThat(b.steps().get(1).command()).isEqualTo("make KERNELRELEASE='6.1.0-56-cloud-amd64' -C '/k/6.1.0-56-cloud-amd64' M='/w/6.1.0-56-cloud-amd64/x/1/build'");
    assertThat(b.modules()).containsExactly(new BuildPlan.ExpectedModule("x", "src", "x_new", "/lib/modules/6.1.0-56-cloud-amd64/updates/dkms/x_new.ko"));
  }

  @Test
  void dkmsConfIsSourcedForEachKernelSoItMayBranchOnItAndPatchesComeFirst() throws Exception {
    DriverSource d = dkms("PACKAGE_NAME=x\nPACKAGE_VERSION=1\nDEST_MODULE_LOCATION[0]=/extra\n"
        + "case $kernelver in 6.1.*) BUILT_MODULE_NAME[0]=x61; PATCH[0]=six-one.patch;; *) BUILT_MODULE_NAME[0]=xold;; esac\n");
    BuildPlan plan = BuildPlanner.plan(List.of(d), List.of(kernel("6.1.0-56-cloud-amd64", Map.of()), kernel("5.10.0-30-amd64", Map.of())), LAYOUT);
    assertThat(plan.builds().get(0).modules()).extracting(BuildPlan.ExpectedModule::builtName).containsExactly("x61");
    assertThat(plan.builds().get(0).steps()).extracting(BuildPlan.Step::command).first().isEqualTo("patch -p1 < ./patches/'six-one.patch'");
    assertThat(plan.builds().get(1).modules()).extracting(BuildPlan.ExpectedModule::builtName).containsExactly("xold");
    assertThat(plan.builds().get(1).steps()).extracting(BuildPlan.Step::name).containsExactly("MAKE");
  }

  @Test
  void twoDriversOfOneNameAreRefused() throws Exception {
    DriverSource a = new DriverSource.Kbuild("hello", "1", Path.of("/a/hello"), "/a/hello");
    DriverSource b = new DriverSource.Kbuild("hello", "2", Path.of("/b/hello"), "/b/hello");
    assertThatThrownBy(() -> BuildPlanner.plan(List.of(a, b), List.of(kernel("r", Map.of())), LAYOUT))
        .hasMessageStartingWith("/b/hello: is a second driver named hello");
  }

  @Test
  void releasesCompareNumerically() {
    assertThat(BuildPlanner.compareReleases("6.1.0-56-cloud-amd64", "6.1.0-9")).isPositive();
    assertThat(BuildPlanner.compareReleases("5.15", "6.1")).isNegative();
    assertThat(BuildPlanner.compareReleases("6.1", "6.1")).isZero();
  }
}
