package org.kmodkit.core.elf;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.kmodkit.core.BadInputException;
import org.kmodkit.core.CorruptFileException;
import org.kmodkit.core.abi.Crc;
import org.kmodkit.core.abi.ExportType;
import org.kmodkit.core.abi.KernelSymbol;
import org.kmodkit.testkit.Bombs;
import org.kmodkit.testkit.KoBuilder;

class ModuleReaderTest {
  @TempDir Path dir;

  private static KoBuilder sample() {
    return KoBuilder.module("vendor_net")
        .depends("mlxfw,psample")
        .importNs("CXL")
        .modinfo("srcversion", "0123456789ABCDEF012345")
        .modinfo("alias", "pci:v000015B3d*sv*sd*bc*sc*i*")
        .modinfo("alias", "pci:v000015B3d00001017sv*sd*bc*sc*i*")
        .modinfo("retpoline", "Y")
        .modinfo("intree", "Y")
        .version("module_layout", 0x1a2b3c4dL)
        .uses("_printk", 0x92997ed8L)
        .uses("netif_rx", 0xdeadbeefL)
        .usesWeak("optional_hook", 0x11111111L)
        .usesUnversioned("no_crc_here")
        .exports("vendor_open", 0x01020304L)
        .exportsGpl("vendor_close", 0x0a0b0c0dL)
        .exportsNs("vendor_cxl_thing", 0xcafef00dL, true, "VENDOR_NS");
  }

  @ParameterizedTest(name = "ELF{0} {1}")
  @CsvSource({"64, little", "64, big", "32, little", "32, big"})
  void readsEveryFieldInEveryElfClassAndByteOrder(int bits, String endian) throws Exception {
    KoBuilder b = sample().bits(bits);
    if (endian.equals("big")) {
      b.bigEndian().machine(KoBuilder.EM_S390);
    }
    ModuleFile m = ModuleReader.parse("vendor_net.ko", b.build());

    assertThat(m.name()).isEqualTo("vendor_net");
    assertThat(m.arch().bits()).isEqualTo(bits);
    assertThat(m.arch().order()).isEqualTo(endian.equals("big") ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN);
    assertThat(m.vermagic()).isEqualTo("6.1.0-56-cloud-amd64 SMP preempt mod_unload modversions ");
    assertThat(m.modinfo().depends()).containsExactly("mlxfw", "psample");
    assertThat(m.modinfo().importedNamespaces()).containsExactly("CXL");
    assertThat(m.modinfo().all("alias")).hasSize(2);
    assertThat(m.modinfo().first("srcversion")).isEqualTo("0123456789ABCDEF012345");
    assertThat(m.versionsKind()).isEqualTo(ModuleFile.VersionsKind.BASIC);
    assertThat(m.versions()).containsExactly(
        new SymbolVersion("module_layout", Crc.of(0x1a2b3c4dL)),
        new SymbolVersion("_printk", Crc.of(0x92997ed8L)),
        new SymbolVersion("netif_rx", Crc.of(0xdeadbeefL)),
        new SymbolVersion("optional_hook", Crc.of(0x11111111L)));
    assertThat(m.imports()).containsExactlyInAnyOrder(
        new Import("_printk", false), new Import("netif_rx", false), new Import("no_crc_here", false), new Import("optional_hook", true));
    assertThat(m.exports()).containsExactlyInAnyOrder(
        new KernelSymbol("vendor_open", Crc.of(0x01020304L), "vendor_net", ExportType.EXPORT_SYMBOL, ""),
        new KernelSymbol("vendor_close", Crc.of(0x0a0b0c0dL), "vendor_net", ExportType.EXPORT_SYMBOL_GPL, ""),
        new KernelSymbol("vendor_cxl_thing", Crc.of(0xcafef00dL), "vendor_net", ExportType.EXPORT_SYMBOL_GPL, "VENDOR_NS"));
    assertThat(m.signature()).isEmpty();
  }

  @Test
  void readsAbsoluteCrcSymbolsOfOlderKernels() throws Exception {
    ModuleFile m = ModuleReader.parse("old.ko", sample().layout(KoBuilder.ExportLayout.ABSOLUTE_CRC).build());
    assertThat(m.exports()).extracting(KernelSymbol::name, KernelSymbol::crc)
        .contains(org.assertj.core.groups.Tuple.tuple("vendor_open", Crc.of(0x01020304L)), org.assertj.core.groups.Tuple.tuple("vendor_close", Crc.of(0x0a0b0c0dL)));
  }

  @Test
  void namesTheLongestVersionNameTheRecordHolds() throws Exception {
    String longest = "x".repeat(55); // 64 - sizeof(unsigned long) - NUL on 64-bit
    ModuleFile m = ModuleReader.parse("long.ko", KoBuilder.module("long").uses(longest, 7).build());
    assertThat(m.versions()).extracting(SymbolVersion::name).contains(longest);
    String longest32 = "y".repeat(59);
    ModuleFile m32 = ModuleReader.parse("long32.ko", KoBuilder.module("long32").bits(32).machine(KoBuilder.EM_386).uses(longest32, 7).build());
    assertThat(m32.versions()).extracting(SymbolVersion::name).contains(longest32);
  }

  @Test
  void readsExtendedModversionsWithLongNames() throws Exception {
    String rustName = "_RNvNtCs1234_6kernel5print11call_printk_with_a_very_long_mangled_rust_name";
    ModuleFile m = ModuleReader.parse("ext.ko", KoBuilder.module("ext")
        .version("module_layout", 0x55L)
        .usesExtended(rustName, 0xabcdef01L)
        .extendedVersion("_printk", 0x92997ed8L)
        .build());
    // with extended tables the loader consults only them: __versions' module_layout is not looked at
    assertThat(m.versionsKind()).isEqualTo(ModuleFile.VersionsKind.BOTH);
    assertThat(m.hasBasicVersions()).isTrue();
    assertThat(m.versions()).containsExactly(new SymbolVersion(rustName, Crc.of(0xabcdef01L)), new SymbolVersion("_printk", Crc.of(0x92997ed8L)));
    ModuleFile only = ModuleReader.parse("ext2.ko", KoBuilder.module("ext2").usesExtended("_printk", 0x92997ed8L).build());
    assertThat(only.versionsKind()).isEqualTo(ModuleFile.VersionsKind.EXTENDED);
    assertThat(only.hasBasicVersions()).isFalse();
  }

  @Test
  void aModuleWithoutVersionsSaysSo() throws Exception {
    ModuleFile m = ModuleReader.parse("nov.ko", KoBuilder.module("nov").usesUnversioned("_printk").withoutVersions().build());
    assertThat(m.hasVersions()).isFalse();
    assertThat(m.versions()).isEmpty();
  }

  @Test
  void readsTheAppendedSignature() throws Exception {
    byte[] serial = {0x00, (byte) 0x9e, 0x11, 0x22};
    ModuleFile m = ModuleReader.parse("signed.ko", sample().signed("Build time autogenerated kernel key", serial, "2.16.840.1.101.3.4.2.1", new byte[] {1, 2, 3, (byte) 0xff}).build());
    ModuleSignature s = m.signature().orElseThrow();
    assertThat(s.signer()).isEqualTo("Build time autogenerated kernel key");
    assertThat(s.keyId()).isEqualTo("9E:11:22");
    assertThat(s.hashAlgorithm()).isEqualTo("sha256");
    assertThat(s.idType()).isEqualTo(2);
    assertThat(s.signature()).isEqualTo("010203FF");
    assertThat(m.name()).isEqualTo("vendor_net"); // the ELF behind the signature parsed as usual
  }

  @ParameterizedTest
  @ValueSource(strings = {"xz", "zst", "gz"})
  void readsCompressedModulesByMagic(String how) throws Exception {
    Path f = sample().compressed(how).writeTo(dir);
    ModuleFile m = ModuleReader.read(f);
    assertThat(m.name()).isEqualTo("vendor_net");
    assertThat(m.compression().suffix()).isEqualTo("." + how);
    assertThat(m.exports()).hasSize(3);
  }

  @Test
  void fallsBackToThisModuleThenTheFileNameForTheName() throws Exception {
    ModuleFile m = ModuleReader.parse("x.ko", KoBuilder.module("from_struct").modinfo("name", null).build());
    assertThat(m.name()).isEqualTo("from_struct");
    assertThat(ModuleReader.nameFromPath("/lib/modules/k/extra/foo-bar.ko.xz")).isEqualTo("foo_bar");
  }

  @Test
  void aTruncatedModuleIsCorruptAtAnOffsetAndNeverAnotherException() throws Exception {
    byte[] whole = sample().signed("k", new byte[] {1}, "2.16.840.1.101.3.4.2.3", new byte[] {9}).build();
    for (int len = 0; len < whole.length; len += 7) {
      byte[] cut = Arrays.copyOf(whole, len);
      try {
        ModuleReader.parse("cut.ko", cut);
      } catch (BadInputException e) {
        assertThat(e.getMessage()).startsWith("cut.ko: ");
      }
    }
    assertThatThrownBy(() -> ModuleReader.parse("cut.ko", Arrays.copyOf(whole, 200)))
        .isInstanceOf(CorruptFileException.class)
        .hasMessageContaining("cut.ko: ").hasMessageContaining("offset 0x");
  }

  @Test
  void flippedBytesNeverEscapeAsAnythingButTheDomainError() throws Exception {
    byte[] whole = sample().build();
    java.util.Random r = new java.util.Random(42);
    for (int i = 0; i < 3000; i++) {
      byte[] b = whole.clone();
      for (int k = 0; k < 1 + r.nextInt(8); k++) {
        b[r.nextInt(b.length)] = (byte) r.nextInt(256);
      }
      try {
        ModuleReader.parse("flip.ko", b);
      } catch (BadInputException e) {
        assertThat(e.getMessage()).startsWith("flip.ko");
      }
    }
  }

  @Test
  void aSectionNameTableIndexBeyondIntInSectionHeaderZeroIsCorruptAtItsOffset() throws Exception {
    // found by ModuleReaderFuzzTest: e_shstrndx = SHN_XINDEX sends the reader to section header 0's
    // sh_link, a u32 that was cast to int, came out negative and indexed the section table
    byte[] b = sample().build();
    java.nio.ByteBuffer h = java.nio.ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
    long shoff = h.getLong(40);
    h.putShort(62, (short) Elf.SHN_XINDEX);
    h.putInt((int) shoff + 40, 0xa0100000);
    assertThatThrownBy(() -> ModuleReader.parse("xindex.ko", b))
        .isInstanceOf(CorruptFileException.class)
        .hasMessageStartingWith("xindex.ko: section name table index 2685403136 out of")
        .hasMessageContaining("at offset 0x" + Long.toHexString(shoff + 40));
  }

  @Test
  void aTextFileNamedKoIsRefusedWithItsName() throws Exception {
    Path f = dir.resolve("README.ko");
    Files.writeString(f, "this is not a kernel module, just text that is long enough to look like something\n".repeat(3));
    assertThatThrownBy(() -> ModuleReader.read(f)).isInstanceOf(BadInputException.class).hasMessageStartingWith(f + ": not an ELF file");
  }

  @Test
  void aCorruptXzModuleIsNamed() throws Exception {
    byte[] xz = sample().compressed("xz").build();
    byte[] bad = Arrays.copyOf(xz, xz.length / 2);
    Path f = dir.resolve("bad.ko.xz");
    Files.write(f, bad);
    assertThatThrownBy(() -> ModuleReader.read(f)).isInstanceOf(BadInputException.class).hasMessageStartingWith(f + ": corrupt xz data");
  }

  @Test
  void aPlainObjectFileIsNotAModule() {
    assertThatThrownBy(() -> ModuleReader.parse("foo.o", KoBuilder.module("foo").withoutThisModule().build()))
        .isInstanceOf(BadInputException.class).hasMessageContaining("not a kernel module");
  }

  @ParameterizedTest
  @CsvSource({"gzip,gz", "xz,xz", "zstd,zst"})
  void aModuleThatExpandsBeyond64MiBIsRefusedAsABombNamingTheFile(String how, String suffix, @TempDir Path dir) throws Exception {
    Path f = dir.resolve("bomb.ko." + suffix);
    Files.write(f, Bombs.zeros(how, 80L << 20));
    String refusal = f + ": expands beyond 64 MiB, more than any real kernel module (the largest Debian module, amdgpu.ko, is ~19 MiB); refusing it as corrupt or hostile";
    assertThatThrownBy(() -> ModuleReader.read(f)).isInstanceOf(BadInputException.class).hasMessage(refusal);
    assertThatThrownBy(() -> ModuleReader.parse(f.toString(), Files.readAllBytes(f))).isInstanceOf(BadInputException.class).hasMessage(refusal);
  }

  @Test
  void readsTheSymbolsOfAModuleWithoutExports() throws Exception {
    ModuleFile m = ModuleReader.parse("plain.ko", KoBuilder.module("plain").uses("_printk", 1).build());
    assertThat(m.exports()).isEmpty();
    assertThat(m.imports()).containsExactly(new Import("_printk", false));
    assertThat(new String(ModuleSignature.MAGIC.getBytes(StandardCharsets.US_ASCII), StandardCharsets.US_ASCII)).endsWith("\n");
    assertThat(List.of(m.arch().machineName())).containsExactly("x86_64");
  }
  /** {@code b} with section {@code name}'s sh_link set to {@code link} (64-bit little-endian ELF). */
  private static byte[] relinked(byte[] b, String name, int link) throws Exception {
    Elf elf = Elf.parse(org.kmodkit.core.io.FileRanges.of("x", b), b.length);
    int index = elf.section(name).orElseThrow().index();
    java.nio.ByteBuffer h = java.nio.ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
    h.putInt((int) h.getLong(40) + index * 64 + 40, link < 0 ? index : link);
    return b;
  }

  @ParameterizedTest(name = "linked to {0}")
  @ValueSource(strings = {"itself", ".modinfo", "section 0"})
  void aSymbolTableLinkedToAnythingButAStringTableIsCorruptNotAnEmptyName(String target) throws Exception {
    byte[] b = sample().build();
    Elf elf = Elf.parse(org.kmodkit.core.io.FileRanges.of("x", b), b.length);
    int link = target.equals("itself") ? -1 : target.equals("section 0") ? 0 : elf.section(target).orElseThrow().index();
    byte[] bad = relinked(b, ".symtab", link);
    assertThatThrownBy(() -> ModuleReader.parse("self.ko", bad))
        .isInstanceOf(BadInputException.class)
        .hasMessageStartingWith("self.ko: symbol table (section ")
        .hasMessageContaining("not a string table");
    assertThatThrownBy(() -> Elf.parse(org.kmodkit.core.io.FileRanges.of("self.ko", bad), bad.length).symbols())
        .isInstanceOf(BadInputException.class).hasMessageContaining("not a string table");
  }

  @ParameterizedTest(name = "ELF type {0}")
  @CsvSource({"2, EXEC", "3, DYN"})
  void aLinkedElfIsNotAKernelModule(int type, String name) throws Exception {
    byte[] b = sample().build();
    java.nio.ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putShort(16, (short) type);
    assertThatThrownBy(() -> ModuleReader.parse("linked.ko", b))
        .isInstanceOf(BadInputException.class)
        .hasMessage("linked.ko: not a kernel module: ELF type " + name + "; kernel modules are relocatable objects (ET_REL)");
  }

  // A batch reads modules from disk through prefetched windows into one reused buffer, and shares
  // symbol names between modules; reads from memory (every test above) do none of that.

  @Test
  void aBatchReadsEveryModuleOnDiskAsAReadFromMemoryDoesCorruptOnesIncluded() throws Exception {
    List<byte[]> samples = List.of(
        sample().signed("k", new byte[] {1}, "2.16.840.1.101.3.4.2.1", new byte[] {9, 8}).build(),
        sample().bits(32).bigEndian().machine(KoBuilder.EM_S390).build(),
        KoBuilder.module("ext").usesExtended("a_rather_long_rust_symbol_name_beyond_56_bytes_of_struct_modversion_info", 0xabcdef01L).extendedVersion("_printk", 0x92997ed8L).build());
    ModuleReader.Batch batch = new ModuleReader.Batch();
    java.util.Random r = new java.util.Random(16);
    Path f = dir.resolve("m.ko");
    for (int i = 0; i < 1500; i++) {
      byte[] b = samples.get(i % samples.size()).clone();
      if (i % 10 == 9) {
        b = Arrays.copyOf(b, r.nextInt(b.length));
      } else if (i >= samples.size()) {
        for (int k = 0; k < 1 + r.nextInt(6); k++) {
          b[r.nextInt(b.length)] = (byte) r.nextInt(256);
        }
      }
      Files.write(f, b);
      byte[] bytes = b;
      assertThat(outcome(() -> batch.read(f, "m.ko"))).as("input %d", i)
          .usingRecursiveComparison().isEqualTo(outcome(() -> ModuleReader.parse("m.ko", bytes)));
    }
  }

  @Test
  void whatABatchReturnedStaysTheSameWhileTheBatchReadsOn() throws Exception {
    ModuleReader.Batch batch = new ModuleReader.Batch();
    List<Path> files = new java.util.ArrayList<>();
    for (int i = 0; i < 30; i++) {
      KoBuilder k = KoBuilder.module("m" + i).modinfo("description", "module " + i + " ".repeat(i * 97))
          .version("module_layout", i).uses("shared_" + i % 3, 100 + i % 5).uses("own_" + i, i).exports("m" + i + "_fn", i);
      files.add(k.writeTo(dir));
    }
    List<ModuleFile> read = new java.util.ArrayList<>();
    for (Path f : files) {
      read.add(batch.read(f, f.toString()));
    }
    for (int i = 0; i < files.size(); i++) {
      assertThat(read.get(i)).usingRecursiveComparison().isEqualTo(ModuleReader.read(files.get(i)));
    }
    assertThat(read.get(3).imports()).containsExactly(new Import("shared_0", false), new Import("own_3", false));
    assertThat(read.get(3).versions()).contains(new SymbolVersion("shared_0", Crc.of(103)));
  }

  @Test
  void aSymbolNameOffsetBeyondTheStringTableIsCorruptNamingTheFileReadFromDisk() throws Exception {
    byte[] b = sample().build();
    Elf elf = Elf.parse(org.kmodkit.core.io.FileRanges.of("x", b), b.length);
    Elf.Section symtab = elf.sections().stream().filter(s -> s.type() == Elf.SHT_SYMTAB).findFirst().orElseThrow();
    java.nio.ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putInt((int) symtab.offset() + 2 * 24, 0x7ffffff0);
    Path f = dir.resolve("hostile.ko");
    Files.write(f, b);
    String expected = f + ": symbol 2 name offset 2147483632 beyond the ";
    assertThatThrownBy(() -> ModuleReader.read(f)).isInstanceOf(CorruptFileException.class).hasMessageStartingWith(expected)
        .hasMessageContaining("at offset 0x" + Long.toHexString(symtab.offset() + 2 * 24));
    assertThatThrownBy(() -> new ModuleReader.Batch().read(f, f.toString())).isInstanceOf(CorruptFileException.class).hasMessageStartingWith(expected);
  }

  @Test
  void modinfoFindsAKeyOnlyAsAWholeKeyAndKeepsEveryEntryInOrder() throws Exception {
    byte[] section = "\0name=one\0namespace=NS\0license=GPL\0=novalue\0bare\0\0import_ns=A\0alias=x=y\0import_ns=B".getBytes(StandardCharsets.UTF_8);
    ModInfo m = ModInfo.of(section);
    assertThat(m.name()).isEqualTo("one");
    assertThat(m.first("namespace")).isEqualTo("NS");
    assertThat(m.first("alias")).isEqualTo("x=y");
    assertThat(m.first("alias=x")).isNull();
    assertThat(m.first("bare")).isNull();
    assertThat(m.importedNamespaces()).containsExactly("A", "B"); // the last one ends with the section, no NUL
    assertThat(m.entries()).extracting(java.util.Map.Entry::getKey).containsExactly("name", "namespace", "license", "import_ns", "alias", "import_ns");
    assertThat(ModInfo.empty().entries()).isEmpty();
    assertThat(ModInfo.empty().vermagic()).isNull();
  }

  private interface ModuleRead {
    ModuleFile get() throws BadInputException;
  }

  /** The module read, or the error's message. */
  private static Object outcome(ModuleRead read) {
    try {
      return read.get();
    } catch (BadInputException e) {
      return e.getMessage();
    }
  }
}
