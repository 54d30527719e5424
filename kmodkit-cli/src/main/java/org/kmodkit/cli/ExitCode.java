package org.kmodkit.cli;

import org.kmodkit.core.KmodkitException;

/**
 * kmodkit's exit codes, declared here once: {@code --help} lists them (Main), man kmodkit prints their
 * meanings (ManPages), and docs/commands.md's "Exit codes" table holds the same rows (ReadmeTest
 * checks it word for word). Bad input outranks a negative verdict: a run
 * whose inputs could not all be read cannot vouch for the set, even if what it read was fine.
 */
public enum ExitCode {
  /** Everything asked about is fine: every module would load. */
  OK(0,
      "every module judged would load, every file was read, every check passed",
      "every module judged would load (inspect: every file was read; verify: every requested module loaded, unloaded and "
        + "reloaded in the booted kernel)"),
  /** A verdict is negative: some module would not load (or a check failed). */
  INCOMPATIBLE(1,
      "a module would not load, or a check failed",
      "at least one module would not load (verify: did not load, unload or reload, or the kernel panicked or hung while loading "
        + "it)"),
  /** Usage error or bad input: a corrupt or unreadable file, a malformed line, a wrong option. */
  BAD_INPUT(2,
      "usage error or bad input: a corrupt, unreadable or wrong file or option",
      "usage error or bad input: a corrupt or truncated module, a text file named `.ko`, a module of another architecture than "
        + "the kernel, a corrupt `.xz`/`.zst`, a malformed symvers line, a file that is not a package, a truncated package (an ar "
        + "member, RPM header or payload past the end of the file: the same reader for every command), a pipe, device or socket "
        + "given or found where a file is read (\"not a regular file\": it is never opened), an ELF executable or shared object given "
        + "as a module, a kernel image kmodkit cannot read, a wrong path. The other inputs of the same run are still judged; 2 "
        + "outranks 1, because a run that could not read all its inputs cannot vouch for the set"),
  /** The environment lacks something (a tool, a directory, permission); the input may be fine. */
  ENVIRONMENT(3,
      "the environment lacks a tool, permission, free space or a port",
      "the environment lacks something (a tool, permission, a writable directory or free space where kmodkit writes, a free port; "
        + "verify: `qemu-system-x86_64` or a static busybox, or "
        + "the kernel never reached kmodkit's init); the inputs may be fine"),
  /** A kmodkit bug: an exception no command expected, an Error (out of memory, stack overflow). */
  INTERNAL(4,
      "internal error, a kmodkit bug: please report it with the trace file",
      "an internal error: a kmodkit bug (an unexpected exception, or an `Error` such as `OutOfMemoryError` or "
        + "`StackOverflowError`). One line on stderr names the file holding the stack trace (`-v` prints it too); please report it "
        + "with the command line. Never 0 or 1: a run that crashed vouches for nothing");

  private final int code;
  private final String summary;
  private final String meaning;

  ExitCode(int code, String summary, String meaning) {
    this.code = code;
    this.summary = summary;
    this.meaning = meaning;
  }

  public int code() {
    return code;
  }

  /** One line for {@code --help}'s exit code list. */
  public String summary() {
    return summary;
  }

  /** The full meaning: the row of docs/commands.md's table (Markdown) and of man kmodkit's EXIT STATUS. */
  public String meaning() {
    return meaning;
  }

  /** {@code --help}'s exit code list: every code with its summary, in order. */
  static java.util.Map<String, String> helpList() {
    java.util.Map<String, String> list = new java.util.LinkedHashMap<>();
    for (ExitCode c : values()) {
      list.put(Integer.toString(c.code), c.summary);
    }
    return list;
  }

  /**
   * The code for a throwable that ended a command: each kind of the domain family, and anything
   * else is a kmodkit bug — never 0 or 1, which would read as a verdict.
   */
  public static ExitCode of(Throwable e) {
    return e instanceof KmodkitException k ? of(k.kind()) : INTERNAL;
  }

  /** The code of a kind of domain error; no default, so a new kind does not compile unhandled. */
  public static ExitCode of(KmodkitException.Kind kind) {
    return switch (kind) {
      case BAD_INPUT -> BAD_INPUT;
      case ENVIRONMENT -> ENVIRONMENT;
    };
  }

  /** The worse of two outcomes. */
  public ExitCode and(ExitCode other) {
    return other.code > code ? other : this;
  }
}
