package org.kmodkit.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.kmodkit.core.BadInputException;
import org.kmodkit.core.KmodkitException;
import org.kmodkit.formats.sign.OpenPgpSigner;
import org.kmodkit.repo.RepoOptions;
import org.kmodkit.repo.RepoSummary;
import org.kmodkit.repo.RepositoryWriter;
import org.kmodkit.repo.apt.AptRepository;
import org.kmodkit.server.RepoServer;
import org.kmodkit.server.TlsConfig;
import org.kmodkit.repo.yum.YumRepository;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code kmodkit repo create|serve}: signed YUM/APT metadata written in-process, and a read-only server for it. */
@Command(
    name = "repo",
    mixinStandardHelpOptions = true,
    description = "Make a directory of packages a signed YUM or APT repository (create), or serve one over HTTP(S) (serve).",
    subcommands = {RepoCommand.Create.class, RepoCommand.Serve.class})
final class RepoCommand implements Runnable {
  @Spec CommandSpec spec;

  @Override
  public void run() {
    throw new picocli.CommandLine.ParameterException(spec.commandLine(), "missing subcommand: 'kmodkit repo create --yum|--apt DIR' or 'kmodkit repo serve DIR'");
  }

  @Command(
      name = "create",
      mixinStandardHelpOptions = true,
      description = {
        "Write the repository metadata for every package in DIR (YUM: repodata/ + repomd.xml.asc; APT: dists/kmodkit/ with InRelease and Release.gpg), signed, plus the client config nodes use (<name>.repo with gpgcheck=1, or <name>.list with signed-by) and the public key.",
        "The metadata is written aside and switched in with one atomic rename: a kill -9 leaves the old metadata served.",
        "Exit: 0 written, 2 bad input (a package unsigned or signed by an untrusted key under --verify, not a repository directory), 3 environment."
      })
  static final class Create implements Callable<Integer> {
    @Spec CommandSpec spec;

    static final class Kind {
      @Option(names = "--yum", required = true, description = "A YUM/DNF repository of .rpm files.") boolean yum;
      @Option(names = "--apt", required = true, description = "An APT repository of .deb files.") boolean apt;
    }

    @ArgGroup(exclusive = true, multiplicity = "1")
    Kind kind;

    @Parameters(index = "0", paramLabel = "DIR", description = "The directory holding the packages.")
    Path dir;

    @Mixin Options.PgpKeyOrSignKey pgpKey;

    @Option(names = "--name", paramLabel = "NAME", defaultValue = "kmodkit", description = "Repository name in the client config (default: ${DEFAULT-VALUE}).")
    String name;

    @Option(names = "--base-url", paramLabel = "URL", description = "Where nodes reach DIR (default: file:// of DIR, for shared storage).")
    String baseUrl;

    @Option(names = "--verify", description = "Refuse packages not signed by a trusted key (--trusted-key, else the --pgp-key's own).")
    boolean verify;

    @Option(names = "--trusted-key", paramLabel = "FILE", description = "An armored OpenPGP public key whose package signatures --verify accepts (repeat).")
    List<Path> trusted = new ArrayList<>();

    @Override
    public Integer call() throws KmodkitException {
      OpenPgpSigner signer = PackageCommand.signer(pgpKey.key);
      var err = spec.commandLine().getErr();
      if (signer == null) {
        err.println("kmodkit: warning: metadata is unsigned; nodes would need repo_gpgcheck=0 — give --pgp-key");
      }
      String url = baseUrl != null ? baseUrl.replaceAll("/+$", "") : RepoOptions.fileUrl(dir);
      RepositoryWriter writer = kind.yum ? new YumRepository() : new AptRepository();
      RepoSummary s;
      try {
        s = writer.create(dir, new RepoOptions(name, signer, verify, trusted, url));
      } catch (IllegalArgumentException e) {
        throw new BadInputException("--name " + name, e.getMessage());
      }
      var o = spec.commandLine().getOut();
      o.println((kind.yum ? "yum" : "apt") + " repository " + s.dir() + ": " + s.packages() + " packages" + (signer == null ? ", unsigned" : ", signed by " + signer.keyId()));
      s.metadata().forEach(p -> o.println("  metadata " + p));
      s.clientConfig().forEach(p -> o.println("  client   " + p));
      return ExitCode.OK.code();
    }
  }

  @Command(
      name = "serve",
      mixinStandardHelpOptions = true,
      description = {
        "Serve DIR read-only over HTTP (or HTTPS with --tls-cert/--tls-key): GET and HEAD, byte ranges, conditional GET; nothing outside DIR.",
        "Prints the URL, then one line per request on stderr; stops on SIGINT/SIGTERM.",
        "Exit: 0 stopped by SIGINT/SIGTERM, 2 bad input (not a directory, --tls-* unreadable), 3 environment (the address is in use or not this host's)."
      })
  static final class Serve implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Parameters(index = "0", paramLabel = "DIR", description = "The repository directory.")
    Path dir;

    @Option(names = "--port", paramLabel = "P", defaultValue = "8080", description = "TCP port (default: ${DEFAULT-VALUE}; 0 picks a free one).")
    int port;

    @Option(names = "--bind", paramLabel = "ADDR", defaultValue = "127.0.0.1", description = "Address to listen on (default: ${DEFAULT-VALUE}; 0.0.0.0 for every interface).")
    String bind;

    @Option(names = "--tls-cert", paramLabel = "PEM", description = "Serve HTTPS with this certificate (chain) …")
    Path tlsCert;

    @Option(names = "--tls-key", paramLabel = "PEM", description = "… and this private key (PKCS#8 or traditional PEM, unencrypted).")
    Path tlsKey;

    @Option(names = "--quiet", description = "Do not log requests.")
    boolean quiet;

    @Override
    public Integer call() throws KmodkitException, InterruptedException {
      if ((tlsCert == null) != (tlsKey == null)) {
        throw new BadInputException(tlsCert == null ? "--tls-key" : "--tls-cert", "HTTPS needs both --tls-cert and --tls-key");
      }
      var err = spec.commandLine().getErr();
      TlsConfig tls = tlsCert == null ? null : new TlsConfig(tlsCert, tlsKey);
      CountDownLatch stop = new CountDownLatch(1);
      try (RepoServer server = RepoServer.start(dir, bind, port, tls, quiet ? line -> {} : line -> { err.println(line); err.flush(); })) {
        stopOn(stop, "TERM", "INT");
        var o = spec.commandLine().getOut();
        o.println(server.url());
        o.flush();
        err.println("kmodkit: serving " + dir.toAbsolutePath().normalize() + " read-only at " + server.url() + "; Ctrl-C stops");
        stop.await();
      }
      return ExitCode.OK.code();
    }

    /**
     * A signal ends the wait, not the JVM: the server closes and the command returns 0, as its help
     * says (the JVM's own handling would exit 128+n).
     */
    @SuppressWarnings("restriction")
    private static void stopOn(CountDownLatch stop, String... signals) {
      for (String name : signals) {
        try {
          sun.misc.Signal.handle(new sun.misc.Signal(name), s -> stop.countDown());
        } catch (IllegalArgumentException e) {
          // the signal is the VM's (-Xrs) or ignored: it cannot stop the server; the others still do
        }
      }
    }
  }
}
