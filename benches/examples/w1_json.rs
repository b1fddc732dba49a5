//! Writes the W1 workload as one JSON document, for the benchmarks of the C, Python and
//! Node bindings (which load it with their own API and must find the same counts):
//!
//! ```sh
//! cargo run -p clinic-portal-benches --example w1_json > target/w1.json
//! ```
//!
//! `{"config": …, "appointments": [...], "now": "…", "w1a": query, "w1b": query,
//! "expect": {"w1a_slots": 930, "w1b_starts": 1364}}`; the queries are `SlotQuery` JSON.

use clinic_portal_benches::w1;

fn main() {
    let config: serde_json::Value =
        serde_json::from_str(&w1::config_json()).expect("the W1 configuration is JSON");
    let doc = serde_json::json!({
        "config": config,
        "appointments": w1::appointments(),
        "now": w1::now(),
        "w1a": w1::query_w1a(),
        "w1b": w1::query_w1b(),
        "expect": {"w1a_slots": w1::W1A_SLOTS, "w1b_starts": w1::W1B_STARTS},
    });
    println!("{doc}");
}
