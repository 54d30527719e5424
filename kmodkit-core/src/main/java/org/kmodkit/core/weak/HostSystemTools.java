package org.kmodkit.core.weak;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.kmodkit.core.BadInputException;
import org.kmodkit.core.EnvironmentException;
import org.kmodkit.core.host.ProcessRunner;
import org.kmodkit.core.tree.DepmodConfig;
import org.kmodkit.core.tree.Sysroot;

/** The real tools: kmod's depmod, rpm, dracut or update-initramfs. */
public final class HostSystemTools implements SystemTools {
  private final ProcessRunner runner;

  public HostSystemTools(ProcessRunner runner) {
    this.runner = runner;
  }

  @Override
  public void depmod(Sysroot root, String release) throws EnvironmentException {
    Result r = run(depmodCommand(root, release), 600);
    if (r.code != 0) {
      throw new EnvironmentException("depmod for " + release + " failed (" + r.code + "): " + firstLine(r.err));
    }
  }

  /**
   * depmod -b ROOT still reads the host's configuration unless told otherwise: give it ROOT's
   * directories, resolved as the image sees them (an absolute link in the image names a directory
   * of the image, never one of the host).
   */
  static List<String> depmodCommand(Sysroot root, String release) {
    List<String> cmd = new ArrayList<>(List.of("depmod", "-a", "-b", root.root().toString()));
    for (Path d : DepmodConfig.dirs(root)) {
      cmd.add("-C");
      cmd.add(d.toString());
    }
    if (!cmd.contains("-C")) {
      cmd.add("-C");
      cmd.add("/dev/null");
    }
    cmd.add(release);
    return cmd;
  }

  @Override
  public Map<String, String> rpmOwners(Sysroot root, List<String> paths) throws EnvironmentException {
    Map<String, String> out = new HashMap<>();
    for (int from = 0; from < paths.size(); from += 500) {
      List<String> chunk = paths.subList(from, Math.min(paths.size(), from + 500));
      List<String> cmd = new ArrayList<>(List.of("rpm", "--root", root.root().toString(), "-qf", "--qf", "%{NAME}\\n"));
      cmd.addAll(chunk);
      Result r = run(cmd, 120);
      String[] lines = r.out.split("\n");
      for (int i = 0; i < chunk.size() && i < lines.length; i++) {
        if (!lines[i].isBlank() && !lines[i].contains(" ")) {
          out.put(chunk.get(i), lines[i].trim());
        }
      }
    }
    return out;
  }

  @Override
  public List<String> initramfsModules(Sysroot root, String release) throws EnvironmentException {
    for (String p : List.of(Sysroot.bootPath("initramfs-" + release + ".img"), Sysroot.bootPath("initrd.img-" + release), Sysroot.bootPath("initrd-" + release))) {
      Path f = root.path(p);
      if (Files.isRegularFile(f)) {
        try {
          return InitramfsLister.modules(f.toString(), Files.readAllBytes(f));
        } catch (IOException | BadInputException e) {
          throw new EnvironmentException("cannot list " + f + " (" + e.getMessage() + "); rebuild it yourself if it loads the changed modules");
        }
      }
    }
    return List.of();
  }

  @Override
  public void refreshInitramfs(Sysroot root, String release) throws EnvironmentException {
    boolean host = root.root().equals(Path.of("/"));
    List<String> cmd;
    if (Files.isRegularFile(root.path("/usr/bin/dracut")) || Files.isRegularFile(root.path("/sbin/dracut"))) {
      cmd = List.of("dracut", "-f", "--kver", release);
    } else if (Files.isRegularFile(root.path("/usr/sbin/update-initramfs")) || Files.isRegularFile(root.path("/sbin/update-initramfs"))) {
      cmd = List.of("update-initramfs", "-u", "-k", release);
    } else {
      throw new EnvironmentException("neither dracut nor update-initramfs is installed in " + root.root() + "; rebuild the initramfs of " + release + " with the root's own tool");
    }
    if (!host) {
      throw new EnvironmentException("it holds changed modules; inside the image run: chroot " + root.root() + " " + String.join(" ", cmd));
    }
    Result r = run(cmd, 900);
    if (r.code != 0) {
      throw new EnvironmentException(String.join(" ", cmd) + " failed (" + r.code + "): " + firstLine(r.err));
    }
  }

  private record Result(int code, String out, String err) {}

  private Result run(List<String> cmd, int timeoutSeconds) throws EnvironmentException {
    StringBuffer out = new StringBuffer();
    StringBuffer err = new StringBuffer();
    try {
      ProcessRunner.Result r = runner.run(ProcessRunner.Command.of(cmd).withTimeout(Duration.ofSeconds(timeoutSeconds))
          .withLines(l -> out.append(l).append('\n'), l -> err.append(l).append('\n')));
      if (r.timedOut()) {
        throw new EnvironmentException(cmd.get(0) + " did not finish in " + timeoutSeconds + " s");
      }
      return new Result(r.exitCode(), out.toString(), err.toString());
    } catch (IOException e) {
      String pkg = cmd.get(0).equals("depmod") ? "kmod" : cmd.get(0).equals("rpm") ? "rpm" : cmd.get(0);
      throw new EnvironmentException("cannot run " + cmd.get(0) + " (" + e.getMessage() + "); install it (Debian/RHEL package: " + pkg + ")", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new EnvironmentException("interrupted while running " + cmd.get(0), e);
    }
  }

  private static String firstLine(String s) {
    String t = s.strip();
    int nl = t.indexOf('\n');
    return nl < 0 ? t : t.substring(0, nl);
  }

}
