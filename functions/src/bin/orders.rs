//! The orders function: places orders once per idempotency key and reports their status.
//!
//! On Lambda (`AWS_LAMBDA_RUNTIME_API` set) it serves API Gateway HTTP API events;
//! elsewhere it serves plain HTTP on `127.0.0.1:$PORT`. See [`functions::lambda`].

fn main() -> std::process::ExitCode {
    functions::lambda::main("orders", functions::orders_router)
}
