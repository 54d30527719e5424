package org.kmodkit.formats;

/**
 * Maintainer scripts, POSIX sh bodies (no #! line), each may be null. RPM: %pre/%post/%preun/%postun
 * (argument $1 = count of installed instances); Debian: preinst/postinst/prerm/postrm (argument
 * $1 = configure, remove, purge, upgrade …): writers wrap the bodies, they do not translate them.
 */
public record Scriptlets(String pre, String post, String preun, String postun) {
  public static final Scriptlets NONE = new Scriptlets(null, null, null, null);

  public boolean isEmpty() {
    return pre == null && post == null && preun == null && postun == null;
  }
}
