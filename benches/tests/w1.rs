//! The W1 counts (benches/README.md): the benchmark measures the right work.

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
