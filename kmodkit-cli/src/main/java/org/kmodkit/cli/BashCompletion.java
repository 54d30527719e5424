package org.kmodkit.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * kmodkit's bash completion, written from the command model as the man pages are: each command's
 * subcommands and options, the values of an option that has a fixed set; everything else (paths,
 * kernels, packages) is left to bash's file completion. One function, no other names defined.
 */
final class BashCompletion {
  private BashCompletion() {}

  static String script(CommandLine root) {
    List<CommandSpec> commands = new ArrayList<>();
    collect(root, commands);
    StringBuilder s = new StringBuilder();
    s.append("# bash completion for kmodkit(1). Written by kmodkit's build from its command model\n");
    s.append("# (org.kmodkit.cli.BashCompletion); do not edit.\n");
    s.append("_kmodkit() {\n");
    s.append("  local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]} cmd=kmodkit i\n");
    s.append("  # --option=value: bash splits the word at '='\n");
    s.append("  if [[ $prev == = ]] && (( COMP_CWORD > 1 )); then prev=${COMP_WORDS[COMP_CWORD-2]}; fi\n");
    s.append("  # the command: each word that names a subcommand of the command so far\n");
    s.append("  for ((i = 1; i < COMP_CWORD; i++)); do\n");
    s.append("    case \"$cmd ${COMP_WORDS[i]}\" in\n");
    List<String> paths = new ArrayList<>();
    for (CommandSpec c : commands) {
      if (c.parent() != null) {
        paths.add(word(c.qualifiedName(" ")));
      }
    }
    s.append("      ").append(String.join("|", paths)).append(") cmd+=\" ${COMP_WORDS[i]}\" ;;\n");
    s.append("    esac\n");
    s.append("  done\n");
    s.append("  local options= commands=\n");
    s.append("  case $cmd in\n");
    for (CommandSpec c : commands) {
      s.append("    ").append(word(c.qualifiedName(" "))).append(")\n");
      List<String> valueCases = new ArrayList<>();
      List<String> names = new ArrayList<>();
      for (OptionSpec o : c.options()) {
        if (o.hidden()) {
          continue;
        }
        names.addAll(List.of(o.names()));
        if (o.arity().max() > 0) {
          List<String> words = new ArrayList<>();
          if (o.completionCandidates() != null) {
            o.completionCandidates().forEach(words::add);
          }
          valueCases.add("        " + String.join("|", List.of(o.names())) + ") "
              + (words.isEmpty() ? "" : "COMPREPLY=($(compgen -W " + word(String.join(" ", words)) + " -- \"$cur\")); ") + "return 0 ;;\n");
        }
      }
      if (!valueCases.isEmpty()) {
        s.append("      case $prev in\n");
        valueCases.forEach(s::append);
        s.append("      esac\n");
      }
      s.append("      options=").append(word(String.join(" ", names)));
      List<String> subs = new ArrayList<>();
      for (Map.Entry<String, CommandLine> e : c.subcommands().entrySet()) {
        if (!e.getValue().getCommandSpec().usageMessage().hidden()) {
          subs.add(e.getKey());
        }
      }
      if (!subs.isEmpty()) {
        s.append(" commands=").append(word(String.join(" ", subs)));
      }
      s.append('\n');
      if (c.positionalParameters().isEmpty()) {
        // nothing but options and subcommands: no file names either
        s.append("      [[ $cur == -* ]] || compopt +o default 2>/dev/null\n");
      }
      s.append("      ;;\n");
    }
    s.append("  esac\n");
    s.append("  if [[ $cur == -* ]]; then\n");
    s.append("    COMPREPLY=($(compgen -W \"$options\" -- \"$cur\"))\n");
    s.append("  else\n");
    s.append("    COMPREPLY=($(compgen -W \"$commands\" -- \"$cur\"))\n");
    s.append("  fi\n");
    s.append("  return 0\n");
    s.append("}\n");
    s.append("complete -o bashdefault -o default -F _kmodkit kmodkit\n");
    return s.toString();
  }

  private static void collect(CommandLine cl, List<CommandSpec> into) {
    if (cl.getCommandSpec().usageMessage().hidden()) {
      return;
    }
    into.add(cl.getCommandSpec());
    cl.getSubcommands().values().forEach(sub -> collect(sub, into));
  }

  /**
   * A word quoted for the script. The model's names are plain words; anything else (a quote, a
   * dollar) would be a build error here rather than code in every user's shell.
   */
  private static String word(String text) {
    if (!text.matches("[A-Za-z0-9 _.,:+=/@-]*")) {
      throw new IllegalArgumentException("not a plain word for bash completion: " + text);
    }
    return "'" + text + "'";
  }
}
