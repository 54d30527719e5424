package org.kmodkit.packaging.ship.deb;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import org.kmodkit.core.BadInputException;

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
