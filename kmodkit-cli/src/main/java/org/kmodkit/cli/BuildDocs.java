package org.kmodkit.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.stream.Stream;
import picocli.CommandLine;

/**
 * Run by kmodkit-cli's build (prepare-package): writes {@code target/man/*.1} and
 * {@code target/completion/kmodkit} from the command model. Arguments: the target directory and
 * the version; the date is SOURCE_DATE_EPOCH's, else none, so every build writes the same bytes.
 */
final class BuildDocs {
  private BuildDocs() {}

  public static void main(String[] args) throws IOException {
    if (args.length != 2) {
      throw new IllegalArgumentException("usage: BuildDocs TARGET-DIR VERSION");
    }
    write(Main.commandLine(Host.system(), Main.commands()), Path.of(args[0]), args[1], ManPages.date(System.getenv("SOURCE_DATE_EPOCH")));
  }

  static void write(CommandLine root, Path target, String version, String date) throws IOException {
    Path man = Files.createDirectories(target.resolve("man"));
    try (Stream<Path> old = Files.list(man)) { // a renamed command's page would linger
      for (Path page : old.filter(p -> p.getFileName().toString().endsWith(".1")).toList()) {
        Files.delete(page);
      }
    }
    for (Map.Entry<String, String> page : new ManPages(version, date).pages(root).entrySet()) {
      Files.writeString(man.resolve(page.getKey()), page.getValue(), StandardCharsets.US_ASCII);
    }
    Files.writeString(Files.createDirectories(target.resolve("completion")).resolve("kmodkit"), BashCompletion.script(root), StandardCharsets.US_ASCII);
  }
}
