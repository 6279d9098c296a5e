//! Which store a command works on: the site's embedded SQLite file (the
//! default), or a DynamoDB table — the same choice the Lambda functions make
//! from `CARTE_STORE` and `CARTE_TABLE`.

use std::path::Path;
use std::sync::Arc;

use anyhow::Context;
use clap::{Args, ValueEnum};
use functions::store::{DynamoStore, SqliteStore, Store};

/// `--store`, `--table` and `--create-table`, on the commands that read or write
/// orders, members, redemptions or keys (under their own heading in the help).
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Store")]
pub struct StoreArgs {
    /// Where orders, members, redemptions and keys live.
    #[arg(long, global = true, value_enum, env = "CARTE_STORE", default_value_t = Backend::Sqlite)]
    pub store: Backend,
    /// The DynamoDB table, with `--store dynamodb`. The endpoint and credentials
    /// come from the standard AWS variables (e.g. AWS_ENDPOINT_URL_DYNAMODB).
    #[arg(long, global = true, env = "CARTE_TABLE")]
    pub table: Option<String>,
    /// Create the DynamoDB table with its indexes if it does not exist (local use;
    /// in production the deployment template creates it).
    #[arg(long, global = true)]
    pub create_table: bool,
}

/// A store backend.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Backend {
    /// `<site>/.carte/carte.db`
    Sqlite,
    /// A DynamoDB table.
    Dynamodb,
}

impl StoreArgs {
    /// Opens the chosen store for the site at `dir`.
    pub async fn open(&self, dir: &Path) -> anyhow::Result<Arc<dyn Store>> {
        match self.store {
            Backend::Sqlite => {
                // Not a site: a store made here would hold keys and orders no site uses.
                if !dir.join("site.yaml").is_file() {
                    anyhow::bail!(
                        "{} is not a Carte site (it has no site.yaml)\n  \
                         hint: run the command in the site's folder, or name it: --dir my-restaurant",
                        dir.display()
                    );
                }
                let path = dir.join(".carte").join("carte.db");
                let store = SqliteStore::open(&path).with_context(|| {
                    format!("cannot open the order store at {}", path.display())
                })?;
                Ok(Arc::new(store))
            }
            Backend::Dynamodb => {
                let table = self
                    .table
                    .clone()
                    .context("--store dynamodb needs --table NAME (or CARTE_TABLE)")?;
                let aws = functions::aws::config_from_env().await;
                let store = DynamoStore::new(aws_sdk_dynamodb::Client::new(&aws), table);
                if self.create_table {
                    store.create_table().await?;
                }
                Ok(Arc::new(store))
            }
        }
    }

    /// Where the data lives, in words, for the commands' output.
    pub fn describe(&self, dir: &Path) -> String {
        match self.store {
            Backend::Sqlite => dir.join(".carte").join("carte.db").display().to_string(),
            Backend::Dynamodb => format!("DynamoDB table {}", self.table.as_deref().unwrap_or("?")),
        }
    }
}
