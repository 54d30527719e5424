#!/usr/bin/env bash
# Fleet report benchmark: `kmodkit fleet report` over 10,000 generated node reports.
# Usage: bench/fleet-report.sh [ROUNDS] (default 5; results in bench/FLEET.md)
# The reports are what `status --json` prints (kmodkit.status/1), as Ansible's fetch lays them out
# (DIR/<host>/status.json): 5 kernels (6.1.0-52…56-cloud-amd64; each node has 2–4 of them
# installed), 3 module sets (extra/mlnx, extra/nvidia, updates/zfs) in realistic states with the
# kernel's words for refusals, and 2% broken files (truncated, another schema, binary garbage,
# an unknown state). Each round runs bin/kmodkit (a fresh JVM, as a user would) under
# /usr/bin/time -v, for text and for --json output; prints the median wall time, CPU time
# (user+sys: what the run costs when other work shares the cores) and max RSS.
# Goals: <= 2 s and <= 300 MB.
set -euo pipefail
rounds=${1:-5}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
work=${KMODKIT_BENCH_WORK:-$(mktemp -d /tmp/fleet-bench.XXXXXX)}
nodes=${NODES:-10000}
[ -x /usr/bin/time ] || { echo "fleet-report.sh: needs /usr/bin/time (apt-get install time)" >&2; exit 3; }
[ -f "$here/kmodkit-cli/target/kmodkit.jar" ] || (cd "$here" && mvn -B -ntp -o -q -DskipTests -Dfuzz.skip=true package)
if [ ! -f "$work/reports/.done" ]; then
  rm -rf "$work/reports"
  python3 - "$work/reports" "$nodes" <<'PY'
import json, os, random, sys
out, n = sys.argv[1], int(sys.argv[2])
rnd = random.Random(15)
kernels = ["6.1.0-%d-cloud-amd64" % a for a in (52, 53, 54, 55, 56)]
sets = ["extra/mlnx", "extra/nvidia", "updates/zfs"]
mods = {"extra/mlnx": ["mlx5_core", "mlx5_ib", "ib_core", "rdma_cm"], "extra/nvidia": ["nvidia", "nvidia_uvm"], "updates/zfs": ["zfs", "spl"]}
syms = ["_printk", "kmalloc_trace", "__alloc_skb", "pci_enable_device", "dma_map_page_attrs", "module_layout"]
def cell(s, k, built):
    if k == built:
        return {"state": "native", "from": [k], "detail": "%d modules installed for this kernel" % len(mods[s]), "stale": False, "by_other_tool": False}
    r = rnd.random()
    if r < 0.70:
        return {"state": "linked", "from": [built], "detail": ", ".join(mods[s]) + " from " + built, "stale": False, "by_other_tool": False}
    if r < 0.85:
        sym = rnd.choice(syms)
        return {"state": "incompatible", "from": [], "detail": "%s: disagrees about version of symbol %s (build for %s)" % (mods[s][0], sym, built), "stale": rnd.random() < 0.1, "by_other_tool": False}
    if r < 0.92:
        return {"state": "compatible_not_linked", "from": [built], "detail": "would link %s from %s; run kmodkit weak-modules --add-kernel %s" % (mods[s][0], built, k), "stale": False, "by_other_tool": False}
    if r < 0.97:
        return {"state": "dependency_missing", "from": [], "detail": "%s: Unknown symbol ib_register_client (err -2) (build for %s)" % (mods[s][1], built), "stale": False, "by_other_tool": False}
    return {"state": "partial", "from": [built], "detail": "not linked: %s; %s: disagrees about version of symbol _printk (build for %s)" % (mods[s][1], mods[s][1], built), "stale": False, "by_other_tool": False}
broken = 0
for i in range(n):
    host = "node%05d.dc%d.example.net" % (i, i % 4)
    d = os.path.join(out, host)
    os.makedirs(d)
    path = os.path.join(d, "status.json")
    if rnd.random() < 0.02:
        broken += 1
        kind = broken % 4
        with open(path, "wb") as f:
            if kind == 0:
                f.write(b'{"schema": "kmodkit.status/1", "root": "/", "kernels": ["6.1.0-5')
            elif kind == 1:
                f.write(b'{"schema": "kmodkit.check/1", "modules": []}\n')
            elif kind == 2:
                f.write(os.urandom(4096))
            else:
                f.write(json.dumps({"schema": "kmodkit.status/1", "root": "/", "kernels": [kernels[0]], "sets": [{"name": "extra/mlnx", "kernels": {kernels[0]: {"state": "exploded"}}}], "notes": []}).encode())
        continue
    first = rnd.randrange(0, 3)
    ks = kernels[first:first + rnd.randrange(2, 5)]
    doc = {"schema": "kmodkit.status/1", "root": "/", "kernels": list(reversed(ks)), "sets": [], "notes": []}
    for s in sets[: rnd.randrange(1, 4)]:
        built = ks[0]
        doc["sets"].append({"name": s, "kernels": {k: cell(s, k, built) for k in reversed(ks)}})
    with open(path, "w") as f:
        json.dump(doc, f, indent=2)
print("generated %d node reports (%d broken) in %s" % (n, broken, out), file=sys.stderr)
PY
  touch "$work/reports/.done"
fi
echo "reports: $(du -sh "$work/reports" | cut -f1) in $(find "$work/reports" -name '*.json' | wc -l) files; $(nproc) cores, load $(cut -d' ' -f1 /proc/loadavg)"
run() { # args… → "wall-ms kb cpu-ms"
  /usr/bin/time -v -o "$work/time.txt" "$here/bin/kmodkit" fleet report "$@" > "$work/out.txt" 2> "$work/err.txt" || [ $? -eq 1 ] || { cat "$work/err.txt" >&2; exit 1; }
  awk -F': ' '/Elapsed \(wall clock\)/ { n = split($2, t, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + t[i]; ms = int(s * 1000 + 0.5) }
              /User time|System time/ { cpu += $2 * 1000 }
              /Maximum resident set size/ { kb = $2 } END { print ms, kb, int(cpu + 0.5) }' "$work/time.txt"
}
median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
run "$work/reports" > /dev/null # warm the page cache and the launcher's class-data archive
for mode in text json; do
  args=("$work/reports"); [ $mode = json ] && args+=(--json)
  : > "$work/$mode.txt"
  for r in $(seq "$rounds"); do
    read -r ms kb cpu < <(run "${args[@]}")
    echo "$mode round $r: ${ms} ms wall, ${cpu} ms CPU (user+sys), max RSS $((kb / 1024)) MB, load $(cut -d' ' -f1 /proc/loadavg)"
    echo "$ms $kb $cpu" >> "$work/$mode.txt"
  done
  echo "$mode median of $rounds: $(cut -d' ' -f1 "$work/$mode.txt" | median) ms wall, $(cut -d' ' -f3 "$work/$mode.txt" | median) ms CPU, max RSS $(( $(cut -d' ' -f2 "$work/$mode.txt" | median) / 1024 )) MB (goals: <= 2000 ms, <= 300 MB)"
done
echo "skipped files named on stderr: $(wc -l < "$work/err.txt"); first: $(head -1 "$work/err.txt")"
head -3 "$work/out.txt"
