package org.kmodkit.core.build;

/**
 * A dkms.conf value once bash has sourced the file for one kernel: already expanded, so the text
 * is final. (Before kmodkit ran the file, a value could still name DKMS's per-kernel variables.)
 */
public record Word(String text) {
  public Word {
    java.util.Objects.requireNonNull(text);
  }

  public static Word literal(String text) {
    return new Word(text);
  }

  /** The text. */
  public String constant() {
    return text;
  }

  @Override
  public String toString() {
    return text;
  }
}
