//! The staff function: the order queue, status changes and sold-out switches (API key, role staff).
//!
//! On Lambda (`AWS_LAMBDA_RUNTIME_API` set) it serves API Gateway HTTP API events;
//! elsewhere it serves plain HTTP on `127.0.0.1:$PORT`. See [`functions::lambda`].

fn main() -> std::process::ExitCode {
    functions::lambda::main("staff", functions::staff_router)
}
