package org.kmodkit.cli;

import java.time.Duration;
import java.time.Instant;
import java.util.Locale;
import org.kmodkit.core.Printable;
import org.kmodkit.core.weak.Inventory;
import org.kmodkit.core.weak.ReleaseOrder;
import org.kmodkit.core.weak.Status;

/**
 * The status matrix in node_exporter's textfile-collector format (Prometheus text exposition 0.0.4),
 * so a fleet's existing Prometheus answers "on which nodes will the driver stop loading, and why".
 * Metric and label names are a stable interface (docs/fleet.md, packaging/prometheus/kmodkit.rules.yml).
 */
final class PrometheusOutput {
  private PrometheusOutput() {}

  /**
   * @param running the kernel the node runs, or null (an image passed with --root runs none): then
   *     the running-kernel and newer-kernel series are left out
   */
  static String render(Status st, Inventory inv, String running, Instant at, Duration took) {
    StringBuilder sb = new StringBuilder(4096);
    family(sb, "kmodkit_module_set_state", "1 per out-of-tree module set and installed kernel, labelled with the state and the kind of the first refusal (empty when none).");
    for (String set : st.sets()) {
      for (String k : st.kernels()) {
        Status.Cell c = st.cell(set, k);
        sample(sb, "kmodkit_module_set_state", 1, "set", set, "kernel", k, "state", state(c), "refusal", refusal(c));
      }
    }
    family(sb, "kmodkit_module_set_links_stale", "1 when the links on disk for a module set and kernel disagree with the verdict (e.g. linked but now incompatible).");
    for (String set : st.sets()) {
      for (String k : st.kernels()) {
        sample(sb, "kmodkit_module_set_links_stale", st.cell(set, k).stale() ? 1 : 0, "set", set, "kernel", k);
      }
    }
    if (running != null) {
      family(sb, "kmodkit_running_kernel_info", "The kernel release this node runs; installed: whether its modules directory is in the root.");
      sample(sb, "kmodkit_running_kernel_info", 1, "kernel", running, "installed", String.valueOf(st.kernels().contains(running)));
      family(sb, "kmodkit_running_kernel_loads", "1 when the running kernel has a working build of the module set (native or linked), else 0.");
      if (st.kernels().contains(running)) {
        for (String set : st.sets()) {
          Status.Cell c = st.cell(set, running);
          sample(sb, "kmodkit_running_kernel_loads", loads(c) ? 1 : 0, "set", set, "kernel", running, "state", state(c), "refusal", refusal(c));
        }
      }
      family(sb, "kmodkit_newer_kernel_would_not_load", "1 when an installed kernel newer than the running one would not load the module set: the next reboot into it loses the driver.");
      for (String k : st.kernels()) {
        if (ReleaseOrder.INSTANCE.compare(k, running) <= 0) {
          continue;
        }
        for (String set : st.sets()) {
          Status.Cell c = st.cell(set, k);
          sample(sb, "kmodkit_newer_kernel_would_not_load", wouldNotLoad(c) ? 1 : 0, "set", set, "kernel", k, "running", running, "state", state(c), "refusal", refusal(c));
        }
      }
    }
    family(sb, "kmodkit_weak_links", "Links in a kernel's weak-updates: made by kmodkit, or by another tool (RHEL weak-modules, a script).");
    for (String k : st.kernels()) {
      Inventory.Generation g = inv.current().get(k);
      sample(sb, "kmodkit_weak_links", g == null ? 0 : g.links().size(), "kernel", k, "by", "kmodkit");
      sample(sb, "kmodkit_weak_links", inv.foreign().stream().filter(f -> f.release().equals(k)).count(), "kernel", k, "by", "other");
    }
    family(sb, "kmodkit_depmod_overrides", "depmod override lines kmodkit keeps for a kernel (vendor modules that replace in-tree ones).");
    for (String k : st.kernels()) {
      Inventory.Generation g = inv.current().get(k);
      sample(sb, "kmodkit_depmod_overrides", g == null ? 0 : g.overrides().size(), "kernel", k);
    }
    family(sb, "kmodkit_last_run_timestamp_seconds", "When kmodkit status wrote this file (Unix time).");
    sb.append("kmodkit_last_run_timestamp_seconds ").append(String.format(Locale.ROOT, "%.3f", at.toEpochMilli() / 1000.0)).append('\n');
    family(sb, "kmodkit_run_duration_seconds", "How long kmodkit status took to judge the root.");
    sb.append("kmodkit_run_duration_seconds ").append(String.format(Locale.ROOT, "%.3f", took.toMillis() / 1000.0)).append('\n');
    return sb.toString();
  }

  /** Loads now: a build for this kernel, or links to one that the kernel accepts. */
  static boolean loads(Status.Cell c) {
    return c.state() == Status.State.NATIVE || c.state() == Status.State.LINKED;
  }

  /** Judged, and not loadable as the disk stands (an unknown ABI is no verdict). */
  static boolean wouldNotLoad(Status.Cell c) {
    return c.state() != Status.State.NO_ABI && !loads(c);
  }

  private static String state(Status.Cell c) {
    return c.state().name().toLowerCase(Locale.ROOT);
  }

  private static String refusal(Status.Cell c) {
    return c.refusal() == null ? "" : c.refusal();
  }

  private static void family(StringBuilder sb, String name, String help) {
    sb.append("# HELP ").append(name).append(' ').append(help).append("\n# TYPE ").append(name).append(" gauge\n");
  }

  private static void sample(StringBuilder sb, String name, long value, String... labels) {
    sb.append(name).append('{');
    for (int i = 0; i < labels.length; i += 2) {
      sb.append(i == 0 ? "" : ",").append(labels[i]).append("=\"").append(label(labels[i + 1])).append('"');
    }
    sb.append("} ").append(value).append('\n');
  }

  /** Control characters shown as escapes, as in every renderer, then the format's own escapes. */
  static String label(String s) {
    return Printable.escape(s).replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n");
  }
}
