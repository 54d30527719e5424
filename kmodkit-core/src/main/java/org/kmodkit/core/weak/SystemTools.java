package org.kmodkit.core.weak;

import java.util.List;
import java.util.Map;
import org.kmodkit.core.EnvironmentException;
import org.kmodkit.core.tree.Sysroot;

/**
 * The system programs weak-updates work needs, as a port: the real ones run kmod's depmod,
 * rpm and the initramfs tool; tests substitute their own.
 */
public interface SystemTools {
  /** {@code depmod -a -b <root> -C <root's depmod.d dirs> <release>}. */
  void depmod(Sysroot root, String release) throws EnvironmentException;

  /** The rpm package owning each path (absolute within the root), where an rpm database says so. */
  Map<String, String> rpmOwners(Sysroot root, List<String> paths) throws EnvironmentException;

  /** Module names inside the kernel's initramfs, or empty when it has none (or none can be read). */
  List<String> initramfsModules(Sysroot root, String release) throws EnvironmentException;

  /** Rebuilds the kernel's initramfs with the root's own tool (dracut or update-initramfs). */
  void refreshInitramfs(Sysroot root, String release) throws EnvironmentException;
}
