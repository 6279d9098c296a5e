//! `carte keys`: staff and marketer API keys. Only hashes are stored.

use std::path::Path;
use std::process::ExitCode;

use clap::{Subcommand, ValueEnum};
use functions::store::Role;

use super::store::StoreArgs;

/// What to do with keys.
#[derive(Subcommand)]
pub enum KeysAction {
    /// Create a key and print it once.
    #[command(
        after_help = "Examples:\n  carte keys create --role staff --label \"counter tablet\"\n  carte keys mysite create --role marketer"
    )]
    Create {
        /// What the key may do: staff (queue, counter, refunds) or marketer (reports, exports).
        #[arg(long, value_enum)]
        role: RoleArg,
        /// Who or what the key is for, e.g. "counter tablet".
        #[arg(long, default_value = "")]
        label: String,
    },
    /// List keys (ids, roles, labels, last use; never the keys themselves).
    #[command(after_help = "Example:\n  carte keys list")]
    List,
    /// Revoke a key by id.
    #[command(after_help = "Example:\n  carte keys revoke key_01HZX3V6")]
    Revoke {
        /// The key's id, as `carte keys list` shows it (key_…).
        id: String,
    },
    /// Create the shop's Web Push (VAPID) key pair for "your order is ready"
    /// notifications: prints the private key for `CARTE_VAPID_PRIVATE_KEY` (the deploy's
    /// `VapidPrivateKey` parameter) and the public key. Nothing is stored.
    #[command(after_help = "Example:\n  carte keys push")]
    Push,
}

/// A key's role on the command line.
#[derive(Clone, Copy, ValueEnum)]
pub enum RoleArg {
    Staff,
    Marketer,
}

impl From<RoleArg> for Role {
    fn from(role: RoleArg) -> Role {
        match role {
            RoleArg::Staff => Role::Staff,
            RoleArg::Marketer => Role::Marketer,
        }
    }
}

/// Runs a keys action against the site's embedded store.
pub fn run(dir: &Path, action: KeysAction, choice: &StoreArgs) -> anyhow::Result<ExitCode> {
    if let KeysAction::Push = action {
        let vapid = functions::push::Vapid::generate();
        println!(
            "{}={}",
            functions::push::VAPID_PRIVATE_KEY,
            vapid.private_base64()
        );
        eprintln!(
            "Public key (browsers receive it from the status API): {}\n\
             Keep the private key secret; a new key makes browsers subscribed with the old one \
             miss notifications until they subscribe again.",
            vapid.public_key()
        );
        return Ok(ExitCode::SUCCESS);
    }
    super::runtime()?.block_on(async move {
        let store = choice.open(dir).await?;
        let now = chrono::Utc::now();
        match action {
            KeysAction::Create { role, label } => {
                let key =
                    functions::keys::create_key(store.as_ref(), role.into(), &label, now).await?;
                println!("{key}");
                eprintln!(
                    "Keep this key now: it is shown only once (the store keeps its SHA-256 hash)."
                );
            }
            KeysAction::List => {
                for key in store.list_keys().await? {
                    println!(
                        "{}\t{}\t{}\tcreated {}\tlast used {}{}",
                        key.id,
                        key.role.as_str(),
                        key.label,
                        key.created_at.to_rfc3339(),
                        key.last_used.map_or("never".to_owned(), |t| t.to_rfc3339()),
                        key.revoked_at
                            .map_or(String::new(), |t| format!("\trevoked {}", t.to_rfc3339())),
                    );
                }
            }
            KeysAction::Revoke { id } => {
                store.revoke_key(&id, now).await?;
                println!("Revoked {id}");
            }
            KeysAction::Push => unreachable!("handled above, without a store"),
        }
        Ok(ExitCode::SUCCESS)
    })
}
