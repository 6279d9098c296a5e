//! The payments function: the diner's online checkout (`POST /api/payments/checkout`)
//! and the providers' notifications (Stripe's webhook, WeChat Pay's notify URL).
//!
//! On Lambda (`AWS_LAMBDA_RUNTIME_API` set) it serves API Gateway HTTP API events;
//! elsewhere it serves plain HTTP on `127.0.0.1:$PORT`. See [`functions::lambda`].

fn main() -> std::process::ExitCode {
    functions::lambda::main("payments", functions::payments_router)
}
