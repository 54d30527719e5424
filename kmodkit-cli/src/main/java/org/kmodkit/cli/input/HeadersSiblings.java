package org.kmodkit.cli.input;

import org.kmodkit.formats.PackageReader;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.kmodkit.core.BadInputException;
import org.kmodkit.core.KmodkitException;
import org.kmodkit.formats.Relation;
import org.kmodkit.formats.deb.DebArchive;
import org.kmodkit.formats.deb.DebControl;
import org.kmodkit.formats.deb.DebVersion;

/**
 * A Debian flavour headers package is not a build tree alone: its Makefile includes the
 * {@code linux-headers-<abi>-common} tree and its scripts link into {@code linux-kbuild-<version>},
 * both named in its Depends. This adds to the packages given the ones their Depends name among
 * those two families (followed through the ones added), found as {@code name_version_arch.deb}
 * beside the package that needs them or among earlier downloads, and whose version satisfies the
 * relation. Other Depends (the compiler, libc) are the host's business. RPMs pass through:
 * kernel-devel is a whole build tree.
 */
final class HeadersSiblings {
  private record Deb(Path file, String name, DebVersion version, String arch, List<List<Relation>> depends) {}

  /** One relation group no package satisfies, the package that needs it, and the files that were too old or too new. */
  private record Missing(Deb from, List<Relation> group, List<String> rejected) {}

  private final Path downloads;
  private final KernelInputs.Download download;
  private final Consumer<String> say;

  /**
   * @param downloads where packages fetched earlier lie, and {@code download} puts new ones
   * @param download null: name the missing packages and the command that fetches them, and stop
   * @param say where the packages taken are named (stderr)
   */
  HeadersSiblings(Path downloads, KernelInputs.Download download, Consumer<String> say) {
    this.downloads = downloads;
    this.download = download;
    this.say = say;
  }

  /** {@code packages} and the siblings they need, each file once. */
  List<Path> complete(List<Path> packages) throws KmodkitException {
    Map<String, Deb> chosen = new LinkedHashMap<>();
    Deque<Deb> todo = new ArrayDeque<>();
    for (Path p : packages) {
      if (PackageReader.detect(p) == PackageReader.Format.DEB) {
        Deb d = read(p);
        chosen.putIfAbsent(d.name(), d);
        todo.add(d);
      }
    }
    Set<Path> out = new LinkedHashSet<>(packages);
    List<String> taken = new ArrayList<>(); // said once all are found: a refusal is the only line then
    boolean fetched = false;
    while (true) {
      List<Missing> missing = new ArrayList<>();
      while (!todo.isEmpty()) {
        Deb d = todo.poll();
        for (List<Relation> group : d.depends()) {
          if (group.stream().noneMatch(HeadersSiblings::partOfTheTree) || group.stream().anyMatch(r -> satisfies(chosen.get(r.name()), r))) {
            continue;
          }
          Optional<Deb> given = group.stream().map(r -> chosen.get(r.name())).filter(c -> c != null).findFirst();
          if (given.isPresent()) {
            // two builds of one package would be unpacked over each other: the one named or taken must do
            throw new BadInputException(given.get().file().toString(), "is version " + given.get().version() + ", but " + d.file().getFileName() + " needs " + debString(group)
                + "; pass the matching package instead");
          }
          List<String> rejected = new ArrayList<>();
          Optional<Deb> found = Optional.empty();
          for (Relation r : group) {
            found = beside(d, r, rejected);
            if (found.isPresent()) {
              break;
            }
          }
          if (found.isPresent()) {
            Deb s = found.get();
            chosen.put(s.name(), s);
            todo.add(s);
            out.add(s.file());
            taken.add("kmodkit: " + d.file().getFileName() + " needs " + debString(group) + ": taking " + s.file());
          } else {
            missing.add(new Missing(d, group, rejected));
          }
        }
      }
      if (missing.isEmpty()) {
        taken.forEach(say);
        return List.copyOf(out);
      }
      List<String> requests = missing.stream().map(m -> m.group().get(0)).map(r -> r.op() == Relation.Op.EQ ? r.name() + "=" + r.version() : r.name()).distinct().toList();
      if (download == null || fetched) {
        throw refusal(missing, requests, fetched);
      }
      say.accept("kmodkit: running apt-get download " + String.join(" ", requests) + " in " + downloads);
      download.fetch(requests, downloads);
      fetched = true;
      missing.stream().map(Missing::from).distinct().forEach(todo::add);
    }
  }

  /** The build tree's own parts: Debian's -common headers and kbuild packages (not the compiler, not libc). */
  private static boolean partOfTheTree(Relation r) {
    return r.name().startsWith("linux-headers-") || r.name().startsWith("linux-kbuild-");
  }

  private static boolean satisfies(Deb d, Relation r) {
    return d != null && (r.op() == Relation.Op.ANY || d.version().satisfies(r.op(), version(r)));
  }

  private static DebVersion version(Relation r) {
    try {
      return DebVersion.parse(r.version());
    } catch (BadInputException e) {
      throw new IllegalStateException(e); // checked when the field was read
    }
  }

  /** The newest {@code name_*.deb} beside {@code d} or among the downloads that is {@code r.name()} in a version {@code r} accepts. */
  private Optional<Deb> beside(Deb d, Relation r, List<String> rejected) throws KmodkitException {
    Set<Path> dirs = new LinkedHashSet<>();
    dirs.add(d.file().toAbsolutePath().getParent());
    if (Files.isDirectory(downloads)) {
      dirs.add(downloads.toAbsolutePath());
    }
    List<Deb> ok = new ArrayList<>();
    for (Path dir : dirs) {
      try (Stream<Path> s = Files.list(dir)) {
        for (Path f : s.filter(f -> f.getFileName().toString().startsWith(r.name() + "_") && f.getFileName().toString().endsWith(".deb")).sorted().toList()) {
          Deb c = read(f);
          if (!c.name().equals(r.name()) || !(c.arch().equals(d.arch()) || c.arch().equals("all") || d.arch().equals("all"))) {
            continue;
          }
          if (satisfies(c, r)) {
            ok.add(c);
          } else {
            rejected.add(f.getFileName() + " is " + c.version());
          }
        }
      } catch (IOException e) {
        throw new BadInputException(dir.toString(), "cannot list (" + e.getMessage() + "); check its permissions");
      }
    }
    return ok.stream().max(Comparator.comparing(Deb::version));
  }

  private static BadInputException refusal(List<Missing> missing, List<String> requests, boolean fetched) {
    Deb from = missing.get(0).from();
    Set<String> what = new LinkedHashSet<>(); // several kernels' packages may lack the same one
    for (Missing m : missing) {
      what.add(debString(m.group()) + (m.rejected().isEmpty() ? "" : " (" + String.join(", ", m.rejected()) + ")"));
    }
    String where = from.file().toAbsolutePath().getParent().toString();
    String command = "apt-get download " + String.join(" ", requests);
    return new BadInputException(from.file().toString(), "needs " + String.join(" and ", what) + ", "
        + (fetched ? "still missing after " + command + "; check the package names and your apt sources"
            : "not found beside it in " + where + "; put the package" + (requests.size() == 1 ? "" : "s") + " there, or fetch " + (requests.size() == 1 ? "it" : "them") + ": " + command + " (--download runs that for you)"));
  }

  private static String debString(List<Relation> group) {
    return String.join(" | ", group.stream().map(Relation::debString).toList());
  }

  /** FILE's control fields; a version dpkg would refuse, in Version or in a relation, is the package's fault, named here. */
  private static Deb read(Path file) throws BadInputException {
    String source = file.toString();
    try {
      DebControl c = DebArchive.control(file);
      List<List<Relation>> depends = c.relations(source, "Depends");
      for (List<Relation> group : depends) {
        for (Relation r : group) {
          if (r.op() != Relation.Op.ANY) {
            DebVersion.parse(source, r.version());
          }
        }
      }
      return new Deb(file, c.name(), DebVersion.parse(source, c.get("Version")), c.get("Architecture"), depends);
    } catch (IOException e) {
      throw new BadInputException(source, "cannot be read (" + e.getMessage() + "); check the path and permissions");
    }
  }
}
