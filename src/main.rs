//! `carte`: the command-line front of Carte. Parses arguments, calls the
//! generator and the functions, and prints; the work lives in the crates.

use std::net::IpAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod cmd;

/// The generator allocates and frees a great deal while it builds (a quarter of an
/// incremental rebuild was glibc's malloc and free): mimalloc serves it faster.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Merchant-owned online ordering for restaurants: a fast static storefront
/// from Markdown and YAML, and small functions that take orders.
#[derive(Parser)]
#[command(name = "carte", version, about, long_about = None, after_help = EXAMPLES)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

const EXAMPLES: &str = "\
Examples:
  carte new my-restaurant          a new site with a sample menu
  carte serve my-restaurant        preview and take orders on http://127.0.0.1:1111/
  carte check my-restaurant        report every content error, write nothing
  carte build my-restaurant        write the storefront to my-restaurant/public
  carte keys create --role staff   print a new staff API key (only its hash is stored)
  carte publish --bucket my-shop   upload what changed to S3 (add --dry-run to only list it)
  carte publish --bucket my-shop --rollback   put back the publish before (--list shows them)";

/// The site folder, the same way for every command: `carte report mysite`, or
/// `--dir mysite` (also after a subcommand: `carte keys create --dir mysite`).
#[derive(clap::Args)]
struct SiteDir {
    /// The site folder, holding site.yaml [default: .]
    #[arg(value_name = "DIR")]
    dir: Option<PathBuf>,
    /// The site folder, as an option (the same as DIR; this one wins if both are given).
    #[arg(long = "dir", value_name = "DIR", global = true)]
    dir_option: Option<PathBuf>,
}

impl SiteDir {
    fn path(self) -> PathBuf {
        self.dir_option
            .or(self.dir)
            .unwrap_or_else(|| PathBuf::from("."))
    }
}

#[derive(Subcommand)]
enum Command {
    /// Create a new site from the default theme and a sample menu.
    #[command(after_help = "Example:\n  carte new my-restaurant && carte serve my-restaurant")]
    New {
        /// Folder to create (must not exist or be empty).
        dir: PathBuf,
    },
    /// Build the storefront into a folder; fails listing every content error.
    #[command(
        after_help = "Examples:\n  carte build\n  carte build my-restaurant --output /tmp/site"
    )]
    Build {
        #[command(flatten)]
        dir: SiteDir,
        /// Output folder [default: DIR/public].
        #[arg(short, long)]
        output: Option<PathBuf>,
    },
    /// Check the content without writing anything.
    #[command(after_help = "Example:\n  carte check my-restaurant")]
    Check {
        #[command(flatten)]
        dir: SiteDir,
    },
    /// Build, serve the site and the ordering API on one port, rebuild on change.
    #[command(
        after_help = "Examples:\n  carte serve my-restaurant\n  carte serve --bind 0.0.0.0 --port 8080 --no-watch\n  carte serve --store dynamodb --table carte-orders"
    )]
    Serve {
        #[command(flatten)]
        dir: SiteDir,
        #[command(flatten)]
        store: cmd::store::StoreArgs,
        /// The port to listen on.
        #[arg(short, long, default_value_t = 1111)]
        port: u16,
        /// The address to listen on (0.0.0.0 for phones on the same network).
        #[arg(short, long, default_value = "127.0.0.1")]
        bind: IpAddr,
        /// Do not watch files or inject the live-reload script.
        #[arg(long)]
        no_watch: bool,
        /// Seconds a client has to send a request's headers, and to send the next
        /// request on an idle kept-alive connection.
        #[arg(long, env = "CARTE_SERVE_HEADER_TIMEOUT", default_value_t = cmd::listen::Limits::HEADER_READ.as_secs(), hide = true)]
        header_timeout: u64,
        /// Seconds a client has to send a request's body.
        #[arg(long, env = "CARTE_SERVE_BODY_TIMEOUT", default_value_t = cmd::listen::Limits::BODY_READ.as_secs(), hide = true)]
        body_timeout: u64,
        /// Connections served at once; more wait until one closes.
        #[arg(long, env = "CARTE_SERVE_MAX_CONNECTIONS", default_value_t = cmd::listen::Limits::MAX_CONNECTIONS, hide = true)]
        max_connections: usize,
    },
    /// Build, then upload the storefront and the private catalog to S3 (only what changed).
    #[command(
        after_help = "Examples:\n  carte publish my-restaurant --bucket my-shop-site --dry-run\n  carte publish --bucket my-shop-site"
    )]
    Publish {
        #[command(flatten)]
        dir: SiteDir,
        /// The site bucket (the `SiteBucket` output of the deploy stack).
        #[arg(long)]
        bucket: String,
        /// List what would be uploaded and deleted, change nothing.
        #[arg(long)]
        dry_run: bool,
        /// An S3-compatible endpoint instead of AWS, e.g. http://127.0.0.1:9000.
        #[arg(long)]
        endpoint: Option<String>,
        /// Put back the storefront and catalog of the publish N before the current one
        /// (1 when N is left out); nothing is built. With --dry-run, only list the changes.
        #[arg(long, value_name = "N", num_args = 0..=1, default_missing_value = "1", conflicts_with = "list")]
        rollback: Option<usize>,
        /// List the recorded publishes, newest first, and what rolling back to each would change.
        #[arg(long)]
        list: bool,
    },
    /// Manage staff and marketer API keys.
    #[command(
        subcommand_precedence_over_arg = true,
        after_help = "Examples:\n  carte keys create --role staff --label \"counter tablet\"\n  carte keys my-restaurant list\n  carte keys revoke key_01HZX3V6"
    )]
    Keys {
        #[command(flatten)]
        dir: SiteDir,
        #[command(flatten)]
        store: cmd::store::StoreArgs,
        #[command(subcommand)]
        action: cmd::keys::KeysAction,
    },
    /// Campaign, redemption and sales figures as tables; `settlement` for a day's money.
    #[command(
        subcommand_precedence_over_arg = true,
        after_help = "Examples:\n  carte report my-restaurant\n  carte report --from 2026-12-01 --to 2026-12-07 --location chunxi\n  carte report settlement --date 2026-12-06"
    )]
    Report {
        #[command(flatten)]
        dir: SiteDir,
        #[command(flatten)]
        store: cmd::store::StoreArgs,
        /// First day (YYYY-MM-DD, site timezone) [default: 30 days before --to].
        #[arg(long)]
        from: Option<String>,
        /// Last day included [default: today].
        #[arg(long)]
        to: Option<String>,
        /// One location [default: all, with totals per location].
        #[arg(long, global = true)]
        location: Option<String>,
        /// Print the report as the JSON the dashboard's API serves.
        #[arg(long, global = true)]
        json: bool,
        #[command(subcommand)]
        view: Option<cmd::report::ReportView>,
    },
    /// Export orders, members (with consent), redemptions or payments as CSV.
    #[command(
        after_help = "Examples:\n  carte export orders my-restaurant --from 2026-12-01 -o orders.csv\n  carte export members --excel -o members.csv"
    )]
    Export {
        /// What to export.
        #[arg(value_enum)]
        kind: cmd::export::KindArg,
        #[command(flatten)]
        dir: SiteDir,
        #[command(flatten)]
        store: cmd::store::StoreArgs,
        /// First day (YYYY-MM-DD, site timezone) [default: 30 days before --to].
        #[arg(long)]
        from: Option<String>,
        /// Last day included [default: today].
        #[arg(long)]
        to: Option<String>,
        /// One location [default: all].
        #[arg(long)]
        location: Option<String>,
        /// For Excel: a UTF-8 byte-order mark, phone numbers kept as text.
        #[arg(long)]
        excel: bool,
        /// Write to this file instead of standard output.
        #[arg(short, long)]
        output: Option<PathBuf>,
    },
    /// Issue single-use coupon codes (CSV + printable QR sheet).
    #[command(
        subcommand_precedence_over_arg = true,
        after_help = "Example:\n  carte coupons issue spring-festival --count 200 --channel flyer-north-gate"
    )]
    Coupons {
        #[command(flatten)]
        dir: SiteDir,
        #[command(flatten)]
        store: cmd::store::StoreArgs,
        #[command(subcommand)]
        action: cmd::coupons::CouponsAction,
    },
    /// Members' personal data: erase on request.
    #[command(
        subcommand_precedence_over_arg = true,
        after_help = "Example:\n  carte members erase mem_01HZX3V6"
    )]
    Members {
        #[command(flatten)]
        dir: SiteDir,
        #[command(flatten)]
        store: cmd::store::StoreArgs,
        #[command(subcommand)]
        action: cmd::members::MembersAction,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::New { dir } => cmd::new::run(&dir),
        Command::Build { dir, output } => cmd::build::build(&dir.path(), output),
        Command::Check { dir } => cmd::build::check(&dir.path()),
        Command::Serve {
            dir,
            store,
            port,
            bind,
            no_watch,
            header_timeout,
            body_timeout,
            max_connections,
        } => cmd::runtime().and_then(|rt| {
            rt.block_on(cmd::serve::run(cmd::serve::ServeOptions {
                root: dir.path(),
                bind,
                port,
                watch: !no_watch,
                store,
                limits: cmd::listen::Limits {
                    header_read: std::time::Duration::from_secs(header_timeout.max(1)),
                    body_read: std::time::Duration::from_secs(body_timeout.max(1)),
                    max_connections: max_connections.max(1),
                },
            }))
            .map(|()| ExitCode::SUCCESS)
        }),
        Command::Publish {
            dir,
            bucket,
            dry_run,
            endpoint,
            rollback,
            list,
        } => cmd::runtime().and_then(|rt| {
            rt.block_on(cmd::publish::run(cmd::publish::PublishOptions {
                root: dir.path(),
                bucket,
                dry_run,
                endpoint,
                rollback,
                list,
            }))
        }),
        Command::Keys { dir, store, action } => cmd::keys::run(&dir.path(), action, &store),
        Command::Report {
            dir,
            store,
            from: _,
            to: _,
            location,
            json,
            view: Some(cmd::report::ReportView::Settlement { date }),
        } => cmd::report::settlement(
            &dir.path(),
            &store,
            date.as_deref(),
            location.as_deref(),
            json,
        ),
        Command::Report {
            dir,
            store,
            from,
            to,
            location,
            json,
            view: None,
        } => cmd::report::run(
            &dir.path(),
            &store,
            from.as_deref(),
            to.as_deref(),
            location.as_deref(),
            json,
        ),
        Command::Export {
            kind,
            dir,
            store,
            from,
            to,
            location,
            excel,
            output,
        } => cmd::export::run(
            &dir.path(),
            &store,
            &cmd::export::Request {
                kind,
                from: from.as_deref(),
                to: to.as_deref(),
                location: location.as_deref(),
                excel,
                output,
            },
        ),
        Command::Coupons { dir, store, action } => cmd::coupons::run(&dir.path(), action, &store),
        Command::Members { dir, store, action } => cmd::members::run(&dir.path(), action, &store),
    };
    match result {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {}", said_once(&error));
            ExitCode::FAILURE
        }
    }
}

/// The error and its causes, each said once: a message that already quotes its cause
/// (`{path}: {source}`) is not followed by that cause again.
fn said_once(error: &anyhow::Error) -> String {
    let mut out = String::new();
    for cause in error.chain() {
        let text = cause.to_string();
        if out.contains(&text) {
            continue;
        }
        if !out.is_empty() {
            out.push_str(": ");
        }
        out.push_str(&text);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::Cli;
    use clap::CommandFactory;

    /// Every option and argument says what it is for, and every command shows examples.
    #[test]
    fn every_command_has_examples_and_every_option_a_help_line() {
        fn walk(command: &clap::Command, path: &str, missing: &mut Vec<String>) {
            let path = format!("{path} {}", command.get_name());
            if path != " carte" && command.get_after_help().is_none() {
                missing.push(format!("{path}: no examples"));
            }
            for arg in command.get_arguments() {
                let id = arg.get_id().as_str();
                if arg.is_hide_set() || id == "help" || id == "version" {
                    continue;
                }
                if arg.get_help().is_none() {
                    missing.push(format!("{path} {id}: no help line"));
                }
            }
            for sub in command.get_subcommands() {
                if sub.get_name() != "help" {
                    walk(sub, &path, missing);
                }
            }
        }
        let mut missing = Vec::new();
        walk(&Cli::command(), "", &mut missing);
        assert!(missing.is_empty(), "{missing:#?}");
        Cli::command().debug_assert();
    }
}
