package org.kmodkit.core.elf;

import java.util.List;
import java.util.Optional;
import org.kmodkit.core.abi.KernelSymbol;
import org.kmodkit.core.io.Compression;

/**
 * What a kernel module declares about itself: the values the loader (and modinfo, modprobe
 * --dump-modversions) would see.
 *
 * @param path the file as the user named it
 * @param name the module name the kernel uses (modinfo {@code name=}, else the file name)
 * @param arch ELF class, byte order and machine
 * @param compression how the file was compressed
 * @param modinfo the .modinfo strings
 * @param versions the symbol versions the loader consults: the extended tables when present (the
 *     kernel then ignores __versions), else __versions; empty when there is neither
 * @param versionsKind which version tables the module has
 * @param exports symbols the module exports, with CRC (null without modversions), type, namespace
 * @param imports symbols the module needs (undefined in .symtab)
 * @param signature the appended signature, if any
 */
public record ModuleFile(
    String path,
    String name,
    ElfArch arch,
    Compression compression,
    ModInfo modinfo,
    List<SymbolVersion> versions,
    VersionsKind versionsKind,
    List<KernelSymbol> exports,
    List<Import> imports,
    Optional<ModuleSignature> signature) {

  public ModuleFile {
    versions = List.copyOf(versions);
    exports = List.copyOf(exports);
    imports = List.copyOf(imports);
  }

  /** Which symbol version tables a module carries. */
  public enum VersionsKind {
    /** No __versions: built without CONFIG_MODVERSIONS, or the section was removed. */
    NONE,
    /** {@code __versions}: fixed-size records. */
    BASIC,
    /** Only {@code __version_ext_crcs} + {@code __version_ext_names} (Linux 6.14+). */
    EXTENDED,
    /** Both; the loader then consults only the extended tables. */
    BOTH
  }

  /** True when the loader finds any version table (so it compares CRCs rather than forcing). */
  public boolean hasVersions() {
    return versionsKind != VersionsKind.NONE;
  }

  /**
   * True when the module has a {@code __versions} section: only then does the loader ignore the
   * release in vermagic (same_magic's has_crcs is the __versions index, even on 6.14+).
   */
  public boolean hasBasicVersions() {
    return versionsKind == VersionsKind.BASIC || versionsKind == VersionsKind.BOTH;
  }

  public String vermagic() {
    return modinfo.vermagic();
  }
}
