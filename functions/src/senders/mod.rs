//! Sending a one-time code to the phone or email address a diner gave: email over SMTP
//! ([`SmtpSender`], with `lettre`), text messages through AWS SNS ([`SnsSender`]), or —
//! for `carte serve` on one machine without a configured sender — the server's console
//! ([`ConsoleSender`]).
//!
//! The sender's settings and password come from the environment only (never the
//! content), and no message names them.

use std::sync::Arc;

use async_trait::async_trait;
use lettre::message::Mailbox;
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use thiserror::Error;

mod sns;
pub use sns::SnsSender;

/// Where a code goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Address {
    /// E.164, e.g. `+8613800138000`.
    Phone(String),
    /// Lower-cased.
    Email(String),
}

impl Address {
    /// The form the store keeps codes under: `phone:+86…` or `email:…`.
    pub fn key(&self) -> String {
        match self {
            Address::Phone(phone) => format!("phone:{phone}"),
            Address::Email(email) => format!("email:{email}"),
        }
    }
}

/// Why a code was not sent.
#[derive(Debug, Error)]
pub enum SendError {
    /// No sender for this kind of address is set up.
    #[error("no sender for {0} is set up on this server")]
    NotConfigured(&'static str),
    /// A setting is missing or unusable; names the environment variable.
    #[error("the sender is not configured: {variable} {problem}")]
    Config {
        variable: &'static str,
        problem: String,
    },
    /// The mail server or provider refused or could not be reached.
    #[error("the code could not be sent: {0}")]
    Failed(String),
}

/// Sends one code.
#[async_trait]
pub trait CodeSender: Send + Sync {
    /// Sends `code` to `to`, as a message from `shop`.
    async fn send(&self, to: &Address, code: &str, shop: &str) -> Result<(), SendError>;
}

/// The text of a code's message.
pub fn message_text(code: &str, shop: &str) -> String {
    format!(
        "{code} is your {shop} code. It is valid for 10 minutes. \
         If you did not ask for it, ignore this message.\n\n\
         {code} 是您在 {shop} 的验证码，10 分钟内有效。如非本人操作，请忽略。"
    )
}

/// Prints codes on standard error: the demo on one machine, without a mail server.
#[derive(Debug, Default)]
pub struct ConsoleSender;

#[async_trait]
impl CodeSender for ConsoleSender {
    async fn send(&self, to: &Address, code: &str, shop: &str) -> Result<(), SendError> {
        eprintln!(
            "carte: one-time code for {} ({shop}): {code}  (no sender is configured, so it is shown here)",
            to.key()
        );
        Ok(())
    }
}

/// How the SMTP connection is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpSecurity {
    /// STARTTLS on the submission port (587), the default.
    StartTls,
    /// TLS from the first byte (465).
    Tls,
    /// None: only for a mail server on this machine (127.0.0.1, localhost).
    Plain,
}

/// Email over SMTP.
pub struct SmtpSender {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl std::fmt::Debug for SmtpSender {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpSender")
            .field("from", &self.from.to_string())
            .finish_non_exhaustive()
    }
}

/// The environment variables of the SMTP sender.
pub const SMTP_HOST: &str = "CARTE_SMTP_HOST";
pub const SMTP_PORT: &str = "CARTE_SMTP_PORT";
pub const SMTP_SECURITY: &str = "CARTE_SMTP_SECURITY";
pub const SMTP_USER: &str = "CARTE_SMTP_USER";
pub const SMTP_PASSWORD: &str = "CARTE_SMTP_PASSWORD";
pub const SMTP_FROM: &str = "CARTE_SMTP_FROM";

impl SmtpSender {
    /// The sender set up by `lookup` (`CARTE_SMTP_*`), `Ok(None)` when no host is set.
    pub fn from_lookup(
        lookup: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Option<SmtpSender>, SendError> {
        let Some(host) = lookup(SMTP_HOST).filter(|h| !h.trim().is_empty()) else {
            return Ok(None);
        };
        let host = host.trim().to_owned();
        let security = match lookup(SMTP_SECURITY).as_deref().map(str::trim) {
            None | Some("") | Some("starttls") => SmtpSecurity::StartTls,
            Some("tls") => SmtpSecurity::Tls,
            Some("none") => SmtpSecurity::Plain,
            Some(_) => {
                return Err(SendError::Config {
                    variable: SMTP_SECURITY,
                    problem: "is one of starttls, tls, none".into(),
                })
            }
        };
        let local = host == "127.0.0.1" || host == "localhost" || host == "::1";
        if security == SmtpSecurity::Plain && !local {
            return Err(SendError::Config {
                variable: SMTP_SECURITY,
                problem: "none is only for a mail server on this machine".into(),
            });
        }
        let port = match lookup(SMTP_PORT) {
            Some(text) => text.trim().parse::<u16>().map_err(|_| SendError::Config {
                variable: SMTP_PORT,
                problem: "is a port number".into(),
            })?,
            None => match security {
                SmtpSecurity::StartTls => 587,
                SmtpSecurity::Tls => 465,
                SmtpSecurity::Plain => 25,
            },
        };
        let from: Mailbox = lookup(SMTP_FROM)
            .ok_or(SendError::Config {
                variable: SMTP_FROM,
                problem: "is not set (e.g. `Noodle Bar <codes@noodles.example>`)".into(),
            })?
            .parse()
            .map_err(|_| SendError::Config {
                variable: SMTP_FROM,
                problem: "is not an address".into(),
            })?;
        let builder = match security {
            SmtpSecurity::StartTls => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&host),
            SmtpSecurity::Tls => AsyncSmtpTransport::<Tokio1Executor>::relay(&host),
            SmtpSecurity::Plain => Ok(AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(
                &host,
            )),
        }
        .map_err(|e| SendError::Config {
            variable: SMTP_HOST,
            problem: e.to_string(),
        })?;
        let mut builder = builder
            .port(port)
            .timeout(Some(std::time::Duration::from_secs(10)));
        if let (Some(user), Some(password)) = (lookup(SMTP_USER), lookup(SMTP_PASSWORD)) {
            builder = builder.credentials(Credentials::new(user, password));
        }
        Ok(Some(SmtpSender {
            transport: builder.build(),
            from,
        }))
    }
}

#[async_trait]
impl CodeSender for SmtpSender {
    async fn send(&self, to: &Address, code: &str, shop: &str) -> Result<(), SendError> {
        let Address::Email(email) = to else {
            return Err(SendError::NotConfigured("phone numbers"));
        };
        let to: Mailbox = email
            .parse()
            .map_err(|_| SendError::Failed("not an address".into()))?;
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(format!("{code} is your {shop} code"))
            .body(message_text(code, shop))
            .map_err(|e| SendError::Failed(e.to_string()))?;
        self.transport
            .send(message)
            .await
            .map(|_| ())
            .map_err(|e| SendError::Failed(e.to_string()))
    }
}

/// The senders of one process: by email, by SMS, and whether codes without a sender
/// go to the console (`carte serve` only).
#[derive(Clone, Default)]
pub struct Senders {
    pub email: Option<Arc<dyn CodeSender>>,
    pub sms: Option<Arc<dyn CodeSender>>,
    /// Codes for which no sender is set up are printed on the console.
    pub console: bool,
}

impl std::fmt::Debug for Senders {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Senders")
            .field("email", &self.email.is_some())
            .field("sms", &self.sms.is_some())
            .field("console", &self.console)
            .finish()
    }
}

impl Senders {
    /// The senders set up in the environment; `console` for `carte serve`.
    pub fn from_env(console: bool) -> Senders {
        let email = match SmtpSender::from_lookup(&|name| std::env::var(name).ok()) {
            Ok(sender) => sender.map(|s| Arc::new(s) as Arc<dyn CodeSender>),
            Err(error) => {
                eprintln!("carte functions: email codes are off: {error}");
                None
            }
        };
        let sms = match SnsSender::from_lookup(&|name| std::env::var(name).ok()) {
            Ok(sender) => sender.map(|s| Arc::new(s) as Arc<dyn CodeSender>),
            Err(error) => {
                eprintln!("carte functions: text-message codes are off: {error}");
                None
            }
        };
        Senders {
            email,
            sms,
            console,
        }
    }

    /// The sender for `to`: its own, else the console when allowed.
    pub fn for_address(&self, to: &Address) -> Result<Arc<dyn CodeSender>, SendError> {
        let own = match to {
            Address::Email(_) => self.email.clone(),
            Address::Phone(_) => self.sms.clone(),
        };
        match own {
            Some(sender) => Ok(sender),
            None if self.console => Ok(Arc::new(ConsoleSender)),
            None => Err(SendError::NotConfigured(match to {
                Address::Email(_) => "email",
                Address::Phone(_) => "text messages",
            })),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lookup<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |name| {
            pairs
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| (*v).to_owned())
        }
    }

    #[test]
    fn smtp_settings_name_the_variable_and_refuse_plain_text_abroad() {
        assert!(SmtpSender::from_lookup(&lookup(&[])).unwrap().is_none());
        let plain_abroad = SmtpSender::from_lookup(&lookup(&[
            (SMTP_HOST, "smtp.example.com"),
            (SMTP_SECURITY, "none"),
            (SMTP_FROM, "codes@example.com"),
        ]));
        assert!(
            matches!(plain_abroad, Err(SendError::Config { variable, .. }) if variable == SMTP_SECURITY)
        );
        let no_from = SmtpSender::from_lookup(&lookup(&[(SMTP_HOST, "smtp.example.com")]));
        assert!(
            matches!(no_from, Err(SendError::Config { variable, .. }) if variable == SMTP_FROM)
        );
        let sender = SmtpSender::from_lookup(&lookup(&[
            (SMTP_HOST, "smtp.example.com"),
            (SMTP_PASSWORD, "hunter2-secret"),
            (SMTP_USER, "codes"),
            (SMTP_FROM, "Noodle Bar <codes@example.com>"),
        ]))
        .unwrap()
        .unwrap();
        assert!(!format!("{sender:?}").contains("hunter2"));
    }

    #[test]
    fn without_a_sender_only_the_console_may_show_a_code() {
        let phone = Address::Phone("+8613800138000".into());
        assert!(Senders::default().for_address(&phone).is_err());
        let console = Senders {
            console: true,
            ..Senders::default()
        };
        assert!(console.for_address(&phone).is_ok());
        assert_eq!(phone.key(), "phone:+8613800138000");
    }
}
