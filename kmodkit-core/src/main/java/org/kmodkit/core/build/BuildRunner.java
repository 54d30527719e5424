package org.kmodkit.core.build;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.kmodkit.core.BadInputException;
import org.kmodkit.core.EnvironmentException;
import org.kmodkit.core.abi.KernelAbi;
import org.kmodkit.core.check.Checker;
import org.kmodkit.core.check.ModuleVerdict;
import org.kmodkit.core.check.SetVerdict;
import org.kmodkit.core.elf.ModuleFile;
import org.kmodkit.core.elf.ModuleReader;
import org.kmodkit.core.host.ProcessRunner;
import org.kmodkit.core.tree.KernelAbiLoader;
import org.kmodkit.core.tree.Sysroot;

/**
 * Applies a {@link BuildPlan}: builds run in parallel on {@code jobs} slots (shared with make
 * through a {@link JobServer}), each in a fresh copy of its source with its own log; what a build
 * makes is checked against its kernel before it reaches the output tree. A failed build never
 * stops the others.
 */
public final class BuildRunner {
  /** Where a kernel's ABI comes from, to check the modules built for it. */
  public interface AbiSource {
    KernelAbi load(KernelTarget kernel) throws BadInputException;

    /** The installed tree when the kernel was named by release, else its build directory. */
    static AbiSource standard() {
      return k -> k.root().isPresent() ? KernelAbiLoader.fromTree(k.root().get(), k.release()) : KernelAbiLoader.fromHeaders(k.buildDir());
    }
  }

  /** Unpacks the kernel modules the packages of a build hold: the packaging layer reads RPMs, core does not. */
  @FunctionalInterface
  public interface PackageModules {
    /** Unpacks every .ko of {@code packages} into {@code dest} (which must not exist yet); returns their installed paths. */
    List<String> unpack(List<Path> packages, Path dest) throws BadInputException, EnvironmentException;

    /** For runners whose builds make no packages. */
    static PackageModules none() {
      return (packages, dest) -> {
        throw new IllegalStateException("this runner reads no packages: pass the packaging layer's reader");
      };
    }
  }

  private static final Pattern MODULES_DIR = Pattern.compile("(?:/usr)?/lib/modules/([^/]+)/.*");
  private static final Pattern COMPILER_ERROR = Pattern.compile(".*:\\d+(:\\d+)?: (fatal )?error: .*|.*: fatal error: .*");
  private static final Pattern MODPOST_ERROR = Pattern.compile("^(ERROR|FATAL): .*");
  private static final Pattern MAKE_ERROR = Pattern.compile("^make(\\[\\d+\\])?: \\*\\*\\* .*");
  private static final Pattern RPM_ERROR = Pattern.compile("^error: .*");
  private static final int ERROR_LINES = 6;

  private final ProcessRunner processes;
  private final JobServer jobServer;
  private final int jobs;
  private final BuildListener listener;
  private final ModuleSigner signer;
  private final AbiSource abiSource;
  private final PackageModules packageModules;
  private final Map<String, CompletableFuture<KernelAbi>> abis = new ConcurrentHashMap<>();

  /**
   * @param signer signs every module written to the output tree; null to leave them unsigned
   * @param packageModules reads the modules out of the packages an SRPM's build makes
   */
  public BuildRunner(ProcessRunner processes, JobServer jobServer, int jobs, BuildListener listener, ModuleSigner signer, AbiSource abiSource, PackageModules packageModules) {
    if (jobs < 1) {
      throw new IllegalArgumentException("jobs must be at least 1, not " + jobs);
    }
    this.processes = processes;
    this.jobServer = jobServer;
    this.jobs = jobs;
    this.listener = listener;
    this.signer = signer;
    this.abiSource = abiSource;
    this.packageModules = packageModules;
  }

  public BuildReport run(BuildPlan plan) throws InterruptedException {
    List<BuildPlan.Build> builds = plan.builds();
    int total = builds.size();
    long t0 = System.nanoTime();
    AtomicInteger started = new AtomicInteger();
    AtomicInteger done = new AtomicInteger();
    ExecutorService pool = Executors.newFixedThreadPool(Math.max(1, Math.min(jobs, total)), r -> {
      Thread t = new Thread(r, "kmodkit-build");
      t.setDaemon(true);
      return t;
    });
    jobServer.grant(jobs - total);
    List<Future<BuildResult>> futures = new ArrayList<>();
    try {
      for (BuildPlan.Item item : plan.items()) {
        if (item instanceof BuildPlan.Skip skip) {
          futures.add(CompletableFuture.completedFuture(new BuildResult.Skipped(skip)));
          continue;
        }
        BuildPlan.Build b = (BuildPlan.Build) item;
        futures.add(pool.submit(() -> {
          listener.started(b, started.incrementAndGet(), total);
          BuildResult r = build(b);
          if (started.get() == total) {
            jobServer.grant(1); // nothing waits for this slot: let the running makes use it
          }
          listener.finished(r, done.incrementAndGet(), total);
          return r;
        }));
      }
      List<BuildResult> results = new ArrayList<>();
      for (Future<BuildResult> f : futures) {
        try {
          results.add(f.get());
        } catch (ExecutionException e) {
          throw new IllegalStateException("a build thread failed: " + e.getCause(), e.getCause());
        }
      }
      return new BuildReport(results, Duration.ofNanos(System.nanoTime() - t0), jobs);
    } finally {
      pool.shutdownNow();
    }
  }

  BuildResult build(BuildPlan.Build b) {
    long t0 = System.nanoTime();
    long inProcesses = 0;
    try {
      Files.createDirectories(b.log().getParent());
      Files.writeString(b.log(), "# kmodkit rebuild: " + b.id() + "\n# source: " + b.driver().origin() + "\n# build directory: " + b.buildDir() + "\n", StandardCharsets.UTF_8);
      deleteTree(b.buildDir());
      for (String left : copyTree(b.driver().dir(), b.buildDir())) {
        appendLog(b.log(), "# kmodkit: left out of the build copy: the link " + left + " leads out of the source tree (never copied, never followed)\n");
      }
      if (b.driver() instanceof DriverSource.Dkms d) {
        appendLog(b.log(), "# build steps' confinement: " + d.shell().confinement().description()
            + (d.shell().confinement().bubblewrap() ? " (writable: the build directory, also at /usr/src/" + d.name() + "-" + d.version() + " and /var/lib/dkms/" + d.name() + "/" + d.version() + "/build, and TMPDIR ../tmp; /lib/modules/" + b.kernel().release() + "/build: the kernel's headers; no network)" : " (they run as kmodkit's user, unconfined, as DKMS runs them)") + "\n");
      }
      for (BuildPlan.Step step : b.steps()) {
        appendLog(b.log(), "\n# " + step.name() + ": " + step.command() + "\n");
        long s0 = System.nanoTime();
        List<String> argv = jobServer.command(step.command());
        if (b.driver() instanceof DriverSource.Dkms d) {
          argv = d.shell().confineBuild(argv, b, jobServer.paths());
        }
        int code = processes.run(ProcessRunner.Command.of(argv).withDir(b.buildDir()).withEnv(env()).withLog(b.log())).exitCode();
        inProcesses += System.nanoTime() - s0;
        if (code != 0 && step.statusIgnored()) {
          appendLog(b.log(), "\n# kmodkit: " + step.name() + " exited with status " + code + "; DKMS goes on, and so does kmodkit\n");
        } else if (code != 0) {
          String why = code == BuildPlanner.TIMED_OUT && step.command().startsWith(BuildPlanner.TIMEOUT) ? " ran past its time limit and was stopped" : " exited with status " + code;
          return failed(b, t0, inProcesses, step.name() + why, errorLines(b.log()), List.of());
        }
      }
      List<Path> packages = List.of();
      if (b.packageDir().isPresent()) {
        packages = packages(b.buildDir().resolve("RPMS"));
        if (packages.isEmpty()) {
          return failed(b, t0, inProcesses, "rpmbuild wrote no binary RPM under " + b.buildDir().resolve("RPMS"), errorLines(b.log()), List.of());
        }
      }
      List<BuiltFile> files;
      try {
        files = b.packageDir().isPresent() ? unpackModules(b, packages) : collect(b);
      } catch (BadInputException | EnvironmentException e) {
        return failed(b, t0, inProcesses, "cannot take the modules out of the RPMs rpmbuild wrote: " + e.getMessage(), List.of(), List.of());
      }
      if (files.isEmpty() && b.packageDir().isPresent()) {
        return failed(b, t0, inProcesses, "the RPMs rpmbuild wrote hold no .ko file: " + String.join(", ", packages.stream().map(p -> p.getFileName().toString()).toList()), List.of(), List.of());
      }
      for (BuiltFile f : files) {
        String release = release(f.expected.installPath());
        if (release != null && !release.equals(b.kernel().release())) {
          return failed(b, t0, inProcesses, "the RPM installs " + f.expected.installPath() + ", a module for kernel " + release + ", not " + b.kernel().release()
              + ": the spec ignores KVERSION; make it install to /lib/modules/%{KVERSION}/", errorLines(b.log()), List.of());
        }
      }
      if (files.isEmpty()) {
        return failed(b, t0, inProcesses, "the build made no .ko file in " + b.buildDir(), errorLines(b.log()), List.of());
      }
      for (BuiltFile f : files) {
        if (!Files.isRegularFile(f.path)) {
          String conf = b.driver() instanceof DriverSource.Dkms d ? d.conf().file() : "dkms.conf";
          return failed(b, t0, inProcesses, "BUILT_MODULE_NAME " + f.expected.builtName() + ": " + b.buildDir().relativize(f.path) + " was not made; check BUILT_MODULE_NAME/BUILT_MODULE_LOCATION in " + conf, errorLines(b.log()), List.of());
        }
      }
      return checkAndWrite(b, files, packages, t0, inProcesses);
    } catch (IOException | UncheckedIOException e) {
      return failed(b, t0, inProcesses, "kmodkit could not prepare or collect the build (" + e.getMessage() + "); check free space and permissions under " + b.buildDir().getParent(), List.of(), List.of());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return failed(b, t0, inProcesses, "interrupted", List.of(), List.of());
    }
  }

  /**
   * The jobserver's variables, and the C locale: compiler messages in plain ASCII, the same on
   * every machine, so logs and the error lines quoted from them grep alike.
   */
  private Map<String, String> env() {
    Map<String, String> env = new java.util.HashMap<>(jobServer.env());
    env.put("LC_ALL", "C");
    // the kernel's Makefile unexports LC_ALL, so the compiler would fall back to LANG/LC_*
    env.put("LANG", "C");
    env.put("LC_CTYPE", "C");
    env.put("LC_MESSAGES", "C");
    return env;
  }

  private record BuiltFile(Path path, BuildPlan.ExpectedModule expected) {}

  private static List<BuiltFile> collect(BuildPlan.Build b) throws IOException {
    List<BuiltFile> out = new ArrayList<>();
    if (b.modules().isEmpty()) {
      try (Stream<Path> s = Files.walk(b.buildDir())) {
        for (Path p : s.filter(p -> p.getFileName().toString().endsWith(".ko") && Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)).sorted().toList()) {
          String name = p.getFileName().toString();
          name = name.substring(0, name.length() - 3);
          out.add(new BuiltFile(p, new BuildPlan.ExpectedModule(name, b.buildDir().relativize(p.getParent()).toString(), name, null)));
        }
      }
      return out;
    }
    for (BuildPlan.ExpectedModule m : b.modules()) {
      Path dir = m.builtLocation().isEmpty() ? b.buildDir() : b.buildDir().resolve(m.builtLocation());
      out.add(new BuiltFile(dir.resolve(m.builtName() + ".ko"), m));
    }
    return out;
  }

  /** The binary RPMs rpmbuild wrote under {@code rpms} (RPMS/&lt;arch&gt;/), sorted. */
  private static List<Path> packages(Path rpms) throws IOException {
    if (!Files.isDirectory(rpms, LinkOption.NOFOLLOW_LINKS)) {
      return List.of();
    }
    try (Stream<Path> s = Files.walk(rpms)) {
      return s.filter(p -> p.getFileName().toString().endsWith(".rpm") && Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)).sorted().toList();
    }
  }

  /** The .ko files the packages hold, unpacked (confined) into the build directory's MODULES/. */
  private List<BuiltFile> unpackModules(BuildPlan.Build b, List<Path> packages) throws IOException, BadInputException, EnvironmentException {
    Path dest = b.buildDir().resolve("MODULES");
    deleteTree(dest);
    List<BuiltFile> out = new ArrayList<>();
    for (String installed : packageModules.unpack(packages, dest)) {
      Path file = dest.resolve(installed.substring(1));
      String base = file.getFileName().toString();
      if (base.endsWith(".ko") && Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
        String name = base.substring(0, base.length() - 3);
        out.add(new BuiltFile(file, new BuildPlan.ExpectedModule(name, "", name, installed)));
      }
    }
    return out;
  }

  /** The kernel release a module's installed path names (/lib/modules/&lt;release&gt;/…), or null. */
  static String release(String installPath) {
    java.util.regex.Matcher m = installPath == null ? null : MODULES_DIR.matcher(installPath);
    return m != null && m.matches() ? m.group(1) : null;
  }

  private BuildResult checkAndWrite(BuildPlan.Build b, List<BuiltFile> files, List<Path> packages, long t0, long inProcesses) throws IOException {
    List<ModuleFile> modules = new ArrayList<>();
    try {
      for (BuiltFile f : files) {
        modules.add(ModuleReader.read(f.path));
      }
    } catch (BadInputException e) {
      return failed(b, t0, inProcesses, "the build made an unreadable module: " + e.getMessage(), List.of(), List.of());
    }
    KernelAbi abi;
    try {
      abi = abi(b.kernel());
      for (ModuleFile m : modules) {
        Checker.requireSameArch(m, abi);
      }
    } catch (BadInputException e) {
      return failed(b, t0, inProcesses, "cannot check the modules: " + e.getMessage(), List.of(), List.of());
    }
    SetVerdict verdict = new Checker(abi).check(b.driver().name(), modules);
    boolean loads = verdict.loads();
    List<Path> written = new ArrayList<>();
    if (loads) {
      deleteTree(b.outDir()); // a module an earlier run made and this one no longer does must not linger
      if (b.packageDir().isPresent()) {
        deleteTree(b.packageDir().get());
        for (Path p : packages) {
          Path target = b.packageDir().get().resolve(p.getFileName().toString());
          write(target, Files.readAllBytes(p));
          written.add(target);
        }
      }
    }
    List<BuildResult.Module> results = new ArrayList<>();
    for (int i = 0; i < files.size(); i++) {
      BuiltFile f = files.get(i);
      ModuleVerdict v = verdict.modules().get(i);
      Path file = f.path;
      boolean signed = false;
      if (loads) {
        file = b.outDir().resolve(f.expected.destName() + ".ko");
        byte[] bytes = Files.readAllBytes(f.path);
        if (signer != null) {
          try {
            bytes = signer.sign(f.path.toString(), bytes);
            signed = true;
          } catch (BadInputException e) {
            return failed(b, t0, inProcesses, "cannot sign " + f.path.getFileName() + ": " + e.getMessage(), List.of(), List.of());
          }
        }
        write(file, bytes);
      }
      results.add(new BuildResult.Module(v.name(), file, f.expected.installPath(), signed, v));
    }
    if (!loads) {
      return failed(b, t0, inProcesses, "check rejects the module it built", List.of(), results);
    }
    deleteTree(b.buildDir());
    return new BuildResult.Built(b, since(t0), Duration.ofNanos(inProcesses), results, written);
  }

  private KernelAbi abi(KernelTarget k) throws BadInputException {
    CompletableFuture<KernelAbi> mine = new CompletableFuture<>();
    CompletableFuture<KernelAbi> f = abis.putIfAbsent(k.release(), mine);
    if (f == null) {
      f = mine;
      try {
        mine.complete(abiSource.load(k));
      } catch (BadInputException | RuntimeException | Error e) {
        mine.completeExceptionally(e); // an Error too: the other builds of this kernel wait on it
      }
    }
    try {
      return f.join();
    } catch (java.util.concurrent.CompletionException e) {
      if (e.getCause() instanceof BadInputException bad) {
        throw bad;
      }
      if (e.getCause() instanceof Error err) {
        throw err;
      }
      throw e;
    }
  }

  private static BuildResult failed(BuildPlan.Build b, long t0, long inProcesses, String reason, List<String> errors, List<BuildResult.Module> modules) {
    try {
      appendLog(b.log(), "\n# kmodkit: FAILED: " + reason + "\n");
    } catch (IOException e) {
      // the report still says why
    }
    return new BuildResult.Failed(b, since(t0), Duration.ofNanos(inProcesses), reason, errors, modules);
  }

  private static Duration since(long t0) {
    return Duration.ofNanos(System.nanoTime() - t0);
  }

  /**
   * The lines a person looks for first: compiler errors, else modpost's ERROR lines, else make's
   * *** lines, else rpmbuild's error: lines (a spec's fault), else the log's last lines.
   */
  static List<String> errorLines(Path log) {
    List<String> lines;
    try {
      lines = Files.readAllLines(log, StandardCharsets.UTF_8);
    } catch (IOException e) {
      try {
        lines = new String(Files.readAllBytes(log), StandardCharsets.ISO_8859_1).lines().toList();
      } catch (IOException e2) {
        return List.of();
      }
    }
    for (Pattern p : List.of(COMPILER_ERROR, MODPOST_ERROR, MAKE_ERROR, RPM_ERROR)) {
      List<String> hits = lines.stream().filter(l -> p.matcher(l).matches()).limit(ERROR_LINES).toList();
      if (!hits.isEmpty()) {
        return hits;
      }
    }
    List<String> tail = lines.stream().filter(l -> !l.startsWith("# ")).toList();
    return tail.subList(Math.max(0, tail.size() - ERROR_LINES), tail.size());
  }

  private static void appendLog(Path log, String text) throws IOException {
    Files.writeString(log, text, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
  }

  /**
   * Writes {@code file} whole or not at all, never through a link: a link standing at {@code file}
   * is replaced, not followed.
   */
  static void write(Path file, byte[] bytes) throws IOException {
    Files.createDirectories(file.getParent());
    Path tmp = file.resolveSibling("." + file.getFileName() + ".tmp");
    Files.deleteIfExists(tmp);
    Files.write(tmp, bytes, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
    Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }

  /**
   * Copies a source tree: files with their permissions, links as links (never followed). A link
   * leading out of the tree (absolute, or climbing above it through {@code ..} and other links) is
   * left out: in the copy it would let the build read what lies outside, or lead elsewhere than in
   * the source. DKMS copies such links as they are; kmodkit names them (a package's
   * {@code README.gz -> ../../share/doc/…} is common and harmless to leave out). When the copy goes
   * inside the source (`kmodkit rebuild -s .` with the default --out), the directory holding it is
   * left out, or the copy would copy itself.
   *
   * @return the links left out, as {@code path -> target} relative to the tree
   */
  public static List<String> copyTree(Path from, Path to) throws IOException {
    Path src = from.toAbsolutePath().normalize();
    Path dst = to.toAbsolutePath().normalize();
    Path inside = dst.startsWith(src) && !dst.equals(src) ? src.resolve(src.relativize(dst).getName(0)) : null;
    Path real = src.toRealPath();
    Sysroot tree = new Sysroot(real);
    List<String> leftOut = new ArrayList<>();
    Files.walkFileTree(src, new SimpleFileVisitor<>() {
      @Override
      public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) throws IOException {
        if (dir.equals(inside)) {
          return FileVisitResult.SKIP_SUBTREE;
        }
        Files.createDirectories(dst.resolve(src.relativize(dir).toString()));
        return FileVisitResult.CONTINUE;
      }

      @Override
      public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
        String rel = src.relativize(file).toString();
        if (attrs.isSymbolicLink()) {
          String target = Files.readSymbolicLink(file).toString();
          if (target.startsWith("/") || tree.locate(real.resolve(rel).getParent(), target).isEmpty()) {
            leftOut.add(rel + " -> " + target);
            return FileVisitResult.CONTINUE;
          }
        }
        Files.copy(file, dst.resolve(rel), LinkOption.NOFOLLOW_LINKS, StandardCopyOption.COPY_ATTRIBUTES);
        return FileVisitResult.CONTINUE;
      }
    });
    return leftOut;
  }

  /** Deletes {@code dir} and everything under it, never following links out of it. */
  public static void deleteTree(Path dir) throws IOException {
    if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    Files.walkFileTree(dir, new SimpleFileVisitor<>() {
      @Override
      public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
        Files.delete(file);
        return FileVisitResult.CONTINUE;
      }

      @Override
      public FileVisitResult postVisitDirectory(Path d, IOException exc) throws IOException {
        if (exc != null) {
          throw exc;
        }
        Files.delete(d);
        return FileVisitResult.CONTINUE;
      }
    });
  }
}
