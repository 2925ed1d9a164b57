#!/usr/bin/env python3
"""Writes docs/performance.md from the raw results of tools/bench.sh.

    tools/bench_report.py RESULTS_DIR OUTPUT.md

RESULTS_DIR holds Google Benchmark JSON (log, metrics, growth, otlp), `go test -bench` text
(go.txt), the webhook benchmark's table (webhook.txt) and the scripts' `@result KEY VALUE UNIT`
lines (machine, http_compare, controller, localkube, mover). Every figure in the output comes
from those files; a missing one shows as "–" and its section says it was not run. Figures are
medians of the repetitions; ratios are alternative ÷ kopiur (above 1: kopiur is faster).
"""
import json
import os
import re
import statistics
import sys

UNIT_NS = {"ns": 1.0, "us": 1e3, "ms": 1e6, "s": 1e9}
DASH = "–"


# --- reading ----------------------------------------------------------------------------------


def read_text(results, name):
    path = os.path.join(results, name)
    if not os.path.exists(path):
        return ""
    with open(path, encoding="utf-8") as f:
        return f.read()


def read_gbench(results, name):
    """Google Benchmark JSON: {normalised run name: {"cpu": ns, "real": ns, counters...}}, medians
    of the iteration entries (aggregates are recomputed so 1 repetition works too)."""
    text = read_text(results, name + ".json")
    if not text:
        return {}
    runs = {}
    for b in json.loads(text).get("benchmarks", []):
        if b.get("run_type", "iteration") != "iteration" or b.get("error_occurred"):
            continue
        key = re.sub(r"/(iterations|repeats|min_time|real_time)(:[^/]*)?", "",
                     b.get("run_name", b["name"]))
        scale = UNIT_NS[b.get("time_unit", "ns")]
        entry = {"cpu": b["cpu_time"] * scale, "real": b["real_time"] * scale}
        for k, v in b.items():
            if isinstance(v, (int, float)) and k not in entry and k not in (
                    "cpu_time", "real_time", "iterations", "repetitions", "repetition_index",
                    "threads", "family_index", "per_family_instance_index"):
                entry[k] = v
        runs.setdefault(key, []).append(entry)
    return {k: {f: statistics.median(e[f] for e in v if f in e) for f in v[0]}
            for k, v in runs.items()}


GO_LINE = re.compile(r"^(Benchmark\S+?)(?:-(\d+))?\s+(\d+)\s+(.*)$")


def read_go(results):
    """`go test -bench` lines: {(name, procs): {unit: median}}; ns/op of a parallel benchmark is
    multiplied by its procs, so it is per goroutine as Google Benchmark's per-thread figure is."""
    runs = {}
    for line in read_text(results, "go.txt").splitlines():
        m = GO_LINE.match(line.strip())
        if not m:
            continue
        procs = int(m.group(2) or 1)
        fields = m.group(4).split()
        entry = {}
        for value, unit in zip(fields[0::2], fields[1::2]):
            try:
                entry[unit] = float(value)
            except ValueError:
                pass
        if "ns/op" in entry:
            entry["ns/op"] *= procs
        runs.setdefault((m.group(1), procs), []).append(entry)
    return {k: {u: statistics.median(e[u] for e in v if u in e) for u in v[0]}
            for k, v in runs.items()}


def read_results(results, *names):
    """`@result KEY VALUE UNIT` lines and `key: value` lines of the given text files."""
    out = {}
    for name in names:
        for line in read_text(results, name).splitlines():
            parts = line.split()
            if len(parts) >= 3 and parts[0] == "@result":
                try:
                    out[parts[1]] = float(parts[2])
                except ValueError:
                    out[parts[1]] = parts[2]
            elif name == "machine.txt" and ": " in line:
                k, v = line.split(": ", 1)
                out["machine." + k] = v.strip()
    return out


# --- formatting -------------------------------------------------------------------------------


def num(v, digits=3):
    """A figure with `digits` significant digits and thousands separators."""
    if v is None:
        return DASH
    if v == 0:
        return "0"
    mag = len(str(int(abs(v)))) if abs(v) >= 1 else 0
    dec = max(0, digits - mag) if abs(v) >= 1 else digits - 1 + len(
        re.match(r"0\.(0*)", f"{abs(v):.12f}").group(1))
    return f"{v:,.{dec}f}"


def ns(v):
    if v is None:
        return DASH
    if v >= 1e6:
        return num(v / 1e6) + " ms"
    if v >= 1e3:
        return num(v / 1e3) + " µs"
    return num(v) + " ns"


def ratio(alt, base):
    if alt is None or base is None or base == 0:
        return DASH
    return num(alt / base, 2) + "×"


def table(header, rows):
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(out)


# --- sections ---------------------------------------------------------------------------------


def cpu(runs, name):
    r = runs.get(name)
    return r["cpu"] if r else None


def go_ns(go, name, procs=1):
    r = go.get((name, procs))
    return r.get("ns/op") if r else None


def logging_section(log, go):
    rows = []
    spec = [
        ("raw relaxed atomic load (the floor)", "BM_Baseline_RelaxedAtomicLoad", None, None),
        ("filtered-out debug event, 3 fields", "BM_Kopiur_FilteredOutDebug",
         "BM_Spdlog_FilteredOutDebug", "BenchmarkZapFilteredOutDebug"),
        ("enabled text line: span with 3 fields + 3 event fields", "BM_Kopiur_TextSpan3Fields",
         "BM_Spdlog_Text3Args", "BenchmarkZapInfoConsole"),
        ("enabled JSON line, same content", "BM_Kopiur_JsonSpan3Fields", "BM_Spdlog_Json3Args",
         "BenchmarkZapInfoJSON"),
        ("text line through FdSink to /dev/null (one write(2))",
         "BM_Kopiur_TextSpan3Fields_DevNullFd", None, None),
    ]
    for label, k, s, z in spec:
        kv, sv, zv = cpu(log, k), cpu(log, s) if s else None, go_ns(go, z) if z else None
        rows.append([label, ns(kv), ns(sv), ratio(sv, kv), ns(zv), ratio(zv, kv)])
    return table(["operation", "kopiur_log", "spdlog", "spdlog ÷ kopiur", "zap", "zap ÷ kopiur"],
                 rows)


def recording_section(metrics, go):
    spec = [
        ("bare relaxed `fetch_add` (the floor)", "BM_Baseline_RelaxedFetchAdd", None, None, 2),
        ("counter add, bound handle", "BM_Kopiur_BoundCounterAdd",
         "BM_PromCpp_BoundCounterIncrement", "BenchmarkCounterAddBound", 2),
        ("counter add resolving 3 attributes each call", "BM_Kopiur_CounterAdd3Attributes",
         "BM_PromCpp_FamilyAdd3LabelsIncrement", "BenchmarkCounterAdd3Labels", 2),
        ("histogram record, bound, outside a span", "BM_Kopiur_HistogramRecord",
         "BM_PromCpp_HistogramObserve", "BenchmarkHistogramObserve", 2),
        ("histogram record, bound, inside a span", "BM_Kopiur_HistogramRecordInSpan",
         "BM_PromCpp_HistogramObserve", "BenchmarkHistogramObserve", 2),
        ("histogram record, bound, exemplars off", "BM_Kopiur_HistogramRecordNoExemplars",
         "BM_PromCpp_HistogramObserve", "BenchmarkHistogramObserve", 2),
        ("histogram record resolving 3 attributes", "BM_Kopiur_HistogramRecord3Attributes",
         "BM_PromCpp_HistogramAdd3LabelsObserve", None, 1),
        ("same, inside a span", "BM_Kopiur_HistogramRecord3AttributesInSpan",
         "BM_PromCpp_HistogramAdd3LabelsObserve", None, 1),
        ("gauge set, bound", "BM_Kopiur_GaugeSet", "BM_PromCpp_GaugeSet", "BenchmarkGaugeSet", 2),
    ]
    rows = []
    for label, k, p, g, threads in spec:
        for t in range(1, threads + 1):
            kv = cpu(metrics, f"{k}/threads:{t}")
            pv = cpu(metrics, f"{p}/threads:{t}") if p else None
            gv = go_ns(go, g, t) if g else None
            rows.append([label if t == 1 else "same, 2 threads", str(t), ns(kv), ns(pv),
                         ratio(pv, kv), ns(gv), ratio(gv, kv)])
    return table(["operation", "threads", "kopiur_metrics", "prometheus-cpp",
                  "prometheus-cpp ÷ kopiur", "client_golang", "client_golang ÷ kopiur"], rows)


def series_counts(growth, go):
    found = set()
    for key in growth:
        m = re.match(r"BM_\w+?_(Render|CollectSerialize|MemoryPerSeries)/(\d+)$", key)
        if m:
            found.add(int(m.group(2)))
    for name, _ in go:
        m = re.match(r"Benchmark(Render|MemoryPerSeries)/(\d+)$", name)
        if m:
            found.add(int(m.group(2)))
    return sorted(found)


def rendering_section(growth, go):
    rows = []
    for n in series_counts(growth, go):
        k = growth.get(f"BM_Kopiur_Render/{n}")
        p = growth.get(f"BM_PromCpp_CollectSerialize/{n}")
        g = go.get((f"BenchmarkRender/{n}", 1))
        kv, pv = (k or {}).get("cpu"), (p or {}).get("cpu")
        gv = (g or {}).get("ns/op")
        size = (k or {}).get("bytes")
        rows.append([f"{n:,}", num(size / 1e6) + " MB" if size else DASH, ns(kv), ns(pv),
                     ratio(pv, kv), ns(gv), ratio(gv, kv)])
    return table(["gauge series", "kopiur body", "kopiur_metrics", "prometheus-cpp",
                  "prometheus-cpp ÷ kopiur", "client_golang", "client_golang ÷ kopiur"], rows)


def memory_section(growth, go):
    rows = []
    for n in series_counts(growth, go):
        kv = (growth.get(f"BM_Kopiur_MemoryPerSeries/{n}") or {}).get("bytes_per_series")
        pv = (growth.get(f"BM_PromCpp_MemoryPerSeries/{n}") or {}).get("bytes_per_series")
        gv = (go.get((f"BenchmarkMemoryPerSeries/{n}", 1)) or {}).get("B/series")
        b = lambda v: DASH if v is None else num(v) + " B"
        rows.append([f"{n:,}", b(kv), b(pv), ratio(pv, kv), b(gv), ratio(gv, kv)])
    return table(["gauge series", "kopiur_metrics", "prometheus-cpp", "prometheus-cpp ÷ kopiur",
                  "client_golang", "client_golang ÷ kopiur"], rows)


def otlp_section(otlp):
    rows = []
    for label, name in [("INFO event, 3 fields, inside a span", "BM_LogEvent"),
                        ("span create + enter + close", "BM_Span"),
                        ("counter add, 3 attributes resolved per call", "BM_CounterAdd3Attributes"),
                        ("histogram record, bound", "BM_HistogramRecordBound")]:
        modes = [otlp.get(f"{name}/mode(0=off,1=dead,2=alive):{m}") for m in range(3)]
        cell = lambda r: DASH if r is None else f"{ns(r['cpu'])} / {ns(r['real'])}"
        off, dead = modes[0], modes[1]
        rows.append([label, cell(off), cell(dead),
                     ratio(dead and dead["cpu"], off and off["cpu"]), cell(modes[2])])
    return table(["operation", "off (CPU / wall)", "dead (CPU / wall)", "dead ÷ off (CPU)",
                  "alive (CPU / wall)"], rows)


def scrape_section(scrape):
    rows = []
    keys = sorted({int(k.rsplit("/", 1)[1]) for k in scrape if "ScrapeHttp/" in k})
    for n in keys:
        k = scrape.get(f"BM_Kopiur_ScrapeHttp/{n}")
        p = scrape.get(f"BM_PromCpp_ScrapeHttp/{n}")
        kv, pv = (k or {}).get("real"), (p or {}).get("real")
        size = lambda e: DASH if not e or "bytes" not in e else num(e["bytes"] / 1e6) + " MB"
        rows.append([f"{n:,}", ns(kv), size(k), ns(pv), size(p), ratio(pv, kv)])
    return table(["gauge series", "kopiur (HttpServer + PrometheusReader)", "body",
                  "prometheus-cpp Exposer", "body", "prometheus-cpp ÷ kopiur"], rows)


def otlp_export_section(scrape):
    rows = []
    keys = sorted({int(k.rsplit("/", 1)[1]) for k in scrape if "OtlpExport/" in k})
    for n in keys:
        e = scrape.get(f"BM_Kopiur_OtlpExport/{n}") or {}
        req = e.get("request_bytes")
        rows.append([f"{n:,}", ns(e.get("real")), ns(e.get("cpu")),
                     DASH if req is None else num(req / 1e6) + " MB"])
    return table(["gauge points", "one export (wall)", "CPU of the calling thread",
                  "request size"], rows)


def r(res, key, digits=3, unit=""):
    v = res.get(key)
    if v is None or isinstance(v, str):
        return DASH
    return num(v, digits) + unit


def http_section(res):
    servers = [("kopiur", "kopiur-controller (kopiur_http, Asio/Beast)"),
               ("promcpp", "prometheus-cpp 1.0.1 Exposer (civetweb)"),
               ("promhttp", "client_golang promhttp"),
               ("promhttp_process", "client_golang promhttp, process_* computed live")]
    rows = []
    base = res.get("http.kopiur.requests_per_second")
    for key, label in servers:
        rps = res.get(f"http.{key}.requests_per_second")
        if f"http.{key}.stalled_open" in res:
            probe = res.get(f"http.{key}.stalled_probe_ms")
            stall = (f"{r(res, f'http.{key}.stalled_open')} open; "
                     f"{num(res[f'http.{key}.stalled_rss_before'] / 1024)} → "
                     f"{num(res[f'http.{key}.stalled_rss_after'] / 1024)} MiB; probe "
                     + ("timed out after 10 s" if probe is None or probe < 0
                        else num(probe) + " ms"))
        else:
            stall = DASH
        rows.append([label, r(res, f"http.{key}.body", 3, " B"), r(res, f"http.{key}.requests_per_second"),
                     ratio(base, rps) if key != "kopiur" else DASH,
                     r(res, f"http.{key}.p50_ms", 3, " ms"), r(res, f"http.{key}.p99_ms", 3, " ms"),
                     stall])
    return table(["server", "body", "req/s", "kopiur ÷ it (req/s)", "p50", "p99",
                  "1,000 stalled connections: opened, RSS, a probe's time"], rows)


def controller_section(res):
    n = res.get("controller.backups")
    nn = f"{int(n):,}" if n else "N"
    mib = lambda k: DASH if k not in res else num(res[k] / 1024) + " MiB"
    per = DASH
    if n and "controller.warn.rss" in res and "controller.idle_rss" in res:
        per = num((res["controller.warn.rss"] - res["controller.idle_rss"]) * 1024 / n) + " B"
    rows = [
        ["idle RSS (every kind listed, no objects)", mib("controller.idle_rss")],
        [f"RSS with {nn} Backups cached and reconciled, `RUST_LOG=warn`", mib("controller.warn.rss")],
        [f"same, `RUST_LOG=info`", mib("controller.info.rss")],
        ["RSS per cached Backup (warn, over idle)", per],
        [f"start to `/readyz` 200 with {nn} Backups", r(res, "controller.warn.ready_seconds", 3, " s")],
        [f"start to {nn} reconciles done (warn)", r(res, "controller.warn.done_seconds", 3, " s")],
        ["reconciles per second (first to last reconcile log line)",
         r(res, "controller.reconciles_per_second", 3)],
        [f"creating the {nn} Backups (one client, kopiur-localkube)",
         r(res, "controller.create_seconds", 3, " s")],
    ]
    return table(["figure", "value"], rows)


def webhook_section(text):
    rows = []
    for line in text.splitlines():
        m = re.match(r"^\|\s*(\d+)\s*\|\s*(\d+)\s*\|\s*([\d.]+)\s*\|\s*([\d.]+)\s*\|\s*([\d.]+)\s*\|"
                     r"\s*([\d.]+)\s*\|$", line)
        if m:
            c, n, rps, p50, p99, mx = (float(x) for x in m.groups())
            rows.append([f"{int(c)}", f"{int(n):,}", num(rps), num(p50), num(p99), num(mx)])
    m = re.search(r"in-process handle\(\): ([\d.]+) µs per review", text)
    handle = num(float(m.group(1))) + " µs" if m else DASH
    return table(["clients", "reviews", "reviews/s", "p50 µs", "p99 µs", "max µs"], rows), handle


def localkube_section(res):
    keys = sorted({tuple(k.split(".")[1:3]) for k in res if k.startswith("localkube.")},
                  key=lambda t: (int(t[0]), t[1] != "memory"))
    rows = []
    for n, mode in keys:
        p = f"localkube.{n}.{mode}."
        rows.append([f"{int(n):,}", "yes" if mode == "data-dir" else "no",
                     r(res, p + "creates_per_second"),
                     f"{r(res, p + 'create_p50_ms')} / {r(res, p + 'create_p99_ms')} / "
                     f"{r(res, p + 'create_max_ms')}",
                     f"{r(res, p + 'list_median_ms')} / {r(res, p + 'list_max_ms')} ms "
                     f"({r(res, p + 'list_mb')} MB)",
                     r(res, p + "rss_per_backup", 3, " B"),
                     f"{r(res, p + 'fdatasync_p50_ms')} / {r(res, p + 'fdatasync_p99_ms')}"
                     if mode == "data-dir" else DASH])
    main = table(["N", "`--data-dir`", "creates/s", "p50 / p99 / max ms", "LIST of all (median / max)",
                  "RSS per Backup", "fdatasync p50 / p99 ms"], rows)
    extra = []
    for n, mode in keys:
        p = f"localkube.{n}.{mode}."
        if p + "watch_first_ms" not in res:
            continue
        ratio_restart = DASH
        if p + "rss_after_restart" in res and p + "rss_after_updates" in res:
            ratio_restart = num(res[p + "rss_after_updates"] / res[p + "rss_after_restart"], 3)
        extra.append([f"{int(n):,}", f"{r(res, p + 'watch_first_ms')} / {r(res, p + 'watch_last_ms')} ms",
                      f"{r(res, p + 'updates_per_second')}; {r(res, p + 'update_p50_ms')} / "
                      f"{r(res, p + 'update_p99_ms')} / {r(res, p + 'update_max_ms')} ms",
                      f"{num(res.get(p + 'rss_after_updates', 0) / 1024)} / "
                      f"{num(res.get(p + 'rss_after_restart', 0) / 1024)} MiB ({ratio_restart})"])
    if extra:
        main += "\n\n" + table(["N, `--data-dir`", "one create to 100 watchers: first / last",
                                "merge patch of every Backup: per second; p50 / p99 / max",
                                "RSS after the patches / after a restart on that state"], extra)
    return main


def mover_section(res):
    size = res.get("mover.size_mb")
    rate = lambda k: (DASH if not size or not res.get(k) else num(size / res[k]) + " MiB/s")
    rows = [["floor: `tar -cf - data \\| sha256sum`", r(res, "mover.floor_seconds", 3, " s"),
             rate("mover.floor_seconds")],
            ["stand-in `snapshot create` (first)", r(res, "mover.backup_seconds", 3, " s"),
             rate("mover.backup_seconds")],
            ["stand-in `snapshot create`, data unchanged", r(res, "mover.unchanged_seconds", 3, " s"),
             rate("mover.unchanged_seconds")],
            ["stand-in `snapshot restore`" + (" (byte-identical, `diff -r`)"
                                              if res.get("mover.restore_identical") == 1 else ""),
             r(res, "mover.restore_seconds", 3, " s"), rate("mover.restore_seconds")],
            ["`kopiur-mover backup` (connect + snapshot create of unchanged data)",
             r(res, "mover.mover_seconds", 3, " s"),
             "peak RSS of the mover itself " + r(res, "mover.mover_peak_rss", 3, " KiB")]]
    return size, table(["step", "time", "throughput"], rows)


# --- the document -----------------------------------------------------------------------------


def render(results):
    log, metrics = read_gbench(results, "log"), read_gbench(results, "metrics")
    growth, otlp = read_gbench(results, "growth"), read_gbench(results, "otlp")
    go = read_go(results)
    scrape = read_gbench(results, "scrape")
    res = read_results(results, "machine.txt", "http_compare.txt", "controller.txt",
                       "localkube.txt", "mover.txt")
    webhook_table, handle = webhook_section(read_text(results, "webhook.txt"))
    mover_size, mover_table = mover_section(res)
    run_minutes = res.get("machine.run_seconds")
    quick = res.get("machine.mode") == "quick"
    template_path = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                 "bench_report_template.md")
    with open(template_path, encoding="utf-8") as f:
        template = f.read()
    values = {
        "cpu": res.get("machine.cpu", DASH), "cores": res.get("machine.cores", DASH),
        "kernel": res.get("machine.kernel", DASH), "compiler": res.get("machine.compiler", DASH),
        "go": res.get("machine.go", DASH), "date": res.get("machine.date", DASH),
        "load_before": f"{r(res, 'machine.before.load1')} (5 min: {r(res, 'machine.before.load5')})",
        "load_after": f"{r(res, 'machine.after.load1')} (5 min: {r(res, 'machine.after.load5')})",
        "run_minutes": DASH if run_minutes is None else num(run_minutes / 60, 2),
        "mode": ("a quick run (`--quick`: one repetition, short times, small sizes; the figures "
                 "check the pipeline and are not to be quoted)" if quick else
                 "a full run (medians of 5 repetitions for the hot paths, 3 for the heavy ones)"),
        "logging_table": logging_section(log, go),
        "recording_table": recording_section(metrics, go),
        "rendering_table": rendering_section(growth, go),
        "memory_table": memory_section(growth, go),
        "otlp_table": otlp_section(otlp),
        "otlp_export_table": otlp_export_section(scrape),
        "scrape_table": scrape_section(scrape),
        "http_table": http_section(res),
        "wrk_seconds": r(res, "http.wrk_seconds", 3),
        "controller_table": controller_section(res),
        "webhook_table": webhook_table, "webhook_handle": handle,
        "localkube_table": localkube_section(res),
        "mover_size": DASH if mover_size is None else f"{int(mover_size):,}",
        "mover_table": mover_table,
    }
    return template.format(**values)


def main(argv):
    if len(argv) != 3:
        sys.exit("usage: tools/bench_report.py RESULTS_DIR OUTPUT.md")
    if not os.path.isdir(argv[1]):
        sys.exit(f"bench_report.py: {argv[1]}: no such results directory (run tools/bench.sh)")
    text = render(argv[1])
    with open(argv[2], "w", encoding="utf-8") as f:
        f.write(text)


if __name__ == "__main__":
    main(sys.argv)
