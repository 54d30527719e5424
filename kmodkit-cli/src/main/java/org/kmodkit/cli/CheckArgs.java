package org.kmodkit.cli;

import java.io.PrintWriter;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code check}'s arguments read without picocli, when they are plainly of the forms its model
 * takes: {@code --kernel V}, {@code --kernel=V}, {@code -k V} (repeated), {@code --root D} or
 * {@code --root=D} once, {@code --json} once, one of {@code -v}/{@code --verbose}/{@code -q}/{@code --quiet},
 * and the modules, none of them starting with '-' or '@'. Anything else (help, a repeated or
 * clustered option, {@code --}, an argument file, a value picocli would refuse) is left to picocli,
 * which says what is wrong in its own words. picocli building its model from the annotations is
 * ~50 ms of every run, a sixth of a whole tree's check; CheckArgsTest holds that whatever this
 * reads, picocli reads the same.
 */
final class CheckArgs {
  private CheckArgs() {}

  /**
   * {@code command} with the fields picocli would set from {@code args} (the arguments after
   * "check"), writing to {@code out} and {@code err}; false, and {@code command} untouched, when
   * {@code args} are not plainly check's.
   */
  static boolean read(CheckCommand command, List<String> args, PrintWriter out, PrintWriter err) {
    List<String> kernels = new ArrayList<>();
    List<Path> inputs = new ArrayList<>();
    Path root = null;
    boolean json = false;
    boolean verbose = false;
    boolean quiet = false;
    try {
      for (int i = 0; i < args.size(); i++) {
        String a = args.get(i);
        String option = a;
        String value = null;
        if (a.startsWith("--kernel=") || a.startsWith("--root=")) {
          option = a.substring(0, a.indexOf('='));
          value = a.substring(a.indexOf('=') + 1);
        }
        switch (option) {
          case "-k", "--kernel", "--root" -> {
            if (value == null) {
              if (i + 1 == args.size()) {
                return false;
              }
              value = args.get(++i);
            }
            if (!plain(value)) {
              return false;
            }
            if (!option.equals("--root")) {
              kernels.add(value);
            } else if (root == null) {
              root = Path.of(value);
            } else {
              return false;
            }
          }
          case "--json" -> {
            if (json) {
              return false;
            }
            json = true;
          }
          case "-v", "--verbose", "-q", "--quiet" -> {
            if (verbose || quiet) {
              return false;
            }
            verbose = option.equals("-v") || option.equals("--verbose");
            quiet = !verbose;
          }
          default -> {
            if (!plain(a)) {
              return false;
            }
            inputs.add(Path.of(a));
          }
        }
      }
    } catch (InvalidPathException e) {
      return false; // picocli's converter refuses it, in its words
    }
    if (kernels.isEmpty() || inputs.isEmpty()) {
      return false;
    }
    command.kernel = new Options.Kernel();
    command.kernel.kernel = kernels;
    command.kernel.root = root;
    command.inputs = inputs;
    command.json = new Options.Json();
    command.json.json = json;
    command.verbosity = new Options.Verbosity();
    if (verbose || quiet) {
      command.verbosity.level = new Options.Verbosity.Level();
      command.verbosity.level.verbose = verbose;
      command.verbosity.level.quiet = quiet;
    }
    command.out = out;
    command.err = err;
    return true;
  }

  /** A value or module path picocli takes as it is: not empty, not option-like, not an @argument-file. */
  private static boolean plain(String s) {
    return !s.isEmpty() && s.charAt(0) != '-' && s.charAt(0) != '@';
  }
}
