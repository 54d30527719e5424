package org.kmodkit.repo;

import java.nio.file.Path;
import java.util.List;

/** What a repository run wrote: the package count, the metadata files now served, and the client config files for nodes. */
public record RepoSummary(Path dir, int packages, List<Path> metadata, List<Path> clientConfig) {
  public RepoSummary {
    metadata = List.copyOf(metadata);
    clientConfig = List.copyOf(clientConfig);
  }
}
