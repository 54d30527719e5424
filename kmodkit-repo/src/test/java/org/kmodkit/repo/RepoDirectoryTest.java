package org.kmodkit.repo;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RepoDirectoryTest {
  @TempDir Path dir;

  @Test
  void onlyARelativeLinkIntoTheStateDirectoryWithTheRightPrefixIsOurs() throws Exception {
    Files.createDirectories(dir.resolve(".kmodkit/dists-1"));
    Files.createSymbolicLink(dir.resolve("mine"), Path.of(".kmodkit/dists-1"));
    Files.createSymbolicLink(dir.resolve("elsewhere"), Path.of("/srv/mirror/dists"));
    Files.createSymbolicLink(dir.resolve("other-prefix"), Path.of(".kmodkit/repodata-1"));
    Files.createDirectories(dir.resolve("real"));
    assertThat(RepoDirectory.ours(dir.resolve("mine"), "dists-")).isTrue();
    assertThat(RepoDirectory.ours(dir.resolve("elsewhere"), "dists-")).isFalse();
    assertThat(RepoDirectory.ours(dir.resolve("other-prefix"), "dists-")).isFalse();
    assertThat(RepoDirectory.ours(dir.resolve("real"), "dists-")).isFalse();
  }

  @Test
  void packagesAreFoundThroughLinksButNotInHiddenDirectoriesAndInPathOrder() throws Exception {
    Files.createDirectories(dir.resolve("b"));
    Files.writeString(dir.resolve("b/x.deb"), "x");
    Files.writeString(dir.resolve("a.deb"), "a");
    Files.createSymbolicLink(dir.resolve("c.deb"), dir.resolve("a.deb"));
    Files.createDirectories(dir.resolve(".kmodkit"));
    Files.writeString(dir.resolve(".kmodkit/hidden.deb"), "h");
    Files.writeString(dir.resolve(".tmp.deb"), "t");
    Files.writeString(dir.resolve("y.rpm"), "y");
    assertThat(RepoDirectory.packages(dir, ".deb")).containsExactly(dir.resolve("a.deb"), dir.resolve("b/x.deb"), dir.resolve("c.deb"));
  }

  @Test
  void switchingRenamesOneLinkAndKeepsOnlyTheGenerationsAsked() throws Exception {
    for (String g : new String[] {"dists-1", "dists-2", "dists-3"}) {
      Files.createDirectories(dir.resolve(".kmodkit").resolve(g));
    }
    RepoDirectory.switchTo(dir, "dists", "dists-", "dists-2", Set.of());
    RepoDirectory.switchTo(dir, "dists", "dists-", "dists-3", Set.of(RepoDirectory.current(dir, "dists")));
    assertThat(Files.readSymbolicLink(dir.resolve("dists"))).isEqualTo(Path.of(".kmodkit/dists-3"));
    assertThat(dir.resolve(".kmodkit/dists-1")).doesNotExist();
    assertThat(dir.resolve(".kmodkit/dists-2")).exists();
    try (var s = Files.list(dir)) {
      assertThat(s.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder("dists", ".kmodkit");
    }
  }
}
