//! Measures simulator throughput: `cargo run --release -p parapet-sim --example throughput --
//! <out-dir> [accounts] [days] [events-per-account-day]`.

use std::time::Instant;

use parapet_sim::{simulate, SimConfig};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let out = args
        .first()
        .ok_or("usage: throughput <out-dir> [accounts] [days] [events]")?;
    let defaults = SimConfig::default();
    let cfg = SimConfig {
        accounts: args
            .get(1)
            .map(|s| s.parse())
            .transpose()?
            .unwrap_or(defaults.accounts),
        days: args
            .get(2)
            .map(|s| s.parse())
            .transpose()?
            .unwrap_or(defaults.days),
        events_per_account_day: args
            .get(3)
            .map(|s| s.parse())
            .transpose()?
            .unwrap_or(defaults.events_per_account_day),
        ..defaults
    };
    let start = Instant::now();
    let summary = simulate(&cfg, std::path::Path::new(out), &|p| {
        eprint!(
            "\r{}/{} accounts, {} events",
            p.accounts_done, p.accounts_total, p.events
        );
    })?;
    let secs = start.elapsed().as_secs_f64();
    eprintln!();
    println!("{summary:?}");
    println!(
        "{:.1} s, {:.0} events/s, {:.1} bytes/event (gzip'd), {} threads",
        secs,
        summary.events as f64 / secs,
        summary.bytes_written as f64 / summary.events as f64,
        std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1)
    );
    Ok(())
}
