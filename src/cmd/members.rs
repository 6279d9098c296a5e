//! `carte members erase ID`: remove a member's personal data; figures stay.

use std::path::Path;
use std::process::ExitCode;

use super::store::StoreArgs;
use clap::Subcommand;

/// What to do with members.
#[derive(Subcommand)]
pub enum MembersAction {
    /// Erase a member's phone, email and name (and the names and notes on
    /// their orders); order figures stay, anonymised, so reports stay true.
    #[command(after_help = "Example:\n  carte members erase mem_01HZX3V6")]
    Erase {
        /// The member's id (mem_…), as the staff console or an export shows it.
        id: String,
    },
}

/// Runs a members action against the site's embedded store.
pub fn run(dir: &Path, action: MembersAction, choice: &StoreArgs) -> anyhow::Result<ExitCode> {
    match action {
        MembersAction::Erase { id } => {
            let result = super::runtime()?.block_on(async {
                let store = choice.open(dir).await?;
                Ok::<_, anyhow::Error>(store.erase_member(&id, chrono::Utc::now()).await)
            })?;
            match result {
                Ok(()) => println!("Erased the personal data of member {id}"),
                Err(functions::StoreError::NotFound) => {
                    anyhow::bail!("no member `{id}` in this site's store")
                }
                Err(other) => return Err(other.into()),
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
