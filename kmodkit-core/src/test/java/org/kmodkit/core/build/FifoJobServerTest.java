package org.kmodkit.core.build;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.kmodkit.core.host.ProcessRunner;
import org.kmodkit.core.host.SystemProcessRunner;

/** Real make, real pipe: the slot a finished build leaves is used by the makes still running. */
class FifoJobServerTest {
  @TempDir Path tmp;

  /** Runs a make whose two targets each note when they start and end; returns the notes. */
  List<String> twoTargets(JobServer jobs) throws Exception {
    Path dir = Files.createDirectories(tmp.resolve("m"));
    Files.writeString(dir.resolve("Makefile"), "all: a b\na b:\n\t@echo start-$@ >> order.log; sleep 1; echo end-$@ >> order.log\n");
    Path log = tmp.resolve("make.log");
    int code = new SystemProcessRunner().run(ProcessRunner.Command.of(jobs.command("make -s")).withDir(dir).withEnv(jobs.env()).withLog(log)).exitCode();
    assertThat(code).as(Files.readString(log)).isZero();
    return Files.readAllLines(dir.resolve("order.log"));
  }

  @Test
  void aGrantedTokenLetsARunningMakeStartASecondJob() throws Exception {
    try (FifoJobServer jobs = FifoJobServer.create(tmp.resolve("js"), new SystemProcessRunner())) {
      jobs.grant(1);
      List<String> order = twoTargets(jobs);
      assertThat(order.subList(0, 2)).as("both jobs started before either ended: " + order).allMatch(l -> l.startsWith("start-"));
    }
  }

  @Test
  void withoutATokenTheMakeRunsItsJobsOneAtATime() throws Exception {
    try (FifoJobServer jobs = FifoJobServer.create(tmp.resolve("js"), new SystemProcessRunner())) {
      List<String> order = twoTargets(jobs);
      assertThat(order).as("serial: " + order).containsExactly("start-a", "end-a", "start-b", "end-b");
    }
  }
}
