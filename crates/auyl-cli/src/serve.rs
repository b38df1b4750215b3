//! `auyl serve`: being built (issue 8). Replaced by its real module as the issue lands.

use anyhow::{Result, bail};

/// Arguments (none accepted yet).
#[derive(clap::Args, Debug)]
pub struct ServeArgs {
    #[arg(trailing_var_arg = true, allow_hyphen_values = true, hide = true)]
    rest: Vec<String>,
}

/// Runs the command.
pub async fn run(args: ServeArgs, _database: &str, _json: bool) -> Result<()> {
    bail!(
        "this command is not built yet (issue 8); arguments given: {:?}",
        args.rest
    )
}
