//! `auyl track`: being built (issue 7). Replaced by its real module as the issue lands.

use anyhow::{Result, bail};

/// Arguments (none accepted yet).
#[derive(clap::Args, Debug)]
pub struct TrackingArgs {
    #[arg(trailing_var_arg = true, allow_hyphen_values = true, hide = true)]
    rest: Vec<String>,
}

/// Runs the command.
pub async fn run(args: TrackingArgs, _database: &str, _json: bool) -> Result<()> {
    bail!(
        "this command is not built yet (issue 7); arguments given: {:?}",
        args.rest
    )
}
