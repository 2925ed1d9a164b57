#!/usr/bin/env python3
"""tools/bench_report.py on fixture results (tests/tools/bench_report/): the tables carry the
medians of the repetitions, ratios against each alternative, Go's parallel rows per goroutine,
the scripts' `@result` figures, the machine; no benchmark runs."""
import os
import re
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
GENERATOR = os.path.join(ROOT, "tools", "bench_report.py")
FIXTURES = os.path.join(HERE, "bench_report")


def generate(results):
    with tempfile.TemporaryDirectory() as out:
        path = os.path.join(out, "performance.md")
        subprocess.run([sys.executable, GENERATOR, results, path], check=True)
        with open(path, encoding="utf-8") as f:
            return f.read()


def rows(text):
    return [[c.strip() for c in line.strip().strip("|").split(" | ")]
            for line in text.splitlines() if line.startswith("|")]


def row(text, first_cell, following=0):
    """The table row whose first cell is `first_cell` (or the `following`-th row after it)."""
    table = rows(text)
    for i, cells in enumerate(table):
        if cells[0] == first_cell:
            return table[i + following]
    raise AssertionError(f"no row {first_cell!r}")


class BenchReportTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.doc = generate(FIXTURES)

    def test_logging_uses_medians_and_ratios_to_both_alternatives(self):
        # kopiur's repetitions 0.5, 0.25, 9.0 -> median 0.5; spdlog 8, 7.5, 7 -> 7.5; zap 30.
        self.assertEqual(row(self.doc, "filtered-out debug event, 3 fields")[1:],
                         ["0.50 ns", "7.50 ns", "15×", "30.0 ns", "60×"])

    def test_recording_rows_per_thread_count_and_go_per_goroutine(self):
        self.assertEqual(row(self.doc, "counter add, bound handle")[1:4],
                         ["1", "2.00 ns", "5.00 ns"])
        # Go's -2 rows: ns/op 15, 25, 20 -> median 20, times 2 goroutines -> 40 ns.
        self.assertEqual(row(self.doc, "counter add, bound handle", following=1)[1:],
                         ["2", "2.50 ns", "6.00 ns", "2.4×", "40.0 ns", "16×"])

    def test_growth_and_memory_per_series(self):
        self.assertEqual(row(self.doc, "1,000")[1:], ["0.077 MB", "50.0 µs", "500 µs", "10×",
                                                      "1.00 ms", "20×"])
        self.assertIn("| 1,000 | 200 B | 800 B | 4.0× | 400 B | 2.0× |", self.doc)

    def test_script_results_machine_and_webhook(self):
        self.assertIn("Fixture CPU, 2 cores", self.doc)
        self.assertIn("Load average before the run 0.50 (5 min: 0.40), after it 1.50", self.doc)
        self.assertEqual(row(self.doc, "idle RSS (every kind listed, no objects)")[1], "16.0 MiB")
        self.assertEqual(row(self.doc, "reconciles per second (first to last "
                                       "reconcile log line)")[1], "42,000")
        promcpp = row(self.doc, "prometheus-cpp 1.0.1 Exposer (civetweb)")
        self.assertEqual(promcpp[3], "2.7×")
        self.assertIn("probe timed out after 10 s", promcpp[6])
        self.assertEqual(row(self.doc, "4")[2], "8,533")
        self.assertIn("26.8 µs per review", self.doc)
        self.assertIn("| 10,000 | 6.80 / 11.1 ms |", self.doc)

    def test_scrape_over_http_and_otlp_export_use_wall_time(self):
        self.assertIn("| 100,000 | 20.0 ms | 7.90 MB | 150 ms | 9.00 MB | 7.5× |", self.doc)
        self.assertIn("| 100,000 | 80.0 ms | 2.00 ms | 6.50 MB |", self.doc)

    def test_nothing_measured_shows_dashes_not_figures(self):
        with tempfile.TemporaryDirectory() as empty:
            doc = generate(empty)
        self.assertEqual(row(doc, "counter add, bound handle")[2:], ["–"] * 5)
        self.assertIsNone(re.search(r"\{[a-z_]+\}", doc))  # every placeholder filled

    def test_missing_results_directory_is_a_clear_error(self):
        proc = subprocess.run([sys.executable, GENERATOR, "/nonexistent/results", "/dev/null"],
                              capture_output=True, text=True)
        self.assertNotEqual(proc.returncode, 0)
        self.assertIn("run tools/bench.sh", proc.stderr)


if __name__ == "__main__":
    unittest.main()
