//! `auyl radio …`: line of sight and link budgets, coverage maps, ITM batch evaluation.

use anyhow::Result;

#[derive(clap::Args, Debug)]
pub struct RadioArgs {
    #[command(subcommand)]
    command: RadioCommand,
}

#[derive(clap::Subcommand, Debug)]
enum RadioCommand {
    /// (being written)
    Pending,
}

pub async fn run(args: RadioArgs, _database: &str, _json: bool) -> Result<()> {
    match args.command {
        RadioCommand::Pending => anyhow::bail!("`auyl radio` is not available yet"),
    }
}
