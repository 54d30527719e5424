package org.kmodkit.core;

/**
 * The one checked exception family of kmodkit. A message is one greppable line that says what
 * went wrong, where (file, offset or line), and what to do next. Sealed: its kinds are the two
 * below, and {@link #kind()} names them for a switch with no default (the CLI's exit codes), so a
 * new kind does not compile until every such switch handles it.
 */
public abstract sealed class KmodkitException extends Exception permits BadInputException, EnvironmentException {
  private static final long serialVersionUID = 1L;

  /** Whose fault it is: what the user gave, or the machine it runs on. */
  public enum Kind {
    /** An input is not what it claims to be, or cannot be read as given. */
    BAD_INPUT,
    /** The machine lacks something (a tool, a directory, permission, space); the input may be fine. */
    ENVIRONMENT
  }

  protected KmodkitException(String message) {
    super(message);
  }

  protected KmodkitException(String message, Throwable cause) {
    super(message, cause);
  }

  public abstract Kind kind();
}
