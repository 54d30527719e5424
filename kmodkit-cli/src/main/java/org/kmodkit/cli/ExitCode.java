package org.kmodkit.cli;

import org.kmodkit.core.KmodkitException;

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
   * The code for a throwable that ended a command: each kind of the domain family, and anything
   * else is a kmodkit bug — never 0 or 1, which would read as a verdict.
   */
  public static ExitCode of(Throwable e) {
    return e instanceof KmodkitException k ? of(k.kind()) : INTERNAL;
  }

  /** The code of a kind of domain error; no default, so a new kind does not compile unhandled. */
  public static ExitCode of(KmodkitException.Kind kind) {
    return switch (kind) {
      case BAD_INPUT -> BAD_INPUT;
      case ENVIRONMENT -> ENVIRONMENT;
    };
  }

  /** The worse of two outcomes. */
  public ExitCode and(ExitCode other) {
    return other.code > code ? other : this;
  }
}
