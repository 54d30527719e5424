package org.kmodkit.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.kmodkit.core.BadInputException;
import org.kmodkit.core.EnvironmentException;
import org.kmodkit.core.host.ProcessRunner;
import org.kmodkit.core.io.OutputFiles;
import org.kmodkit.core.tree.Sysroot;

/**
 * The opt-in that makes /usr/sbin/weak-modules run kmodkit's, and its undo. The file belongs to
 * another package (kmod, on RHEL), so it is never overwritten: on a dpkg system the original is
 * diverted ({@code dpkg-divert --local --rename}), so dpkg itself puts a later upgrade's copy
 * aside; elsewhere (rpm) it is moved aside and the move recorded in a state file. Both keep the
 * state file, which the package's removal scripts look for to give the file back.
 */
final class WeakModulesTakeOver {
  static final String TARGET = "/usr/sbin/weak-modules";
  static final String ASIDE = "/usr/sbin/weak-modules.kmodkit-orig";
  static final String STATE = "/var/lib/kmodkit/weak-modules.taken-over";
  /** The line that tells kmodkit's replacement from anyone else's file. */
  static final String MARK = "# kmodkit weak-modules take-over";
  static final String REPLACEMENT = "#!/bin/sh\n" + MARK + " (kmodkit weak-modules --give-back restores the original)\nexec /usr/bin/kmodkit weak-modules \"$@\"\n";

  private final Sysroot root;
  private final ProcessRunner runner;

  WeakModulesTakeOver(Sysroot root, ProcessRunner runner) {
    this.root = root;
    this.runner = runner;
  }

  /** Puts kmodkit's weak-modules in place; returns what was done, one line. */
  String takeOver() throws BadInputException, EnvironmentException {
    try {
      return doTakeOver();
    } catch (IOException e) {
      throw cannot("take over", e);
    }
  }

  /** Puts the original back; returns what was done, one line. */
  String giveBack() throws BadInputException, EnvironmentException {
    try {
      return doGiveBack();
    } catch (IOException e) {
      throw cannot("give back", e);
    }
  }

  private EnvironmentException cannot(String what, IOException e) {
    return new EnvironmentException(root.path(TARGET) + ": cannot " + what + " weak-modules (" + e.getMessage() + "); check that the root's /usr/sbin and /var/lib are writable, then run it again", e);
  }

  private String doTakeOver() throws IOException, BadInputException, EnvironmentException {
    Path target = at(TARGET);
    Path aside = at(ASIDE);
    Path state = at(STATE);
    if (isOurs(target)) {
      if (!Files.exists(state)) {
        throw orphaned();
      }
      return TARGET + " is already kmodkit's (" + describe(Files.readString(state)) + "); nothing done";
    }
    boolean dpkg = dpkg();
    boolean present = Files.exists(target, LinkOption.NOFOLLOW_LINKS);
    if (!dpkg && present && Files.exists(aside, LinkOption.NOFOLLOW_LINKS) && !Files.exists(state)) {
      throw new BadInputException(aside.toString(), "exists and kmodkit did not put it there; move it away yourself, then run kmodkit weak-modules --take-over again");
    }
    Files.createDirectories(state.getParent());
    String record = dpkg ? "method=dpkg-divert\ndiverted=" + ASIDE + "\n" : "method=moved\n" + (present ? "moved=" + ASIDE + "\n" : "moved=none\n");
    OutputFiles.writeAtomically(state, record.getBytes(StandardCharsets.UTF_8), "rw-r--r--");
    if (dpkg) {
      divert("--add");
    } else if (present) {
      // after a kmod update put its new weak-modules back, the copy aside is that package's older one
      Files.move(target, aside, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }
    Files.createDirectories(target.getParent());
    OutputFiles.writeAtomically(target, REPLACEMENT.getBytes(StandardCharsets.UTF_8), "rwxr-xr-x");
    return TARGET + " now runs kmodkit weak-modules; " + describe(record) + "; undo: kmodkit weak-modules --give-back";
  }

  private String doGiveBack() throws IOException, BadInputException, EnvironmentException {
    Path target = at(TARGET);
    Path state = at(STATE);
    if (!Files.exists(state)) {
      if (isOurs(target)) {
        throw orphaned();
      }
      return TARGET + " was not taken over by kmodkit; nothing done";
    }
    String record = Files.readString(state);
    boolean ours = isOurs(target);
    if (ours) {
      Files.delete(target);
    }
    String done;
    if (record.contains("method=dpkg-divert\n")) {
      divert("--remove");
      done = "diversion removed, the original is back";
    } else if (record.contains("moved=" + ASIDE + "\n") && ours) {
      Files.move(at(ASIDE), target, StandardCopyOption.ATOMIC_MOVE);
      done = "the original is back";
    } else if (!ours) {
      done = "it was replaced since (a package update?) and is left as it is";
    } else {
      done = "there was none before, so none is there now";
    }
    Files.delete(state);
    try (var left = Files.list(state.getParent())) {
      if (left.findAny().isEmpty()) {
        Files.delete(state.getParent());
      }
    }
    return TARGET + " given back: " + done;
  }

  /**
   * {@code absolute} in the root with its directories resolved as the system would (Sysroot.locate),
   * the file itself not followed: a directory that leads out of the root through a link is refused,
   * so nothing is ever moved or written outside it.
   */
  private Path at(String absolute) throws BadInputException {
    int slash = absolute.lastIndexOf('/');
    String dir = absolute.substring(0, slash);
    return root.locate(root.root(), dir).map(d -> d.resolve(absolute.substring(slash + 1)))
        .orElseThrow(() -> new BadInputException(root.path(dir).toString(), "leads out of the root through a link; kmodkit writes nothing there: make it a directory of the root"));
  }

  /** kmodkit's replacement is there but its record is not: diverting or removing it blindly could lose the original. */
  private BadInputException orphaned() {
    return new BadInputException(root.path(STATE).toString(), "is missing, so where " + TARGET + "'s original went is unknown; remove " + TARGET
        + " and reinstall the package that owned it (dpkg-divert --list or rpm -qf names it)");
  }

  private boolean isOurs(Path target) throws IOException {
    return Files.isRegularFile(target, LinkOption.NOFOLLOW_LINKS) && Files.size(target) < 4096
        && Files.readString(target, StandardCharsets.ISO_8859_1).lines().anyMatch(l -> l.startsWith(MARK));
  }

  /** A dpkg system: dpkg's database is there, so dpkg-divert records the move and dpkg honours it. */
  private boolean dpkg() {
    return Files.isRegularFile(root.path("/var/lib/dpkg/status"));
  }

  private static String describe(String record) {
    if (record.contains("method=dpkg-divert\n")) {
      return "the original is diverted to " + ASIDE + " (dpkg-divert --list)";
    }
    return record.contains("moved=none\n") ? "there was no original; recorded in " + STATE : "the original is moved to " + ASIDE + ", recorded in " + STATE;
  }

  private void divert(String action) throws EnvironmentException {
    List<String> cmd = new ArrayList<>(List.of("dpkg-divert"));
    if (!root.root().equals(Path.of("/"))) {
      cmd.add("--root=" + root.root());
    }
    cmd.addAll(List.of("--local", "--rename", "--divert", ASIDE, action, TARGET));
    StringBuilder out = new StringBuilder();
    ProcessRunner.Result r;
    try {
      r = runner.run(ProcessRunner.Command.of(cmd).withTimeout(Duration.ofSeconds(60)).withLines(l -> out.append(l).append('\n')));
    } catch (IOException e) {
      throw new EnvironmentException("cannot run dpkg-divert (" + e.getMessage() + "); install dpkg", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new EnvironmentException("interrupted while running dpkg-divert", e);
    }
    if (r.timedOut() || r.exitCode() != 0) {
      throw new EnvironmentException(String.join(" ", cmd) + " failed: " + out.toString().strip());
    }
  }
}
