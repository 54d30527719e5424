package org.kmodkit.core.verify;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * What one boot does: for each module set, in turn, the modules to load in dependency order (the
 * requested ones and what they need from the set or the kernel's tree). Each unit is loaded,
 * unloaded in reverse and reloaded; a unit that is not the last is unloaded once more so the next
 * one finds the kernel as it booted.
 *
 * @param release the kernel release the plan was made for
 * @param units one per set that has something to load
 * @param missing dependencies found neither in the set nor in the kernel (the kernel will say
 *     "Unknown symbol" for what they would have provided)
 */
public record BootPlan(String release, List<Unit> units, List<MissingDependency> missing) {
  /** Module names as the kernel knows them; they become shell words and /sys/module paths. */
  static final Pattern MODULE_NAME = Pattern.compile("[A-Za-z0-9_]{1,55}");
  /** Guest paths are written into the init script unquoted: keep them to plain characters. */
  static final Pattern GUEST_PATH = Pattern.compile("(/[A-Za-z0-9_.+-]+)+");

  public BootPlan {
    Objects.requireNonNull(release, "release");
    units = List.copyOf(units);
    missing = List.copyOf(missing);
    int expected = 1;
    for (Unit u : units) {
      for (Step s : u.steps()) {
        if (s.id() != expected++) {
          throw new IllegalArgumentException("step ids must run 1, 2, 3… across units; got " + s.id());
        }
      }
    }
  }

  /** Where a module to load comes from. */
  public enum Origin {
    /** A module the user gave (a directory's or package's). */
    SET,
    /** A module of the kernel's own tree, needed by one the user gave. */
    TREE
  }

  /**
   * One module to insmod.
   *
   * @param id unique in the plan, counting from 1: the console protocol names modules by it
   * @param name the module name (/sys/module/NAME)
   * @param source what the user knows the module as (file, package entry, or tree path)
   * @param file the host file holding its bytes (possibly compressed)
   * @param guestPath where it lies in the initramfs
   * @param requested true for a module the user asked to verify, false for a dependency only
   */
  public record Step(int id, String name, Origin origin, String source, Path file, String guestPath, boolean requested) {
    public Step {
      if (id < 1) {
        throw new IllegalArgumentException("step id must be positive: " + id);
      }
      if (!MODULE_NAME.matcher(name).matches()) {
        throw new IllegalArgumentException("not a kernel module name: '" + name + "'");
      }
      if (!GUEST_PATH.matcher(guestPath).matches()) {
        throw new IllegalArgumentException("guest path must be absolute and plain: '" + guestPath + "'");
      }
      Objects.requireNonNull(origin, "origin");
      Objects.requireNonNull(source, "source");
      Objects.requireNonNull(file, "file");
    }
  }

  /** The modules of one set, in load order. */
  public record Unit(int index, String set, List<Step> steps) {
    public Unit {
      steps = List.copyOf(steps);
      if (steps.isEmpty()) {
        throw new IllegalArgumentException("unit " + index + " (" + set + ") loads nothing");
      }
    }
  }

  /** {@code module} (of set {@code set}) needs {@code dependency}, which nobody provides. */
  public record MissingDependency(String set, String module, String dependency) {}

  /** Every step of every unit, in boot order. */
  public List<Step> steps() {
    List<Step> out = new ArrayList<>();
    for (Unit u : units) {
      out.addAll(u.steps());
    }
    return out;
  }

  /** Guest path to host file, each file once (a tree module several units need is copied once). */
  public Map<String, Path> guestFiles() {
    Map<String, Path> out = new LinkedHashMap<>();
    for (Step s : steps()) {
      Path prev = out.putIfAbsent(s.guestPath(), s.file());
      if (prev != null && !prev.equals(s.file())) {
        throw new IllegalStateException(s.guestPath() + " planned for two files: " + prev + " and " + s.file());
      }
    }
    return out;
  }

  public long requestedCount() {
    return steps().stream().filter(Step::requested).count();
  }
}
