//! `auyl plan`: being built (issue 6). Replaced by its real module as the issue lands.

use anyhow::{Result, bail};

/// Arguments (none accepted yet).
#[derive(clap::Args, Debug)]
pub struct PlanArgs {
    #[arg(trailing_var_arg = true, allow_hyphen_values = true, hide = true)]
    rest: Vec<String>,
}

/// Runs the command.
pub async fn run(args: PlanArgs, _database: &str, _json: bool) -> Result<()> {
    bail!(
        "this command is not built yet (issue 6); arguments given: {:?}",
        args.rest
    )
}
