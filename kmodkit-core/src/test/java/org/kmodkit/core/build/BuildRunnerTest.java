package org.kmodkit.core.build;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.BiFunction;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.kmodkit.core.abi.Crc;
import org.kmodkit.core.abi.ExportType;
import org.kmodkit.core.abi.KernelAbi;
import org.kmodkit.core.abi.KernelConfig;
import org.kmodkit.core.abi.KernelSymbol;
import org.kmodkit.core.check.Problem;
import org.kmodkit.core.host.ProcessRunner;
import org.kmodkit.testkit.KoBuilder;

class BuildRunnerTest {
  static final String RELEASE = "6.1.0-56-cloud-amd64";
  static final String MAGIC = RELEASE + " SMP preempt mod_unload modversions ";
  static final long LAYOUT = 0x11110000L;
  static final long PRINTK = 0x92997ed8L;

  @TempDir Path tmp;

  static KernelAbi abi() {
    return KernelAbi.builder().release(RELEASE).config(new KernelConfig(Map.of("X86_64", "y", "SMP", "y", "PREEMPT_BUILD", "y", "MODULE_UNLOAD", "y", "MODVERSIONS", "y")))
        .symbols(List.of(new KernelSymbol("module_layout", Crc.of(LAYOUT), "vmlinux", ExportType.EXPORT_SYMBOL, ""),
            new KernelSymbol("_printk", Crc.of(PRINTK), "vmlinux", ExportType.EXPORT_SYMBOL, "")))
        .build();
  }

  static byte[] goodModule(String name) {
    return KoBuilder.module(name).vermagic(MAGIC).version("module_layout", LAYOUT).uses("_printk", PRINTK).build();
  }

  /** A make that writes what {@code behaviour} says into the build directory and log. */
  static final class FakeMake implements ProcessRunner {
    final BiFunction<ProcessRunner.Command, String, Integer> behaviour;
    final List<ProcessRunner.Command> calls = Collections.synchronizedList(new ArrayList<>());

    FakeMake(BiFunction<ProcessRunner.Command, String, Integer> behaviour) {
      this.behaviour = behaviour;
    }

    @Override
    public ProcessRunner.Result run(ProcessRunner.Command spec) {
      calls.add(spec);
      return new ProcessRunner.Result(behaviour.apply(spec, spec.dir().getParent().getParent().getFileName().toString()), false, java.time.Duration.ZERO);
    }
  }

  static void write(Path p, byte[] bytes) {
    try {
      Files.createDirectories(p.getParent());
      Files.write(p, bytes);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  static void log(ProcessRunner.Command spec, String text) {
    try {
      Files.writeString(spec.log(), text, StandardCharsets.UTF_8, StandardOpenOption.APPEND);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  DriverSource dkms(String name) throws Exception {
    Path src = Files.createDirectories(tmp.resolve("src").resolve(name));
    Files.writeString(src.resolve(name + ".c"), "/* source */\n");
    String conf = "PACKAGE_NAME=" + name + "\nPACKAGE_VERSION=1.0\nBUILT_MODULE_NAME[0]=" + name + "\nDEST_MODULE_LOCATION[0]=/extra\n";
    Files.writeString(src.resolve("dkms.conf"), conf);
    return DriverSource.of(src, src.toString(), name, "1.0");
  }

  KernelTarget kernel() {
    return new KernelTarget(RELEASE, tmp.resolve("headers"), "x86_64", KernelConfig.empty(), "gcc-12", Optional.empty(), "headers");
  }

  BuildReport run(ProcessRunner make, int jobs, ModuleSigner signer, DriverSource... drivers) throws Exception {
    BuildPlan plan = BuildPlanner.plan(List.of(drivers), List.of(kernel()), new BuildPlanner.Layout(tmp.resolve("work"), tmp.resolve("out")));
    return new BuildRunner(make, JobServer.none(), jobs, BuildListener.none(), signer, k -> abi(), BuildRunner.PackageModules.none()).run(plan);
  }

  @Test
  void aFailedBuildShowsItsFirstCompilerErrorsAndLogWhileTheOthersGoOn() throws Exception {
    FakeMake make = new FakeMake((spec, name) -> {
      if (name.equals("broken")) {
        log(spec, "  CC [M]  broken.o\nbroken.c:12:5: error: implicit declaration of function 'foo'\nbroken.c:20:1: error: expected ';' before '}' token\n"
            + "make[2]: *** [scripts/Makefile.build:250: broken.o] Error 1\n");
        return 2;
      }
      write(spec.dir().resolve(name + ".ko"), goodModule(name));
      return 0;
    });
    BuildReport report = run(make, 2, null, dkms("broken"), dkms("fine"));
    assertThat(report.failed()).isEqualTo(1);
    assertThat(report.built()).isEqualTo(1);
    BuildResult.Failed f = (BuildResult.Failed) report.results().get(0);
    assertThat(f.reason()).isEqualTo("MAKE exited with status 2");
    assertThat(f.errorLines()).containsExactly("broken.c:12:5: error: implicit declaration of function 'foo'", "broken.c:20:1: error: expected ';' before '}' token");
    assertThat(f.item().log()).isEqualTo(tmp.resolve("out/logs/" + RELEASE + "/broken.log"));
    assertThat(Files.readString(f.item().log())).contains("# MAKE: make KERNELRELEASE=").contains("# kmodkit: FAILED: MAKE exited with status 2");
    assertThat(f.item().buildDir()).as("kept for inspection").isDirectory();
    assertThat(tmp.resolve("out/" + RELEASE + "/extra/broken")).doesNotExist();
    BuildResult.Built ok = (BuildResult.Built) report.results().get(1);
    assertThat(ok.modules()).singleElement().satisfies(m -> {
      assertThat(m.file()).isEqualTo(tmp.resolve("out/" + RELEASE + "/extra/fine/fine.ko"));
      assertThat(m.installPath()).isEqualTo("/lib/modules/" + RELEASE + "/extra/fine.ko");
      assertThat(m.verdict().loads()).isTrue();
    });
    assertThat(tmp.resolve("out/" + RELEASE + "/extra/fine/fine.ko")).hasBinaryContent(goodModule("fine"));
    assertThat(ok.item().buildDir()).as("removed after success").doesNotExist();
  }

  @Test
  void aFailingPreOrPostBuildScriptIsLoggedAndTheBuildGoesOnAsWithDkms() throws Exception {
    // DKMS runs PRE_BUILD/POST_BUILD and never looks at their exit status (iptables-netflow-dkms's
    // configure fails without iptables; DKMS then fails in make, not in PRE_BUILD)
    Path src = Files.createDirectories(tmp.resolve("src/scripted"));
    Files.writeString(src.resolve("dkms.conf"), "PACKAGE_NAME=scripted\nPACKAGE_VERSION=1.0\nBUILT_MODULE_NAME[0]=scripted\nDEST_MODULE_LOCATION[0]=/extra\n"
        + "PRE_BUILD=configure\nPOST_BUILD=post\n");
    FakeMake make = new FakeMake((spec, name) -> {
      String command = spec.argv().get(spec.argv().size() - 1);
      if (command.contains("configure") || command.contains("post")) {
        return 1;
      }
      write(spec.dir().resolve(name + ".ko"), goodModule(name));
      return 0;
    });
    BuildReport report = run(make, 1, null, DriverSource.of(src, src.toString(), "scripted", "1.0"));
    assertThat(make.calls).hasSize(3);
    assertThat(report.built()).isEqualTo(1);
    assertThat(Files.readString(tmp.resolve("out/logs/" + RELEASE + "/scripted.log"))).contains("# kmodkit: PRE_BUILD exited with status 1; DKMS goes on, and so does kmodkit");
  }

  @Test
  void dkmsBuildStepsSeeTheKernelAtLibModulesBuildAndCanWriteOnlyTheirBuildDirectory() throws Exception {
    // openrazer-driver-dkms: MAKE="KERNELDIR=/lib/modules/${kernelver}/build make driver"; ddcci's and
    // dahdi's Makefiles look there too. DKMS builds where linux-headers-<release> made that link.
    // west-chamber-dkms's MAKE builds in /usr/src/<name>-<version> and moves the modules to
    // /var/lib/dkms/<name>/<version>/build: DKMS's paths, here the build directory
    Path headers = Files.createDirectories(tmp.resolve("headers"));
    Files.writeString(headers.resolve("Makefile"), "# the kernel's\n");
    Path src = Files.createDirectories(tmp.resolve("src/looks"));
    write(src.resolve("prebuilt.bin"), goodModule("looks"));
    Files.writeString(src.resolve("dkms.conf"), "PACKAGE_NAME=looks\nPACKAGE_VERSION=1.0\nBUILT_MODULE_NAME[0]=looks\nDEST_MODULE_LOCATION[0]=/extra\n"
        + "MAKE=\"touch " + src + "/escaped; mktemp && cp /lib/modules/${kernelver}/build/Makefile seen && cp prebuilt.bin looks.ko"
        + " && touch /usr/src/looks-1.0/made-in-usr-src && test -f /var/lib/dkms/looks/1.0/build/made-in-usr-src\"\n");
    DriverSource.Dkms d = (DriverSource.Dkms) DriverSource.of(src, src.toString(), "looks", "1.0");
    org.junit.jupiter.api.Assumptions.assumeTrue(d.shell().confinement().bubblewrap(), d.shell().confinement().description());
    BuildReport report = run(new org.kmodkit.core.host.SystemProcessRunner(), 1, null, d);
    String log = Files.readString(tmp.resolve("out/logs/" + RELEASE + "/looks.log"));
    assertThat(report.built()).as(log).isEqualTo(1);
    assertThat(log).contains("# build steps' confinement: bubblewrap").contains("touch: cannot touch '" + src + "/escaped': Read-only file system");
    assertThat(src.resolve("escaped")).as("the source tree is read-only to the build").doesNotExist();
  }

  @Test
  void aRebuiltModuleThatCheckRejectsIsAFailedBuildAndNeverReachesTheOutput() throws Exception {
    FakeMake make = new FakeMake((spec, name) -> {
      write(spec.dir().resolve(name + ".ko"), KoBuilder.module(name).vermagic(MAGIC).version("module_layout", LAYOUT).uses("_printk", 0xdeadbeefL).build());
      return 0;
    });
    BuildReport report = run(make, 1, null, dkms("stale"));
    BuildResult.Failed f = (BuildResult.Failed) report.results().get(0);
    assertThat(f.reason()).isEqualTo("check rejects the module it built");
    assertThat(f.modules()).singleElement().satisfies(m -> {
      assertThat(m.verdict().loads()).isFalse();
      assertThat(m.verdict().errors()).extracting(Problem::symbol).containsExactly("_printk");
    });
    assertThat(tmp.resolve("out/" + RELEASE + "/extra/stale")).doesNotExist();
  }

  @Test
  void aModuleDkmsConfPromisesButTheBuildDidNotMakeIsAFailure() throws Exception {
    FakeMake make = new FakeMake((spec, name) -> 0);
    BuildResult.Failed f = (BuildResult.Failed) run(make, 1, null, dkms("ghost")).results().get(0);
    assertThat(f.reason()).startsWith("BUILT_MODULE_NAME ghost: ghost.ko was not made; check BUILT_MODULE_NAME/BUILT_MODULE_LOCATION in ");
  }

  @Test
  void buildsRunAtTheSameTimeUpToTheJobCount() throws Exception {
    CountDownLatch together = new CountDownLatch(2);
    FakeMake make = new FakeMake((spec, name) -> {
      together.countDown();
      try {
        if (!together.await(20, TimeUnit.SECONDS)) {
          return 99; // never met: the builds ran one after another
        }
      } catch (InterruptedException e) {
        return 98;
      }
      write(spec.dir().resolve(name + ".ko"), goodModule(name));
      return 0;
    });
    BuildReport report = run(make, 2, null, dkms("a"), dkms("b"));
    assertThat(report.built()).isEqualTo(2);
  }

  @Test
  void eachBuildWorksOnItsOwnCopyOfTheSource() throws Exception {
    FakeMake make = new FakeMake((spec, name) -> {
      assertThat(spec.dir().resolve(name + ".c")).hasContent("/* source */");
      write(spec.dir().resolve(name + ".ko"), goodModule(name));
      return 0;
    });
    DriverSource d = dkms("copy");
    run(make, 1, null, d);
    assertThat(make.calls).singleElement().satisfies(s -> {
      assertThat(s.dir()).isEqualTo(tmp.resolve("work/" + RELEASE + "/copy/1.0/build"));
      assertThat(s.env()).as("compiler messages in plain ASCII, greppable").containsEntry("LC_ALL", "C");
      assertThat(s.argv()).endsWith("/bin/bash", "-c", "make KERNELRELEASE='" + RELEASE + "' -C '" + tmp.resolve("headers") + "' M='" + tmp.resolve("work/" + RELEASE + "/copy/1.0/build") + "'");
    });
    assertThat(d.dir().resolve("copy.ko")).as("the source tree is never written").doesNotExist();
  }

  @Test
  void anErrorWhileReadingAKernelsAbiEndsTheRunInsteadOfLeavingTheOtherBuildsOfThatKernelWaiting() throws Exception {
    FakeMake make = new FakeMake((spec, name) -> {
      if (name.equals("first")) {
        try {
          Thread.sleep(500); // "later" reads the ABI first; "first", awaited first, waits for it
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      write(spec.dir().resolve(name + ".ko"), goodModule(name));
      return 0;
    });
    BuildPlan plan = BuildPlanner.plan(List.of(dkms("first"), dkms("later")), List.of(kernel()), new BuildPlanner.Layout(tmp.resolve("work"), tmp.resolve("out")));
    BuildRunner runner = new BuildRunner(make, JobServer.none(), 2, BuildListener.none(), null, k -> {
      throw new OutOfMemoryError("Java heap space");
    }, BuildRunner.PackageModules.none());
    org.junit.jupiter.api.Assertions.assertTimeoutPreemptively(java.time.Duration.ofSeconds(30),
        () -> org.assertj.core.api.Assertions.assertThatThrownBy(() -> runner.run(plan)).hasMessageContaining("java.lang.OutOfMemoryError: Java heap space"));
  }

  @Test
  void anOutputTreeInsideTheSourceIsNotCopiedIntoTheBuild() throws Exception {
    DriverSource d = dkms("inplace");
    FakeMake make = new FakeMake((spec, name) -> {
      assertThat(spec.dir().resolve("kmodkit-rebuild")).as("the output tree is not part of the source").doesNotExist();
      write(spec.dir().resolve(name + ".ko"), goodModule(name));
      return 0;
    });
    BuildPlan plan = BuildPlanner.plan(List.of(d), List.of(kernel()), new BuildPlanner.Layout(d.dir().resolve("kmodkit-rebuild/.work"), d.dir().resolve("kmodkit-rebuild")));
    BuildReport report = new BuildRunner(make, JobServer.none(), 1, BuildListener.none(), null, k -> abi(), BuildRunner.PackageModules.none()).run(plan);
    assertThat(report.built()).isEqualTo(1);
    assertThat(d.dir().resolve("kmodkit-rebuild/" + RELEASE + "/extra/inplace/inplace.ko")).exists();
  }

  @Test
  void aSignerSignsWhatIsWrittenToTheOutputTree() throws Exception {
    FakeMake make = new FakeMake((spec, name) -> {
      write(spec.dir().resolve(name + ".ko"), goodModule(name));
      return 0;
    });
    ModuleSigner signer = new ModuleSigner() {
      @Override
      public byte[] sign(String source, byte[] module) {
        byte[] out = java.util.Arrays.copyOf(module, module.length + 4);
        System.arraycopy("SIGN".getBytes(StandardCharsets.US_ASCII), 0, out, module.length, 4);
        return out;
      }

      @Override
      public String signer() {
        return "test";
      }
    };
    BuildResult.Built b = (BuildResult.Built) run(make, 1, signer, dkms("s")).results().get(0);
    assertThat(b.modules().get(0).signed()).isTrue();
    byte[] written = Files.readAllBytes(b.modules().get(0).file());
    assertThat(new String(written, written.length - 4, 4, StandardCharsets.US_ASCII)).isEqualTo("SIGN");
  }

  @Test
  void errorLinesFallBackToModpostThenMakeThenTheLogsEnd() throws Exception {
    Path log = tmp.resolve("l.log");
    Files.writeString(log, "# kmodkit header\nMODPOST Module.symvers\nERROR: modpost: \"foo\" [x.ko] undefined!\nmake[1]: *** [Makefile:1] Error 1\n");
    assertThat(BuildRunner.errorLines(log)).containsExactly("ERROR: modpost: \"foo\" [x.ko] undefined!");
    Files.writeString(log, "# kmodkit header\nmake: *** No rule to make target 'modules'.  Stop.\n");
    assertThat(BuildRunner.errorLines(log)).containsExactly("make: *** No rule to make target 'modules'.  Stop.");
    Files.writeString(log, "# kmodkit header\nsomething odd\n");
    assertThat(BuildRunner.errorLines(log)).containsExactly("something odd");
  }

  @Test
  void rpmbuildsOwnErrorsComeAfterTheCompilersAndBeforeTheLogsEnd() throws Exception {
    Path log = tmp.resolve("l.log");
    Files.writeString(log, "# kmodkit header\nProcessing files: hello-kmod-1.0-1.x86_64\nerror: File not found: /b/BUILDROOT/hello-kmod-1.0-1.x86_64/lib/modules/x/hello.ko\n"
        + "\n\nRPM build errors:\n    File not found: /b/BUILDROOT/hello-kmod-1.0-1.x86_64/lib/modules/x/hello.ko\n+ exit 0\n+ RPM_EC=0\n+ jobs -p\n+ exit 0\n");
    assertThat(BuildRunner.errorLines(log)).containsExactly("error: File not found: /b/BUILDROOT/hello-kmod-1.0-1.x86_64/lib/modules/x/hello.ko");
    Files.writeString(log, "# kmodkit header\nx.c:1:1: error: bad\nmake: *** [x.o] Error 1\nerror: Bad exit status from /b/tmp/rpm-tmp.a (%build)\n");
    assertThat(BuildRunner.errorLines(log)).containsExactly("x.c:1:1: error: bad");
  }

  DriverSource srpm() throws Exception {
    Path src = Files.createDirectories(tmp.resolve("sources/hello-kmod-1.0-1.src.rpm/SOURCES"));
    Files.writeString(src.resolve("hello-kmod.spec"), "Name: hello-kmod\n");
    return DriverSource.srpm(src.getParent(), "SOURCES/hello-kmod.spec", "hello-kmod", "1.0", "hello-kmod-1.0-1.src.rpm");
  }

  /** An rpmbuild that writes one binary RPM under RPMS/, and leaves a stray .ko in BUILD/ as rpmbuild does. */
  static final FakeMake RPMBUILD = new FakeMake((spec, name) -> {
    assertThat(spec.dir().resolve("SOURCES/hello-kmod.spec")).as("rpmbuild works on a copy of the unpacked SRPM").exists();
    write(spec.dir().resolve("BUILD/hello-1.0/stray.ko"), goodModule("stray"));
    write(spec.dir().resolve("RPMS/x86_64/hello-kmod-1.0-1.x86_64.rpm"), "rpm bytes".getBytes(StandardCharsets.US_ASCII));
    return 0;
  });

  /** The packaging layer's reader, faked: each package holds hello.ko installed at {@code installed}. */
  static BuildRunner.PackageModules holding(String installed) {
    return (packages, dest) -> {
      assertThat(dest).doesNotExist();
      write(dest.resolve(installed.substring(1)), goodModule("hello"));
      return List.of(installed, "/usr/share/doc/hello-kmod/README");
    };
  }

  BuildReport runSrpm(ProcessRunner rpmbuild, BuildRunner.PackageModules modules) throws Exception {
    BuildPlan plan = BuildPlanner.plan(List.of(srpm()), List.of(kernel()), new BuildPlanner.Layout(tmp.resolve("work"), tmp.resolve("out")));
    return new BuildRunner(rpmbuild, JobServer.none(), 1, BuildListener.none(), null, k -> abi(), modules).run(plan);
  }

  @Test
  void anSrpmsModulesAreThoseOfTheRpmsItsRpmbuildWroteCheckedAndWrittenBesideThosePackages() throws Exception {
    FakeMake rpmbuild = new FakeMake(RPMBUILD.behaviour);
    BuildReport report = runSrpm(rpmbuild, holding("/lib/modules/" + RELEASE + "/extra/hello/hello.ko"));
    assertThat(report.results().get(0)).isInstanceOf(BuildResult.Built.class);
    BuildResult.Built built = (BuildResult.Built) report.results().get(0);
    assertThat(built.modules()).extracting(BuildResult.Module::name).containsExactly("hello");
    assertThat(built.modules().get(0).installPath()).isEqualTo("/lib/modules/" + RELEASE + "/extra/hello/hello.ko");
    assertThat(built.modules().get(0).file()).isEqualTo(tmp.resolve("out/" + RELEASE + "/extra/hello-kmod/hello.ko")).hasBinaryContent(goodModule("hello"));
    Path rpm = tmp.resolve("out/" + RELEASE + "/rpms/hello-kmod/hello-kmod-1.0-1.x86_64.rpm");
    assertThat(built.packages()).containsExactly(rpm);
    assertThat(rpm).hasContent("rpm bytes");
    assertThat(rpmbuild.calls.get(0).argv()).last().asString().startsWith("timeout --kill-after=30 7200 rpmbuild -bb --nodeps --define '_topdir " + tmp.resolve("work/" + RELEASE + "/hello-kmod/1.0/build") + "'");
  }

  @Test
  void aSpecThatIgnoresKversionFailsNamingTheKernelItsRpmIsFor() throws Exception {
    BuildReport report = runSrpm(new FakeMake(RPMBUILD.behaviour), holding("/lib/modules/5.14.0-362.el9.x86_64/extra/hello/hello.ko"));
    BuildResult.Failed f = (BuildResult.Failed) report.results().get(0);
    assertThat(f.reason()).isEqualTo("the RPM installs /lib/modules/5.14.0-362.el9.x86_64/extra/hello/hello.ko, a module for kernel 5.14.0-362.el9.x86_64, not " + RELEASE
        + ": the spec ignores KVERSION; make it install to /lib/modules/%{KVERSION}/");
    assertThat(tmp.resolve("out/" + RELEASE + "/rpms")).doesNotExist();
  }

  @Test
  void anRpmbuildThatWritesNoRpmOrRunsPastItsLimitFailsAndSaysSo() throws Exception {
    FakeMake noRpm = new FakeMake((spec, name) -> {
      log(spec, "Processing files: hello-kmod-1.0-1.x86_64\n");
      return 0;
    });
    assertThat(((BuildResult.Failed) runSrpm(noRpm, holding("/x.ko")).results().get(0)).reason())
        .isEqualTo("rpmbuild wrote no binary RPM under " + tmp.resolve("work/" + RELEASE + "/hello-kmod/1.0/build/RPMS"));
    BuildResult.Failed late = (BuildResult.Failed) runSrpm(new FakeMake((spec, name) -> 124), holding("/x.ko")).results().get(0);
    assertThat(late.reason()).isEqualTo("rpmbuild ran past its time limit and was stopped");
  }

  @Test
  void rpmsHoldingNoModuleFailNamingThem() throws Exception {
    BuildReport report = runSrpm(new FakeMake(RPMBUILD.behaviour), (packages, dest) -> List.of("/usr/share/doc/hello-kmod/README"));
    assertThat(((BuildResult.Failed) report.results().get(0)).reason()).isEqualTo("the RPMs rpmbuild wrote hold no .ko file: hello-kmod-1.0-1.x86_64.rpm");
  }
}
