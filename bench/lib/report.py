#!/usr/bin/env python3
"""Turns one run's raw.tsv + meta.env into summary.md, a gnuplot chart and (with --docs DIR)
DIR/benchmarks.md + DIR/bench/results.png. Every number comes from the raw file: medians over
the rounds, ratios to HAProxy and to the direct baseline computed here."""
import argparse
import os
import shutil
import statistics
import subprocess
from collections import defaultdict

PROXIES = ["haproxy", "nginx", "sniproxy", "ours", "before"]
TARGETS = ["direct"] + PROXIES
# "before": the A side of an A/B in one run (bench/run.sh --before-jar / --before-java-opts)
LABEL = {"direct": "direct (no proxy)", "haproxy": "HAProxy", "nginx": "nginx stream",
         "sniproxy": "sniproxy (C)", "ours": "**sniproxy-java**", "before": "sniproxy-java, before (A/B)"}


def load(out):
    raw = defaultdict(list)  # (workload, target, metric) -> [values]
    with open(os.path.join(out, "raw.tsv")) as f:
        next(f)
        for line in f:
            parts = line.rstrip("\n").split("\t")
            if len(parts) != 5 or parts[4] in ("", "-1"):
                continue
            try:
                raw[(parts[1], parts[2], parts[3])].append(float(parts[4]))
            except ValueError:
                pass
    meta = {}
    with open(os.path.join(out, "meta.env")) as f:
        for line in f:
            k, _, v = line.rstrip("\n").partition("=")
            meta[k] = v
    return raw, meta


def med(raw, w, t, m):
    v = raw.get((w, t, m))
    return statistics.median(v) if v else None


def spread(raw, w, t, m):
    v = raw.get((w, t, m))
    if not v or len(v) < 2:
        return ""
    return f" ({min(v):,.0f}–{max(v):,.0f})"


def fmt(x, digits=0):
    return "n/a" if x is None else f"{x:,.{digits}f}"


def ratio(a, b):
    return "n/a" if a is None or b is None or b == 0 else f"{a / b:.2f}×"


def duration(meta, w=""):
    """Seconds each round of workload w lasted: the cold and QUIC workloads have their own."""
    if w.startswith("cold_") and "cold_duration_s=" in meta.get("cold", ""):
        return float(meta["cold"].split("cold_duration_s=")[1].split()[0])
    if w == "quic" and meta.get("quic_duration_s"):
        return float(meta["quic_duration_s"])
    mode = meta.get("mode", "")
    return float(mode.split("duration_s=")[1].split()[0]) if "duration_s=" in mode else 1.0


def cpu_per(raw, meta, t, w, m, scale, count=False, cpu_metric="cpu_ms"):
    """Median over rounds of the proxy's CPU per unit of work: cpu_ms * scale / (rate * duration),
    or cpu_ms * scale / m when m is a count (the latency workload's requests)."""
    cpu, val = raw.get((w, t, cpu_metric)), raw.get((w, t, m))
    if not cpu or not val:
        return None
    per = [c * scale / (v if count else v * duration(meta, w)) for c, v in zip(cpu, val) if v > 0]
    return statistics.median(per) if per else None


def added_latency(raw, t, m):
    """Per round: target minus direct, then the median over rounds (same-round pairs cancel drift)."""
    tv, dv = raw.get(("latency", t, m)), raw.get(("latency", "direct", m))
    if not tv or not dv:
        return None
    return statistics.median(a - b for a, b in zip(tv, dv))


def kernel_share(raw, t, w):
    """The share of the proxy's CPU spent in the kernel (stime) during workload w, over all rounds."""
    cpu, sys_ = raw.get((w, t, "cpu_ms")), raw.get((w, t, "cpu_sys_ms"))
    if not cpu or not sys_ or sum(cpu) == 0:
        return "n/a"
    return f"{100 * sum(sys_) / sum(cpu):.0f} %"


def warm_costs(raw, meta, t):
    """CPU per unit in the warm rounds: keep-alive µs/request, new-conn µs/connection, bulk ms/GiB,
    latency µs/request."""
    return (cpu_per(raw, meta, t, "keepalive", "rps", 1000.0), cpu_per(raw, meta, t, "newconn", "rps", 1000.0),
            cpu_per(raw, meta, t, "bulk", "mib_s", 1024.0), cpu_per(raw, meta, t, "latency", "requests", 1000.0, True))


def cold_table(raw, meta):
    """The first seconds of a fresh process of each proxy, no warm-up: rates and CPU per unit."""
    if not any(k[0].startswith("cold_") for k in raw):
        return ""
    secs = duration(meta, "cold_keepalive")
    lines = [f"**Cold: the first {secs:.0f} s of a fresh process** (each proxy started afresh for each workload and "
             "measured from its first request, no warm-up; what the first pods of a rollout see; medians over "
             f"{meta.get('cold', '').split('cold_rounds=')[-1].split()[0] if 'cold_rounds=' in meta.get('cold', '') else '?'} rounds)", "",
             "| proxy | keep-alive req/s | ×HAProxy | new-conn req/s | ×HAProxy | bulk MiB/s | ×HAProxy "
             "| CPU µs/request (ka) | µs/connection (nc) | ms/GiB (bulk) | CPU ×HAProxy (ka / nc / bulk) |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    def costs(t):
        return (cpu_per(raw, meta, t, "cold_keepalive", "rps", 1000.0), cpu_per(raw, meta, t, "cold_newconn", "rps", 1000.0),
                cpu_per(raw, meta, t, "cold_bulk", "mib_s", 1024.0))
    h = costs("haproxy")
    for t in PROXIES:
        cells = []
        for w, m, d in (("cold_keepalive", "rps", 0), ("cold_newconn", "rps", 0), ("cold_bulk", "mib_s", 1)):
            v = med(raw, w, t, m)
            cells += [f"{fmt(v, d)}{spread(raw, w, t, m)}", ratio(v, med(raw, w, "haproxy", m))]
        c = costs(t)
        cells += [fmt(c[0], 1), fmt(c[1], 1), fmt(c[2]), f"{ratio(c[0], h[0])} / {ratio(c[1], h[1])} / {ratio(c[2], h[2])}"]
        lines.append(f"| {LABEL[t]} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def tables(raw, meta):
    global TARGETS, PROXIES
    present = {k[1] for k in raw}
    TARGETS = [t for t in TARGETS if t in present or t == "direct"]  # a run with --only skips some
    PROXIES = [t for t in PROXIES if t in present]
    lines = []
    rounds = meta.get("mode", "")
    lines.append("| target | keep-alive req/s | new-conn req/s | bulk 1 MiB MiB/s | p50 µs | p99 µs "
                 "| added p50 / p99 µs | idle KiB/conn |")
    lines.append("|---|---:|---:|---:|---:|---:|---:|---:|")
    for t in TARGETS:
        ka = med(raw, "keepalive", t, "rps")
        nc = med(raw, "newconn", t, "rps")
        bu = med(raw, "bulk", t, "mib_s")
        p50 = med(raw, "latency", t, "p50_us")
        p99 = med(raw, "latency", t, "p99_us")
        add = "—" if t == "direct" else f"{fmt(added_latency(raw, t, 'p50_us'))} / {fmt(added_latency(raw, t, 'p99_us'))}"
        idle = med(raw, "idle", t, "kib_per_conn")
        lines.append(f"| {LABEL[t]} | {fmt(ka)}{spread(raw, 'keepalive', t, 'rps')} | {fmt(nc)}{spread(raw, 'newconn', t, 'rps')} "
                     f"| {fmt(bu, 1)}{spread(raw, 'bulk', t, 'mib_s')} | {fmt(p50)} | {fmt(p99)} | {add} "
                     f"| {'—' if t == 'direct' else fmt(idle, 2)} |")
    lines.append("")
    lines.append("Medians over the rounds; (min–max) across rounds in brackets. Added latency: per round the "
                 "target's percentile minus the direct baseline's, then the median. Idle KiB/conn: the RSS growth "
                 "of a freshly started proxy from 0 to all held connections, divided by their number (one-time "
                 "costs included; the marginal figure is below).")
    lines.append("")
    lines.append("**Ratios** (throughput: higher is better; idle memory: lower is better)")
    lines.append("")
    lines.append("| proxy | keep-alive ×HAProxy | ×direct | new-conn ×HAProxy | ×direct | bulk ×HAProxy | ×direct "
                 "| idle KiB/conn ×HAProxy |")
    lines.append("|---|---:|---:|---:|---:|---:|---:|---:|")
    for t in PROXIES:
        cells = []
        for w, m in (("keepalive", "rps"), ("newconn", "rps"), ("bulk", "mib_s")):
            v = med(raw, w, t, m)
            cells += [ratio(v, med(raw, w, "haproxy", m)), ratio(v, med(raw, w, "direct", m))]
        cells.append(ratio(med(raw, "idle", t, "kib_per_conn"), med(raw, "idle", "haproxy", "kib_per_conn")))
        lines.append(f"| {LABEL[t]} | " + " | ".join(cells) + " |")
    lines.append("")

    # CPU cost of the proxy per unit of work
    lines.append("**Proxy CPU per unit of work** (user+sys of the proxy's processes during the workload, "
                 "from /proc/PID/stat; lower is better; it does not depend on how busy the neighbours were)")
    lines.append("")
    lines.append("| proxy | keep-alive µs/request | new-conn µs/connection | bulk ms/GiB | latency workload µs/request "
                 "| ×HAProxy (ka / nc / bulk / latency) | in the kernel (ka / nc / bulk) |")
    lines.append("|---|---:|---:|---:|---:|---:|---:|")
    costs = {t: warm_costs(raw, meta, t) for t in PROXIES}
    for t in PROXIES:
        ka, nc, bu, la = costs[t]
        h = costs.get("haproxy", (None, None, None, None))
        lines.append(f"| {LABEL[t]} | {fmt(ka, 1)} | {fmt(nc, 1)} | {fmt(bu)} | {fmt(la, 1)} | "
                     f"{ratio(ka, h[0])} / {ratio(nc, h[1])} / {ratio(bu, h[2])} / {ratio(la, h[3])} | "
                     f"{kernel_share(raw, t, 'keepalive')} / {kernel_share(raw, t, 'newconn')} / {kernel_share(raw, t, 'bulk')} |")
    lines.append("")
    lines.append(cold_table(raw, meta))

    # file descriptors after each workload
    lines.append("**Open fds after each workload** (worst round; baseline taken after warm-up)")
    lines.append("")
    ws = ["keepalive", "newconn", "bulk", "latency", "idle"]
    lines.append("| proxy | baseline | " + " | ".join(ws) + " |")
    lines.append("|---|---:|" + "---:|" * len(ws))
    for t in PROXIES:
        base = raw.get(("keepalive", t, "fds_baseline")) or raw.get(("idle", t, "fds_baseline"))
        cells = []
        for w in ws:
            v = raw.get((w, t, "fds"))
            cells.append("n/a" if not v else f"{max(v):.0f}")
        lines.append(f"| {LABEL[t]} | {fmt(base[0] if base else None)} | " + " | ".join(cells) + " |")
    lines.append("")

    # idle details
    lines.append("**Idle connections** (held open through each proxy, RSS of the proxy's processes from "
                 "/proc/PID/status VmRSS)")
    lines.append("")
    lines.append("| proxy | connections held | failed | RSS before KiB | at half KiB | with all KiB "
                 "| KiB/conn (0→all) | KiB/conn (half→all, marginal) | fds held |")
    lines.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for t in PROXIES:
        lines.append(f"| {LABEL[t]} | {fmt(med(raw, 'idle', t, 'open'))} | {fmt(med(raw, 'idle', t, 'failed'))} "
                     f"| {fmt(med(raw, 'idle', t, 'rss_before_kib'))} | {fmt(med(raw, 'idle', t, 'rss_mid_kib'))} "
                     f"| {fmt(med(raw, 'idle', t, 'rss_after_kib'))} "
                     f"| {fmt(med(raw, 'idle', t, 'kib_per_conn'), 2)} "
                     f"| {fmt(med(raw, 'idle', t, 'kib_per_conn_marginal'), 2)} | {fmt(med(raw, 'idle', t, 'fds_held'))} |")
    lines.append("")

    # quic / udp
    qd, qo = med(raw, "quic", "direct", "dgrams_s"), med(raw, "quic", "ours", "dgrams_s")
    if qd is None and qo is None:
        return "\n".join(lines + startup_line(raw))
    lines.append("**QUIC datagram forwarding** (one session opened by a real QUIC v1 Initial with SNI, then "
                 f"1,200-byte datagrams with a window of {meta.get('quic_window', '32')} in flight, echoed by a UDP "
                 f"backend; pinning: {meta.get('quic_pinning', 'none')})")
    lines.append("")
    lines.append("| target | datagrams/s echoed | ×direct | proxy CPU µs/datagram echoed | sender CPU µs/datagram "
                 "| echo CPU µs/datagram | datagrams lost |")
    lines.append("|---|---:|---:|---:|---:|---:|---:|")

    def ends(t):
        return (f"{fmt(cpu_per(raw, meta, t, 'quic', 'dgrams_s', 1000.0, cpu_metric='sender_cpu_ms'), 1)} "
                f"| {fmt(cpu_per(raw, meta, t, 'quic', 'dgrams_s', 1000.0, cpu_metric='echo_cpu_ms'), 1)} "
                f"| {fmt(med(raw, 'quic', t, 'lost'))}")
    lines.append(f"| direct | {fmt(qd)} | 1.00× | — | {ends('direct')} |")
    qr = med(raw, "quic", "relay", "dgrams_s")
    if qr is not None:
        lines.append(f"| reference C relay (`bench/lib/udp_relay.c`) | {fmt(qr)} | {ratio(qr, qd)} "
                     f"| {fmt(cpu_per(raw, meta, 'relay', 'quic', 'dgrams_s', 1000.0), 1)} | {ends('relay')} |")
    qb = med(raw, "quic", "before", "dgrams_s")
    if qb is not None:
        lines.append(f"| {LABEL['before']} | {fmt(qb)} | {ratio(qb, qd)} "
                     f"| {fmt(cpu_per(raw, meta, 'before', 'quic', 'dgrams_s', 1000.0), 1)} | {ends('before')} |")
    if qo is None:
        lines.append(f"| sniproxy-java | n/a: {meta.get('quic_unavailable', 'no quic listener in this build')} | n/a | n/a | | | |")
    else:
        lines.append(f"| sniproxy-java | {fmt(qo)} | {ratio(qo, qd)} | {fmt(cpu_per(raw, meta, 'ours', 'quic', 'dgrams_s', 1000.0), 1)} "
                     f"| {ends('ours')} |")
    lines.append("")

    lines += startup_line(raw)
    return "\n".join(lines)


def startup_line(raw):
    su = med(raw, "startup", "ours", "startup_ms")
    if su is None:
        return []
    lines = []
    rss = med(raw, "startup", "ours", "idle_rss_kib")
    scpu = med(raw, "startup", "ours", "startup_cpu_ms")
    lines.append(f"**sniproxy-java start-up**: {fmt(su)} ms from exec of `bin/sniproxy` to `/q/health/ready` UP "
                 f"(median of {len(raw.get(('startup', 'ours', 'startup_ms'), []))}; {fmt(scpu)} ms of CPU); idle RSS "
                 f"{fmt(rss / 1024 if rss else None, 1)} MiB.")
    lines.append("")

    return lines


def targets_check(raw, meta):
    """The issue's targets for sniproxy-java, each computed from this run and marked met or not."""
    if "ours" not in PROXIES:
        return ""
    rows = ["| target (issue 13) | this run | met? |", "|---|---:|:---:|"]

    def r(w, m, base):
        a, b = med(raw, w, "ours", m), med(raw, w, base, m)
        return None if a is None or not b else a / b

    def c(w, m, scale):
        a, b = cpu_per(raw, meta, "ours", w, m, scale), cpu_per(raw, meta, "haproxy", w, m, scale)
        return None if a is None or not b else a / b

    x = "{:.2f}×"
    checks = [
        ("cold keep-alive ≥ 1.0× HAProxy", r("cold_keepalive", "rps", "haproxy"), lambda v: v >= 1.0, x),
        ("cold new connection ≥ 1.0× HAProxy", r("cold_newconn", "rps", "haproxy"), lambda v: v >= 1.0, x),
        ("cold bulk ≥ 1.0× HAProxy", r("cold_bulk", "mib_s", "haproxy"), lambda v: v >= 1.0, x),
        ("cold CPU per new connection ≤ 1.5× HAProxy", c("cold_newconn", "rps", 1000.0), lambda v: v <= 1.5, x),
        ("warm CPU per keep-alive request ≤ 0.8× HAProxy", c("keepalive", "rps", 1000.0), lambda v: v <= 0.8, x),
        ("warm CPU per new connection ≤ 0.8× HAProxy", c("newconn", "rps", 1000.0), lambda v: v <= 0.8, x),
        ("warm CPU per bulk MiB ≤ 0.9× HAProxy", c("bulk", "mib_s", 1024.0), lambda v: v <= 0.9, x),
        ("warm keep-alive ≥ 1.1× HAProxy", r("keepalive", "rps", "haproxy"), lambda v: v >= 1.1, x),
        ("warm new connection ≥ 1.1× HAProxy", r("newconn", "rps", "haproxy"), lambda v: v >= 1.1, x),
        ("warm bulk ≥ 1.1× HAProxy", r("bulk", "mib_s", "haproxy"), lambda v: v >= 1.1, x),
        ("start-up to ready ≤ 0.5 s (AOT cache)", med(raw, "startup", "ours", "startup_ms"), lambda v: v <= 500, "{:,.0f} ms"),
        ("idle RSS per connection ≤ 4 KiB (0→all)", med(raw, "idle", "ours", "kib_per_conn"), lambda v: v <= 4, "{:.2f} KiB"),
        ("QUIC ≥ 0.9× direct, window in flight", r("quic", "dgrams_s", "direct"), lambda v: v >= 0.9, x),
    ]
    for name, v, ok, f in checks:
        rows.append(f"| {name} | {'n/a' if v is None else f.format(v)} | {'n/a' if v is None else ('yes' if ok(v) else '**no**')} |")
    base = raw.get(("keepalive", "ours", "fds_baseline"))
    # Cold workloads start fresh processes whose baseline is taken before their first connection.
    worst = max((max(v) for (w, t, m), v in raw.items()
                 if t == "ours" and m == "fds" and w != "idle" and not w.startswith("cold_")), default=None)
    if base and worst is not None:
        rows.append(f"| open fds back at baseline after every workload | worst {worst:.0f} vs baseline {base[0]:.0f} "
                    f"| {'yes' if worst <= base[0] else '**no**'} |")
    return "\n".join(rows) + "\n"


# What bench/lib/wakeup_cost.c measured: only in runs since it exists, and only where a C compiler was.
MACHINE_COSTS = ["syscall_us", "wakeup_round_trip_same_cpu_us", "wakeup_round_trip_cross_cpu_us"]


def machine(meta):
    keys = ["cpu", "memory", "kernel", "haproxy", "nginx", "sniproxy", "wrk", "h2load", "java",
            "ours_start", "ours_java_opts", "ours_jvm", "before_jar", "before_java_opts", "git", "mode", "cold", "loadavg_start", "loadavg_end"]
    keys[3:3] = [k for k in MACHINE_COSTS if k in meta]
    return "\n".join(f"- {k}: `{meta.get(k, '?')}`" for k in keys)


def chart(raw, out):
    dat = os.path.join(out, "chart.dat")
    with open(dat, "w") as f:
        f.write("# proxy keepalive newconn bulk\n")
        for t in PROXIES:
            vals = []
            for w, m in (("keepalive", "rps"), ("newconn", "rps"), ("bulk", "mib_s")):
                v, d = med(raw, w, t, m), med(raw, w, "direct", m)
                vals.append(f"{v / d:.3f}" if v and d else "0")
            f.write(f"\"{LABEL[t].strip('*')}\" " + " ".join(vals) + "\n")
    png = os.path.join(out, "results.png")
    script = f"""
set terminal pngcairo size 900,480 font 'DejaVu Sans,10'
set output '{png}'
set title 'Throughput relative to the direct (no proxy) baseline — higher is better'
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set boxwidth 0.9
set xrange [-0.6:{len(PROXIES) - 0.4}]
set yrange [0:*]
set ylabel 'x direct'
set grid ytics
set key outside bottom center horizontal
set arrow from graph 0, first 1 to graph 1, first 1 nohead dt 2 lc rgb '#555555'
plot '{dat}' using 2:xtic(1) title 'keep-alive req/s', '' using 3 title 'new-connection req/s', '' using 4 title 'bulk 1 MiB MiB/s'
"""
    subprocess.run(["gnuplot"], input=script.encode(), check=True)
    return png


def levers(results_dir, levers_file):
    """The A/B table: for each lever (before-run, after-run), ours' medians and HAProxy's in each run.
    A row naming one run twice is an A/B within that run: its target "before" is the A side, "ours" the B
    side, and HAProxy's figures are the same run's for both."""
    if not os.path.exists(levers_file):
        return "(no lever measured yet)"
    rows = ["| lever | new-conn CPU µs/conn | keep-alive CPU µs/request | cold new-conn CPU µs/conn | keep-alive req/s "
            "| new-conn req/s | bulk MiB/s | cold new-conn req/s | QUIC datagrams/s (CPU µs/datagram) | added p99 µs "
            "| idle KiB/conn | runs |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"]
    metrics = (("keepalive", "rps", 0), ("newconn", "rps", 0), ("bulk", "mib_s", 1))
    for line in open(levers_file):
        if not line.strip() or line.startswith("#"):
            continue
        name, before, after = line.rstrip("\n").split("\t")[:3]
        try:
            rb, mb = load(os.path.join(results_dir, before))
            ra, ma = load(os.path.join(results_dir, after))
        except OSError:
            rows.append(f"| {name} | raw results {before} / {after} missing | | | | | | | | | | |")
            continue
        if before == after:
            rb = before_side(rb)
        cb, ca = cpu_per(rb, mb, "ours", "newconn", "rps", 1000.0), cpu_per(ra, ma, "ours", "newconn", "rps", 1000.0)
        hb = cpu_per(rb, mb, "haproxy", "newconn", "rps", 1000.0)
        ha = cpu_per(ra, ma, "haproxy", "newconn", "rps", 1000.0)
        cells = [f"{fmt(cb)} → {fmt(ca)} ({ratio(cb, hb)} → {ratio(ca, ha)} HAProxy)"]
        kb, ka = cpu_per(rb, mb, "ours", "keepalive", "rps", 1000.0), cpu_per(ra, ma, "ours", "keepalive", "rps", 1000.0)
        khb, kha = cpu_per(rb, mb, "haproxy", "keepalive", "rps", 1000.0), cpu_per(ra, ma, "haproxy", "keepalive", "rps", 1000.0)
        cells.append(f"{fmt(kb, 1)} → {fmt(ka, 1)} ({ratio(kb, khb)} → {ratio(ka, kha)} HAProxy)")
        ccb, cca = (cpu_per(rb, mb, "ours", "cold_newconn", "rps", 1000.0), cpu_per(ra, ma, "ours", "cold_newconn", "rps", 1000.0))
        chb, cha = (cpu_per(rb, mb, "haproxy", "cold_newconn", "rps", 1000.0), cpu_per(ra, ma, "haproxy", "cold_newconn", "rps", 1000.0))
        cells.append(f"{fmt(ccb)} → {fmt(cca)} ({ratio(ccb, chb)} → {ratio(cca, cha)} HAProxy)")
        for w, m, d in metrics + (("cold_newconn", "rps", 0),):
            b, a = med(rb, w, "ours", m), med(ra, w, "ours", m)
            hb, ha = med(rb, w, "haproxy", m), med(ra, w, "haproxy", m)
            cells.append(f"{fmt(b, d)} → {fmt(a, d)} ({ratio(b, hb)} → {ratio(a, ha)} HAProxy)")
        qb, qa = med(rb, "quic", "ours", "dgrams_s"), med(ra, "quic", "ours", "dgrams_s")
        qcb, qca = cpu_per(rb, mb, "ours", "quic", "dgrams_s", 1000.0), cpu_per(ra, ma, "ours", "quic", "dgrams_s", 1000.0)
        cells.append(f"{fmt(qb)} → {fmt(qa)} ({ratio(qb, med(rb, 'quic', 'direct', 'dgrams_s'))} → "
                     f"{ratio(qa, med(ra, 'quic', 'direct', 'dgrams_s'))} direct; {fmt(qcb, 1)} → {fmt(qca, 1)} µs)")
        cells.append(f"{fmt(added_latency(rb, 'ours', 'p99_us'))} → {fmt(added_latency(ra, 'ours', 'p99_us'))}")
        cells.append(f"{fmt(med(rb, 'idle', 'ours', 'kib_per_conn'), 2)} → {fmt(med(ra, 'idle', 'ours', 'kib_per_conn'), 2)}")
        cells.append(f"`{before}` (A/B in one run)" if before == after else f"`{before}` → `{after}`")
        rows.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(rows)


def before_side(raw):
    """One run's figures with its "before" target in ours' place (the A side of an in-run A/B)."""
    side = {k: v for k, v in raw.items() if k[1] not in ("ours", "before")}
    side.update({(w, "ours", m): v for (w, t, m), v in raw.items() if t == "before"})
    return side


def other_runs(results_dir, this_stamp):
    """Every kept full run (all proxies, 3+ rounds) side by side: the run-to-run noise, visible."""
    rows = []
    columns = [[], [], [], []]
    for d in sorted(os.listdir(results_dir)) if os.path.isdir(results_dir) else []:
        try:
            raw, meta = load(os.path.join(results_dir, d))
        except OSError:
            continue
        mode = meta.get("mode", "")
        if not mode.startswith("full") or "rounds=" not in mode or int(mode.split("rounds=")[1].split()[0]) < 3:
            continue
        if not all(any(k[1] == t for k in raw) for t in ("haproxy", "nginx", "sniproxy", "ours")):
            continue
        cells = []
        for i, (w, m) in enumerate((("keepalive", "rps"), ("newconn", "rps"), ("bulk", "mib_s"))):
            ours, hap = med(raw, w, "ours", m), med(raw, w, "haproxy", m)
            cells.append(ratio(ours, hap))
            if ours and hap:
                columns[i].append(ours / hap)
        idle = med(raw, "idle", "ours", "kib_per_conn")
        cells.append(fmt(idle, 2))
        if idle:
            columns[3].append(idle)
        cells.append(meta.get("loadavg_start", "?"))
        cells.append(meta.get("cpu", "?"))
        mark = " (this run)" if d == this_stamp else ""
        rows.append(f"| `{d}`{mark} | " + " | ".join(cells) + " |")
    if not rows:
        return ""
    medians = [f"{statistics.median(c):.2f}×" if c else "n/a" for c in columns[:3]]
    medians.append(f"{statistics.median(columns[3]):.2f}" if columns[3] else "n/a")
    rows.append(f"| **median of these {len(rows)} runs** | " + " | ".join(medians) + " | | |")
    return "\n".join(["**Every kept full run** (sniproxy-java ×HAProxy; the builds differ by the levers above, "
                      "the spread between runs is mostly noise; the machine is named because the VM under the bench "
                      "changed between sessions)", "",
                      "| run | keep-alive | new-conn | bulk | idle KiB/conn | load average at start | cpu |",
                      "|---|---:|---:|---:|---:|---|---|"] + rows) + "\n"


def main():
    p = argparse.ArgumentParser()
    p.add_argument("out")
    p.add_argument("--docs")
    a = p.parse_args()
    raw, meta = load(a.out)
    qfile = os.path.join(a.out, "quic-unavailable.txt")
    if os.path.exists(qfile):
        meta["quic_unavailable"] = "no working quic listener in this build (" + open(qfile).read().strip()[:120] + ")"
    body = tables(raw, meta)
    stamp = meta.get("stamp", "?")
    summary = (f"## Results of run {stamp}\n\nCommand: `{meta.get('command', '?')}` "
               f"({meta.get('mode', '')})\n\n{targets_check(raw, meta)}\n{body}\n### Machine\n\n{machine(meta)}\n")
    with open(os.path.join(a.out, "summary.md"), "w") as f:
        f.write(summary)
    png = chart(raw, a.out)
    if a.docs:
        os.makedirs(os.path.join(a.docs, "bench"), exist_ok=True)
        shutil.copy(png, os.path.join(a.docs, "bench", "results.png"))
        here = os.path.dirname(os.path.abspath(__file__))
        with open(os.path.join(here, "..", "benchmarks.md.in")) as f:
            template = f.read()
        rel = os.path.relpath(a.out, os.path.join(here, "..", ".."))
        lever_table = levers(os.path.join(here, "..", "results"), os.path.join(here, "..", "levers.tsv"))
        doc = (template.replace("@@RESULTS@@", summary.replace("## Results", "## Results"))
               .replace("@@LEVERS@@", lever_table)
               .replace("@@RUNS@@", other_runs(os.path.join(here, "..", "results"), stamp))
               .replace("@@RAW@@", rel))
        with open(os.path.join(a.docs, "benchmarks.md"), "w") as f:
            f.write(doc)
    print(summary)


if __name__ == "__main__":
    main()
