package org.kmodkit.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * kmodkit rebuild on a kmod source RPM in Mellanox's convention (the spec honours KVERSION and
 * K_SRC, as MLNX's driver SRPMs do for mlnx_add_kernel_support.sh), made here by the real rpmbuild
 * -bs from the hello Kbuild driver and rebuilt by the real rpmbuild (Debian's rpm package) for
 * corpus kernel 56 from its headers packages. Referees: rpm -qpl on the kmod RPM, kmodkit check.
 */
class SrpmRebuildIT {
  static final String RELEASE = Corpus.release(56);
  static Path out;
  static Kmodkit.Run run;

  /** A kmod SRPM of {@code name}: SOURCES/{@code name}-1.0.tar.gz of {@code src}, the spec as MLNX writes it. */
  static Path srpm(String name, Path src) throws Exception {
    Path top = Corpus.work().resolve("srpm-" + name);
    Proc.run(Corpus.work(), 60, "rm", "-rf", top.toString());
    Path sources = Files.createDirectories(top.resolve("SOURCES"));
    Proc.check(top, 60, "cp", "-r", src.toString(), top.resolve(name + "-1.0").toString());
    Proc.check(top, 60, "tar", "czf", sources.resolve(name + "-1.0.tar.gz").toString(), "-C", top.toString(), name + "-1.0");
    Files.writeString(sources.resolve(name + "-kmod.spec"), """
        %{!?KVERSION: %global KVERSION %(uname -r)}
        %{!?K_SRC: %global K_SRC /lib/modules/%{KVERSION}/build}
        %global debug_package %{nil}
        Name:           NAME-kmod
        Version:        1.0
        Release:        1
        Summary:        NAME kernel modules, rebuilt per kernel as MLNX driver SRPMs are
        License:        GPL-2.0
        Source0:        NAME-1.0.tar.gz
        BuildRequires:  gcc, make
        %description
        NAME modules for kernel %{KVERSION}
        %prep
        %setup -q -n NAME-1.0
        %build
        make -C %{K_SRC} M=$PWD modules %{?_smp_mflags}
        %install
        install -d %{buildroot}/lib/modules/%{KVERSION}/extra/NAME
        install -m 0644 *.ko %{buildroot}/lib/modules/%{KVERSION}/extra/NAME/
        %files
        /lib/modules/%{KVERSION}/extra/NAME
        """.replace("NAME", name));
    Proc.check(top, 120, "rpmbuild", "--define", "_topdir " + top, "--define", "_srcrpmdir " + top, "-bs", sources.resolve(name + "-kmod.spec").toString());
    return top.resolve(name + "-kmod-1.0-1.src.rpm");
  }

  static Kmodkit.Run rebuild(Path srpm, Path o) {
    Proc.run(Corpus.work(), 120, "rm", "-rf", o.toString());
    return Kmodkit.run("rebuild", "--json", "--out", o.toString(), "--source", srpm.toString(),
        "--kernel", Corpus.headers(56).toString(), "--kernel", Corpus.headersCommon(56).toString(), "--kernel", Corpus.deb("linux-kbuild-6.1_").toString());
  }

  @BeforeAll
  static void rebuildTheHelloKmodSrpmFor56() throws Exception {
    out = Corpus.work().resolve("srpm-rebuild-out");
    run = rebuild(srpm("hello", Corpus.repo().resolve("fixtures/src/hello")), out);
  }

  @Test
  void theRealRpmbuildMakesTheKmodRpmAndItsModulesAreCheckedGoodFor56() {
    assertThat(run.code()).as(run.err()).isZero();
    JsonNode j = run.json();
    assertThat(j.get("drivers").get(0).get("kind").asText()).isEqualTo("srpm");
    JsonNode b = j.get("builds").get(0);
    assertThat(b.get("status").asText()).as(b.toString()).isEqualTo("built");
    assertThat(b.get("modules")).extracting(m -> m.get("name").asText()).containsExactlyInAnyOrder("hello", "hello_nonet", "hello_user");
    for (JsonNode m : b.get("modules")) {
      assertThat(m.get("install_path").asText()).isEqualTo("/lib/modules/" + RELEASE + "/extra/hello/" + m.get("name").asText() + ".ko");
      assertThat(m.get("check").get("vermagic").asText()).startsWith(RELEASE + " SMP preempt mod_unload modversions");
      assertThat(out.resolve(RELEASE + "/extra/hello-kmod/" + m.get("name").asText() + ".ko")).isRegularFile();
    }
    assertThat(b.get("packages")).extracting(JsonNode::asText).containsExactly(out.resolve(RELEASE + "/rpms/hello-kmod/hello-kmod-1.0-1.x86_64.rpm").toString());
  }

  @Test
  void rpmItselfListsTheModulesInTheKmodRpmUnderKversion() {
    Path rpm = out.resolve(RELEASE + "/rpms/hello-kmod/hello-kmod-1.0-1.x86_64.rpm");
    Proc.Result r = Proc.check(Corpus.work(), 60, "rpm", "-qpl", rpm.toString());
    assertThat(r.out().lines()).contains("/lib/modules/" + RELEASE + "/extra/hello/hello.ko", "/lib/modules/" + RELEASE + "/extra/hello/hello_user.ko");
  }

  @Test
  void kmodkitCheckSaysTheModulesFromTheRpmLoadOn56() {
    Kmodkit.Run c = Kmodkit.run("check", "--kernel", Corpus.symvers(56).toString(), out.resolve(RELEASE + "/extra").toString());
    assertThat(c.code()).as(c.out() + c.err()).isZero();
    assertThat(c.out()).contains("3 modules in 1 set: 3 load");
  }

  @Test
  void anSrpmThatDoesNotCompileFailsWithTheCompilersOwnErrorFromRpmbuildsLog() throws Exception {
    Path src = RebuildIT.brokenSource(Corpus.work().resolve("srpm-broken-src"));
    Path o = Corpus.work().resolve("srpm-broken-out");
    Kmodkit.Run r = rebuild(srpm("broken", src), o);
    assertThat(r.code()).as(r.err()).isEqualTo(1);
    JsonNode b = r.json().get("builds").get(0);
    assertThat(b.get("reason").asText()).isEqualTo("rpmbuild exited with status 1");
    assertThat(b.get("error_lines").get(0).asText()).contains("broken.c:3:").contains("error: 'undeclared_thing' undeclared");
    assertThat(o.resolve(RELEASE + "/rpms")).doesNotExist();
    assertThat(o.resolve(RELEASE + "/extra")).doesNotExist();
  }
}
