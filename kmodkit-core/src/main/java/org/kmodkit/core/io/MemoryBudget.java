package org.kmodkit.core.io;

/**
 * Bytes of heap that readers running at once may hold in decompressed data, shared among them: a
 * reader reserves what it may expand to before it starts and waits while the others hold the rest,
 * so eight bombs read in parallel cost what one does, not eight times that.
 */
public final class MemoryBudget {
  /**
   * The one budget of this JVM: half its heap, the other half left for the parsers, the results and
   * the copies they make. The heap is one per process, so this is the one process-wide value.
   */
  private static final MemoryBudget HEAP = new MemoryBudget(Runtime.getRuntime().maxMemory() / 2);

  private final long capacity;
  private long free;

  public MemoryBudget(long capacity) {
    if (capacity <= 0) {
      throw new IllegalArgumentException("capacity " + capacity);
    }
    this.capacity = capacity;
    this.free = capacity;
  }

  public static MemoryBudget heap() {
    return HEAP;
  }

  public long capacity() {
    return capacity;
  }

  public synchronized long free() {
    return free;
  }

  /**
   * Reserves {@code bytes}, at most the whole budget (so one reader alone always runs), waiting
   * until the others have released enough. A whole reservation taken at once cannot deadlock, as
   * readers that each hold part and wait for more could.
   */
  public synchronized Reservation reserve(long bytes) {
    long n = Math.min(Math.max(bytes, 0), capacity);
    boolean interrupted = false;
    while (free < n) {
      try {
        wait();
      } catch (InterruptedException e) {
        interrupted = true; // readers are short; finish the wait and let the caller see the flag
      }
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
    free -= n;
    return new Reservation(n);
  }

  private synchronized void release(long n) {
    free += n;
    notifyAll();
  }

  /** Bytes held from the budget until closed. */
  public final class Reservation implements AutoCloseable {
    private long held;

    private Reservation(long held) {
      this.held = held;
    }

    public synchronized long bytes() {
      return held;
    }

    /** Gives back all but {@code n} bytes (a reader that turned out smaller than its limit). */
    public synchronized void shrinkTo(long n) {
      if (n < held) {
        release(held - n);
        held = n;
      }
    }

    /** A reservation holding these bytes from now on, this one left empty (its close then a no-op). */
    public synchronized Reservation take() {
      Reservation r = new Reservation(held);
      held = 0;
      return r;
    }

    @Override
    public void close() {
      shrinkTo(0);
    }
  }
}
