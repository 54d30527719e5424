package org.kmodkit.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.Callable;
import org.kmodkit.core.EnvironmentException;
import org.kmodkit.core.io.OutputFiles;
import org.kmodkit.core.KmodkitException;
import org.kmodkit.core.tree.Sysroot;
import org.kmodkit.core.weak.HostSystemTools;
import org.kmodkit.core.weak.Inventory;
import org.kmodkit.core.weak.Plan;
import org.kmodkit.core.weak.Status;
import org.kmodkit.core.weak.WeakUpdates;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code kmodkit status}: every out-of-tree module set × every installed kernel. */
@Command(
    name = "status",
    mixinStandardHelpOptions = true,
    description = {
      "The matrix of every out-of-tree module set (extra/, updates/) × every installed kernel:",
      "native, linked (from which kernel), compatible but not linked, incompatible (first reason), dependency missing."
    })
final class StatusCommand implements Callable<Integer> {
  private final Host host;

  StatusCommand(Host host) {
    this.host = host;
  }

  @Spec CommandSpec spec;

  @Option(names = "--root", paramLabel = "DIR", description = "The system root; default /.")
  Path root;

  @Mixin Options.Json json;

  @Option(names = "--html", paramLabel = "FILE", description = "Write the matrix as one self-contained HTML page.")
  Path html;

  @Option(names = "--prometheus", paramLabel = "FILE", description = {
      "Write the matrix as node_exporter textfile metrics (atomically: a temporary file in FILE's directory, renamed over FILE).",
      "Name it *.prom in node_exporter's --collector.textfile.directory."})
  Path prometheus;

  @Option(names = "--running-kernel", paramLabel = "KREL", description = "The kernel the node runs, for --prometheus; default: this host's (uname -r) without --root, none with it.")
  String runningKernel;

  @Override
  public Integer call() throws KmodkitException {
    Instant start = host.clock().instant();
    Sysroot sysroot = host.root(root);
    if (!Files.isDirectory(sysroot.modulesDir())) {
      throw new EnvironmentException((root == null ? "this host" : root.toString()) + " has no " + sysroot.modulesDir() + " (a container?): nothing to show; pass --root DIR of a system image, or run 'kmodkit demo' to see the matrix on real Debian kernels");
    }
    WeakUpdates weak = new WeakUpdates(sysroot, new HostSystemTools(host.runner()));
    Inventory inv = weak.inventory();
    Plan plan = weak.plan(inv, WeakUpdates.Request.all());
    Status status = Status.of(inv, plan);
    if (html != null) {
      HtmlOutput.write(html, sysroot, status);
    }
    if (prometheus != null) {
      String running = runningKernel != null ? runningKernel : root == null ? System.getProperty("os.version") : null;
      Instant now = host.clock().instant();
      writeFile(prometheus, PrometheusOutput.render(status, inv, running, now, Duration.between(start, now)));
    }
    if (json.on()) {
      JsonOutput.status(spec.commandLine().getOut(), sysroot, status);
    } else {
      TextOutput.status(spec.commandLine().getOut(), sysroot, status);
      if (html != null) {
        spec.commandLine().getOut().println("wrote " + html);
      }
      if (prometheus != null) {
        spec.commandLine().getOut().println("wrote " + prometheus);
      }
    }
    return needsAttention(status) ? ExitCode.INCOMPATIBLE.code() : ExitCode.OK.code();
  }

  /** FILE replaced whole, never written through a link (a link at FILE is replaced, not followed), readable by node_exporter's user. */
  static void writeFile(Path file, String text) throws EnvironmentException {
    OutputFiles.writeAtomically(file, text.getBytes(StandardCharsets.UTF_8), "rw-r--r--");
  }

  /** Some kernel lacks a working build of some set, or links on disk disagree with the verdicts. */
  static boolean needsAttention(Status status) {
    return status.sets().stream().anyMatch(set -> status.kernels().stream().anyMatch(k -> needsAttention(status.cell(set, k))));
  }

  /** A cell (null: no such pair) lacks a working build, or its links on disk disagree with the verdict. */
  static boolean needsAttention(Status.Cell c) {
    return c != null && (c.stale() || (c.state() != Status.State.NATIVE && c.state() != Status.State.LINKED && c.state() != Status.State.NO_ABI));
  }
}
