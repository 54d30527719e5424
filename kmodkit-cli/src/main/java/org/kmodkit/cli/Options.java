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
 * Options.properties; an option whose meaning is the same everywhere has its text here.
 */
final class Options {
  private Options() {}

  /** Options.properties, read when a text is first asked for (help, man pages), not when the model is built. */
  static final class Texts extends java.util.ResourceBundle {
    private java.util.PropertyResourceBundle texts;

    private synchronized java.util.ResourceBundle texts() {
      if (texts == null) {
        try (java.io.InputStream in = Options.class.getResourceAsStream("Options.properties")) {
          texts = new java.util.PropertyResourceBundle(new java.io.InputStreamReader(java.util.Objects.requireNonNull(in, "Options.properties"), java.nio.charset.StandardCharsets.UTF_8));
        } catch (java.io.IOException e) {
          throw new java.io.UncheckedIOException(e);
        }
      }
      return texts;
    }

    @Override
    protected Object handleGetObject(String key) {
      return texts().containsKey(key) ? texts().getObject(key) : null;
    }

    @Override
    public java.util.Enumeration<String> getKeys() {
      return texts().getKeys();
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
