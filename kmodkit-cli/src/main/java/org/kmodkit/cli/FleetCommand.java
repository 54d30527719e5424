package org.kmodkit.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.kmodkit.core.KmodkitException;
import org.kmodkit.core.Printable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code kmodkit fleet report DIR…}: many nodes' answers in one view. */
@Command(
    name = "fleet",
    mixinStandardHelpOptions = true,
    description = "Views over many nodes' kmodkit answers, gathered by Ansible's fetch or any file shipper (see docs/fleet.md).",
    subcommands = {FleetCommand.Report.class})
final class FleetCommand implements Runnable {
  @Spec CommandSpec spec;

  @Override
  public void run() {
    throw new picocli.CommandLine.ParameterException(spec.commandLine(), "missing subcommand: 'kmodkit fleet report DIR…'");
  }

  /** Node names shown per state in text; JSON lists them all. */
  static final int TEXT_NODES = 10;
  /** Node names per state in the HTML page (10,000 names would make a page no one reads). */
  static final int HTML_NODES = 200;

  @Command(
      name = "report",
      mixinStandardHelpOptions = true,
      description = {
        "Reads every node's status --json / preflight --json file under DIR (a node is the first directory under DIR, as Ansible's fetch",
        "makes it, or a file's name up to its first dot) into one matrix: module set × kernel → how many nodes in each state, the",
        "refusal reasons (the kernel's words), and the nodes behind each count. A file that is not such a report is named on stderr and skipped.",
        "Exit: 0 every node loads every set; 1 some node would not (or did not), or a file was skipped; 2 no report found or DIR missing."
      })
  static final class Report implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Parameters(arity = "1..*", paramLabel = "DIR", description = "Directories holding the nodes' JSON reports.")
    List<Path> dirs;

    @Mixin Options.Json json;

    @Option(names = "--html", paramLabel = "FILE", description = "Also write the view as one self-contained HTML page.")
    Path html;

    @Override
    public Integer call() throws KmodkitException {
      PrintWriter err = spec.commandLine().getErr();
      FleetReport r = FleetReport.read(dirs, s -> err.println("kmodkit: " + Printable.escape(s.file().toString()) + ": skipped: " + Printable.escape(s.problem())));
      PrintWriter out = spec.commandLine().getOut();
      if (html != null) {
        StatusCommand.writeFile(html, html(r));
      }
      if (json.on()) {
        json(out, r);
      } else {
        text(out, r);
        if (html != null) {
          out.println("wrote " + html);
        }
      }
      return r.needsAttention() ? ExitCode.INCOMPATIBLE.code() : ExitCode.OK.code();
    }
  }

  static String where(FleetReport.Key k) {
    return k.set() + " on " + k.kernel() + (k.preflight() ? " (preflight: not installed)" : "");
  }

  static String summary(FleetReport r) {
    return r.nodes.size() + " nodes (" + r.statusReports + " status, " + r.preflightReports + " preflight reports), " + r.skipped.size() + " files skipped";
  }

  static void text(PrintWriter out, FleetReport r) {
    out.println("fleet: " + summary(r));
    for (Map.Entry<FleetReport.Key, FleetReport.Cell> e : r.cells.entrySet()) {
      FleetReport.Cell c = e.getValue();
      out.println();
      out.println(Printable.escape(where(e.getKey())) + ": " + c.total() + " nodes");
      c.nodes.forEach((state, ns) -> {
        String shown = String.join(", ", ns.subList(0, Math.min(TEXT_NODES, ns.size())));
        out.println("  " + state + " " + ns.size() + ": " + Printable.escape(shown) + (ns.size() > TEXT_NODES ? " (+" + (ns.size() - TEXT_NODES) + " more)" : ""));
      });
      c.reasons.forEach((reason, n) -> out.println("    " + n[0] + "× " + Printable.escape(reason)));
      if (c.otherReasons > 0) {
        out.println("    " + c.otherReasons + "× other reasons (more than " + FleetReport.MAX_REASONS + " distinct)");
      }
    }
    if (!r.skipped.isEmpty()) {
      out.println();
      out.println("skipped:");
      r.skipped.forEach(s -> out.println("  " + Printable.escape(s.file().toString()) + ": " + Printable.escape(s.problem())));
    }
  }

  static void json(PrintWriter out, FleetReport r) {
    JsonOutput.document(out, g -> {
      g.writeStringField("schema", "kmodkit.fleet/1");
      g.writeNumberField("nodes", r.nodes.size());
      g.writeNumberField("status_reports", r.statusReports);
      g.writeNumberField("preflight_reports", r.preflightReports);
      g.writeArrayFieldStart("cells");
      for (Map.Entry<FleetReport.Key, FleetReport.Cell> e : r.cells.entrySet()) {
        g.writeStartObject();
        g.writeStringField("set", e.getKey().set());
        g.writeStringField("kernel", e.getKey().kernel());
        g.writeStringField("source", e.getKey().preflight() ? "preflight" : "status");
        g.writeObjectFieldStart("states");
        for (Map.Entry<String, List<String>> s : e.getValue().nodes.entrySet()) {
          g.writeObjectFieldStart(s.getKey());
          g.writeNumberField("count", s.getValue().size());
          g.writeArrayFieldStart("nodes");
          for (String n : s.getValue()) {
            g.writeString(n);
          }
          g.writeEndArray();
          g.writeEndObject();
        }
        g.writeEndObject();
        g.writeArrayFieldStart("reasons");
        for (Map.Entry<String, int[]> reason : e.getValue().reasons.entrySet()) {
          g.writeStartObject();
          g.writeStringField("reason", reason.getKey());
          g.writeNumberField("count", reason.getValue()[0]);
          g.writeEndObject();
        }
        g.writeEndArray();
        g.writeNumberField("other_reasons", e.getValue().otherReasons);
        g.writeEndObject();
      }
      g.writeEndArray();
      g.writeArrayFieldStart("skipped");
      for (FleetReport.Skipped s : r.skipped) {
        g.writeStartObject();
        g.writeStringField("file", s.file().toString());
        g.writeStringField("problem", s.problem());
        g.writeEndObject();
      }
      g.writeEndArray();
    });
  }

  /** One page: a row per cell, a coloured count per state (the status page's colours), node lists and reasons folded. */
  static String html(FleetReport r) {
    StringBuilder sb = new StringBuilder(16384);
    sb.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>kmodkit fleet report</title>\n<style>\n")
        .append("body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#1d1d1f}h1{font-size:20px;margin:0 0 4px}p.sub{color:#555;margin:0 0 16px}\n")
        .append("table{border-collapse:collapse}th,td{border:1px solid #ccc;padding:6px 10px;text-align:left;vertical-align:top}th{background:#f3f3f3;font-weight:600}\n")
        .append("span.state{display:inline-block;padding:2px 8px;margin:0 6px 4px 0;border:1px solid #bbb}details{margin:2px 0}summary{cursor:pointer}\n")
        .append(".native{background:#cfe8ff}.linked{background:#c8f0c8}.compatible_not_linked{background:#fff1b3}.partial{background:#ffd8a8}")
        .append(".incompatible{background:#ffc2c2}.dependency_missing{background:#f0c8f0}.no_abi{background:#e5e5e5}\n</style></head><body>\n");
    sb.append("<h1>Out-of-tree modules across the fleet</h1><p class=\"sub\">").append(HtmlOutput.esc(summary(r))).append("</p>\n");
    sb.append("<table id=\"fleet\"><thead><tr><th>module set</th><th>kernel</th><th>nodes per state</th><th>refusal reasons</th></tr></thead><tbody>\n");
    for (Map.Entry<FleetReport.Key, FleetReport.Cell> e : r.cells.entrySet()) {
      FleetReport.Key k = e.getKey();
      sb.append("<tr data-set=\"").append(HtmlOutput.esc(k.set())).append("\" data-kernel=\"").append(HtmlOutput.esc(k.kernel())).append("\"><th>").append(HtmlOutput.esc(k.set()))
          .append("</th><td>").append(HtmlOutput.esc(k.kernel())).append(k.preflight() ? " <em>(preflight)</em>" : "").append("</td><td>");
      e.getValue().nodes.forEach((state, ns) -> {
        sb.append("<details><summary><span class=\"state ").append(state).append("\" data-state=\"").append(state).append("\" data-count=\"").append(ns.size()).append("\">")
            .append(state).append(": ").append(ns.size()).append("</span></summary>");
        sb.append(HtmlOutput.esc(String.join(", ", ns.subList(0, Math.min(HTML_NODES, ns.size())))));
        if (ns.size() > HTML_NODES) {
          sb.append(" … (+").append(ns.size() - HTML_NODES).append(" more: see --json)");
        }
        sb.append("</details>");
      });
      sb.append("</td><td>");
      e.getValue().reasons.forEach((reason, n) -> sb.append(n[0]).append("× ").append(HtmlOutput.esc(reason)).append("<br>"));
      if (e.getValue().otherReasons > 0) {
        sb.append(e.getValue().otherReasons).append("× other reasons");
      }
      sb.append("</td></tr>\n");
    }
    sb.append("</tbody></table>\n");
    if (!r.skipped.isEmpty()) {
      sb.append("<h2 style=\"font-size:16px\">Skipped files</h2><ul id=\"skipped\">");
      r.skipped.forEach(s -> sb.append("<li>").append(HtmlOutput.esc(s.file() + ": " + s.problem())).append("</li>"));
      sb.append("</ul>\n");
    }
    sb.append("</body></html>\n");
    return sb.toString();
  }
}
