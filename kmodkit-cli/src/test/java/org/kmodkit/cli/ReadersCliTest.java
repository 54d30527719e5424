package org.kmodkit.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.kmodkit.testkit.ImageBuilder;
import org.kmodkit.testkit.KoBuilder;

/** Whatever a reader is handed, every command answers with one line naming the file and exit 2. */
@Timeout(value = 60, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD) // opening a FIFO blocks: fail, never hang
class ReadersCliTest {
  @TempDir Path dir;

  private Path fifo(String name) throws Exception {
    Path f = dir.resolve(name);
    Process p = new ProcessBuilder("mkfifo", f.toString()).start();
    assertThat(p.waitFor(10, TimeUnit.SECONDS) && p.exitValue() == 0).isTrue();
    return f;
  }

  private static void assertBadInput(CliTest.Run r, String message) {
    assertThat(r.code()).as(r.out() + r.err()).isEqualTo(2);
    assertThat(r.err()).contains("kmodkit: " + message).doesNotContain("internal error").doesNotContain("\tat ");
  }

  @Test
  void aFifoGivenAsAModuleOrAKernelIsNotARegularFile() throws Exception {
    Path ko = fifo("pipe.ko");
    assertBadInput(CliTest.run("inspect", ko.toString()), ko + ": not a regular file");
    assertBadInput(CliTest.run("check", "--kernel", CliTest.K56, ko.toString()), ko + ": not a regular file");
    Path symvers = fifo("Module.symvers");
    assertBadInput(CliTest.run("check", "--kernel", symvers.toString(), CliTest.REAL.resolve("6.1.0-56/hello.ko").toString()), symvers + ": not a regular file");
  }

  @Test
  void aFifoAmongTheModulesOfADirectoryIsNamedNotSkipped() throws Exception {
    Path mods = Files.createDirectory(dir.resolve("mods"));
    Files.copy(CliTest.REAL.resolve("6.1.0-56/hello.ko"), mods.resolve("hello.ko"));
    Process p = new ProcessBuilder("mkfifo", mods.resolve("pipe.ko").toString()).start();
    assertThat(p.waitFor(10, TimeUnit.SECONDS) && p.exitValue() == 0).isTrue();
    assertBadInput(CliTest.run("check", "--kernel", CliTest.K56, mods.toString()), mods.resolve("pipe.ko") + ": not a regular file");
  }

  @Test
  void aModuleLinkedAsAnExecutableIsNotAModuleForInspectOrCheck() throws Exception {
    byte[] ko = KoBuilder.module("linked").exports("linked_open", 0x01020304L).build();
    ByteBuffer.wrap(ko).order(ByteOrder.LITTLE_ENDIAN).putShort(16, (short) 2);
    Path f = Files.write(dir.resolve("linked.ko"), ko);
    String message = f + ": not a kernel module: ELF type EXEC; kernel modules are relocatable objects (ET_REL)";
    CliTest.Run inspect = CliTest.run("inspect", f.toString());
    assertBadInput(inspect, message);
    assertThat(inspect.out()).doesNotContain("linked_open");
    assertBadInput(CliTest.run("check", "--kernel", CliTest.K56, f.toString()), message);
  }

  @Test
  void anArmZImageGivenAsTheKernelIsNamedNotParsedAsSymvers() throws Exception {
    byte[] b = new byte[16384];
    new java.util.Random(3).nextBytes(b);
    ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putInt(0x24, 0x016f2818);
    Path z = Files.write(dir.resolve("vmlinuz-6.1.0-56-armmp"), b);
    CliTest.Run r = CliTest.run("check", "--kernel", z.toString(), CliTest.REAL.resolve("6.1.0-56/hello.ko").toString());
    assertBadInput(r, z + ": is an ARM zImage; kmodkit reads x86 bzImage and ELF vmlinux; pass the kernel's Module.symvers or headers package instead");
    assertThat(r.err()).doesNotContain("malformed symvers line");
    assertBadInput(CliTest.run("inspect", z.toString()), z + ": is an ARM zImage");
  }

  @Test
  void anLz4BlockLengthNearTwoGiBIsADomainErrorNotAnInternalOne() throws Exception {
    byte[] image = ImageBuilder.bzImage(ImageBuilder.compress(ImageBuilder.vmlinux().export("_printk", 1, false, "").elf(), "lz4"), "6.1.0-56-cloud-amd64 #1");
    ByteBuffer.wrap(image).order(ByteOrder.LITTLE_ENDIAN).putInt(5 * 512 + 0x100 + 4, Integer.MAX_VALUE);
    Path f = Files.write(dir.resolve("vmlinuz-6.1.0-56-cloud-amd64"), image);
    assertBadInput(CliTest.run("inspect", f.toString()), f + ": LZ4 block of " + Integer.MAX_VALUE + " bytes");
    assertBadInput(CliTest.run("check", "--kernel", f.toString(), CliTest.REAL.resolve("6.1.0-56/hello.ko").toString()), f + ": LZ4 block of ");
  }
  @Test
  void aFifoNamedLikeAPackageInARepositoryIsNamedNotSkipped() throws Exception {
    Path repo = Files.createDirectory(dir.resolve("repo"));
    Path key = Files.writeString(dir.resolve("key.asc"), org.kmodkit.formats.sign.OpenPgpSigner.generate("test <t@example>", 2048).secretKeyArmored());
    for (String kind : new String[] {"rpm", "deb"}) {
      Path pipe = repo.resolve("pipe." + kind);
      Process p = new ProcessBuilder("mkfifo", pipe.toString()).start();
      assertThat(p.waitFor(10, TimeUnit.SECONDS) && p.exitValue() == 0).isTrue();
      assertBadInput(CliTest.run("repo", "create", kind.equals("rpm") ? "--yum" : "--apt", repo.toString(), "--pgp-key", key.toString()), pipe + ": not a regular file");
      Files.delete(pipe);
    }
  }
}
