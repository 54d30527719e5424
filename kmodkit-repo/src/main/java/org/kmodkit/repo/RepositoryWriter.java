package org.kmodkit.repo;

import java.nio.file.Path;
import org.kmodkit.core.BadInputException;
import org.kmodkit.core.EnvironmentException;

/**
 * Writes the metadata of a repository directory for every package file it holds (YUM or APT).
 * Metadata is written aside and switched in with one atomic rename, so a kill -9 at any instant
 * leaves the old metadata served; running it twice on the same packages changes nothing clients see.
 */
public interface RepositoryWriter {
  /** A package that cannot be read or trusted is bad input; metadata the machine will not let be written, the environment. */
  RepoSummary create(Path dir, RepoOptions options) throws BadInputException, EnvironmentException;
}
