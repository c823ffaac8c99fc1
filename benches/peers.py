#!/usr/bin/env python3
"""shmpi beside MPICH and Open MPI, through the C library, one binary.

Builds the peers' benchmark (../shared/peers/mpibench.c) with MPICH's
`mpicc.mpich` and Open MPI's `mpicc.openmpi`, then runs, in interleaved
rounds for each job size:

  shmpi     shmrun -n N mpibench.mpich     (the MPICH-built binary, unchanged,
                                           on shmpi's libmpi.so.12)
  MPICH     mpirun.mpich -n N mpibench.mpich
  Open MPI  mpirun.openmpi --oversubscribe -n N mpibench.ompi

and prints, per job size, a markdown table of the median over rounds of
every line mpibench prints (one-way latency, collectives, barrier; us),
with the ratio of shmpi to the faster peer.

    python3 benches/peers.py                      # n = 2, 3 rounds
    python3 benches/peers.py -n 2 4 8 --rounds 5
    python3 benches/peers.py --no-mpich-above 2   # MPICH busy-polls: skip it
                                                  # when ranks outnumber cores

Needs `cargo build --release` first (it uses target/release/shmrun) and
Debian's mpich, libmpich-dev, openmpi-bin and libopenmpi-dev.
"""

import argparse
import os
import re
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PEERS = os.path.join(os.path.dirname(ROOT), "shared", "peers")
LINE = re.compile(r"^(latency\s+\d+ B|\w+\s+\d+ B|barrier)\s+([0-9.]+) us")


def build(out):
    os.makedirs(out, exist_ok=True)
    src = os.path.join(PEERS, "mpibench.c")
    for cc, exe in (("mpicc.mpich", "mpibench.mpich"), ("mpicc.openmpi", "mpibench.ompi")):
        subprocess.run([cc, "-O2", src, "-o", os.path.join(out, exe)], check=True)


def run(cmd, timeout):
    """The figures of one run, by line name (empty if it failed)."""
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        print(f"# timed out: {' '.join(cmd)}", file=sys.stderr)
        return {}
    if p.returncode != 0:
        print(f"# failed ({p.returncode}): {' '.join(cmd)}\n{p.stderr[-2000:]}", file=sys.stderr)
        return {}
    figures = {}
    for line in p.stdout.splitlines():
        m = LINE.match(line.strip())
        if m:
            figures[" ".join(m.group(1).split())] = float(m.group(2))
    return figures


def label(key):
    """'latency 1048576 B' -> 'latency 1 MiB'."""
    m = re.match(r"(\w+) (\d+) B", key)
    if not m:
        return key
    b = int(m.group(2))
    size = f"{b >> 20} MiB" if b >= 1 << 20 else f"{b >> 10} KiB" if b >= 1024 else f"{b} B"
    return f"{m.group(1)} {size}"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("-n", type=int, nargs="+", default=[2], help="job sizes")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--timeout", type=int, default=300, help="seconds per run")
    ap.add_argument("--no-mpich-above", type=int, default=None, metavar="N",
                    help="skip MPICH for jobs of more than N ranks")
    ap.add_argument("--out", default="/tmp/shmpi-peers", help="where the binaries go")
    args = ap.parse_args()

    shmrun = os.path.join(ROOT, "target", "release", "shmrun")
    if not os.access(shmrun, os.X_OK):
        sys.exit(f"{shmrun} is missing: run `cargo build --release` first")
    build(args.out)
    mpich = os.path.join(args.out, "mpibench.mpich")
    ompi = os.path.join(args.out, "mpibench.ompi")

    for n in args.n:
        impls = {
            "shmpi": [shmrun, "-n", str(n), mpich],
            "MPICH": ["mpirun.mpich", "-n", str(n), mpich],
            "Open MPI": ["mpirun.openmpi", "--allow-run-as-root", "--oversubscribe", "-n", str(n), ompi],
        }
        if args.no_mpich_above is not None and n > args.no_mpich_above:
            del impls["MPICH"]
        runs = {name: [] for name in impls}
        started = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
        for _ in range(args.rounds):
            for name, cmd in impls.items():
                figures = run(cmd, args.timeout)
                if figures:
                    runs[name].append(figures)
        keys = []
        for figs in runs.values():
            for f in figs:
                keys.extend(k for k in f if k not in keys)
        names = list(impls)
        print(f"\n### n = {n}: medians of {args.rounds} interleaved rounds, us ({started})\n")
        print("| | " + " | ".join(names) + " | shmpi / best peer |")
        print("|---|" + "---:|" * (len(names) + 1))
        for k in keys:
            med = {}
            for name in names:
                vals = [f[k] for f in runs[name] if k in f]
                med[name] = statistics.median(vals) if vals else None
            cells = [f"{med[x]:.3f}" if med[x] is not None and med[x] < 10 else
                     f"{med[x]:.1f}" if med[x] is not None else "-" for x in names]
            peers = [med[x] for x in names if x != "shmpi" and med[x] is not None]
            ratio = f"{med['shmpi'] / min(peers):.2f}" if peers and med.get("shmpi") else "-"
            print(f"| {label(k)} | " + " | ".join(cells) + f" | {ratio} |")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
