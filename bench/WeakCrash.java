import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.kmodkit.core.tree.Sysroot;
import org.kmodkit.core.host.SystemProcessRunner;
import org.kmodkit.core.weak.HostSystemTools;
import org.kmodkit.core.weak.WeakUpdates;
import org.kmodkit.testkit.FakeRoot;
import org.kmodkit.testkit.KoBuilder;

/**
 * Crash run (issue 3): `kmodkit weak-modules --add-kernel K2` killed with SIGKILL at random instants,
 * over and over, on a root whose desired state for K2 cycles A → B → C → A (A: sets P and X
 * linked, P's mlx5_core with an override line; B: only P; C: nothing, so the apply removes every
 * link), so every apply changes something. After each kill the root is inspected: consistent iff
 * weak-updates/kmodkit is absent (state C) or resolves to a complete generation (manifest present,
 * every link it lists exists and points at its target, which it reaches when the target is
 * installed, nothing else there) whose links equal the
 * old or the new desired state. Then a normal run (the same core call the CLI makes, in-process)
 * must repair: the new state live, depmod run (depmod-done, modules.dep naming exactly the linked
 * modules and only files that exist), the depmod.d link present iff there are overrides, no
 * leftover generation.
 *
 *   java -cp kmodkit-testkit.jar:kmodkit.jar bench/WeakCrash.java WORKDIR RUNS [java launcher args…]
 *
 * Kill instants: half uniform over the typical run time (measured first), half right after the
 * run's first write is seen (under lib/modules/.kmodkit-weak/K2, or the live link changing), plus a
 * random 0–30 ms, to land inside the apply itself rather than in JVM start-up.
 */
public final class WeakCrash {
  static final String K1 = "5.14.0-1.el9.x86_64";
  static final String K2 = "5.14.0-2.el9.x86_64";

  public static void main(String[] args) throws Exception {
    Path work = Path.of(args[0]).toAbsolutePath();
    int runs = Integer.parseInt(args[1]);
    List<String> java = new ArrayList<>(List.of(args).subList(2, args.length));
    Path root = work.resolve("crash-root");
    Path aside = work.resolve("crash-aside");
    deleteTree(root);
    deleteTree(aside);
    Files.createDirectories(aside);
    FakeRoot fr = FakeRoot.at(root);
    fr.kernel(K1, 0x1, 0xaa, "_printk", "ib_register").kernel(K2, 0x1, 0xaa, "_printk", "ib_register");
    fr.module(K2, "kernel/drivers/net/mlx5_core.ko", mod("mlx5_core", K2).uses("_printk", 0xaa));
    for (int i = 0; i < 12; i++) { // P: a vendor mlx5_core replacing the in-tree one, its user, loners
      fr.module(K1, "extra/p/p_tool" + i + ".ko", mod("p_tool" + i, K1).uses("_printk", 0xaa));
    }
    fr.module(K1, "extra/p/mlx5_core.ko", mod("mlx5_core", K1).uses("_printk", 0xaa).exportsGpl("mlx5_cmd_exec", 0x77));
    fr.module(K1, "extra/p/mlx5_ib.ko", mod("mlx5_ib", K1).uses("ib_register", 0xaa).uses("mlx5_cmd_exec", 0x77).depends("mlx5_core"));
    for (int i = 0; i < 12; i++) {
      fr.module(K1, "extra/x/x_mod" + i + ".ko", mod("x_mod" + i, K1).uses("_printk", 0xaa));
    }
    Path p = root.resolve("lib/modules/" + K1 + "/extra/p");
    Path x = root.resolve("lib/modules/" + K1 + "/extra/x");
    WeakUpdates weak = new WeakUpdates(new Sysroot(root), new HostSystemTools(new SystemProcessRunner()));

    // the three desired states, from the planner itself
    Map<String, Map<String, String>> desired = new TreeMap<>();
    desired.put("A", planned(weak));
    Files.move(x, aside.resolve("x"));
    desired.put("B", planned(weak));
    Files.move(p, aside.resolve("p"));
    desired.put("C", planned(weak));
    System.out.printf("desired links of %s: A %d, B %d, C %d%n", K2, desired.get("A").size(), desired.get("B").size(), desired.get("C").size());
    if (desired.get("A").equals(desired.get("B")) || desired.get("B").equals(desired.get("C"))) {
      throw new IllegalStateException("the desired states do not differ; the harness is broken");
    }
    // start from A, applied normally
    String state = "A";
    toState(state, p, x, aside);
    weak.run(WeakUpdates.Request.addKernel(K2), false, false);

    List<String> cmd = new ArrayList<>(java);
    cmd.addAll(List.of("weak-modules", "--root", root.toString(), "--no-initramfs", "--add-kernel", K2));
    // typical duration of an uninterrupted run
    List<Long> cal = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      String next = next(state);
      toState(next, p, x, aside);
      long t0 = System.nanoTime();
      Process pr = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(work.resolve("crash-last.log").toFile()).start();
      if (pr.waitFor() != 0) {
        throw new IllegalStateException("calibration run failed: " + Files.readString(work.resolve("crash-last.log")));
      }
      cal.add((System.nanoTime() - t0) / 1_000_000);
      state = next;
    }
    cal.sort(null);
    long typical = cal.get(cal.size() / 2);
    System.out.printf("typical run: %d ms%n", typical);

    Random rnd = new Random(Long.getLong("seed", 20261125L));
    Path watch = root.resolve("lib/modules/.kmodkit-weak/" + K2);
    int mixed = 0;
    int unrepaired = 0;
    int killedOld = 0;
    int killedNew = 0;
    int finished = 0;
    int triggered = 0;
    List<String> problems = new ArrayList<>();
    for (int i = 1; i <= runs; i++) {
      String old = state;
      String next = next(state);
      toState(next, p, x, aside);
      String before = watched(watch, root);
      Process pr = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
      if (i % 2 == 0) {
        // uniform over the typical run
        long delay = (long) (rnd.nextDouble() * typical * 1.1);
        pr.waitFor(delay, TimeUnit.MILLISECONDS);
      } else {
        // right after the apply starts writing, plus 0–30 ms
        long deadline = System.nanoTime() + typical * 3_000_000L;
        while (pr.isAlive() && System.nanoTime() < deadline && watched(watch, root).equals(before)) {
          Thread.onSpinWait();
        }
        triggered++;
        pr.waitFor(rnd.nextInt(31), TimeUnit.MILLISECONDS);
      }
      if (pr.isAlive()) {
        pr.destroyForcibly(); // SIGKILL
      }
      pr.waitFor();
      Map<String, String> now;
      try {
        now = live(root);
      } catch (IllegalStateException e) {
        mixed++;
        problems.add("run " + i + " (" + old + "→" + next + "): " + e.getMessage());
        now = null;
      }
      if (now != null) {
        if (now.equals(desired.get(next))) {
          if (pr.exitValue() == 0) {
            finished++;
          } else {
            killedNew++;
          }
        } else if (now.equals(desired.get(old))) {
          killedOld++;
        } else {
          mixed++;
          problems.add("run " + i + " (" + old + "→" + next + "): live links are neither state: " + now.keySet());
        }
      }
      // the next normal run repairs
      try {
        weak.run(WeakUpdates.Request.addKernel(K2), false, false);
        String bad = repaired(root, desired.get(next), !next.equals("C"));
        if (bad != null) {
          unrepaired++;
          problems.add("run " + i + " (" + old + "→" + next + "), after the repair run: " + bad);
        }
      } catch (Exception e) {
        unrepaired++;
        problems.add("run " + i + " (" + old + "→" + next + "), the repair run failed: " + e.getMessage());
      }
      state = next;
      if (i % 100 == 0) {
        System.out.printf("%d runs: %d mixed, %d not repaired%n", i, mixed, unrepaired);
      }
    }
    problems.stream().limit(20).forEach(s -> System.out.println("  " + s));
    System.out.printf("RESULT runs=%d killed-before-switch(old)=%d killed-after-switch(new)=%d finished-before-kill=%d triggered-kills=%d mixed=%d unrepaired=%d typical=%dms%n",
        runs, killedOld, killedNew, finished, triggered, mixed, unrepaired, typical);
    System.exit(mixed == 0 && unrepaired == 0 ? 0 : 1);
  }

  static String next(String s) {
    return s.equals("A") ? "B" : s.equals("B") ? "C" : "A";
  }

  /** Moves the sets in and out of K1's extra/ so the root asks for {@code s}. */
  static void toState(String s, Path p, Path x, Path aside) throws IOException {
    place(p, aside.resolve("p"), !s.equals("C"));
    place(x, aside.resolve("x"), s.equals("A"));
  }

  static void place(Path in, Path out, boolean present) throws IOException {
    if (present && !Files.exists(in)) {
      Files.move(out, in);
    } else if (!present && Files.exists(in)) {
      Files.move(in, out);
    }
  }

  static Map<String, String> planned(WeakUpdates weak) throws Exception {
    Map<String, String> out = new TreeMap<>();
    var plan = weak.plan(weak.inventory(), WeakUpdates.Request.addKernel(K2));
    plan.kernels().stream().filter(k -> k.release().equals(K2)).forEach(k -> k.links().forEach(l -> out.put(l.path(), l.target())));
    return out;
  }

  /**
   * K2's live links (path → target as the system sees it), checked for completeness; empty when
   * there is no live link. Throws when what is live is not a complete generation.
   */
  static Map<String, String> live(Path root) throws IOException {
    Map<String, String> out = new TreeMap<>();
    Path link = root.resolve("lib/modules/" + K2 + "/weak-updates/kmodkit");
    if (!Files.exists(link, LinkOption.NOFOLLOW_LINKS)) {
      return out;
    }
    if (!Files.isSymbolicLink(link)) {
      throw new IllegalStateException(link + " is not a symlink");
    }
    Path gen = link.getParent().resolve(Files.readSymbolicLink(link)).normalize();
    Path manifest = gen.resolve("manifest");
    if (!Files.isRegularFile(manifest)) {
      throw new IllegalStateException("live generation " + gen + " has no manifest");
    }
    List<String> lines = Files.readAllLines(manifest, StandardCharsets.UTF_8);
    if (lines.isEmpty() || !lines.get(0).equals("kmodkit-weak 1")) {
      throw new IllegalStateException("live manifest " + manifest + " is truncated or foreign");
    }
    List<String> listed = new ArrayList<>();
    for (String l : lines) {
      if (!l.startsWith("link ")) {
        continue;
      }
      String[] f = l.substring(5).split("\t");
      Path lp = gen.resolve(f[0]);
      if (!Files.isSymbolicLink(lp)) {
        throw new IllegalStateException("manifest lists " + f[0] + " but the generation lacks the link");
      }
      // lexically first (the target may be gone: the old state of a set whose files were removed)
      Path expected = root.resolve("lib/modules/" + f[1] + "/" + f[2]);
      Path lexical = lp.getParent().resolve(Files.readSymbolicLink(lp)).normalize();
      if (!lexical.equals(expected)) {
        throw new IllegalStateException("link " + f[0] + " points at " + lexical + ", not " + expected);
      }
      if (Files.exists(expected) && !lp.toRealPath().equals(expected.toRealPath())) {
        throw new IllegalStateException("link " + f[0] + " resolves to " + lp.toRealPath() + ", not " + expected);
      }
      listed.add(f[0]);
      out.put(f[0], "/lib/modules/" + f[1] + "/" + f[2]);
    }
    try (Stream<Path> s = Files.walk(gen)) {
      for (Path q : (Iterable<Path>) s::iterator) {
        if (Files.isSymbolicLink(q) && !listed.contains(gen.relativize(q).toString())) {
          throw new IllegalStateException("live generation holds a link its manifest does not list: " + gen.relativize(q));
        }
      }
    }
    return out;
  }

  /** Null when the root is fully in state {@code want}, else what is wrong. */
  static String repaired(Path root, Map<String, String> want, boolean overrides) throws IOException {
    Map<String, String> now;
    try {
      now = live(root);
    } catch (IllegalStateException e) {
      return e.getMessage();
    }
    if (!now.equals(want)) {
      return "live links " + now.keySet() + " are not the desired " + want.keySet();
    }
    Path state = root.resolve("lib/modules/.kmodkit-weak/" + K2);
    Path link = root.resolve("lib/modules/" + K2 + "/weak-updates/kmodkit");
    if (!want.isEmpty()) {
      Path gen = link.getParent().resolve(Files.readSymbolicLink(link)).normalize();
      if (!Files.exists(gen.resolve("depmod-done"))) {
        return "depmod-done missing in " + gen;
      }
      List<String> gens = listing(state).stream().filter(n -> n.startsWith("gen-") || n.equals("live.new")).toList();
      if (!gens.equals(List.of(gen.getFileName().toString()))) {
        return "leftovers beside the live generation: " + gens;
      }
    } else if (Files.exists(state)) {
      return "state directory left behind: " + listing(state);
    }
    Path conf = root.resolve("etc/depmod.d/kmodkit-weak-" + K2 + ".conf");
    boolean confOk = Files.isSymbolicLink(conf) && Files.isRegularFile(conf) && Files.readString(conf).contains("override mlx5_core " + K2);
    if (overrides != confOk) {
      return overrides ? "the depmod.d link for the override is missing or dangling" : "a depmod.d link is left behind: " + conf;
    }
    // modules.dep names exactly the linked modules under weak-updates/, and only files that exist
    Path dep = root.resolve("lib/modules/" + K2 + "/modules.dep");
    List<String> inDep = new ArrayList<>();
    for (String l : Files.readAllLines(dep)) {
      for (String f : l.replace(":", " ").trim().split("\\s+")) {
        if (f.isEmpty()) {
          continue;
        }
        if (!Files.exists(root.resolve("lib/modules/" + K2).resolve(f))) {
          return "modules.dep names " + f + ", which does not exist";
        }
        if (f.startsWith("weak-updates/") && !inDep.contains(f)) {
          inDep.add(f);
        }
      }
      String first = l.split(":")[0];
      if (first.startsWith("weak-updates/") && !inDep.contains(first)) {
        inDep.add(first);
      }
    }
    List<String> expected = want.keySet().stream().map(k -> "weak-updates/kmodkit/" + k).sorted().toList();
    if (!inDep.stream().sorted().toList().equals(expected)) {
      return "modules.dep lists " + inDep.size() + " weak-updates modules, " + expected.size() + " are linked (depmod not rerun?)";
    }
    if (want.containsKey("p/mlx5_core.ko") && !Files.readString(dep).contains("weak-updates/kmodkit/p/mlx5_ib.ko: weak-updates/kmodkit/p/mlx5_core.ko")) {
      return "modules.dep does not rank the vendor mlx5_core first (override not applied)";
    }
    return null;
  }

  /** What the trigger watches: kmodkit's state directory for K2 and where its live link points. */
  static String watched(Path state, Path root) {
    Path live = root.resolve("lib/modules/" + K2 + "/weak-updates/kmodkit");
    String target;
    try {
      target = Files.isSymbolicLink(live) ? Files.readSymbolicLink(live).toString() : "-";
    } catch (IOException e) {
      target = "?";
    }
    return listing(state) + " " + target;
  }

  static List<String> listing(Path dir) {
    if (!Files.isDirectory(dir)) {
      return List.of();
    }
    try (Stream<Path> s = Files.list(dir)) {
      return s.map(q -> q.getFileName().toString()).sorted().toList();
    } catch (IOException e) {
      return List.of();
    }
  }

  static KoBuilder mod(String name, String release) {
    return KoBuilder.module(name).vermagic(release + " SMP preempt mod_unload modversions ").version("module_layout", 0x1);
  }

  static void deleteTree(Path dir) throws IOException {
    if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    try (Stream<Path> s = Files.walk(dir)) {
      for (Path q : s.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(q);
      }
    }
  }
}
