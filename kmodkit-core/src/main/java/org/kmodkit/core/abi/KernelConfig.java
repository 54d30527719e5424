package org.kmodkit.core.abi;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;

/** A kernel's .config: the few options that change how modules are checked, and the rest on request. */
public record KernelConfig(Map<String, String> values) {
  public KernelConfig {
    values = Map.copyOf(values);
  }

  public static KernelConfig empty() {
    return new KernelConfig(Map.of());
  }

  public static KernelConfig parse(InputStream in) throws IOException {
    Map<String, String> v = new HashMap<>();
    try (BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
      String line;
      while ((line = r.readLine()) != null) {
        if (line.startsWith("CONFIG_")) {
          int eq = line.indexOf('=');
          if (eq > 0) {
            String val = line.substring(eq + 1);
            if (val.length() >= 2 && val.startsWith("\"") && val.endsWith("\"")) {
              val = val.substring(1, val.length() - 1);
            }
            v.put(line.substring(7, eq), val);
          }
        }
      }
    }
    return new KernelConfig(v);
  }

  public boolean isEmpty() {
    return values.isEmpty();
  }

  /** True when {@code CONFIG_<name>} is y (or m). */
  public boolean enabled(String name) {
    String v = values.get(name);
    return "y".equals(v) || "m".equals(v);
  }

  public String get(String name) {
    return values.get(name);
  }
}
