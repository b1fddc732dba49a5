//! The scaling series measure what they claim: appointments before the window do not
//! change the answer, busier windows and more practitioners do.

use clinic_portal_benches::{scaling, w1};

#[test]
fn fifty_practitioners_at_w1_density_answer_w1b() {
    let engine = scaling::engine(50, scaling::w1_density(50, 60));
    assert_eq!(engine.appointment_count(), 10_000);
    let n = engine
        .search(&scaling::query(60), scaling::now())
        .expect("search")
        .len();
    assert!(n > 0);
    // Same practitioners and hours as W1, different appointments: a comparable answer.
    assert!(n <= w1::W1B_STARTS + 200, "{n}");
}

#[test]
fn history_does_not_change_the_answer_and_busy_windows_do() {
    let q = scaling::query(30);
    let now = scaling::now();
    let base = scaling::stored_engine(10_000, false);
    let with_history = scaling::stored_engine(40_000, false);
    let busier = scaling::stored_engine(40_000, true);
    assert_eq!(with_history.appointment_count(), 40_000);
    assert_eq!(busier.appointment_count(), 40_000);
    let count = |e: &clinic_portal::Engine| e.search(&q, now).expect("search").len();
    let candidates = |e: &clinic_portal::Engine| -> usize {
        e.search(&q, now)
            .expect("search")
            .iter()
            .map(|s| s.practitioners().len())
            .sum()
    };
    assert_eq!(count(&base), count(&with_history));
    assert_eq!(candidates(&base), candidates(&with_history));
    assert!(candidates(&busier) < candidates(&base));
}
