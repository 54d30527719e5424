package org.kmodkit.core.build;

import java.time.Duration;
import java.util.List;

/**
 * The outcome of a run, in plan order.
 *
 * @param wall from the first build's start to the last one's end
 * @param jobs the job slots used
 */
public record BuildReport(List<BuildResult> results, Duration wall, int jobs) {
  public BuildReport {
    results = List.copyOf(results);
  }

  public long built() {
    return results.stream().filter(BuildResult.Built.class::isInstance).count();
  }

  public long failed() {
    return results.stream().filter(BuildResult.Failed.class::isInstance).count();
  }

  public long skipped() {
    return results.stream().filter(BuildResult.Skipped.class::isInstance).count();
  }

  public boolean ok() {
    return failed() == 0;
  }
}
