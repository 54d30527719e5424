package org.kmodkit.core.build;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.kmodkit.core.BadInputException;
import org.kmodkit.core.host.ProcessRunner;
import org.kmodkit.core.host.SystemProcessRunner;

/**
 * Evaluates a dkms.conf the way DKMS 3.0.10 does ({@code read_conf}: bash sources it with
 * {@code kernelver}, {@code arch}, {@code kernel_source_dir}, … set, in a subshell whose values
 * are echoed as {@code NAME[i]="value"} and sourced again), but confined: under bubblewrap the
 * file sees a read-only root, an empty /tmp, no network and no other process, and is killed at
 * a time limit. Without bubblewrap (not installed, or no namespaces in this container) it runs
 * unconfined but for the time limit, and {@link #confinement()} says so.
 */
public final class DkmsShell {
  /** The variables DKMS sets before sourcing, in the order the script takes them as arguments. */
  static final List<String> INPUTS = List.of("kernelver", "arch", "kernel_source_dir", "dkms_tree", "source_tree", "install_tree", "module", "module_version");

  /** DKMS 3.0.10's dkms_conf_variables (upper case) and the newer BUILD_EXCLUSIVE_* kmodkit also honours. */
  static final List<String> OUTPUTS = List.of("CLEAN", "PACKAGE_NAME", "PACKAGE_VERSION", "POST_ADD", "POST_BUILD", "POST_INSTALL", "POST_REMOVE",
      "PRE_BUILD", "PRE_INSTALL", "BUILD_DEPENDS", "BUILD_EXCLUSIVE_KERNEL", "BUILD_EXCLUSIVE_ARCH", "OBSOLETE_BY", "MAKE", "MAKE_MATCH", "PATCH",
      "PATCH_MATCH", "BUILT_MODULE_NAME", "BUILT_MODULE_LOCATION", "DEST_MODULE_NAME", "DEST_MODULE_LOCATION", "STRIP", "AUTOINSTALL",
      "NO_WEAK_MODULES", "REMAKE_INITRD", "BUILD_EXCLUSIVE_KERNEL_MIN", "BUILD_EXCLUSIVE_KERNEL_MAX", "BUILD_EXCLUSIVE_CONFIG");

  /**
   * $1 the dkms.conf, $2 the directory to run in, then {@link #INPUTS}. The inner subshell is
   * DKMS's safe_source (stdout of the file discarded, values echoed and sourced again, so quoting
   * and expansion happen twice, as with DKMS); the values then leave as NUL-separated
   * name, index, value triples.
   */
  static final String SCRIPT = """
      conf=$1; cd -- "$2" || exit 97; shift 2
      kernelver=$1 arch=$2 kernel_source_dir=$3 dkms_tree=$4 source_tree=$5 install_tree=$6 module=$7 module_version=$8
      kernel_config=$kernel_source_dir/.config
      set -- ; unset _v _i
      _vars=(%s)
      _tmp=$(mktemp) || exit 97
      ( exec >"$_tmp" 3>&-
        . "$conf" >/dev/null
        for _v in "${_vars[@]}"; do
          for _i in $(eval echo \\${!$_v[@]}); do
            eval echo '$_v[$_i]=\\"${'$_v'[$_i]}\\"'
          done
        done )
      for _v in "${_vars[@]}"; do unset "$_v"; done
      . "$_tmp" 3>&-
      rm -f -- "$_tmp"
      exec >&3 3>&-
      for _v in "${_vars[@]}"; do
        eval '_idx=("${!'$_v'[@]}")'
        for _i in "${_idx[@]}"; do
          eval '_val=${'$_v'[$_i]}'
          printf '%%s\\0%%s\\0%%s\\0' "$_v" "$_i" "$_val"
        done
      done
      """.formatted(String.join(" ", OUTPUTS));

  /**
   * What sourcing left: the dkms.conf variables ({@code name, index, value}), and the first line
   * bash wrote on stderr (a syntax error DKMS would print and go on past), or empty.
   */
  public record Values(List<String[]> triples, String complaint) {}

  /** How an evaluation is confined: {@code bubblewrap}, or {@code none: …why}. */
  public record Confinement(boolean bubblewrap, String description) {}

  static final int MAX_OUTPUT = 1 << 20;
  private final Confinement confinement;
  private final Duration timeout;

  public DkmsShell(Confinement confinement, Duration timeout) {
    this.confinement = confinement;
    this.timeout = timeout;
  }

  /** Bubblewrap when it works here, else none (the reason named); 30 s per evaluation. */
  public static DkmsShell detect() {
    return new DkmsShell(Probe.RESULT, Duration.ofSeconds(30));
  }

  private static final class Probe {
    static final Confinement RESULT = probe(new SystemProcessRunner(), bwrap(Path.of("/"), Path.of("/tmp"), List.of("/bin/true")));
  }

  /** Bubblewrap if {@code argv} (bwrap running /bin/true) succeeds, else none and why. */
  static Confinement probe(ProcessRunner runner, List<String> argv) {
    try {
      List<String> out = new java.util.concurrent.CopyOnWriteArrayList<>();
      ProcessRunner.Result r = runner.run(ProcessRunner.Command.of(argv).withTimeout(Duration.ofSeconds(10)).withLines(out::add));
      if (r.timedOut()) {
        return new Confinement(false, "none: bubblewrap did not start within 10 s");
      }
      return r.exitCode() == 0 ? new Confinement(true, "bubblewrap")
          : new Confinement(false, "none: bubblewrap cannot confine here (" + out.stream().map(String::strip).filter(l -> !l.isEmpty()).findFirst().orElse("exit " + r.exitCode()) + ")");
    } catch (IOException e) {
      return new Confinement(false, "none: bubblewrap unavailable (" + e.getMessage() + "); install the bubblewrap package");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return new Confinement(false, "none: interrupted while probing bubblewrap");
    }
  }

  public Confinement confinement() {
    return confinement;
  }

  /** Everything read-only but {@code scratch} (TMPDIR), no network, no other process, a fresh /dev and /proc. */
  static List<String> bwrap(Path dir, Path scratch, List<String> command) {
    List<String> argv = new ArrayList<>(List.of("bwrap", "--unshare-all", "--die-with-parent", "--new-session", "--clearenv",
        "--setenv", "PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "--setenv", "LC_ALL", "C.UTF-8", "--setenv", "TMPDIR", scratch.toString(),
        "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "--bind", scratch.toString(), scratch.toString(), "--chdir", dir.toString(), "--"));
    argv.addAll(command);
    return argv;
  }

  /**
   * The argv that runs one build step (PATCH, PRE_BUILD, MAKE, POST_BUILD) of {@code b}: under
   * bubblewrap as {@link #bwrap} confines dkms.conf (read-only root, no network, no other
   * process), with the build directory, {@code writable} (the jobserver's pipe) and a scratch
   * TMPDIR beside it ({@code ../tmp}) the only places it can write, and DKMS's paths as on the
   * machine DKMS builds on: {@code /lib/modules/<release>/build} leads to the kernel's headers, as
   * linux-headers-&lt;release&gt; makes it (openrazer's MAKE, ddcci's and dahdi's Makefiles look
   * there), and {@code /usr/src/<name>-<version>} and {@code /var/lib/dkms/<name>/<version>/build}
   * are the build directory (west-chamber's MAKE builds in the one and moves modules to the other).
   * Without bubblewrap, {@code command} as it is (unconfined).
   */
  public List<String> confineBuild(List<String> command, BuildPlan.Build b, List<Path> writable) throws IOException {
    if (!confinement.bubblewrap()) {
      return command;
    }
    String build = b.buildDir().toAbsolutePath().toString();
    Path kernelBuild = Path.of("/lib").toRealPath().resolve("modules").resolve(b.kernel().release()).resolve("build");
    Path source = Path.of("/usr/src", b.driver().name() + "-" + b.driver().version());
    Path dkmsBuild = Path.of("/var/lib/dkms", b.driver().name(), b.driver().version(), "build");
    List<String> argv = new ArrayList<>(List.of("bwrap", "--unshare-all", "--die-with-parent", "--new-session", "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc"));
    for (Path p : List.of(kernelBuild, source, dkmsBuild)) {
      makeRoom(argv, p);
    }
    argv.addAll(List.of("--symlink", b.kernel().buildDir().toAbsolutePath().toString(), kernelBuild.toString(),
        "--bind", build, source.toString(), "--bind", build, dkmsBuild.toString()));
    Path scratch = Files.createDirectories(b.buildDir().toAbsolutePath().resolveSibling("tmp"));
    argv.addAll(List.of("--setenv", "TMPDIR", scratch.toString()));
    for (Path w : concat(List.of(b.buildDir().toAbsolutePath(), scratch), writable)) {
      argv.addAll(List.of("--bind", w.toAbsolutePath().toString(), w.toAbsolutePath().toString()));
    }
    argv.addAll(List.of("--chdir", build, "--"));
    argv.addAll(command);
    return argv;
  }

  /**
   * Lets bubblewrap make {@code target} on the read-only root: the nearest directory above it
   * that exists becomes a fresh one holding what it held (bound back read-only), less the entry
   * on the way to {@code target}.
   */
  private static void makeRoom(List<String> argv, Path target) throws IOException {
    Path dir = target.getParent();
    while (!Files.isDirectory(dir) && dir.getParent() != null) {
      dir = dir.getParent();
    }
    String skip = dir.relativize(target).getName(0).toString();
    argv.addAll(List.of("--tmpfs", dir.toString()));
    try (java.util.stream.Stream<Path> entries = Files.list(dir)) {
      for (Path e : entries.sorted().toList()) {
        if (!e.getFileName().toString().equals(skip)) {
          argv.addAll(Files.isSymbolicLink(e) ? List.of("--symlink", Files.readSymbolicLink(e).toString(), e.toString()) : List.of("--ro-bind", e.toString(), e.toString()));
        }
      }
    }
  }

  /**
   * Sources {@code conf} with {@code vars} (every one of {@link #INPUTS}) set, in {@code dir}, and
   * returns the dkms.conf variables it left set: name, index, value.
   */
  public Values evaluate(Path conf, Path dir, Map<String, String> vars) throws BadInputException {
    List<String> command = new ArrayList<>(List.of("/bin/bash", "-c", "exec 3>&1 1>&2; " + SCRIPT, "kmodkit-dkms.conf", conf.toAbsolutePath().toString(), dir.toAbsolutePath().toString()));
    for (String v : INPUTS) {
      command.add(vars.get(v));
    }
    Path scratch;
    try {
      scratch = Files.createTempDirectory("kmodkit-dkms-conf");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    try {
      return evaluate(conf, dir, command, scratch);
    } finally {
      deleteTree(scratch);
    }
  }

  private Values evaluate(Path conf, Path dir, List<String> command, Path scratch) throws BadInputException {
    ProcessBuilder pb = new ProcessBuilder(confinement.bubblewrap() ? bwrap(dir.toAbsolutePath(), scratch, command) : command).directory(dir.toFile())
        .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
    pb.environment().put("TMPDIR", scratch.toString());
    byte[] out;
    byte[] err;
    Process p;
    try {
      p = pb.start();
    } catch (IOException e) {
      throw new BadInputException(conf.toString(), "cannot run bash to read it as DKMS does (" + e.getMessage() + "); install bash");
    }
    try {
      Drain o = new Drain(p.getInputStream(), MAX_OUTPUT, p);
      Drain e = new Drain(p.getErrorStream(), 4096, null);
      o.start();
      e.start();
      boolean done = p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
      if (!done) {
        kill(p);
        throw new BadInputException(conf.toString(), "sourcing it (as DKMS does) ran past " + timeout.toSeconds() + " s and was killed (confinement: " + confinement.description() + "); make dkms.conf a list of assignments that ends");
      }
      o.join();
      e.join();
      if (o.overflow) {
        throw new BadInputException(conf.toString(), "sourcing it left more than " + MAX_OUTPUT + " bytes of dkms.conf variables; kmodkit stops there");
      }
      out = o.bytes.toByteArray();
      err = e.bytes.toByteArray();
    } catch (InterruptedException ex) {
      kill(p);
      Thread.currentThread().interrupt();
      throw new BadInputException(conf.toString(), "interrupted while sourcing it");
    }
    String complaint = new String(err, StandardCharsets.UTF_8).strip().lines().findFirst().orElse("");
    if (p.exitValue() != 0) {
      throw new BadInputException(conf.toString(), "bash could not source it as DKMS does: " + (complaint.isEmpty() ? "exit status " + p.exitValue() : complaint)
          + " (confinement: " + confinement.description() + ")");
    }
    return new Values(triples(conf.toString(), out), complaint);
  }

  private static void deleteTree(Path top) {
    try {
      BuildRunner.deleteTree(top);
    } catch (IOException e) {
      // a scratch directory the file made unremovable stays behind in the temporary directory
    }
  }

  private static void kill(Process p) {
    p.descendants().forEach(ProcessHandle::destroyForcibly);
    p.destroyForcibly();
  }

  private static List<Path> concat(List<Path> a, List<Path> b) {
    List<Path> all = new ArrayList<>(a);
    all.addAll(b);
    return all;
  }

  /** Splits NUL-separated name, index, value triples, strictly: known names, decimal indices. */
  static List<String[]> triples(String file, byte[] out) throws BadInputException {
    List<String> fields = new ArrayList<>();
    int start = 0;
    for (int i = 0; i < out.length; i++) {
      if (out[i] == 0) {
        fields.add(new String(out, start, i - start, StandardCharsets.UTF_8));
        start = i + 1;
      }
    }
    if (start != out.length || fields.size() % 3 != 0) {
      throw new BadInputException(file, "the values read back from bash are cut short; kmodkit does not guess the rest");
    }
    List<String[]> result = new ArrayList<>();
    for (int i = 0; i < fields.size(); i += 3) {
      String name = fields.get(i);
      String index = fields.get(i + 1);
      if (!OUTPUTS.contains(name) || !index.matches("0|[1-9][0-9]{0,5}")) {
        throw new BadInputException(file, "bash handed back '" + name + "[" + index + "]', which is not a dkms.conf variable with an index below 1000000");
      }
      result.add(new String[] {name, index, fields.get(i + 2)});
    }
    return result;
  }

  /** Reads a stream to its end, keeping at most {@code max} bytes; kills {@code owner} past that. */
  private static final class Drain extends Thread {
    final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    final InputStream in;
    final int max;
    final Process owner;
    volatile boolean overflow;

    Drain(InputStream in, int max, Process owner) {
      this.in = in;
      this.max = max;
      this.owner = owner;
      setDaemon(true);
    }

    @Override
    public void run() {
      byte[] buf = new byte[8192];
      try (in) {
        for (int n; (n = in.read(buf)) >= 0; ) {
          int keep = Math.min(n, max - bytes.size());
          bytes.write(buf, 0, keep);
          if (keep < n && owner != null) {
            overflow = true;
            kill(owner);
            return;
          }
        }
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }
}
