//! `auyl resilience`: being built (issue 9). Replaced by its real module as the issue lands.

use anyhow::{Result, bail};

/// Arguments (none accepted yet).
#[derive(clap::Args, Debug)]
pub struct ResilienceArgs {
    #[arg(trailing_var_arg = true, allow_hyphen_values = true, hide = true)]
    rest: Vec<String>,
}

/// Runs the command.
pub async fn run(args: ResilienceArgs, _database: &str, _json: bool) -> Result<()> {
    bail!(
        "this command is not built yet (issue 9); arguments given: {:?}",
        args.rest
    )
}
