package org.kmodkit.repo;

import java.io.IOException;
import java.nio.file.Path;
import org.kmodkit.core.BadInputException;

/**
 * Writes the metadata of a repository directory for every package file it holds (YUM or APT).
 * Metadata is written aside and switched in with one atomic rename, so a kill -9 at any instant
 * leaves the old metadata served; running it twice on the same packages changes nothing clients see.
 */
public interface RepositoryWriter {
  RepoSummary create(Path dir, RepoOptions options) throws IOException, BadInputException;
}
