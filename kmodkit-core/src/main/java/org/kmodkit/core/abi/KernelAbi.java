package org.kmodkit.core.abi;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.kmodkit.core.elf.ElfArch;

/**
 * What one kernel offers modules: the symbols vmlinux exports, the symbols its own modules export,
 * its module names, vermagic and config, and where each fact came from.
 */
public final class KernelAbi {
  private final String release;
  private final String vermagic;
  private final KernelConfig config;
  private final ElfArch arch;
  private final Map<String, KernelSymbol> vmlinux;
  private final Map<String, KernelSymbol> moduleExports;
  private final Set<String> modules;
  private final Set<String> builtin;
  private final List<String> sources;
  private final Map<String, String> modulePaths;
  private final boolean modversions;
  private final List<String> notes;

  private KernelAbi(Builder b) {
    this.release = b.release;
    this.config = b.config;
    this.arch = b.arch != null ? b.arch : b.config.arch();
    this.vmlinux = Collections.unmodifiableMap(b.vmlinux);
    this.moduleExports = Collections.unmodifiableMap(b.moduleExports);
    this.modules = Collections.unmodifiableSet(b.modules);
    this.builtin = Collections.unmodifiableSet(b.builtin);
    this.sources = List.copyOf(b.sources);
    this.modulePaths = Collections.unmodifiableMap(new HashMap<>(b.moduleOwners));
    List<String> why = new ArrayList<>();
    String vm = b.vermagic;
    if (vm == null) {
      Vermagic.Derived d = Vermagic.derive(b.release, b.config);
      vm = d.magic();
      if (vm == null) {
        why.add("vermagic not derived" + (arch == null ? "" : " for " + arch.machineName()) + ": " + d.unknown() + "; the vermagic check is skipped");
      }
    }
    if (arch == null) {
      why.add("architecture unknown (no .config, image or module of the kernel says it): the modules' architecture is not checked");
    }
    why.addAll(b.notes);
    this.notes = List.copyOf(why);
    this.vermagic = vm;
    if (!b.config.isEmpty()) {
      this.modversions = b.config.enabled("MODVERSIONS");
    } else if (vm != null) {
      this.modversions = (vm + " ").contains(" modversions ");
    } else {
      boolean any = false;
      for (KernelSymbol s : vmlinux.values()) {
        if (s.crc() != null && s.crc().value() != 0) {
          any = true;
          break;
        }
      }
      this.modversions = any;
    }
  }

  public static Builder builder() {
    return new Builder();
  }

  /** The kernel release (uname -r), or null when the sources did not say. */
  public String release() {
    return release;
  }

  /** The vermagic its modules must carry, or null when unknown. */
  public String vermagic() {
    return vermagic;
  }

  public KernelConfig config() {
    return config;
  }

  /** The architecture of its modules, or null when no module or config said. */
  public ElfArch arch() {
    return arch;
  }

  /** Whether the kernel checks symbol CRCs (CONFIG_MODVERSIONS). */
  public boolean modversions() {
    return modversions;
  }

  /** CONFIG_MODULE_FORCE_LOAD: a module without versions or vermagic loads, tainting the kernel. */
  public boolean forceLoad() {
    return config.enabled("MODULE_FORCE_LOAD");
  }

  public boolean allowMissingNamespaceImports() {
    return config.enabled("MODULE_ALLOW_MISSING_NAMESPACE_IMPORTS");
  }

  public Optional<KernelSymbol> vmlinuxSymbol(String name) {
    return Optional.ofNullable(vmlinux.get(name));
  }

  /** The tree module exporting {@code name}, if any. */
  public Optional<KernelSymbol> moduleSymbol(String name) {
    return Optional.ofNullable(moduleExports.get(name));
  }

  public Map<String, KernelSymbol> vmlinuxSymbols() {
    return vmlinux;
  }

  public Map<String, KernelSymbol> moduleSymbols() {
    return moduleExports;
  }

  /** True when the kernel ships a module (loadable or built in) of that name. */
  public boolean hasModule(String name) {
    return modules.contains(name) || builtin.contains(name);
  }

  public boolean isBuiltin(String name) {
    return builtin.contains(name);
  }

  public Set<String> moduleNames() {
    return modules;
  }

  /** Where the kernel's own module {@code name} lies, relative to its tree ("kernel/…"), if read from the tree. */
  public Optional<String> modulePath(String name) {
    return Optional.ofNullable(modulePaths.get(name));
  }

  /** Checks the sources did not allow, each with the reason, for reports ("vermagic not derived for …"). */
  public List<String> notes() {
    return notes;
  }

  /** Where the facts came from, for reports ("Module.symvers: /usr/src/…"). */
  public List<String> sources() {
    return sources;
  }

  /** Collects facts from several sources; later symvers rows do not override earlier ones. */
  public static final class Builder {
    private String release;
    private String vermagic;
    private KernelConfig config = KernelConfig.empty();
    private ElfArch arch;
    private final Map<String, KernelSymbol> vmlinux = new HashMap<>(32768);
    private final Map<String, KernelSymbol> moduleExports = new HashMap<>(32768);
    private final Set<String> modules = new HashSet<>();
    private final Set<String> builtin = new HashSet<>();
    private final List<String> sources = new ArrayList<>();
    private final Map<String, String> moduleOwners = new LinkedHashMap<>();
    private final List<String> notes = new ArrayList<>();

    public Builder release(String release) {
      if (this.release == null) {
        this.release = release;
      }
      return this;
    }

    public Builder vermagic(String vermagic) {
      if (this.vermagic == null) {
        this.vermagic = vermagic;
      }
      return this;
    }

    public Builder config(KernelConfig config) {
      if (this.config.isEmpty()) {
        this.config = config;
      }
      return this;
    }

    public Builder arch(ElfArch arch) {
      if (this.arch == null) {
        this.arch = arch;
      }
      return this;
    }

    /** A check the sources do not allow, and why ("vmlinuz not cross-checked …"). */
    public Builder note(String note) {
      notes.add(note);
      return this;
    }

    public Builder source(String description) {
      sources.add(description);
      return this;
    }

    /** Adds symvers rows; exports of modules the tree already described are kept as the tree says. */
    public Builder symbols(List<KernelSymbol> rows) {
      for (KernelSymbol s : rows) {
        if (s.fromVmlinux()) {
          vmlinux.putIfAbsent(s.name(), s);
        } else {
          modules.add(s.exporter());
          if (!moduleOwners.containsKey(s.exporter())) {
            moduleExports.putIfAbsent(s.name(), s);
          }
        }
      }
      return this;
    }

    /** Adds one module of the kernel's own tree with what it exports (its own CRCs are the truth). */
    public Builder treeModule(String name, List<KernelSymbol> exports, String path) {
      modules.add(name);
      moduleOwners.put(name, path);
      for (KernelSymbol s : exports) {
        moduleExports.put(s.name(), s);
      }
      return this;
    }

    /**
     * Compares vmlinux exports read from the kernel image with those already added from a symvers
     * file; returns the differences (empty when they agree), one line each.
     */
    public List<String> differences(List<KernelSymbol> image) {
      List<String> out = new ArrayList<>();
      Map<String, KernelSymbol> seen = new HashMap<>();
      for (KernelSymbol s : image) {
        seen.put(s.name(), s);
        KernelSymbol t = vmlinux.get(s.name());
        if (t == null) {
          out.add(s.name() + ": exported by the image, absent from symvers");
        } else if (!t.equals(s)) {
          out.add(s.name() + ": symvers " + t.crc() + " " + t.type() + (t.namespace().isEmpty() ? "" : " " + t.namespace()) + ", image " + s.crc() + " " + s.type() + (s.namespace().isEmpty() ? "" : " " + s.namespace()));
        }
      }
      for (String name : vmlinux.keySet()) {
        if (!seen.containsKey(name)) {
          out.add(name + ": in symvers, not exported by the image");
        }
      }
      return out;
    }

    public Builder builtin(String name) {
      builtin.add(name);
      return this;
    }

    public boolean hasSymbols() {
      return !vmlinux.isEmpty();
    }

    public KernelAbi build() {
      return new KernelAbi(this);
    }
  }
}
