//! `parapet`: the command line and the composition root. It parses arguments, loads the
//! config, wires adapters (folder or S3 store, lake, state) into the engine crates and prints
//! results. Business logic lives in the library crates, not here.

mod args;
mod cmd_accounts;
mod cmd_cost;
mod cmd_demo;
mod cmd_detect;
mod cmd_diagram;
mod cmd_ingest;
mod cmd_init;
mod cmd_lake;
mod cmd_notify;
mod cmd_posture;
mod cmd_query;
mod cmd_remediate;
mod cmd_run;
mod cmd_serve;
mod cmd_simulate;
mod context;
mod progress;

use std::process::ExitCode;

use clap::Parser;

use crate::args::{Cli, Command};

/// Exit code when the command finished but some input was quarantined, rejected or not read.
pub const EXIT_PARTIAL: u8 = 3;

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_tracing(cli.verbose, cli.quiet);
    let result = match &cli.command {
        Command::Init(a) => cmd_init::run(&cli, a),
        Command::Simulate(a) => cmd_simulate::run(&cli, a),
        Command::Ingest(a) => cmd_ingest::run(&cli, a),
        Command::Query(a) => cmd_query::run(&cli, a),
        Command::Lake(a) => cmd_lake::run(&cli, a),
        Command::Quarantine(a) => cmd_lake::run_quarantine(&cli, a),
        Command::Demo(a) => cmd_demo::run(&cli, a),
        Command::Accounts(a) => cmd_accounts::run(&cli, a),
        Command::Rules(a) => cmd_detect::run_rules(&cli, a),
        Command::Detect(a) => cmd_detect::run_detect(&cli, a),
        Command::Hunt(a) => cmd_detect::run_hunt(&cli, a),
        Command::Findings(a) => cmd_detect::run_findings(&cli, a),
        Command::Notify(a) => cmd_notify::run(&cli, a),
        Command::Posture(a) => cmd_posture::run(&cli, a),
        Command::Remediate(a) => cmd_remediate::run(&cli, a),
        Command::Cost(a) => cmd_cost::run(&cli, a),
        Command::Serve(a) => cmd_serve::run(&cli, a),
        Command::Run(a) => cmd_run::run(&cli, a),
        Command::Diagram(a) => cmd_diagram::run(&cli, a),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn init_tracing(verbose: u8, quiet: bool) {
    let default = match (quiet, verbose) {
        (true, _) => "error",
        (false, 0) => "warn",
        (false, 1) => "info",
        (false, 2) => "debug",
        _ => "trace",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("PARAPET_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .init();
}
