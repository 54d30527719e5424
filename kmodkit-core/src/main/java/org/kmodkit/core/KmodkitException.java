package org.kmodkit.core;

/**
 * The one checked exception family of kmodkit. A message is one greppable line that says what
 * went wrong, where (file, offset or line), and what to do next.
 */
public abstract class KmodkitException extends Exception {
  private static final long serialVersionUID = 1L;

  protected KmodkitException(String message) {
    super(message);
  }

  protected KmodkitException(String message, Throwable cause) {
    super(message, cause);
  }
}
