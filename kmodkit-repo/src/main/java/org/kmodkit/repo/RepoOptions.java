package org.kmodkit.repo;

import org.kmodkit.formats.sign.OpenPgpSigner;

import java.util.List;
import java.util.Objects;

/**
 * How to write a repository's metadata. NAME names the repository in client configs (a word);
 * SIGNER signs the metadata (null: unsigned, clients then need gpgcheck off — kmodkit warns);
 * VERIFY refuses input packages whose signature is missing or made by a key outside TRUSTED
 * (armored public keys; empty means the signer's own key); BASEURL is what nodes will fetch from
 * (written into the client config).
 */
public record RepoOptions(String name, OpenPgpSigner signer, boolean verify, List<java.nio.file.Path> trusted, String baseUrl) {
  public RepoOptions {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(baseUrl, "baseUrl");
    if (!name.matches("[A-Za-z0-9][A-Za-z0-9._-]*")) {
      throw new IllegalArgumentException("repository name '" + name + "': use letters, digits and . _ -");
    }
    trusted = List.copyOf(trusted);
  }

  /** DIR's file:// URL, for nodes that see the repository on shared storage. */
  public static String fileUrl(java.nio.file.Path dir) {
    return dir.toAbsolutePath().normalize().toUri().toString().replaceAll("/+$", "");
  }
}
