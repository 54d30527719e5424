package org.kmodkit.formats;

import java.util.Objects;

/** A dependency or capability: {@code kernel(foo) = 0x1234abcd}, {@code kmod(mlx5_core.ko)}, {@code linux-image-6.1.0-56-cloud-amd64}. */
public record Relation(String name, Op op, String version) {
  /** Comparison operators, with their RPM and Debian spellings. */
  public enum Op {
    ANY("", ""), EQ("=", "="), LT("<", "<<"), LE("<=", "<="), GT(">", ">>"), GE(">=", ">=");

    public final String rpm;
    public final String deb;

    Op(String rpm, String deb) {
      this.rpm = rpm;
      this.deb = deb;
    }
  }

  public Relation {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(op, "op");
    if (name.isBlank() || name.chars().anyMatch(Character::isWhitespace)) {
      throw new IllegalArgumentException("relation name must be one word: '" + name + "'");
    }
    if ((op == Op.ANY) != (version == null || version.isEmpty())) {
      throw new IllegalArgumentException("relation " + name + ": a version goes with an operator, and only then");
    }
    version = version == null ? "" : version;
  }

  public static Relation any(String name) {
    return new Relation(name, Op.ANY, "");
  }

  public static Relation eq(String name, String version) {
    return new Relation(name, Op.EQ, version);
  }

  /** As rpm prints it: {@code name = version}. */
  public String rpmString() {
    return op == Op.ANY ? name : name + " " + op.rpm + " " + version;
  }

  /** As a Debian control field item: {@code name (= version)}. */
  public String debString() {
    return op == Op.ANY ? name : name + " (" + op.deb + " " + version + ")";
  }
}
