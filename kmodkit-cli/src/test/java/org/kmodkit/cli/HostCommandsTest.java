package org.kmodkit.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.kmodkit.core.host.ProcessRunner;
import org.kmodkit.testkit.FakeRoot;

/**
 * weak-modules and status run in-process on a fake machine: module names on the Host's stdin, the
 * system's programs (depmod, rpm) answered by a fake runner, never the JVM's own stdin or the
 * build machine's tools.
 */
@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD) // a read of the JVM's own stdin would wait for ever
class HostCommandsTest {
  static final String K1 = "5.14.0-1.el9.x86_64";
  static final String K2 = "5.14.0-2.el9.x86_64";

  @TempDir Path dir;
  @TempDir Path tmp;

  /** The programs the commands ran, and what each answered. */
  final List<List<String>> ran = Collections.synchronizedList(new ArrayList<>());

  /** depmod succeeds; rpm -qf names {@code kmod-<directory>} as the owner of every path asked about. */
  final ProcessRunner tools = c -> {
    ran.add(c.argv());
    if (c.program().equals("rpm")) {
      int first = c.argv().indexOf("%{NAME}\\n") + 1;
      c.argv().subList(first, c.argv().size()).forEach(p -> c.out().accept("kmod-" + Path.of(p).getParent().getFileName()));
    }
    return new ProcessRunner.Result(0, false, Duration.ZERO);
  };

  static org.kmodkit.testkit.KoBuilder mod(String name) {
    return org.kmodkit.testkit.KoBuilder.module(name).vermagic(K1 + " SMP preempt mod_unload modversions ").version("module_layout", 0x1).uses("_printk", 0xaa);
  }

  CliTest.Run run(Host host, String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = Main.run(host, new PrintWriter(out), new PrintWriter(err), args);
    return new CliTest.Run(code, out.toString(), err.toString());
  }

  @Test
  void weakModulesReadsTheModulePathsAScriptletPipesInFromTheHostsStdin() throws Exception {
    FakeRoot root = FakeRoot.at(dir).kernel(K1, 0x1, 0xaa, "_printk").kernel(K2, 0x1, 0xaa, "_printk");
    root.module(K1, "extra/hello/hello.ko", mod("hello"));
    Host host = FakeHost.withStdin(FakeHost.of(dir, tmp, tools), "\n/lib/modules/" + K1 + "/extra/hello/hello.ko\n");

    CliTest.Run r = run(host, "weak-modules", "--root", dir.toString(), "--no-initramfs", "--add-modules");

    assertThat(r.code()).as(r.err()).isZero();
    assertThat(dir.resolve("lib/modules/" + K2 + "/weak-updates/kmodkit")).isDirectory();
    assertThat(ran).as("depmod of the root, by the Host's runner").anySatisfy(cmd -> assertThat(cmd).startsWith("depmod", "-a", "-b", dir.toString()).endsWith(K2));
  }

  @Test
  void weakModulesWithNothingOnStdinSaysSo() throws Exception {
    FakeRoot.at(dir).kernel(K1, 0x1, 0xaa, "_printk");
    CliTest.Run r = run(FakeHost.of(dir, tmp, tools), "weak-modules", "--root", dir.toString(), "--no-initramfs", "--add-modules");
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.err()).isEqualTo("kmodkit: --add-modules: no module paths given (as arguments or on stdin)\n");
    assertThat(ran).isEmpty();
  }

  @Test
  void statusNamesTheSetsAfterThePackagesTheRootsRpmDatabaseSaysOwnThem() throws Exception {
    FakeRoot root = FakeRoot.at(dir).kernel(K1, 0x1, 0xaa, "_printk").kernel(K2, 0x1, 0xaa, "_printk");
    root.module(K1, "extra/hello/hello.ko", mod("hello"));
    Files.createDirectories(dir.resolve("var/lib/rpm"));

    CliTest.Run r = run(FakeHost.of(dir, tmp, tools), "status", "--json");

    assertThat(r.code()).as(r.err()).isEqualTo(1); // compatible with K2, not linked yet
    JsonNode j = new ObjectMapper().readTree(r.out());
    assertThat(j.get("root").asText()).as("the Host's root, no --root given").isEqualTo(dir.toString());
    assertThat(j.get("sets").get(0).get("name").asText()).isEqualTo("kmod-hello");
    assertThat(ran).singleElement().satisfies(cmd -> assertThat(cmd).startsWith("rpm", "--root", dir.toString(), "-qf").endsWith("/lib/modules/" + K1 + "/extra/hello/hello.ko"));
  }
}
