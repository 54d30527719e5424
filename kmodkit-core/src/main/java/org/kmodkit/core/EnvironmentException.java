package org.kmodkit.core;

/** The machine lacks something kmodkit needs (a tool, a directory, permissions); the input is fine. */
public non-sealed class EnvironmentException extends KmodkitException {
  private static final long serialVersionUID = 1L;

  public EnvironmentException(String message) {
    super(message);
  }

  public EnvironmentException(String message, Throwable cause) {
    super(message, cause);
  }

  @Override
  public final Kind kind() {
    return Kind.ENVIRONMENT;
  }
}
