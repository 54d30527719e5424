package org.kmodkit.core.tree;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Architecture: {@link Sysroot} is the only place the host's layout ("/lib/modules", "/boot") is
 * written. Every main source of every module is read; comments may name the paths, code may not.
 * kmodkit-testkit is left out: it builds fake roots as a system has them, for core's own tests,
 * and cannot depend on core.
 */
class HostLayoutTest {
  static final Path TREE = Path.of("..").toAbsolutePath().normalize();
  static final Pattern LAYOUT = Pattern.compile("\"/?lib/modules|\"/boot|\"boot/");

  @Test
  void onlySysrootWritesTheHostsLayout() throws IOException {
    List<String> found = new ArrayList<>();
    List<Path> sources;
    try (Stream<Path> modules = Files.list(TREE)) {
      sources = modules.filter(m -> m.getFileName().toString().startsWith("kmodkit-") && !m.getFileName().toString().equals("kmodkit-testkit"))
          .map(m -> m.resolve("src/main/java")).filter(Files::isDirectory).toList();
    }
    assertThat(sources).as("the modules' main sources are found from " + TREE).hasSizeGreaterThan(3);
    for (Path src : sources) {
      try (Stream<Path> files = Files.walk(src)) {
        for (Path f : files.filter(p -> p.toString().endsWith(".java") && !p.getFileName().toString().equals("Sysroot.java")).sorted().toList()) {
          List<String> lines = Files.readAllLines(f);
          for (int i = 0; i < lines.size(); i++) {
            String code = lines.get(i).strip();
            if (!code.startsWith("*") && !code.startsWith("/*") && !code.startsWith("//") && LAYOUT.matcher(code.replaceFirst("\\s//.*$", "")).find()) {
              found.add(TREE.relativize(f) + ":" + (i + 1) + ": " + code);
            }
          }
        }
      }
    }
    assertThat(found).as("write the path with a Sysroot method instead").isEmpty();
  }
}
