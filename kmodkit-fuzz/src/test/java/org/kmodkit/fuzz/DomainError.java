package org.kmodkit.fuzz;

import org.kmodkit.core.BadInputException;

/** What every fuzz test checks of a refusal, beyond its type. */
final class DomainError {
  private DomainError() {}

  /**
   * A refusal must name the input as the caller named it (the user is told which file is bad), so
   * an error that names something else is a finding too.
   */
  static void mustName(String source, BadInputException e) {
    if (e.file() == null || !e.file().startsWith(source)) {
      throw new AssertionError("the error names '" + e.file() + "', not the input '" + source + "': " + e.getMessage(), e);
    }
  }
}
