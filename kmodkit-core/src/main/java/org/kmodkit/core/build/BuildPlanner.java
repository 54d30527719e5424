package org.kmodkit.core.build;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.kmodkit.core.BadInputException;
import org.kmodkit.core.tree.Sysroot;

/**
 * Plans every (driver, kernel) build, as DKMS would run it, without touching anything: pure, so a
 * plan can be printed, tested and then applied by {@link BuildRunner}.
 */
public final class BuildPlanner {
  /**
   * Where builds happen and land.
   *
   * @param work scratch space: {@code <work>/<release>/<name>/<version>/build} (DKMS's
   *     {@code $dkms_tree/$module/$module_version/build}, so dkms.conf's MAKE lines work unchanged)
   * @param out the output tree: {@code <out>/<release>/extra/<name>/…ko} and {@code <out>/logs/}
   */
  public record Layout(Path work, Path out) {
    public Layout {
      work = work.toAbsolutePath().normalize();
      out = out.toAbsolutePath().normalize();
    }
  }

  private BuildPlanner() {}

  public static BuildPlan plan(List<DriverSource> drivers, List<KernelTarget> kernels, Layout layout) throws BadInputException {
    Set<String> names = new HashSet<>();
    for (DriverSource d : drivers) {
      if (!names.add(d.name())) {
        throw new BadInputException(d.origin(), "is a second driver named " + d.name() + "; rebuild one of them at a time (their outputs would collide in extra/" + d.name() + ")");
      }
    }
    Set<String> releases = new HashSet<>();
    for (KernelTarget k : kernels) {
      if (!releases.add(k.release())) {
        throw new BadInputException(k.origin(), "names kernel " + k.release() + " a second time; name each kernel once");
      }
    }
    List<BuildPlan.Item> items = new ArrayList<>();
    for (KernelTarget k : kernels) {
      for (DriverSource d : drivers) {
        items.add(item(d, k, layout));
      }
    }
    return new BuildPlan(items);
  }

  static BuildPlan.Item item(DriverSource d, KernelTarget k, Layout layout) throws BadInputException {
    Path dkmsTree = layout.work().resolve(k.release());
    Path buildDir = dkmsTree.resolve(d.name()).resolve(d.version()).resolve("build");
    Path log = layout.out().resolve("logs").resolve(k.release()).resolve(d.name() + ".log");
    Path outDir = layout.out().resolve(k.release()).resolve("extra").resolve(d.name());
    return d.accept(new ItemFor(k, layout, dkmsTree, buildDir, log, outDir, k.buildDir().toAbsolutePath().toString()));
  }

  /** The plan of one kind of source for kernel {@code k}, its build directory, log and output decided. */
  private record ItemFor(KernelTarget k, Layout layout, Path dkmsTree, Path buildDir, Path log, Path outDir, String kdir) implements DriverSource.Visitor<BuildPlan.Item, BadInputException> {
    @Override
    public BuildPlan.Item visit(DriverSource.Kbuild d) {
      String make = "make KERNELRELEASE=" + quote(k.release()) + " -C " + quote(kdir) + " M=" + quote(buildDir.toString()) + " modules";
      return new BuildPlan.Build(d, k, buildDir, List.of(new BuildPlan.Step("make", make)), List.of(), log, outDir, Optional.empty());
    }

    @Override
    public BuildPlan.Item visit(DriverSource.Srpm d) {
      Path packages = layout.out().resolve(k.release()).resolve("rpms").resolve(d.name());
      return new BuildPlan.Build(d, k, buildDir, List.of(new BuildPlan.Step("rpmbuild", rpmbuild(d, k, buildDir))), List.of(), log, outDir, Optional.of(packages));
    }

    @Override
    public BuildPlan.Item visit(DriverSource.Dkms d) throws BadInputException {
      Map<String, String> env = new HashMap<>();
      env.put("kernelver", k.release());
      env.put("kernel_source_dir", kdir);
      env.put("dkms_tree", dkmsTree.toString());
      env.put("source_tree", d.dir().toAbsolutePath().getParent() == null ? "/" : d.dir().toAbsolutePath().getParent().toString());
      env.put("install_tree", Sysroot.modulesPath());
      env.put("arch", k.arch());
      env.put("module", d.name());
      env.put("module_version", d.version());
      DkmsConf conf = d.confFor(env); // per kernel: dkms.conf may branch on it
      Optional<String> excluded = excluded(conf, k);
      if (excluded.isPresent()) {
        return new BuildPlan.Skip(d, k, excluded.get());
      }
      List<BuildPlan.Step> steps = new ArrayList<>();
      for (String p : conf.patches()) {
        steps.add(new BuildPlan.Step("PATCH", "patch -p1 < ./patches/" + quote(p)));
      }
      conf.preBuild().ifPresent(w -> steps.add(new BuildPlan.Step("PRE_BUILD", script(w.constant()))));
      String make = conf.makeFor(k.release()).map(w -> w.constant()).orElse("make -C " + quote(kdir) + " M=" + quote(buildDir.toString()));
      steps.add(new BuildPlan.Step("MAKE", dkmsMake(make, k.release())));
      conf.postBuild().ifPresent(w -> steps.add(new BuildPlan.Step("POST_BUILD", script(w.constant()))));
      List<BuildPlan.ExpectedModule> modules = new ArrayList<>();
      for (DkmsConf.Module m : conf.modules()) {
        String location = strip(m.builtLocation().constant());
        String dest = m.destLocation().constant();
        String destName = m.destName().constant();
        String install = Sysroot.modulesPath(k.release()) + "/" + strip(dest) + (strip(dest).isEmpty() ? "" : "/") + destName + ".ko";
        modules.add(new BuildPlan.ExpectedModule(m.builtName().constant(), location, destName, install));
      }
      return new BuildPlan.Build(d, k, buildDir, steps, modules, log, outDir, Optional.empty());
    }
  }

  /**
   * What {@code rpmbuild --rebuild} does once rpm has unpacked the SRPM (kmodkit unpacks it itself,
   * confined): {@code -bb} on its spec, with the build directory (a copy of the unpacked SRPM) as
   * {@code _topdir}, so the binary RPMs land in its RPMS/ and rpm's scripts in its tmp/. The kernel
   * is passed as MLNX's specs take it (KVERSION, K_SRC) and as kmodtool's do (kernels).
   * {@code --nodeps}: rpm's database knows nothing of a Debian host's toolchain, and a kmod spec's
   * {@code BuildRequires: kernel-devel} is what K_SRC stands for; kmodkit checks make, the compiler
   * and the headers itself. {@code _smp_mflags} empty: make takes its jobs from kmodkit's jobserver
   * (MAKEFLAGS), not -j$(nproc) of its own on every build at once.
   */
  static String rpmbuild(DriverSource.Srpm s, KernelTarget k, Path buildDir) {
    String top = buildDir.toAbsolutePath().toString();
    List<String> defines = List.of("_topdir " + top, "_tmppath " + top + "/tmp", "_smp_mflags %{nil}",
        "KVERSION " + k.release(), "K_SRC " + k.buildDir().toAbsolutePath(), "kernels " + k.release());
    StringBuilder c = new StringBuilder(TIMEOUT + RPMBUILD_LIMIT.toSeconds() + " rpmbuild -bb --nodeps");
    for (String d : defines) {
      c.append(" --define ").append(quote(d));
    }
    return c.append(' ').append(quote(buildDir.resolve(s.spec()).toAbsolutePath().toString())).toString();
  }

  /** coreutils' timeout, which ends a step that runs past its limit with status {@value #TIMED_OUT}. */
  static final String TIMEOUT = "timeout --kill-after=30 ";

  static final int TIMED_OUT = 124;

  /** An SRPM's whole rpmbuild: MLNX's driver stack takes some 30 minutes on one core. */
  static final java.time.Duration RPMBUILD_LIMIT = java.time.Duration.ofHours(2);

  /** Why dkms.conf's BUILD_EXCLUSIVE_* keeps the driver off {@code k}, or empty. */
  static Optional<String> excluded(DkmsConf conf, KernelTarget k) {
    if (conf.exclusiveKernel().isPresent() && !DkmsRegex.find(conf.exclusiveKernel().get(), k.release())) {
      return Optional.of("BUILD_EXCLUSIVE_KERNEL=\"" + conf.exclusiveKernel().get() + "\" does not match " + k.release());
    }
    if (conf.exclusiveKernelMin().isPresent() && compareReleases(k.release(), conf.exclusiveKernelMin().get()) < 0) {
      return Optional.of(k.release() + " is older than BUILD_EXCLUSIVE_KERNEL_MIN=\"" + conf.exclusiveKernelMin().get() + "\"");
    }
    if (conf.exclusiveKernelMax().isPresent() && compareReleases(k.release(), conf.exclusiveKernelMax().get()) > 0) {
      return Optional.of(k.release() + " is newer than BUILD_EXCLUSIVE_KERNEL_MAX=\"" + conf.exclusiveKernelMax().get() + "\"");
    }
    if (conf.exclusiveArch().isPresent() && !DkmsRegex.find(conf.exclusiveArch().get(), k.arch())) {
      return Optional.of("BUILD_EXCLUSIVE_ARCH=\"" + conf.exclusiveArch().get() + "\" does not match " + k.arch());
    }
    for (String item : conf.exclusiveConfig()) {
      boolean negated = item.startsWith("!");
      String name = negated ? item.substring(1) : item;
      // DKMS greps ^ITEM=[ym] in .config: an item that is not CONFIG_NAME matches no line
      boolean set = name.matches("CONFIG_[A-Za-z0-9_]+") && k.config().enabled(name.substring("CONFIG_".length()));
      if (set == negated) {
        return Optional.of("BUILD_EXCLUSIVE_CONFIG: " + name + (negated ? " is set" : " is not set") + " in " + k.release());
      }
    }
    return Optional.empty();
  }

  /**
   * Orders releases the way DKMS's version compare does for MIN/MAX: numeric runs compare as
   * numbers, anything else as text.
   */
  static int compareReleases(String a, String b) {
    String[] x = a.split("(?<=\\d)(?=\\D)|(?<=\\D)(?=\\d)");
    String[] y = b.split("(?<=\\d)(?=\\D)|(?<=\\D)(?=\\d)");
    for (int i = 0; i < Math.min(x.length, y.length); i++) {
      int c;
      if (!x[i].isEmpty() && !y[i].isEmpty() && Character.isDigit(x[i].charAt(0)) && Character.isDigit(y[i].charAt(0))) {
        c = new java.math.BigInteger(x[i]).compareTo(new java.math.BigInteger(y[i]));
      } else {
        c = x[i].compareTo(y[i]);
      }
      if (c != 0) {
        return c;
      }
    }
    return Integer.compare(x.length, y.length);
  }

  /**
   * DKMS rewrites a MAKE line's leading {@code make} to pass the release (it also adds
   * -j$(nproc); kmodkit shares its job slots with make through a jobserver instead).
   */
  static String dkmsMake(String command, String release) {
    String c = command.strip();
    if (c.equals("make") || c.startsWith("make ")) {
      return "make KERNELRELEASE=" + quote(release) + c.substring(4);
    }
    return c;
  }

  /** PRE_BUILD/POST_BUILD name a script relative to the build directory, maybe with arguments. */
  static String script(String value) {
    String v = value.strip();
    return v.startsWith("/") ? v : "./" + v;
  }

  private static String strip(String location) {
    String l = location.strip();
    while (l.startsWith("/")) {
      l = l.substring(1);
    }
    while (l.endsWith("/")) {
      l = l.substring(0, l.length() - 1);
    }
    return l;
  }

  /** Single-quotes {@code s} for sh. */
  static String quote(String s) {
    return "'" + s.replace("'", "'\\''") + "'";
  }
}
