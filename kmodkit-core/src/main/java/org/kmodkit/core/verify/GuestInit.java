package org.kmodkit.core.verify;

import java.util.List;

/**
 * The guest's /init: a busybox shell script that loads each unit's modules in order, unloads them
 * in reverse, reloads them, and powers off, reporting through {@code /dev/kmsg}.
 *
 * <p>Why /dev/kmsg: the kernel's refusals ("disagrees about version of symbol …") are printk
 * lines, written to the serial console synchronously; a shell's own output goes through the tty
 * layer and may reach the console after printk lines that came later. Writing the markers into the
 * kernel's log puts them and the kernel's messages into one ordered stream, so each message lands
 * between the BEGIN and END of the insmod that caused it. The script forks only for insmod and
 * rmmod (everything else is a shell builtin): under emulation a fork costs milliseconds. The one
 * exception is /proc/sys/kernel/tainted, which answers only a read from offset 0 while the shell's
 * {@code read} takes a byte at a time: cat reads it, once at boot and once at the end.
 *
 * <p>The protocol, one line each, read by {@link ConsoleParser}:
 *
 * <pre>
 * @@ BOOTED release=R uptime=S tainted=T
 * @@ UNIT N
 * @@ BEGIN ID PHASE
 * @@ OUT ID PHASE text          (insmod's or rmmod's own message)
 * @@ END ID PHASE rc=RC taint=FLAGS   (FLAGS: /sys/module/NAME/taint after a load)
 * @@ DONE uptime=S tainted=T
 * </pre>
 */
public final class GuestInit {
  private GuestInit() {}

  public static String script(BootPlan plan) {
    StringBuilder s = new StringBuilder(4096);
    s.append("""
        #!/bin/busybox sh
        # written by kmodkit verify: loads each unit in dependency order, unloads, reloads, powers off
        /bin/busybox --install -s /bin
        mount -t proc proc /proc
        mount -t sysfs sysfs /sys
        mount -t devtmpfs devtmpfs /dev 2>/dev/null
        echo 7 > /proc/sys/kernel/printk
        k() { echo "<5>@@ $*" > /dev/kmsg; }
        ld() {
          k "BEGIN $1 $2"
          insmod "$4" 2> /tmp/out
          rc=$?
          tf=
          [ $rc = 0 ] && read tf 2>/dev/null < "/sys/module/$3/taint"
          while read -r l; do k "OUT $1 $2 $l"; done < /tmp/out
          k "END $1 $2 rc=$rc taint=$tf"
          return $rc
        }
        ul() {
          k "BEGIN $1 $2"
          rmmod "$3" 2> /tmp/out
          rc=$?
          while read -r l; do k "OUT $1 $2 $l"; done < /tmp/out
          k "END $1 $2 rc=$rc taint="
          return $rc
        }
        read r < /proc/sys/kernel/osrelease
        read up x < /proc/uptime
        t=$(cat /proc/sys/kernel/tainted)
        k "BOOTED release=$r uptime=$up tainted=$t"
        """);
    List<BootPlan.Unit> units = plan.units();
    for (int u = 0; u < units.size(); u++) {
      BootPlan.Unit unit = units.get(u);
      List<BootPlan.Step> steps = unit.steps();
      s.append("k \"UNIT ").append(unit.index()).append("\"\n");
      for (BootPlan.Step st : steps) {
        s.append("ld ").append(st.id()).append(" load ").append(st.name()).append(' ').append(st.guestPath()).append(" && L").append(st.id()).append("=1\n");
      }
      for (int i = steps.size() - 1; i >= 0; i--) {
        BootPlan.Step st = steps.get(i);
        s.append("[ -n \"$L").append(st.id()).append("\" ] && ul ").append(st.id()).append(" unload ").append(st.name()).append(" && U").append(st.id()).append("=1\n");
      }
      // only what was unloaded can show whether it reloads; the rest stays as it was
      for (BootPlan.Step st : steps) {
        s.append("[ -n \"$U").append(st.id()).append("\" ] && ld ").append(st.id()).append(" reload ").append(st.name()).append(' ').append(st.guestPath()).append(" && R").append(st.id()).append("=1\n");
      }
      if (u < units.size() - 1) {
        for (int i = steps.size() - 1; i >= 0; i--) {
          BootPlan.Step st = steps.get(i);
          s.append("[ -n \"$R").append(st.id()).append("\" ] && ul ").append(st.id()).append(" cleanup ").append(st.name()).append('\n');
        }
      }
    }
    s.append("""
        read up x < /proc/uptime
        t=$(cat /proc/sys/kernel/tainted)
        k "DONE uptime=$up tainted=$t"
        poweroff -f
        """);
    return s.toString();
  }
}
