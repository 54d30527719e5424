package org.kmodkit.formats.deb;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.kmodkit.core.BadInputException;
import org.kmodkit.formats.Relation;

/**
 * A control paragraph: field names in the order written, values as in the file minus the space
 * after the colon (continuation lines kept, with their leading space). TEXT is the paragraph as the
 * control file holds it, without the trailing newline, which is what a Packages index repeats.
 */
public record DebControl(Map<String, String> fields, String text) {
  public DebControl {
    fields = Collections.unmodifiableMap(new LinkedHashMap<>(fields));
  }

  public String get(String field) {
    return fields.get(field);
  }

  /** One alternative of a relation field: name, optional :arch qualifier, (op version), [archs], <profiles>. */
  private static final Pattern ALTERNATIVE = Pattern.compile(
      "([a-z0-9][a-z0-9+.-]+)(?::[a-z0-9-]+)?\\s*(?:\\(\\s*(<<|<=|=|>=|>>|<|>)\\s*([^)\\s]+)\\s*\\))?\\s*(?:\\[[^\\]]*\\])?\\s*(?:<[^>]*>\\s*)*");

  /**
   * A relation field (Depends, Pre-Depends, …) as groups of alternatives ({@code a | b}), in order;
   * empty when the field is absent. Architecture and profile restrictions are not evaluated.
   */
  public List<List<Relation>> relations(String source, String field) throws BadInputException {
    String value = fields.get(field);
    List<List<Relation>> out = new ArrayList<>();
    if (value == null || value.isBlank()) {
      return out;
    }
    for (String group : value.replace('\n', ' ').split(",")) {
      List<Relation> alternatives = new ArrayList<>();
      for (String alt : group.split("\\|")) {
        Matcher m = ALTERNATIVE.matcher(alt.strip());
        if (!m.matches()) {
          throw new BadInputException(source, "control field " + field + " holds '" + alt.strip() + "', not 'name (op version)'; rebuild the package");
        }
        alternatives.add(m.group(2) == null ? Relation.any(m.group(1)) : new Relation(m.group(1), op(m.group(2)), m.group(3)));
      }
      out.add(List.copyOf(alternatives));
    }
    return out;
  }

  private static Relation.Op op(String deb) {
    return switch (deb) {
      case "<<" -> Relation.Op.LT;
      case "<=", "<" -> Relation.Op.LE; // '<' and '>' are dpkg's obsolete spellings of '<=' and '>='
      case "=" -> Relation.Op.EQ;
      case ">=", ">" -> Relation.Op.GE;
      case ">>" -> Relation.Op.GT;
      default -> throw new IllegalArgumentException(deb);
    };
  }

  /** The package name. */
  public String name() {
    return fields.get("Package");
  }

  static DebControl parse(String source, String text) throws BadInputException {
    String body = text.strip();
    Map<String, String> fields = new LinkedHashMap<>();
    String last = null;
    int lineNo = 0;
    for (String line : body.split("\n", -1)) {
      lineNo++;
      if (line.isEmpty()) {
        throw new BadInputException(source, "control file line " + lineNo + " is empty: a control file holds one paragraph; rebuild the package");
      }
      if (line.startsWith(" ") || line.startsWith("\t")) {
        if (last == null) {
          throw new BadInputException(source, "control file line " + lineNo + " continues no field; rebuild the package");
        }
        fields.put(last, fields.get(last) + "\n" + line);
        continue;
      }
      int colon = line.indexOf(':');
      if (colon <= 0) {
        throw new BadInputException(source, "control file line " + lineNo + " is not 'Field: value': '" + line + "'; rebuild the package");
      }
      last = line.substring(0, colon);
      fields.put(last, line.substring(colon + 1).strip());
    }
    for (String required : new String[] {"Package", "Version", "Architecture"}) {
      if (fields.get(required) == null || fields.get(required).isEmpty()) {
        throw new BadInputException(source, "control file has no " + required + " field; rebuild the package");
      }
    }
    return new DebControl(fields, body);
  }
}
