//! The marketing function: visit tracking from campaign links (`POST /api/visits`),
//! campaign and sales reports, and CSV exports (API key, role marketer).
//!
//! On Lambda (`AWS_LAMBDA_RUNTIME_API` set) it serves API Gateway HTTP API events;
//! elsewhere it serves plain HTTP on `127.0.0.1:$PORT`. See [`functions::lambda`].

fn main() -> std::process::ExitCode {
    functions::lambda::main("marketing", functions::marketing_router)
}
