package org.kmodkit.formats.deb;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.kmodkit.core.BadInputException;
import org.kmodkit.formats.Relation;

class DebControlTest {
  static DebControl control(String depends) throws BadInputException {
    return DebControl.parse("x.deb", "Package: x\nVersion: 1\nArchitecture: amd64\nDepends: " + depends + "\n");
  }

  @Test
  void aDependsFieldReadsAsGroupsOfAlternativesWithDpkgsOperators() throws Exception {
    DebControl c = control("linux-headers-6.1.0-56-common (= 6.1.192-2), linux-kbuild-6.1 (>=6.1.192-2) | linux-kbuild-6.1-alt:any,\n libc6 [amd64] <!nocheck>, old (< 1), older (> 2), strict (<< 3)");
    assertThat(c.relations("x.deb", "Depends")).containsExactly(
        List.of(Relation.eq("linux-headers-6.1.0-56-common", "6.1.192-2")),
        List.of(new Relation("linux-kbuild-6.1", Relation.Op.GE, "6.1.192-2"), Relation.any("linux-kbuild-6.1-alt")),
        List.of(Relation.any("libc6")),
        List.of(new Relation("old", Relation.Op.LE, "1")),
        List.of(new Relation("older", Relation.Op.GE, "2")),
        List.of(new Relation("strict", Relation.Op.LT, "3")));
    assertThat(c.relations("x.deb", "Pre-Depends")).isEmpty();
  }

  @Test
  void aRelationThatIsNotNameOpVersionIsRefusedNamingIt() {
    assertThatThrownBy(() -> control("good, bad (=> 1)").relations("x.deb", "Depends")).isInstanceOf(BadInputException.class)
        .hasMessage("x.deb: control field Depends holds 'bad (=> 1)', not 'name (op version)'; rebuild the package");
  }
}
