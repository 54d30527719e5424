package org.kmodkit.core.build;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A dkms.conf value as the shell would see it once sourced: literal text and references to the
 * variables DKMS sets per kernel ({@code $kernelver}, {@code $kernel_source_dir}, …), expanded
 * only when a build is planned for one kernel.
 */
public record Word(List<Part> parts) {
  /** The variables DKMS defines before sourcing dkms.conf (dkms(8), "dkms.conf" section). */
  public static final Set<String> RUNTIME = Set.of("kernelver", "kernel_source_dir", "dkms_tree", "source_tree", "install_tree", "arch", "module", "module_version");

  public Word {
    parts = List.copyOf(parts);
  }

  /** A piece of a word. */
  public sealed interface Part permits Literal, Var {}

  /** Text taken as is. */
  public record Literal(String text) implements Part {}

  /** A reference to a per-kernel variable, one of {@link #RUNTIME}. */
  public record Var(String name) implements Part {
    public Var {
      if (!RUNTIME.contains(name)) {
        throw new IllegalArgumentException("not a DKMS runtime variable: " + name);
      }
    }
  }

  public static Word literal(String text) {
    return new Word(List.of(new Literal(text)));
  }

  /** True when the value does not depend on the kernel. */
  public boolean isConstant() {
    return parts.stream().allMatch(p -> p instanceof Literal);
  }

  /** The literal text; only for constant words. */
  public String constant() {
    StringBuilder sb = new StringBuilder();
    for (Part p : parts) {
      if (p instanceof Literal l) {
        sb.append(l.text());
      } else {
        throw new IllegalStateException("word depends on $" + ((Var) p).name());
      }
    }
    return sb.toString();
  }

  /** The text with every variable replaced from {@code env} (which must define them all). */
  public String expand(Map<String, String> env) {
    StringBuilder sb = new StringBuilder();
    for (Part p : parts) {
      if (p instanceof Literal l) {
        sb.append(l.text());
      } else {
        String name = ((Var) p).name();
        String v = env.get(name);
        if (v == null) {
          throw new IllegalArgumentException("no value for $" + name);
        }
        sb.append(v);
      }
    }
    return sb.toString();
  }

  Word concat(Word other) {
    List<Part> all = new ArrayList<>(parts);
    all.addAll(other.parts);
    return new Word(all);
  }

  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder();
    for (Part p : parts) {
      sb.append(p instanceof Literal l ? l.text() : "${" + ((Var) p).name() + "}");
    }
    return sb.toString();
  }
}
