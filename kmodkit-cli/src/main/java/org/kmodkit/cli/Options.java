package org.kmodkit.cli;

import java.nio.file.Path;
import java.util.List;
import org.kmodkit.core.BadInputException;
import org.kmodkit.cli.input.KernelSpec;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * Options several commands share, each declared once as a picocli mixin: one name and one
 * meaning per option. Where a command words an option its own way (the schema --json prints, what
 * --root holds for it), the text is under {@code kmodkit.<command>.<descriptionKey>} in
 * {@link Texts}; an option whose meaning is the same everywhere has its text here.
 */
final class Options {
  private Options() {}

  /**
   * What a shared option says in one command's help, where the command words it its own way: the key
   * is {@code kmodkit.<command>.<descriptionKey>}. Java data, not a .properties file: picocli
   * enumerates a bundle's keys when it is set, on every run, and reading a resource through the class
   * loader (or ResourceBundle.getBundle's lookup, ~30 ms) cost more than the run's own work.
   */
  static final class Texts extends java.util.ListResourceBundle {
    @Override
    protected Object[][] getContents() {
      return new Object[][] {
        {"kmodkit.check.kernel", "The target kernel (repeat for several packages of one kernel)."},
        {"kmodkit.check.root", "System root holding lib/modules/<release>; --kernel then names the release."},
        {"kmodkit.check.json", "Print JSON (schema kmodkit.check/1, see docs/json.md)."},
        {"kmodkit.check.verbose", "List every problem in the kernel's words, not just the summary."},
        {"kmodkit.check.quiet", "Print only modules that would not load, and the totals."},
        {"kmodkit.verify.kernel", "A vmlinuz, the kernel's image package (repeat for more packages of it), or a release under --root."},
        {"kmodkit.verify.root", "System root holding boot/ and lib/modules/<release>: --kernel then names the release (or a vmlinuz whose modules lie here)."},
        {"kmodkit.verify.json", "Print JSON (schema kmodkit.verify/1, see docs/json.md)."},
        {"kmodkit.rebuild.kernel", "A kernel to build for (repeat; packages of several kernels may be mixed)."},
        {"kmodkit.rebuild.root", "System root holding lib/modules/<release>/build; --kernel then names releases."},
        {"kmodkit.rebuild.json", "Print the report as JSON (schema kmodkit.rebuild/1, see docs/json.md)."},
        {"kmodkit.add-kernel-support.kernel", "A kernel to add (repeat)."},
        {"kmodkit.add-kernel-support.root", "System root holding lib/modules/<release>/build; --kernel then names releases."},
        {"kmodkit.add-kernel-support.json", "Print the report as JSON (kmodkit.rebuild/1 with bundle fields)."},
        {"kmodkit.add-kernel-support.pgp-key", "OpenPGP secret key (gpg --export-secret-keys --armor) signing the packages and the repository; without it a one-time key is made and only its public half kept in the bundle."},
        {"kmodkit.package.pgp-key", "OpenPGP secret key (gpg --export-secret-keys --armor) to sign the RPMs (and .debs, debsigs-style) with; passphrase from KMODKIT_SIGN_PASSPHRASE."},
        {"kmodkit.repo.create.pgp-key", "OpenPGP secret key (gpg --export-secret-keys --armor) that signs the metadata; passphrase from KMODKIT_SIGN_PASSPHRASE."},
        {"kmodkit.preflight.json", "Print JSON (schema kmodkit.preflight/1)."},
        {"kmodkit.demo.json", "Print the matrix as JSON (schema kmodkit.status/1)."},
        {"kmodkit.inspect.json", "Print JSON (schema kmodkit.inspect/1) instead of text."},
        {"kmodkit.weak-modules.json", "Print the plan as JSON (schema kmodkit.weak/1)."},
        {"kmodkit.cache.list.json", "Print JSON (schema kmodkit.cache/1, see docs/json.md)."},
        {"kmodkit.status.json", "Print JSON (schema kmodkit.status/1)."},
        {"kmodkit.fleet.report.json", "Print JSON (schema kmodkit.fleet/1) with every node list in full."}
      };
    }
  }

  /** {@code --kernel KERNEL… [--root DIR]}: one grammar for every command ({@link KernelSpec}). */
  static final class Kernel {
    @Option(names = {"-k", "--kernel"}, required = true, paramLabel = "KERNEL", descriptionKey = "kernel", description = "The kernel (repeat for several packages).")
    List<String> kernel;

    @Option(names = "--root", paramLabel = "DIR", descriptionKey = "root", description = "System root holding boot/ and lib/modules/<release>; --kernel then names releases.")
    Path root;

    /** Every kernel named, in order (rebuild, add-kernel-support). */
    List<KernelSpec> all() throws BadInputException {
      return KernelSpec.parse(kernel, root);
    }

    /** The one kernel named (check, verify). */
    KernelSpec one() throws BadInputException {
      return KernelSpec.one(kernel, root);
    }

    /** The arguments as given, for reports. */
    String label() {
      return String.join(" + ", kernel);
    }
  }

  /** {@code --json}: data as JSON on stdout, in the schema the command's text names. */
  static final class Json {
    @Option(names = "--json", descriptionKey = "json", description = "Print JSON (see docs/json.md).")
    boolean json;

    boolean on() {
      return json;
    }
  }

  /** {@code -v | -q}: more or less than the summary, not both. */
  static final class Verbosity {
    static final class Level {
      @Option(names = {"-v", "--verbose"}, descriptionKey = "verbose", description = "Say more.")
      boolean verbose;

      @Option(names = {"-q", "--quiet"}, descriptionKey = "quiet", description = "Say less.")
      boolean quiet;
    }

    @ArgGroup(exclusive = true)
    Level level;

    boolean verbose() {
      return level != null && level.verbose;
    }

    boolean quiet() {
      return level != null && level.quiet;
    }
  }

  /** {@code -j N}: job slots shared by all builds and their makes. */
  static final class Jobs {
    @Spec(Spec.Target.MIXEE)
    CommandSpec mixee;

    @Option(names = {"-j", "--jobs"}, paramLabel = "N", description = "Job slots shared by all builds and their makes (default: the number of cores).")
    Integer jobs;

    int slots() {
      int n = jobs == null ? Runtime.getRuntime().availableProcessors() : jobs;
      if (n < 1) {
        throw new ParameterException(mixee.commandLine(), "-j must be at least 1");
      }
      return n;
    }
  }

  /** Module signing with a PEM key, as the kernel's sign-file does; --sign-key/--sign-cert are its old names. */
  static final class ModuleSigning {
    @Spec(Spec.Target.MIXEE)
    CommandSpec mixee;

    Path key;
    Path cert;

    @Option(names = "--module-key", paramLabel = "KEY", description = "PEM private key to sign every module with (the kernel's signing_key.pem works).")
    void key(Path key) {
      this.key = key;
    }

    @Option(names = "--module-cert", paramLabel = "CERT", description = "Its X.509 certificate, PEM or DER (the key id modinfo shows is its serial).")
    void cert(Path cert) {
      this.cert = cert;
    }

    @Option(names = "--sign-key", hidden = true, paramLabel = "KEY", description = "Deprecated: --module-key.")
    void oldKey(Path key) {
      deprecated(mixee, "--sign-key", "--module-key");
      this.key = key;
    }

    @Option(names = "--sign-cert", hidden = true, paramLabel = "CERT", description = "Deprecated: --module-cert.")
    void oldCert(Path cert) {
      deprecated(mixee, "--sign-cert", "--module-cert");
      this.cert = cert;
    }

    @Option(names = "--sign-hash", paramLabel = "HASH", defaultValue = "sha256", description = "Signature hash: sha256 (default), sha384, sha512 (the kernel's CONFIG_MODULE_SIG_HASH).")
    String hash;
  }

  /** {@code --pgp-key}: the OpenPGP secret key that signs packages and repositories. */
  static class PgpKey {
    Path key;

    @Option(names = "--pgp-key", paramLabel = "FILE", descriptionKey = "pgp-key", description = "OpenPGP secret key (gpg --export-secret-keys --armor); passphrase from KMODKIT_SIGN_PASSPHRASE.")
    void key(Path key) {
      this.key = key;
    }
  }

  /** {@link PgpKey} where {@code --sign-key} used to name it (package, repo create). */
  static final class PgpKeyOrSignKey extends PgpKey {
    @Spec(Spec.Target.MIXEE)
    CommandSpec mixee;

    @Option(names = "--sign-key", hidden = true, paramLabel = "FILE", description = "Deprecated: --pgp-key.")
    void oldKey(Path key) {
      deprecated(mixee, "--sign-key", "--pgp-key");
      this.key = key;
    }
  }

  /** One line on stderr when an old spelling is used; it keeps working. */
  private static void deprecated(CommandSpec spec, String old, String now) {
    spec.commandLine().getErr().println("kmodkit: " + old + " is deprecated here; use " + now);
  }
}
