package org.kmodkit.cli.input;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.kmodkit.core.BadInputException;
import org.kmodkit.core.build.DriverSource;
import org.kmodkit.formats.ShipFixtures;
import org.kmodkit.formats.rpm.RpmWriter;
import org.kmodkit.formats.rpm.SrpmForTests;

/** rebuild --source X.src.rpm: the SRPM unpacked in-process, confined, as rpm -i lays it out. */
class SrpmSourceTest {
  static final String SPEC = "Name: hello-kmod\nVersion: 1.0\nRelease: 1\n";

  @TempDir Path tmp;

  Path work() {
    return tmp.resolve("work");
  }

  void assertRefused(SrpmForTests srpm, String why) throws Exception {
    Path file = srpm.write(tmp, "evil-kmod", "1.0");
    assertThatThrownBy(() -> DriverInputs.source(file.toString(), work())).isInstanceOf(BadInputException.class)
        .hasMessageStartingWith(file + ": ").hasMessageContaining(why);
    assertThat(tmp.resolve("escaped")).as("nothing written outside the work directory").doesNotExist();
    assertThat(work().resolve("sources")).as("nothing left behind").satisfiesAnyOf(k -> assertThat(k).doesNotExist(), k -> assertThat(k).isEmptyDirectory());
  }

  @Test
  void aKmodSrpmIsUnpackedIntoSourcesAsRpmWouldAndItsSpecAndNameTaken() throws Exception {
    Path srpm = new SrpmForTests().file("hello-kmod.spec", SPEC).file("hello-1.0.tar.gz", "tarball bytes").write(tmp, "hello-kmod", "1.0");
    DriverSource d = DriverInputs.source(srpm.toString(), work());
    assertThat(d).isInstanceOfSatisfying(DriverSource.Srpm.class, s -> assertThat(s.spec()).isEqualTo("SOURCES/hello-kmod.spec"));
    assertThat(d.name()).isEqualTo("hello-kmod");
    assertThat(d.version()).isEqualTo("1.0");
    assertThat(d.kind()).isEqualTo("srpm");
    assertThat(d.dir()).startsWith(work());
    assertThat(d.dir().resolve("SOURCES/hello-kmod.spec")).hasContent(SPEC.strip());
    assertThat(d.dir().resolve("SOURCES/hello-1.0.tar.gz")).hasContent("tarball bytes");
  }

  @Test
  void anSrpmWithNoSpecOrTwoIsRefusedNamingThem() throws Exception {
    assertRefused(new SrpmForTests().file("hello-1.0.tar.gz", "x"), "holds no .spec file; it is no source RPM rpmbuild can rebuild");
    assertRefused(new SrpmForTests().file("a.spec", SPEC).file("b.spec", SPEC), "holds 2 .spec files (a.spec, b.spec); rpmbuild --rebuild takes one");
  }

  @Test
  void anSrpmWhoseCpioLinksOrClimbsOutIsRefusedWhole() throws Exception {
    assertRefused(new SrpmForTests().file("hello-kmod.spec", SPEC).symlink("out", "../../../escaped"), "is a link leading out of the directory");
    assertRefused(new SrpmForTests().file("hello-kmod.spec", SPEC).file("../../escaped", "gotcha"), "escaping the install root");
    assertRefused(new SrpmForTests().file("hello-kmod.spec", SPEC).symlink("out", "x/../../escaped").file("out/Makefile", "gotcha"), "leading out of the directory");
  }

  @Test
  void aBinaryRpmIsNoDriverSourceAndSaysWhichSourceRpmToPass() throws Exception {
    Path rpm = new RpmWriter().write(ShipFixtures.spec(Files.createDirectories(tmp.resolve("bin")), "hello-kmod", "1.2"), tmp, null);
    assertThatThrownBy(() -> DriverInputs.source(rpm.toString(), work())).isInstanceOf(BadInputException.class)
        .hasMessageContaining("is a binary RPM (built from hello-kmod-1.2-").hasMessageContaining(".src.rpm); pass that source RPM");
  }
}
