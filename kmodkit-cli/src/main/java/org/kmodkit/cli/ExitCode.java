package org.kmodkit.cli;

import org.kmodkit.core.BadInputException;
import org.kmodkit.core.EnvironmentException;

/**
 * kmodkit's exit codes, documented in docs/commands.md ("Exit codes") and man kmodkit. Bad input outranks a negative verdict: a run
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
  ENVIRONMENT(3),
  /** A kmodkit bug: an exception no command expected, an Error (out of memory, stack overflow). */
  INTERNAL(4);

  private final int code;

  ExitCode(int code) {
    this.code = code;
  }

  public int code() {
    return code;
  }

  /**
   * The code for a throwable that ended a command: the domain family's two branches, and anything
   * else is a kmodkit bug — never 0 or 1, which would read as a verdict.
   */
  public static ExitCode of(Throwable e) {
    if (e instanceof BadInputException) {
      return BAD_INPUT;
    }
    if (e instanceof EnvironmentException) {
      return ENVIRONMENT;
    }
    return INTERNAL;
  }

  /** The worse of two outcomes. */
  public ExitCode and(ExitCode other) {
    return other.code > code ? other : this;
  }
}
