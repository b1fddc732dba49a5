//! The W1 counts of BENCHMARKS.md: the benchmark measures the right work.

use clinic_portal_benches::w1;

#[test]
fn w1a_p0_alone_offers_930_slots() {
    let engine = w1::engine();
    let slots = engine.search(&w1::query_w1a(), w1::now()).expect("search");
    assert_eq!(slots.len(), w1::W1A_SLOTS);
}

#[test]
fn w1b_no_preference_offers_1364_starts() {
    let engine = w1::engine();
    let slots = engine.search(&w1::query_w1b(), w1::now()).expect("search");
    assert_eq!(slots.len(), w1::W1B_STARTS);
    let mut starts: Vec<i64> = slots.iter().map(|s| s.start_unix()).collect();
    starts.dedup();
    assert_eq!(starts.len(), w1::W1B_STARTS, "one slot per distinct start");
}

#[test]
fn w1c_fifty_single_queries_offer_46838_slots() {
    let engine = w1::engine();
    let total: usize = w1::queries_w1c()
        .iter()
        .map(|q| engine.search(q, w1::now()).expect("search").len())
        .sum();
    assert_eq!(total, w1::W1C_SLOTS);
}

#[test]
fn generator_matches_reference_file_when_present() {
    // `../shared` is beside the repository in CI and on developer machines, not on a
    // user's: compare when present.
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../shared/bench/w1_appointments.json"
    );
    let Ok(text) = std::fs::read_to_string(path) else {
        eprintln!("reference file not present; generator checked by the slot counts only");
        return;
    };
    let reference: Vec<serde_json::Value> = serde_json::from_str(&text).expect("reference JSON");
    let ours = w1::appointments();
    assert_eq!(reference.len(), ours.len());
    for (r, a) in reference.iter().zip(&ours) {
        assert_eq!(r["id"], a.id.as_str());
        assert_eq!(r["practitioner"], a.practitioner.as_str());
        let start = chrono::DateTime::parse_from_rfc3339(r["start"].as_str().expect("start"))
            .expect("rfc3339");
        let end =
            chrono::DateTime::parse_from_rfc3339(r["end"].as_str().expect("end")).expect("rfc3339");
        assert_eq!(start, a.start, "{}", a.id);
        assert_eq!(end, a.end, "{}", a.id);
    }
}
