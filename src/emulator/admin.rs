//! The emulator's own endpoints under `/__emulator/` (no Google API uses that prefix): the
//! request log and per-method counters, so tests and benchmarks can count what a client sent.

use serde_json::{json, Value};

use super::server::{lock, Shared};

/// `GET /__emulator/requests`, `GET /__emulator/counters`, `POST /__emulator/reset-log`,
/// `GET /__emulator/world` (the whole persisted world, for debugging).
pub fn handle(shared: &Shared, method: &str, path: &str) -> (u16, Value) {
    match (method, path) {
        ("GET", "requests") => {
            let log = lock(&shared.log);
            (200, serde_json::to_value(&*log).unwrap_or(Value::Null))
        }
        ("GET", "counters") => {
            let c = lock(&shared.counters);
            (200, serde_json::to_value(&*c).unwrap_or(Value::Null))
        }
        ("POST", "reset-log") => {
            lock(&shared.log).clear();
            lock(&shared.counters).clear();
            (200, json!({}))
        }
        ("GET", "world") => {
            let w = lock(&shared.world);
            (200, serde_json::to_value(&*w).unwrap_or(Value::Null))
        }
        _ => (
            404,
            json!({"error": {"code": 404, "message": "unknown emulator admin endpoint", "status": "NOT_FOUND"}}),
        ),
    }
}
