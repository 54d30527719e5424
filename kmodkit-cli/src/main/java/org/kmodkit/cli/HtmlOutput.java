package org.kmodkit.cli;

import java.nio.file.Path;
import org.kmodkit.core.EnvironmentException;
import org.kmodkit.core.Printable;
import org.kmodkit.core.tree.Sysroot;
import org.kmodkit.core.weak.Status;

/**
 * The status matrix as one self-contained page (no external CSS, scripts or fonts): one colour per
 * state, a tooltip and a click-to-open detail per cell, written atomically.
 */
final class HtmlOutput {
  private HtmlOutput() {}

  static void write(Path file, Sysroot root, Status st) throws EnvironmentException {
    StatusCommand.writeFile(file, render(root, st));
  }

  static String render(Sysroot root, Status st) {
    StringBuilder sb = new StringBuilder(8192);
    sb.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>kmodkit status: ").append(esc(root.root().toString())).append("</title>\n<style>\n")
        .append("body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#1d1d1f}h1{font-size:20px;margin:0 0 4px}p.sub{color:#555;margin:0 0 16px}\n")
        .append("table{border-collapse:collapse}th,td{border:1px solid #ccc;padding:6px 10px;text-align:left}th{background:#f3f3f3;font-weight:600}\n")
        .append("td.cell{cursor:pointer;min-width:140px}td.cell:hover{outline:2px solid #333}\n")
        .append(".native{background:#cfe8ff}.linked{background:#c8f0c8}.compatible_not_linked{background:#fff1b3}.partial{background:#ffd8a8}")
        .append(".incompatible{background:#ffc2c2}.dependency_missing{background:#f0c8f0}.no_abi{background:#e5e5e5}.stale{box-shadow:inset 0 0 0 3px #d00}\n")
        .append("#detail{margin-top:16px;padding:10px;border:1px solid #ccc;min-height:2em;white-space:pre-wrap;font-family:ui-monospace,monospace}\n")
        .append(".legend span{display:inline-block;padding:2px 8px;margin-right:6px;border:1px solid #ccc}\n</style></head><body>\n");
    sb.append("<h1>Out-of-tree modules × kernels</h1><p class=\"sub\">root ").append(esc(root.root().toString())).append(" — ")
        .append(st.kernels().size()).append(" kernels, ").append(st.sets().size()).append(" module sets</p>\n<p class=\"legend\">");
    for (Status.State s : Status.State.values()) {
      sb.append("<span class=\"").append(s.name().toLowerCase()).append("\">").append(esc(s.label())).append("</span>");
    }
    sb.append("</p>\n<table id=\"matrix\"><thead><tr><th>module set</th>");
    for (String k : st.kernels()) {
      sb.append("<th>").append(esc(k)).append("</th>");
    }
    sb.append("</tr></thead><tbody>\n");
    for (String set : st.sets()) {
      sb.append("<tr><th>").append(esc(set)).append("</th>");
      for (String k : st.kernels()) {
        Status.Cell c = st.cell(set, k);
        String text = TextOutput.short_(c);
        String detail = set + " on " + k + ": " + c.state().label() + (c.from().isEmpty() ? "" : " (from " + String.join(", ", c.from()) + ")")
            + (c.byOtherTool() ? " [links made by another tool]" : "") + (c.stale() ? " [links on disk disagree with the verdict]" : "") + (c.detail() == null ? "" : "\n" + c.detail());
        sb.append("<td class=\"cell ").append(c.state().name().toLowerCase()).append(c.stale() ? " stale" : "").append("\" data-set=\"").append(esc(set)).append("\" data-kernel=\"").append(esc(k))
            .append("\" data-state=\"").append(c.state().name().toLowerCase()).append("\" title=\"").append(esc(detail)).append("\">").append(esc(text)).append("</td>");
      }
      sb.append("</tr>\n");
    }
    sb.append("</tbody></table>\n<div id=\"detail\">Click a cell for details.</div>\n");
    if (!st.notes().isEmpty()) {
      sb.append("<h2 style=\"font-size:16px\">Notes</h2><ul>");
      for (String n : st.notes()) {
        sb.append("<li>").append(esc(n)).append("</li>");
      }
      sb.append("</ul>\n");
    }
    sb.append("<script>document.querySelectorAll('td.cell').forEach(function(td){td.addEventListener('click',function(){document.getElementById('detail').textContent=td.title;});});</script>\n</body></html>\n");
    return sb.toString();
  }

  /** HTML-escaped, and control characters shown as escapes, as in every renderer. */
  static String esc(String s) {
    return Printable.escape(s).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
  }
}
