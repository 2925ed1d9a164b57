//! The RUST_LOG oracle: for each line of the table file named by the first argument (one RUST_LOG
//! value per line, taken verbatim), prints `#row <n>` and then the JSON line of every event of a
//! fixed scenario that tracing-subscriber's EnvFilter (parse_lossy, regex on) lets through. Its C++ twin is
//! tests/telemetry/log/log_oracle_twin.cpp; the two scenarios must stay identical.
//!
//! Every event's message is its id (`<where>.<target>.<level>`), so the enabled set is read off
//! the JSON lines themselves.
use std::io::{BufRead, Write};
use tracing::{debug_span, event, info_span, warn_span, Level};
use tracing_subscriber::EnvFilter;

// Five events, one per level, on one target; the message names where, target and level.
macro_rules! five {
    ($target:expr, $place:expr) => {
        event!(target: $target, Level::ERROR, bytes = 42u64, "{}.{}.error", $place, $target);
        event!(target: $target, Level::WARN, bytes = 42u64, "{}.{}.warn", $place, $target);
        event!(target: $target, Level::INFO, bytes = 42u64, "{}.{}.info", $place, $target);
        event!(target: $target, Level::DEBUG, bytes = 42u64, "{}.{}.debug", $place, $target);
        event!(target: $target, Level::TRACE, bytes = 42u64, "{}.{}.trace", $place, $target);
    };
}

fn scenario() {
    five!("kopiur_controller", "top");
    five!("kopiur_controller::backup", "top");
    five!("kopia", "top");
    five!("kopiur_mover", "top");
    five!("ünï::cödé", "top");
    five!("trace", "top");
    five!("other::module", "top");

    let outer = info_span!(target: "kube_runtime::controller", "reconciling object",
                           "object.ref" = "Backup.v1.kopiur.io/nightly.apps",
                           object.reason = "object updated");
    let _outer = outer.enter();
    five!("kube_runtime::controller", "outer");
    {
        let backup = info_span!(target: "kopiur_controller::backup", "reconcile",
                                kind = "Backup", namespace = "apps", name = "nightly",
                                attempt = 3u64);
        let _backup = backup.enter();
        five!("kopiur_controller::backup", "backup");
        five!("kopia", "backup");
        let step = debug_span!(target: "kopiur_controller::backup", "step", phase = "prune");
        let _step = step.enter();
        five!("kopiur_controller::backup", "step");
    }
    {
        let restore = info_span!(target: "kopiur_controller::restore", "reconcile",
                                 kind = "Restore", namespace = "apps", name = "x",
                                 attempt = 1u64);
        let _restore = restore.enter();
        five!("kopiur_controller::restore", "restore");
        five!("kopia", "restore");
    }
    drop(_outer);
    let mover = warn_span!(target: "kopiur_mover", "mover", op = "backup", dry = false);
    let _mover = mover.enter();
    five!("kopiur_mover", "mover");
}

fn main() {
    let path = std::env::args().nth(1).expect("usage: rust-log-oracle TABLE_FILE");
    let table = std::fs::File::open(&path).expect("the table file opens");
    for (row, line) in std::io::BufReader::new(table).lines().enumerate() {
        let spec = line.expect("the table is UTF-8 text");
        {
            let mut out = std::io::stdout().lock();
            writeln!(out, "#row {}", row).expect("stdout");
        }
        let filter = EnvFilter::builder().parse_lossy(&spec);
        let subscriber = tracing_subscriber::fmt()
            .json()
            .with_env_filter(filter)
            .with_writer(std::io::stdout)
            .finish();
        tracing::subscriber::with_default(subscriber, scenario);
    }
}
