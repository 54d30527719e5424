package org.kmodkit.cli;

import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.IllegalFormatException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Help;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Model.PositionalParamSpec;

/**
 * kmodkit(1) and one page per command, in man(7) roff, written from picocli's model of the command
 * line, the one --help prints: a page cannot miss or misname an option. No clock: the date is the
 * build's (SOURCE_DATE_EPOCH) or none, so a build writes the same bytes every time.
 */
final class ManPages {
  private final String version;
  private final String date;

  ManPages(String version, String date) {
    this.version = version;
    this.date = date;
  }

  /** The man date of SOURCE_DATE_EPOCH (seconds, UTC), or "" without one. */
  static String date(String sourceDateEpoch) {
    return sourceDateEpoch == null || sourceDateEpoch.isBlank() ? "" : LocalDate.ofInstant(Instant.ofEpochSecond(Long.parseLong(sourceDateEpoch.strip())), ZoneOffset.UTC).toString();
  }

  /** File name to page, for {@code root} and every command below it (the top page first). */
  Map<String, String> pages(CommandLine root) {
    Map<String, String> pages = new LinkedHashMap<>();
    for (CommandLine cl : paged(root)) {
      pages.put(name(cl.getCommandSpec()) + ".1", page(cl.getCommandSpec()));
    }
    return pages;
  }

  /** The commands that have a page: all but hidden ones and picocli's help command, whose page would be --help's. */
  static List<CommandLine> paged(CommandLine cl) {
    List<CommandLine> all = new ArrayList<>();
    if (hasPage(cl.getCommandSpec())) {
      all.add(cl);
      cl.getSubcommands().values().forEach(sub -> all.addAll(paged(sub)));
    }
    return all;
  }

  private static boolean hasPage(CommandSpec spec) {
    return !spec.helpCommand() && !spec.usageMessage().hidden();
  }

  private static String name(CommandSpec spec) {
    return spec.qualifiedName("-");
  }

  private String page(CommandSpec spec) {
    Roff r = new Roff();
    r.control(".\\\" Written by kmodkit's build from its command model (org.kmodkit.cli.ManPages); do not edit.");
    r.control(".TH " + Roff.arg(name(spec).toUpperCase(Locale.ROOT)) + " 1 " + Roff.arg(date) + " " + Roff.arg("kmodkit " + version) + " " + Roff.arg("kmodkit Manual"));
    r.control(".nh"); // option names and page names are not words to hyphenate
    r.control(".ad l");
    r.control(".SH NAME");
    String summary = summary(spec);
    r.text(name(spec) + " - " + (summary.matches("\\p{Lu}\\p{Ll}.*") ? Character.toLowerCase(summary.charAt(0)) + summary.substring(1) : summary));
    r.control(".SH SYNOPSIS");
    r.control(".nf");
    new Help(spec, Help.defaultColorScheme(Help.Ansi.OFF)).synopsis(0).lines().forEach(r::literal);
    r.control(".fi");
    r.control(".SH DESCRIPTION");
    paragraphs(r, spec.usageMessage().description());
    paragraphs(r, spec.usageMessage().footer());
    List<OptionSpec> options = spec.options().stream().filter(o -> !o.hidden()).sorted(BY_NAME).toList();
    if (!options.isEmpty()) {
      r.control(".SH OPTIONS");
      for (OptionSpec o : options) {
        List<String> names = new ArrayList<>();
        for (String n : o.names()) {
          names.add(Roff.bold(n));
        }
        r.tag(String.join(", ", names) + value(o) + (o.isMultiValue() && o.arity().max() > 0 ? "..." : ""));
        paragraphs(o.description()).forEach(r::text);
      }
    }
    List<PositionalParamSpec> positionals = spec.positionalParameters().stream().filter(p -> !p.hidden()).toList();
    if (!positionals.isEmpty()) {
      r.control(".SH ARGUMENTS");
      for (PositionalParamSpec p : positionals) {
        r.tag(Roff.italic(p.paramLabel()) + (p.isMultiValue() ? "..." : ""));
        paragraphs(p.description()).forEach(r::text);
      }
    }
    if (!spec.subcommands().isEmpty()) {
      r.control(".SH COMMANDS");
      for (Map.Entry<String, CommandLine> e : spec.subcommands().entrySet()) {
        CommandSpec sub = e.getValue().getCommandSpec();
        if (sub.usageMessage().hidden() || !e.getKey().equals(sub.name())) {
          continue; // an alias is listed once, under the command's name
        }
        r.tag(Roff.bold(sub.name()));
        r.text(summary(sub) + ".");
        if (hasPage(sub)) {
          r.control(".br");
          r.line("See " + Roff.page(name(sub)) + ".");
        }
      }
    }
    exitStatus(r, spec);
    List<String> seeAlso = seeAlso(spec);
    if (!seeAlso.isEmpty()) {
      r.control(".SH SEE ALSO");
      r.line(String.join(",\n", seeAlso.stream().map(Roff::page).toList()));
    }
    return r.toString();
  }

  /** kmodkit(1) refers to every page; a command's page to the pages above it and below it. */
  private static List<String> seeAlso(CommandSpec spec) {
    List<String> names = new ArrayList<>();
    for (CommandSpec above = spec.parent(); above != null; above = above.parent()) {
      names.add(0, name(above));
    }
    paged(spec.commandLine()).stream().skip(1).forEach(below -> names.add(name(below.getCommandSpec())));
    return names;
  }

  /** How an option's value is written after its names: none, =X, or [=X] when it may be left out. */
  private static String value(OptionSpec o) {
    if (o.arity().max() == 0) {
      return "";
    }
    String v = "=" + Roff.italic(o.paramLabel());
    return o.arity().min() == 0 ? "[" + v + "]" : v;
  }

  private static final Comparator<OptionSpec> BY_NAME = Comparator.comparing((OptionSpec o) -> o.longestName().replaceFirst("^-+", "").toLowerCase(Locale.ROOT)).thenComparing(OptionSpec::longestName);

  /** kmodkit(1): each code's full meaning; a command's page: the list its --help shows. Both from {@link ExitCode}. */
  private static void exitStatus(Roff r, CommandSpec spec) {
    r.control(".SH EXIT STATUS");
    if (spec.parent() == null) {
      for (ExitCode code : ExitCode.values()) {
        r.tag(Roff.bold(Integer.toString(code.code())));
        r.text(code.meaning().replace("`", "") + ".");
      }
      return;
    }
    spec.usageMessage().exitCodeList().forEach((code, summary) -> {
      r.tag(Roff.bold(code));
      r.text(summary + ".");
    });
  }

  /** The NAME line's summary: the command's header (what the parent's command list shows), else its first sentence. */
  private static String summary(CommandSpec spec) {
    List<String> header = paragraphs(spec.usageMessage().header());
    List<String> description = header.isEmpty() ? paragraphs(spec.usageMessage().description()) : header;
    String first = description.isEmpty() ? "" : description.get(0);
    int stop = first.indexOf(". ");
    return (stop < 0 ? first : first.substring(0, stop)).replaceFirst("\\.$", "");
  }

  private static void paragraphs(Roff r, String[] text) {
    for (String paragraph : paragraphs(text)) {
      r.control(".PP");
      r.text(paragraph);
    }
  }

  /**
   * Text as paragraphs: lines (the elements, split where picocli breaks them, at %n) run on, a line
   * that ends a sentence ends its paragraph, and so does an empty line. The source wraps sentences
   * across elements; --help shows those breaks, a man page fills them.
   */
  private static List<String> paragraphs(String[] text) {
    List<String> paragraphs = new ArrayList<>();
    StringBuilder open = new StringBuilder();
    for (String element : text) {
      for (String line : format(element).split("\\R", -1)) {
        if (!line.isBlank()) {
          open.append(open.length() > 0 ? " " : "").append(line.strip());
        }
        if ((line.isBlank() || line.strip().matches(".*[.:!?]$")) && open.length() > 0) {
          paragraphs.add(open.toString());
          open.setLength(0);
        }
      }
    }
    if (open.length() > 0) {
      paragraphs.add(open.toString());
    }
    return paragraphs;
  }

  /** A description as picocli prints it: a format string (%n, %%), kept as written when it is not one. */
  private static String format(String text) {
    try {
      return String.format(Locale.ROOT, text);
    } catch (IllegalFormatException e) {
      return text;
    }
  }

  /** man(7) source: control lines, and text escaped so that none of it is read as roff. */
  private static final class Roff {
    private final StringBuilder out = new StringBuilder();

    void control(String line) {
      out.append(line).append('\n');
    }

    /** A line of already-escaped text. */
    void line(String roff) {
      out.append(roff).append('\n');
    }

    /** Plain text (filled). */
    void text(String plain) {
      String t = escape(plain.strip());
      if (!t.isEmpty()) {
        line(t);
      }
    }

    /** Text shown as written (inside .nf): leading spaces kept. */
    void literal(String plain) {
      line(escape(plain.stripTrailing()));
    }

    @Override
    public String toString() {
      return out.toString();
    }

    /** A .TP paragraph's tag line. */
    void tag(String roff) {
      control(".TP");
      line(roff);
    }

    static String bold(String plain) {
      return "\\fB" + escape(plain) + "\\fR";
    }

    static String italic(String plain) {
      return "\\fI" + escape(plain) + "\\fR";
    }

    static String page(String name) {
      return bold(name) + "(1)";
    }

    /** A quoted macro argument. */
    static String arg(String plain) {
      return "\"" + escape(plain).replace("\"", "\\(dq") + "\"";
    }

    /**
     * Roff for plain text: the backslash and the minus escaped, every other character beyond ASCII
     * as its Unicode glyph, and a line that would start with a control character ('.' or the
     * no-break control character) guarded with the zero-width \&.
     */
    static String escape(String plain) {
      StringBuilder b = new StringBuilder();
      plain.codePoints().forEach(c -> {
        if (c == '\\') {
          b.append("\\e");
        } else if (c == '-') {
          b.append("\\-");
        } else if (c < 0x20 || c == 0x7f) {
          b.append(' ');
        } else if (c < 0x80) {
          b.appendCodePoint(c);
        } else {
          b.append(String.format(Locale.ROOT, "\\[u%04X]", c));
        }
      });
      return b.length() > 0 && (b.charAt(0) == '.' || b.charAt(0) == '\'') ? "\\&" + b : b.toString();
    }
  }
}
