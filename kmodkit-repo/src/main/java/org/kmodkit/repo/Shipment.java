package org.kmodkit.repo;

import org.kmodkit.formats.PackageSpec;
import org.kmodkit.formats.PackageWriter;
import org.kmodkit.formats.sign.OpenPgpSigner;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.kmodkit.core.BadInputException;
import org.kmodkit.core.EnvironmentException;
import org.kmodkit.core.io.OutputFiles;
import org.kmodkit.repo.apt.AptRepository;
import org.kmodkit.formats.deb.DebWriter;
import org.kmodkit.formats.rpm.RpmWriter;
import org.kmodkit.repo.yum.YumRepository;

/**
 * The deploy step in one place: a plan's packages written ({@code RPMS/}, {@code DEBS/}), each
 * directory made a signed repository, and a node install script beside them that trusts the
 * repository's key and installs {@code <name>-kernel-only} with signature checks on.
 */
public final class Shipment {
  /** Which package formats to write. */
  public enum Format {
    RPM, DEB, BOTH;

    public boolean rpm() {
      return this != DEB;
    }

    public boolean deb() {
      return this != RPM;
    }
  }

  /** What was written. */
  public record Result(List<Path> packages, List<RepoSummary> repos, Path installScript) {}

  /** The install script's file name. */
  public static final String INSTALL_SCRIPT = "install-kernel-only.sh";

  private Shipment() {}

  /** Writes the packages under OUT; with REPO, also the repositories (file:// URLs) and the node install script. */
  public static Result write(PackagePlanner plan, Format format, Path out, OpenPgpSigner signer, boolean repo, String repoName, String name)
      throws BadInputException, EnvironmentException {
    List<Path> packages = new ArrayList<>();
    List<RepoSummary> repos = new ArrayList<>();
    if (format.rpm()) {
      ship(out.resolve("RPMS"), new RpmWriter(), plan.rpm(), repo ? new YumRepository() : null, signer, repoName, packages, repos);
    }
    if (format.deb()) {
      ship(out.resolve("DEBS"), new DebWriter(), plan.deb(), repo ? new AptRepository() : null, signer, repoName, packages, repos);
    }
    Path script = null;
    if (repo) {
      script = OutputFiles.writeAtomically(out.resolve(INSTALL_SCRIPT), installScript(repoName, name, format).getBytes(StandardCharsets.UTF_8), "rwxr-xr-x");
    }
    return new Result(packages, repos, script);
  }

  /** One format: its packages into DIR, then (REPOSITORY not null) DIR made a repository, verifying what it signed. */
  private static void ship(Path dir, PackageWriter writer, List<PackageSpec> specs, RepositoryWriter repository, OpenPgpSigner signer, String repoName,
      List<Path> packages, List<RepoSummary> repos) throws BadInputException, EnvironmentException {
    OutputFiles.createDirectories(dir);
    for (PackageSpec s : specs) {
      packages.add(writer.write(s, dir, signer));
    }
    if (repository != null) {
      repos.add(repository.create(dir, new RepoOptions(repoName, signer, signer != null, List.of(), RepoOptions.fileUrl(dir))));
    }
  }

  /**
   * The node side: trust the repository key, drop the client config, install kernel-only with the
   * package manager's signature checks on. BASEURL (argument 1) defaults to the directory the
   * script lies in, for shared storage; a served repository gives its http(s) URL.
   */
  static String installScript(String repo, String name, Format format) {
    String deb = name.toLowerCase(Locale.ROOT);
    return "#!/bin/sh\n"
        + "# Installs the " + name + " kernel modules on this node from the signed repository beside this script\n"
        + "# (shared storage), or from BASEURL: the URL where this directory is served (kmodkit repo serve).\n"
        + "# Usage: " + INSTALL_SCRIPT + " [BASEURL]   (as root; ROOT=/path installs into another root; DNF_OPTS adds dnf options)\n"
        + "set -eu\n"
        + "here=$(cd \"$(dirname \"$0\")\" && pwd)\n"
        + "base=${1:-file://$here}\n"
        + "base=${base%/}\n"
        + "root=${ROOT:-}\n"
        + "if [ -d \"$here/RPMS\" ] && command -v dnf >/dev/null 2>&1; then\n"
        + "  mkdir -p \"$root/etc/yum.repos.d\" \"$root/etc/pki/rpm-gpg\"\n"
        + "  cp \"$here/RPMS/RPM-GPG-KEY-" + repo + "\" \"$root/etc/pki/rpm-gpg/RPM-GPG-KEY-" + repo + "\"\n"
        + "  cat > \"$root/etc/yum.repos.d/" + repo + ".repo\" <<EOF\n"
        + "[" + repo + "]\n"
        + "name=" + name + " kernel modules (kmodkit)\n"
        + "baseurl=$base/RPMS\n"
        + "enabled=1\n"
        + "gpgcheck=1\n"
        + "repo_gpgcheck=1\n"
        + "gpgkey=file://$root/etc/pki/rpm-gpg/RPM-GPG-KEY-" + repo + "\n"
        + "EOF\n"
        + "  if [ -n \"$root\" ]; then\n"
        + "    rpm --root \"$root\" --import \"$root/etc/pki/rpm-gpg/RPM-GPG-KEY-" + repo + "\"\n"
        + "    exec dnf -y ${DNF_OPTS:-} --installroot \"$root\" --setopt=reposdir=\"$root/etc/yum.repos.d\" install " + name + "-kernel-only\n"
        + "  fi\n"
        + "  rpm --import /etc/pki/rpm-gpg/RPM-GPG-KEY-" + repo + "\n"
        + "  exec dnf -y ${DNF_OPTS:-} install " + name + "-kernel-only\n"
        + "elif [ -d \"$here/DEBS\" ] && command -v apt-get >/dev/null 2>&1; then\n"
        + "  mkdir -p \"$root/etc/apt/keyrings\" \"$root/etc/apt/sources.list.d\"\n"
        + "  cp \"$here/DEBS/" + repo + ".gpg\" \"$root/etc/apt/keyrings/" + repo + ".gpg\"\n"
        + "  echo \"deb [signed-by=/etc/apt/keyrings/" + repo + ".gpg] $base/DEBS kmodkit main\" > \"$root/etc/apt/sources.list.d/" + repo + ".list\"\n"
        + "  apt-get update\n"
        + "  exec apt-get install -y " + deb + "-kernel-only\n"
        + "else\n"
        + "  echo \"" + INSTALL_SCRIPT + ": no " + (format == Format.DEB ? "apt-get" : format == Format.RPM ? "dnf" : "dnf or apt-get")
        + " here, or this bundle has no packages for it; install the packages from $here by hand\" >&2\n"
        + "  exit 1\n"
        + "fi\n";
  }
}
