package org.kmodkit.core.build;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.kmodkit.core.BadInputException;
import org.kmodkit.core.tree.Sysroot;

/** A driver's source tree, ready to be copied into a build directory. */
public sealed interface DriverSource permits DriverSource.Kbuild, DriverSource.Dkms, DriverSource.Srpm {
  /** The driver's name: the output directory under extra/, and the log's name. */
  String name();

  String version();

  /** The source directory (never written: each build works on a copy). */
  Path dir();

  /** What the user named (a directory, tarball or package), for messages. */
  String origin();

  /** The kind of source, as reports name it: kbuild, dkms, srpm. */
  String kind();

  <R, X extends Exception> R accept(Visitor<R, X> visitor) throws X;

  /** One method per kind of source, no default: a new kind does not compile until every visitor handles it. */
  interface Visitor<R, X extends Exception> {
    R visit(Kbuild d) throws X;

    R visit(Dkms d) throws X;

    R visit(Srpm d) throws X;
  }

  /** A plain Kbuild tree: {@code make -C <kernel> M=<copy> modules}, every .ko it makes is kept. */
  record Kbuild(String name, String version, Path dir, String origin) implements DriverSource {
    public Kbuild {
      requireName(name, origin);
    }

    @Override
    public String kind() {
      return "kbuild";
    }

    @Override
    public <R, X extends Exception> R accept(Visitor<R, X> visitor) throws X {
      return visitor.visit(this);
    }
  }

  /**
   * A DKMS tree: built as its dkms.conf says. {@code conf} is dkms.conf as read for the running
   * kernel (as {@code dkms add} reads it, for the name and version); {@link #confFor} reads it
   * again for each kernel a build is planned for, since dkms.conf may branch on it.
   */
  record Dkms(DkmsConf conf, Path dir, String origin, DkmsShell shell) implements DriverSource {
    /** dkms.conf sourced with {@code vars} (DKMS's variables for one kernel) set. */
    public DkmsConf confFor(Map<String, String> vars) throws BadInputException {
      return DkmsConf.evaluate(shell, dir.resolve("dkms.conf"), dir, vars);
    }

    @Override
    public String name() {
      return conf.packageName();
    }

    @Override
    public String version() {
      return conf.packageVersion();
    }

    @Override
    public String kind() {
      return "dkms";
    }

    @Override
    public <R, X extends Exception> R accept(Visitor<R, X> visitor) throws X {
      return visitor.visit(this);
    }
  }

  /**
   * A source RPM (akmods' kmod SRPMs, MLNX's driver SRPMs) unpacked as {@code rpm -i} would: its
   * .spec and sources in {@code dir}/SOURCES. Built by the real rpmbuild with {@code dir}'s copy as
   * its {@code _topdir}; the modules are those the binary RPMs it writes hold.
   *
   * @param name the source package's name (rpm's %{name})
   * @param spec the .spec's path relative to {@code dir}
   */
  record Srpm(String name, String version, Path dir, String spec, String origin) implements DriverSource {
    public Srpm {
      requireName(name, origin);
    }

    @Override
    public String kind() {
      return "srpm";
    }

    @Override
    public <R, X extends Exception> R accept(Visitor<R, X> visitor) throws X {
      return visitor.visit(this);
    }
  }

  /** The unpacked source RPM in {@code dir}; links leading out of it are left out of the build copy. */
  static Srpm srpm(Path dir, String spec, String name, String version, String origin) throws BadInputException {
    return new Srpm(name, version, dir, spec, origin);
  }

  /**
   * The driver in {@code dir}, a Kbuild tree named after the directory: {@code hello-1.2} is
   * hello version 1.2, {@code hello} is hello version 0.
   */
  static DriverSource of(Path dir, String origin) throws BadInputException {
    String base = dir.toAbsolutePath().normalize().getFileName() == null ? "driver" : dir.toAbsolutePath().normalize().getFileName().toString();
    java.util.regex.Matcher m = java.util.regex.Pattern.compile("(.+?)-(\\d[0-9A-Za-z.+~_-]*)").matcher(base);
    return m.matches() ? of(dir, origin, m.group(1), m.group(2)) : of(dir, origin, base, "0");
  }

  /**
   * The driver in {@code dir}: a DKMS tree when it has dkms.conf, a Kbuild tree when it has a
   * Kbuild or Makefile; {@code name} and {@code version} name a Kbuild tree (DKMS trees name
   * themselves).
   */
  static DriverSource of(Path dir, String origin, String name, String version) throws BadInputException {
    if (!Files.isDirectory(dir)) {
      throw new BadInputException(origin, "is not a directory; pass a driver source directory, a tarball of one, or a *-dkms package");
    }
    Path conf = dir.resolve("dkms.conf");
    if (Files.isRegularFile(conf)) {
      if (!Files.isReadable(conf)) {
        throw new BadInputException(conf.toString(), "cannot be read; check permissions");
      }
      DkmsShell shell = DkmsShell.detect();
      return new Dkms(DkmsConf.evaluate(shell, conf, dir, hostVars(dir, name, version)), dir, origin, shell);
    }
    if (Files.isRegularFile(dir.resolve("Kbuild")) || Files.isRegularFile(dir.resolve("Makefile"))) {
      return new Kbuild(name, version, dir, origin);
    }
    throw new BadInputException(origin, "has no dkms.conf, Kbuild or Makefile at its top; point at the driver's source directory (where `make -C <kernel> M=$PWD` would be run)");
  }

  /**
   * DKMS's variables as {@code dkms add} has them: the running kernel, the default trees; the
   * module named after the directory until dkms.conf names it.
   */
  private static Map<String, String> hostVars(Path dir, String name, String version) {
    String release = System.getProperty("os.version", "");
    Path abs = dir.toAbsolutePath().normalize();
    return Map.of("kernelver", release, "arch", "amd64".equals(System.getProperty("os.arch")) ? "x86_64" : System.getProperty("os.arch", ""), "kernel_source_dir", Sysroot.modulesPath(release, "build"),
        "dkms_tree", "/var/lib/dkms", "source_tree", abs.getParent() == null ? "/" : abs.getParent().toString(), "install_tree", Sysroot.modulesPath(),
        "module", name, "module_version", version);
  }

  private static void requireName(String name, String origin) {
    if (name == null || name.isBlank() || name.contains("/") || name.startsWith(".")) {
      throw new IllegalArgumentException(origin + ": driver name '" + name + "' cannot name a directory");
    }
  }
}
