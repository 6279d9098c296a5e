//! The passkeys function: a member's passkeys (WebAuthn) and signing in with one.
//!
//! Built with the `passkeys` feature, in a cargo-lambda invocation of its own, so that
//! it alone links webauthn-rs and its OpenSSL. On Lambda (`AWS_LAMBDA_RUNTIME_API`
//! set) it serves API Gateway HTTP API events; elsewhere it serves plain HTTP on
//! `127.0.0.1:$PORT`. See [`functions::lambda`].

fn main() -> std::process::ExitCode {
    functions::lambda::main("passkeys", functions::passkeys_router)
}
