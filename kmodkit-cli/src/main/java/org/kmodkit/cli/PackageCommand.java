package org.kmodkit.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.kmodkit.core.BadInputException;
import org.kmodkit.core.KmodkitException;
import org.kmodkit.formats.sign.OpenPgpSigner;
import org.kmodkit.repo.PackagePlanner;
import org.kmodkit.formats.PackageSpec;
import org.kmodkit.formats.PackageWriter;
import org.kmodkit.repo.Shipment;
import org.kmodkit.formats.deb.DebWriter;
import org.kmodkit.formats.rpm.RpmWriter;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code kmodkit package --modules DIR --name N --version V}: rebuilt modules as kmod RPMs and/or .debs, plus N-kernel-only. */
// no mixinStandardHelpOptions: its -V/--version would take --version, which here is the package's
@Command(
    name = "package",
    description = {
      "Package rebuilt modules (the --out tree of `kmodkit rebuild`): one kmod package per kernel (or one KMP with --kmp) and <name>-kernel-only.",
      "RPMs require kernel(<sym>) = 0x<crc> for every symbol taken from the kernel and provide kmod(<module>.ko); scriptlets run depmod and weak-modules.",
      "Exit: 0 written, 2 bad input, 3 environment."
    })
final class PackageCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help message and exit.")
  boolean help;

  @Option(names = "--modules", required = true, paramLabel = "DIR", description = "The rebuild output: DIR/<release>/extra/<driver>/*.ko.")
  Path modules;

  @Option(names = "--name", required = true, paramLabel = "N", description = "The driver package name (kmod-N-<release>, N-kernel-only).")
  String name;

  @Option(names = "--version", required = true, paramLabel = "V", description = "Its version; V-R sets the release too (rpm refuses a Version with '-').")
  String version;

  @Option(names = "--release", paramLabel = "R", description = "The package release (default 1).")
  String release;

  @Option(names = "--format", paramLabel = "FMT", defaultValue = "rpm", description = "rpm (default), deb or both.")
  Shipment.Format format;

  @Option(names = "--kmp", description = "One kernel module package built for one kernel (--build-kernel, default the oldest), reaching the others through weak-updates.")
  boolean kmp;

  @Option(names = "--build-kernel", paramLabel = "RELEASE", description = "With --kmp: the kernel whose build goes in the package.")
  String buildKernel;

  @Option(names = {"-o", "--out"}, paramLabel = "DIR", defaultValue = ".", description = "Where the package files go (default: the current directory).")
  Path out;

  @Mixin Options.PgpKeyOrSignKey pgpKey;

  @Option(names = "--vendor", paramLabel = "TEXT", description = "Vendor / maintainer field.")
  String vendor;

  @Option(names = "--dry-run", description = "Print the packages, their files, requires and provides; write nothing.")
  boolean dryRun;

  @Override
  public Integer call() throws KmodkitException {
    PackagePlanner plan = PackagePlanner.scan(new PackagePlanner.Request(name, version, release, kmp, buildKernel, vendor, buildTime()), modules);
    OpenPgpSigner signer = signer(pgpKey.key);
    var o = spec.commandLine().getOut();
    List<PackageSpec> specs = new ArrayList<>();
    if (format.rpm()) {
      specs.addAll(plan.rpm());
    }
    if (format.deb()) {
      specs.addAll(plan.deb());
    }
    if (dryRun) {
      for (PackageSpec s : specs) {
        o.println(s.nevra() + ": " + s.files().size() + " files, " + s.requires().size() + " requires, " + s.provides().size() + " provides");
        s.files().forEach(f -> o.println("  file     " + f.path()));
        s.requires().forEach(r -> o.println("  requires " + r.rpmString()));
        s.provides().forEach(r -> o.println("  provides " + r.rpmString()));
      }
      return ExitCode.OK.code();
    }
    Rebuild.requireWritableDir(out, "--out");
    if (signer == null) {
      spec.commandLine().getErr().println("kmodkit: warning: packages are unsigned; nodes then need gpgcheck=0 — give --pgp-key");
    }
    if (format.rpm()) {
      write(new RpmWriter(), plan.rpm(), signer);
    }
    if (format.deb()) {
      write(new DebWriter(), plan.deb(), signer);
    }
    return ExitCode.OK.code();
  }

  private void write(PackageWriter w, List<PackageSpec> specs, OpenPgpSigner signer) throws KmodkitException {
    for (PackageSpec s : specs) {
      spec.commandLine().getOut().println(w.write(s, out, signer));
    }
  }

  static long buildTime() {
    String epoch = System.getenv("SOURCE_DATE_EPOCH");
    if (epoch != null && epoch.matches("\\d{1,12}")) {
      return Long.parseLong(epoch);
    }
    return System.currentTimeMillis() / 1000;
  }

  /** Loads an OpenPGP secret key (null when not given); the passphrase comes from KMODKIT_SIGN_PASSPHRASE. */
  static OpenPgpSigner signer(Path key) throws KmodkitException {
    if (key == null) {
      return null;
    }
    if (!Files.isReadable(key)) {
      throw new BadInputException(key.toString(), "cannot read the OpenPGP secret key; export one with `gpg --export-secret-keys --armor KEYID > FILE`");
    }
    String pass = System.getenv("KMODKIT_SIGN_PASSPHRASE");
    return OpenPgpSigner.load(key, pass == null ? new char[0] : pass.toCharArray());
  }
}
