package org.kmodkit.cli;

import org.kmodkit.core.BadInputException;
import org.kmodkit.core.EnvironmentException;

/**
 * kmodkit's exit codes, documented in README.md. Bad input outranks a negative verdict: a run
 * whose inputs could not all be read cannot vouch for the set, even if what it read was fine.
 */
public enum ExitCode {
  /** Everything asked about is fine: every module would load. */
  OK(0),
  /** A verdict is negative: some module would not load (or a check failed). */
  INCOMPATIBLE(1),
  /** Usage error or bad input: a corrupt or unreadable file, a malformed line, a wrong option. */
  BAD_INPUT(2),
  /** The environment lacks something (a tool, a directory, permission); the input may be fine. */
  ENVIRONMENT(3);

  private final int code;

  ExitCode(int code) {
    this.code = code;
  }

  public int code() {
    return code;
  }

  /** The code for an exception that ended a command. */
  public static ExitCode of(Throwable e) {
    if (e instanceof BadInputException) {
      return BAD_INPUT;
    }
    if (e instanceof EnvironmentException) {
      return ENVIRONMENT;
    }
    return ENVIRONMENT;
  }

  /** The worse of two outcomes. */
  public ExitCode and(ExitCode other) {
    return other.code > code ? other : this;
  }
}
