//! `carte`: the command-line front of Carte. Parses arguments, calls the
//! generator and the functions, and prints; the work lives in the crates.

use std::net::IpAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod cmd;

/// Merchant-owned online ordering for restaurants: a fast static storefront
/// from Markdown and YAML, and small functions that take orders.
#[derive(Parser)]
#[command(name = "carte", version, about, long_about = None, after_help = EXAMPLES)]
struct Cli {
    #[command(subcommand)]
    command: Command,
    #[command(flatten)]
    store: cmd::store::StoreArgs,
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

#[derive(Subcommand)]
enum Command {
    /// Create a new site from the default theme and a sample menu.
    New {
        /// Folder to create (must not exist or be empty).
        dir: PathBuf,
    },
    /// Build the storefront into a folder; fails listing every content error.
    Build {
        /// The site folder (holding site.yaml).
        #[arg(default_value = ".")]
        dir: PathBuf,
        /// Output folder [default: DIR/public].
        #[arg(short, long)]
        output: Option<PathBuf>,
    },
    /// Check the content without writing anything.
    Check {
        #[arg(default_value = ".")]
        dir: PathBuf,
    },
    /// Build, serve the site and the ordering API on one port, rebuild on change.
    Serve {
        #[arg(default_value = ".")]
        dir: PathBuf,
        #[arg(short, long, default_value_t = 1111)]
        port: u16,
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
    Publish {
        #[arg(default_value = ".")]
        dir: PathBuf,
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
    Keys {
        /// The site folder whose store holds the keys.
        #[arg(long, default_value = ".", global = true)]
        dir: PathBuf,
        #[command(subcommand)]
        action: cmd::keys::KeysAction,
    },
    /// Campaign, redemption and sales figures as tables; `settlement` for a day's money.
    Report {
        /// The site folder.
        #[arg(long, default_value = ".", global = true)]
        dir: PathBuf,
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
    Export {
        #[arg(value_enum)]
        kind: cmd::export::KindArg,
        #[arg(long, default_value = ".")]
        dir: PathBuf,
        #[arg(long)]
        from: Option<String>,
        #[arg(long)]
        to: Option<String>,
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
    Coupons {
        #[arg(long, default_value = ".", global = true)]
        dir: PathBuf,
        #[command(subcommand)]
        action: cmd::coupons::CouponsAction,
    },
    /// Members' personal data: erase on request.
    Members {
        #[arg(long, default_value = ".", global = true)]
        dir: PathBuf,
        #[command(subcommand)]
        action: cmd::members::MembersAction,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let store = cli.store;
    let result = match cli.command {
        Command::New { dir } => cmd::new::run(&dir),
        Command::Build { dir, output } => cmd::build::build(&dir, output),
        Command::Check { dir } => cmd::build::check(&dir),
        Command::Serve {
            dir,
            port,
            bind,
            no_watch,
            header_timeout,
            body_timeout,
            max_connections,
        } => cmd::runtime().and_then(|rt| {
            rt.block_on(cmd::serve::run(cmd::serve::ServeOptions {
                root: dir,
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
                root: dir,
                bucket,
                dry_run,
                endpoint,
                rollback,
                list,
            }))
        }),
        Command::Keys { dir, action } => cmd::keys::run(&dir, action, &store),
        Command::Report {
            dir,
            from: _,
            to: _,
            location,
            json,
            view: Some(cmd::report::ReportView::Settlement { date }),
        } => cmd::report::settlement(&dir, &store, date.as_deref(), location.as_deref(), json),
        Command::Report {
            dir,
            from,
            to,
            location,
            json,
            view: None,
        } => cmd::report::run(
            &dir,
            &store,
            from.as_deref(),
            to.as_deref(),
            location.as_deref(),
            json,
        ),
        Command::Export {
            kind,
            dir,
            from,
            to,
            location,
            excel,
            output,
        } => cmd::export::run(
            &dir,
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
        Command::Coupons { dir, action } => cmd::coupons::run(&dir, action, &store),
        Command::Members { dir, action } => cmd::members::run(&dir, action, &store),
    };
    match result {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}
