package org.kmodkit.cli;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.kmodkit.core.build.BuildListener;
import org.kmodkit.core.build.BuildPlan;
import org.kmodkit.core.build.BuildResult;

/**
 * Live progress on stderr: a line when a build starts and ends (a failure with its first error
 * lines and its log), and every {@value #TICK_SECONDS} s the builds still running with their age,
 * so a long build (mlx5_core: minutes) never looks hung. Plain lines: logs and pipes read them.
 */
final class ProgressDisplay implements BuildListener, AutoCloseable {
  static final int TICK_SECONDS = 20;
  private final PrintWriter err;
  private final Map<String, Long> running = new ConcurrentHashMap<>();
  private final ScheduledExecutorService ticker;

  ProgressDisplay(PrintWriter err) {
    this.err = err;
    this.ticker = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "kmodkit-progress");
      t.setDaemon(true);
      return t;
    });
    ticker.scheduleAtFixedRate(this::tick, TICK_SECONDS, TICK_SECONDS, TimeUnit.SECONDS);
  }

  @Override
  public void started(BuildPlan.Build build, int index, int total) {
    running.put(build.id(), System.nanoTime());
    print(String.format("[%" + width(total) + "d/%d] start %s", index, total, build.id()));
  }

  @Override
  public void finished(BuildResult result, int done, int total) {
    running.remove(result.item().id());
    String head = String.format("[%" + width(total) + "d/%d] ", done, total);
    StringBuilder sb = new StringBuilder(head);
    List<String> more = new ArrayList<>();
    result.accept(new BuildResult.Visitor<Void>() {
      @Override
      public Void visit(BuildResult.Built b) {
        sb.append("ok    ").append(b.item().id()).append(" in ").append(seconds(b.duration().toNanos())).append(": ");
        sb.append(b.modules().stream().map(m -> m.name() + ".ko" + (m.signed() ? " (signed)" : "")).collect(Collectors.joining(", "))).append(" checked, loads");
        return null;
      }

      @Override
      public Void visit(BuildResult.Failed f) {
        sb.append("FAIL  ").append(f.item().id()).append(" after ").append(seconds(f.duration().toNanos())).append(": ").append(ProblemWords.reason(f));
        String pad = " ".repeat(head.length() + 6);
        for (String line : f.errorLines()) {
          more.add(pad + line);
        }
        more.add(pad + "log: " + f.item().log());
        return null;
      }

      @Override
      public Void visit(BuildResult.Skipped s) {
        return null; // a skip: the head alone
      }
    });
    print(sb.toString());
    more.forEach(this::print);
  }

  private void tick() {
    if (running.isEmpty()) {
      return;
    }
    long now = System.nanoTime();
    print("        running: " + running.entrySet().stream().sorted(Map.Entry.comparingByValue())
        .map(e -> e.getKey() + " (" + seconds(now - e.getValue()) + ")").collect(Collectors.joining(", ")));
  }

  /** One line, its names (build ids, compiler output) escaped. */
  private synchronized void print(String s) {
    TextOutput.line(err, s);
    err.flush();
  }

  static String seconds(long nanos) {
    double s = nanos / 1e9;
    if (s < 60) {
      return String.format("%.1f s", s);
    }
    return String.format("%d min %02d s", (long) s / 60, (long) s % 60);
  }

  private static int width(int total) {
    return Integer.toString(total).length();
  }

  @Override
  public void close() {
    ticker.shutdownNow();
  }
}
