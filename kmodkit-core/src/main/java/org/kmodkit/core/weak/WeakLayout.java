package org.kmodkit.core.weak;

import java.nio.file.Path;
import org.kmodkit.core.tree.Sysroot;

/**
 * Where weak-updates state lives in a root. Everything kmodkit manages for kernel K sits in one
 * generation directory outside every kernel's tree ({@code /lib/modules/.kmodkit-weak/K/gen-N}),
 * made visible by one symlink, {@code /lib/modules/K/weak-updates/kmodkit}; switching that link
 * with rename(2) switches links, overrides and manifest at once. The depmod.d file that carries
 * the overrides is a symlink resolving through the same link.
 */
public record WeakLayout(Sysroot root) {
  public static final String LINK_NAME = "kmodkit";
  public static final String MANIFEST = "manifest";
  public static final String DEPMOD_CONF = "depmod.conf";
  public static final String DEPMOD_DONE = "depmod-done";

  public Path stateDir() {
    return root.modulesDir().resolve(".kmodkit-weak");
  }

  public Path lockFile() {
    return stateDir().resolve("lock");
  }

  public Path kernelState(String release) {
    return stateDir().resolve(release);
  }

  public Path weakUpdates(String release) {
    return root.modulesDir(release).resolve("weak-updates");
  }

  /** The switch: weak-updates/kmodkit → ../../.kmodkit-weak/K/gen-N. */
  public Path liveLink(String release) {
    return weakUpdates(release).resolve(LINK_NAME);
  }

  /** Marker that kmodkit created weak-updates/ itself (so it may remove it when empty). */
  public Path createdWeakUpdates(String release) {
    return kernelState(release).resolve("created-weak-updates");
  }

  public Path depmodConfLink(String release) {
    return root.path("/etc/depmod.d").resolve("kmodkit-weak-" + release + ".conf");
  }

  /** The target of the depmod.d symlink, relative to /etc/depmod.d. */
  public String depmodConfTarget(String release) {
    return "../../lib/modules/" + release + "/weak-updates/" + LINK_NAME + "/" + DEPMOD_CONF;
  }

  /** The live link's target for generation {@code gen}, relative to weak-updates/. */
  public String liveTarget(String release, String gen) {
    return "../../.kmodkit-weak/" + release + "/" + gen;
  }

  /** The generation the live link's {@code target} names, when it is a target kmodkit writes; else null. */
  public String generationOf(String release, String target) {
    String prefix = liveTarget(release, "gen-");
    return target.startsWith(prefix) && target.substring(prefix.length()).matches("[1-9][0-9]{0,8}") ? target.substring(prefix.length() - 4) : null;
  }

  /** The target of link {@code l} in generation {@code gen}: relative to the link's real directory, so it resolves inside the root whatever it is mounted as. */
  public Path linkTarget(String release, String gen, Inventory.Link l) {
    Path dir = kernelState(release).resolve(gen).resolve(l.path()).getParent();
    return dir.relativize(root.modulesDir(l.targetRelease()).resolve(l.targetRelPath()));
  }

  /** The override subdirectory depmod.d must name for a link at {@code linkPath} (e.g. mlnx/mlx5_core.ko). */
  public static String overrideDir(String linkPath) {
    int slash = linkPath.lastIndexOf('/');
    return "weak-updates/" + LINK_NAME + (slash < 0 ? "" : "/" + linkPath.substring(0, slash));
  }
}
