package org.kmodkit.formats.deb;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.kmodkit.core.BadInputException;
import org.kmodkit.formats.Relation;

class DebVersionTest {
  /** Pairs whose order the referee, dpkg itself, decides: tildes, epochs, revisions, leading zeros, letters against symbols. */
  static final String[][] PAIRS = {
    {"6.1.192-2", "6.1.192-2"}, {"6.1.192-1", "6.1.192-2"}, {"6.1.187-1", "6.1.192-2"}, {"6.1.192-10", "6.1.192-9"},
    {"1.0~rc1", "1.0"}, {"1.0~rc1", "1.0~rc2"}, {"1.0~~", "1.0~"}, {"1.0~", "1.0"}, {"1.0", "1.0+b1"}, {"1.0", "1.0.1"},
    {"1:1.0", "2.0"}, {"0:1.0", "1.0"}, {"2:0.1", "1:9.9"}, {"1.0-0", "1.0"}, {"1.0-1", "1.0"}, {"01.0", "1.0"}, {"1.002", "1.2"},
    {"1.0a", "1.0+"}, {"1.0a-1", "1.0.-1"}, {"1.0a", "1.0B"}, {"1.0.", "1.0"}, {"1.0-a", "1.0-~"}, {"0~20220829+git-3", "0~20220829-3"},
    {"1.2.2-2.1", "1.2.2-2"}, {"1.2.2-2.1", "1.2.2-2+deb12u1"}, {"6.1.192-2~bpo11+1", "6.1.192-2"}, {"1.0-1-1", "1.0-1"}, {"10", "9"},
    {"1:1.0-1", "1:1.0-1~"}, {"1.0+dfsg", "1.0.dfsg"}, {"abc", "abd"},
  };

  static int dpkg(String a, String b) throws Exception {
    for (String[] op : new String[][] {{"lt", "-1"}, {"eq", "0"}, {"gt", "1"}}) {
      Process p = new ProcessBuilder("dpkg", "--compare-versions", a, op[0], b).redirectErrorStream(true).start();
      p.getInputStream().readAllBytes();
      assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
      if (p.exitValue() == 0) {
        return Integer.parseInt(op[1]);
      }
    }
    throw new AssertionError("dpkg orders neither way: " + a + " " + b);
  }

  @Test
  void debVersionsOrderAsDpkgCompareVersionsOrdersThem() throws Exception {
    List<String> wrong = new ArrayList<>();
    for (String[] pair : PAIRS) {
      for (String[] ab : new String[][] {pair, {pair[1], pair[0]}}) {
        int ours = Integer.signum(DebVersion.parse(ab[0]).compareTo(DebVersion.parse(ab[1])));
        int theirs = dpkg(ab[0], ab[1]);
        if (ours != theirs) {
          wrong.add(ab[0] + " vs " + ab[1] + ": dpkg " + theirs + ", kmodkit " + ours);
        }
      }
    }
    assertThat(wrong).isEmpty();
  }

  @Test
  void aRelationIsSatisfiedAsDpkgReadsItsOperator() throws Exception {
    DebVersion v = DebVersion.parse("6.1.192-2");
    assertThat(v.satisfies(Relation.Op.EQ, DebVersion.parse("6.1.192-2"))).isTrue();
    assertThat(v.satisfies(Relation.Op.EQ, DebVersion.parse("0:6.1.192-2"))).isTrue();
    assertThat(v.satisfies(Relation.Op.EQ, DebVersion.parse("6.1.192-1"))).isFalse();
    assertThat(v.satisfies(Relation.Op.GE, DebVersion.parse("6.1.187-1"))).isTrue();
    assertThat(v.satisfies(Relation.Op.GE, DebVersion.parse("6.1.192-3"))).isFalse();
    assertThat(v.satisfies(Relation.Op.LT, DebVersion.parse("6.1.192-2"))).isFalse();
    assertThat(v.satisfies(Relation.Op.LE, DebVersion.parse("6.1.192-2"))).isTrue();
    assertThat(v.satisfies(Relation.Op.GT, DebVersion.parse("6.1.192-2~"))).isTrue();
    assertThat(v.satisfies(Relation.Op.ANY, null)).isTrue();
  }

  @Test
  void aVersionDpkgWouldRejectIsRefusedNamingIt() {
    for (String bad : new String[] {"", "1.0 1", "x:1.0", "1:", "-1", "1.0-", "1.0-a:b"}) {
      assertThatThrownBy(() -> DebVersion.parse(bad)).as(bad).isInstanceOf(BadInputException.class).hasMessageContaining("'" + bad + "'");
    }
  }
}
