#!/usr/bin/env python3
"""Top frames of JFR recordings (bench/PROFILE.md): self time of the leaf frame, and inclusive
time of kmodkit's own frames, over the jdk.ExecutionSample events of every file given.

  KMODKIT_JAVA_OPTS="-XX:StartFlightRecording=filename=/tmp/k1.jfr,settings=/tmp/fast.jfc" bin/kmodkit check ...
  bench/jfr-top.py /tmp/k*.jfr

fast.jfc: the JDK's lib/jfr/profile.jfc with jdk.ExecutionSample's period set to 1 ms (the
default 10-20 ms gives a few dozen samples for a one-second run). Stacks are read 64 frames deep:
`jfr print` keeps 5 by default, which hid every kmodkit frame below the fifth from "inclusive"."""
import collections, json, subprocess, sys

self_c, incl, threads, n = collections.Counter(), collections.Counter(), collections.Counter(), 0
for f in sys.argv[1:]:
    out = subprocess.run(["jfr", "print", "--json", "--stack-depth", "64", "--events", "jdk.ExecutionSample", f], capture_output=True, text=True, check=True).stdout
    for e in json.loads(out)["recording"]["events"]:
        st = e["values"]["stackTrace"]
        frames = st["frames"] if st else []
        if not frames:
            continue
        n += 1
        t = e["values"]["sampledThread"]["javaName"] or "?"
        threads["ForkJoinPool workers" if "ForkJoin" in t else t] += 1
        name = lambda x: x["method"]["type"]["name"].split("/")[-1] + "." + x["method"]["name"]
        self_c[name(frames[0])] += 1
        for k in {name(x) for x in frames if "kmodkit" in x["method"]["type"]["name"]}:
            incl[k] += 1
print(f"samples {n}; by thread: " + ", ".join(f"{k} {v}" for k, v in threads.most_common()))
print("self (leaf frame), top 12:")
for k, v in self_c.most_common(12):
    print(f"  {v * 100 / n:5.1f}% {k}")
print("inclusive, kmodkit frames, top 15:")
for k, v in incl.most_common(15):
    print(f"  {v * 100 / n:5.1f}% {k}")
