package org.kmodkit.formats;

import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * A package to write, in neither format: what the planner decides and the RPM and Debian writers
 * render. ARCH is the RPM spelling ({@code x86_64}, {@code noarch}); the Debian writer maps it.
 * VERSION and RELEASE carry no '-' (rpm refuses it; the Debian version is VERSION-RELEASE).
 * BUILDTIME is in seconds since the epoch (SOURCE_DATE_EPOCH when set, for reproducible output).
 */
public record PackageSpec(
    String name,
    String version,
    String release,
    String arch,
    String summary,
    String description,
    String license,
    String vendor,
    String url,
    long buildTime,
    List<PayloadFile> files,
    List<Relation> requires,
    List<Relation> provides,
    List<Relation> conflicts,
    Scriptlets scripts) {

  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._+-]*");
  private static final Pattern VERSION = Pattern.compile("[A-Za-z0-9._+~^]+");

  public PackageSpec {
    Objects.requireNonNull(summary, "summary");
    Objects.requireNonNull(description, "description");
    if (name == null || !NAME.matcher(name).matches()) {
      throw new IllegalArgumentException("package name '" + name + "': use letters, digits and . _ + -");
    }
    if (version == null || !VERSION.matcher(version).matches()) {
      throw new IllegalArgumentException("package version '" + version + "': use letters, digits and . _ + ~ ^ (no '-': rpm refuses it)");
    }
    if (release == null || !VERSION.matcher(release).matches()) {
      throw new IllegalArgumentException("package release '" + release + "': use letters, digits and . _ + ~ ^ (no '-')");
    }
    if (arch == null || !NAME.matcher(arch).matches()) {
      throw new IllegalArgumentException("package arch '" + arch + "'");
    }
    if (summary.contains("\n")) {
      throw new IllegalArgumentException("package summary must be one line");
    }
    license = license == null ? "GPL-2.0-only" : license;
    vendor = vendor == null ? "" : vendor;
    url = url == null ? "" : url;
    files = List.copyOf(files);
    requires = List.copyOf(requires);
    provides = List.copyOf(provides);
    conflicts = List.copyOf(conflicts);
    scripts = scripts == null ? Scriptlets.NONE : scripts;
    if (files.stream().map(PayloadFile::path).distinct().count() != files.size()) {
      throw new IllegalArgumentException("package " + name + " lists an install path twice");
    }
  }

  /** {@code name-version-release.arch}, as rpm names the file (without .rpm). */
  public String nevra() {
    return name + "-" + version + "-" + release + "." + arch;
  }
}
