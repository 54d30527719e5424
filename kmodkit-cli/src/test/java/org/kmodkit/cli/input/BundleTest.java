package org.kmodkit.cli.input;

import org.kmodkit.testkit.ArchivesForTests;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BundleTest {
  @TempDir Path tmp;

  Path bundle(String manifest) throws Exception {
    Path b = Files.createDirectories(tmp.resolve("b"));
    Files.createDirectories(b.resolve("drv"));
    Files.writeString(b.resolve("drv/Kbuild"), "obj-m := drv.o\n");
    Files.createDirectories(b.resolve("docs"));
    Files.deleteIfExists(b.resolve("kmodkit-bundle.conf"));
    if (manifest != null) {
      Files.writeString(b.resolve("kmodkit-bundle.conf"), manifest);
    }
    return b;
  }

  @Test
  void theManifestNamesTheBundleAndDriversDefaultToTheSourceDirectoriesAtItsTop() throws Exception {
    Bundle b = Bundle.open(bundle("# acme\nname=acme-nic   # the product\nversion=5.2-1\ndistro=rhel9.4\n").toString(), tmp.resolve("w"));
    assertThat(b.name()).isEqualTo("acme-nic");
    assertThat(b.version()).isEqualTo("5.2-1");
    assertThat(b.distro()).hasValue("rhel9.4");
    assertThat(b.arch()).isEmpty();
    assertThat(b.drivers()).containsExactly(tmp.resolve("b/drv"));
  }

  @Test
  void aTarballedBundleIsUnpackedAndFound() throws Exception {
    Path tgz = new ArchivesForTests().file("acme-5.2/kmodkit-bundle.conf", "name=acme\nversion=5.2\ndrivers=src/drv\n").file("acme-5.2/src/drv/Makefile", "obj-m := drv.o\n")
        .writeTgz(tmp.resolve("acme.tgz"));
    Bundle b = Bundle.open(tgz.toString(), tmp.resolve("w"));
    assertThat(b.drivers()).containsExactly(tmp.resolve("w/bundle/acme-5.2/src/drv"));
  }

  @Test
  void aBareDkmsTreeIsABundleNamedByItsDkmsConf() throws Exception {
    Path d = Files.createDirectories(tmp.resolve("vpoll-0.1"));
    Files.writeString(d.resolve("dkms.conf"), "PACKAGE_NAME=vpoll\nPACKAGE_VERSION=0.1\nBUILT_MODULE_NAME[0]=vpoll\nDEST_MODULE_LOCATION[0]=/extra\n");
    Bundle b = Bundle.open(d.toString(), tmp.resolve("w"));
    assertThat(b.name()).isEqualTo("vpoll");
    assertThat(b.version()).isEqualTo("0.1");
    assertThat(b.drivers()).containsExactly(d.toAbsolutePath());
  }

  @Test
  void badManifestsAreRefusedByFileAndLine() throws Exception {
    Path m = tmp.resolve("b/kmodkit-bundle.conf");
    assertThatThrownBy(() -> Bundle.open(bundle("name=a\nversion=1\ncolour=blue\n").toString(), tmp.resolve("w")))
        .hasMessageStartingWith(m + ":3: unknown key 'colour'");
    assertThatThrownBy(() -> Bundle.open(bundle("name=a\n").toString(), tmp.resolve("w"))).hasMessageContaining("version is missing");
    assertThatThrownBy(() -> Bundle.open(bundle("name=a b\nversion=1\n").toString(), tmp.resolve("w"))).hasMessageContaining(":1: name='a b' must be one word");
    assertThatThrownBy(() -> Bundle.open(bundle("name=a\nversion=1\ndrivers=../elsewhere\n").toString(), tmp.resolve("w"))).hasMessageContaining("leaves the bundle");
    assertThatThrownBy(() -> Bundle.open(bundle("name=a\nversion=1\nversion=2\n").toString(), tmp.resolve("w"))).hasMessageContaining(":3: version is given twice");
    assertThatThrownBy(() -> Bundle.open(bundle(null).toString(), tmp.resolve("w"))).hasMessageContaining("has no kmodkit-bundle.conf, is no DKMS tree and holds no driver source");
  }
}
