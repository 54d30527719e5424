package org.kmodkit.cli;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Map;
import org.kmodkit.core.host.ProcessRunner;
import org.kmodkit.core.tree.Sysroot;

/** A machine for commands run in-process: a root, PATH=/usr/bin, nothing on stdin, a fixed clock, the runner given. */
final class FakeHost {
  static final Clock CLOCK = Clock.fixed(Instant.parse("2026-12-01T12:00:00Z"), ZoneOffset.UTC);

  /** A runner for a machine with no programs: any command a test did not expect fails to start. */
  static final ProcessRunner NO_PROGRAMS = c -> {
    throw new IOException("Cannot run program \"" + c.program() + "\": not on this test's machine");
  };

  private FakeHost() {}

  static Host of(Path root, Path tmp, ProcessRunner runner) {
    return new Host(new Sysroot(root), Map.of("PATH", "/usr/bin"), tmp, runner, InputStream.nullInputStream(), CLOCK);
  }

  static Host withStdin(Host h, String text) {
    return new Host(h.root(), h.env(), h.tmp(), h.runner(), new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8)), h.clock());
  }
}
