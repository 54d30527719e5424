package org.kmodkit.cli;

import java.io.OutputStream;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Several kmodkit runs in one JVM, for scripts/dist: the class list its class-data archive is made
 * from (-XX:DumpLoadedClassList) is one JVM's, and a node runs more than `check` (the kernel hooks
 * run weak-modules, the timer runs status). Arguments: runs separated by {@code --then}, each its
 * expected exit code, then kmodkit's arguments. Output is dropped; a run that exits otherwise is
 * named on stderr and the whole exits 3.
 */
public final class ClassDataRuns {
  private ClassDataRuns() {}

  public static void main(String[] args) {
    System.exit(run(args, new PrintWriter(System.err, true)));
  }

  static int run(String[] args, PrintWriter err) {
    List<List<String>> runs = new ArrayList<>();
    runs.add(new ArrayList<>());
    for (String a : args) {
      if (a.equals("--then")) {
        runs.add(new ArrayList<>());
      } else {
        runs.get(runs.size() - 1).add(a);
      }
    }
    PrintWriter none = new PrintWriter(OutputStream.nullOutputStream());
    for (List<String> r : runs) {
      if (r.size() < 2 || !r.get(0).matches("[0-9]")) {
        err.println("kmodkit-class-data: each run is EXPECTED-EXIT ARGS…, got " + r);
        return ExitCode.BAD_INPUT.code();
      }
      String[] kmodkit = r.subList(1, r.size()).toArray(String[]::new);
      int code = Main.run(none, none, kmodkit);
      if (code != Integer.parseInt(r.get(0))) {
        err.println("kmodkit-class-data: kmodkit " + String.join(" ", Arrays.asList(kmodkit)) + " exited " + code + ", not " + r.get(0));
        return ExitCode.ENVIRONMENT.code();
      }
    }
    return ExitCode.OK.code();
  }
}
