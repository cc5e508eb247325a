//! `parapet init`: write a commented configuration file.

use std::process::ExitCode;

use anyhow::{bail, Context, Result};

use crate::args::{Cli, InitArgs};

pub fn run(cli: &Cli, args: &InitArgs) -> Result<ExitCode> {
    if args.path.exists() && !args.force {
        bail!(
            "{} already exists (use --force to overwrite it)",
            args.path.display()
        );
    }
    std::fs::write(&args.path, parapet_config::EXAMPLE)
        .with_context(|| format!("writing {}", args.path.display()))?;
    if !cli.quiet {
        eprintln!("wrote {}", args.path.display());
    }
    Ok(ExitCode::SUCCESS)
}
