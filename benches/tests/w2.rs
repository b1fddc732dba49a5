//! W2 (benches/README.md): the generated practice loads, and its queries answer what they did
//! when the counts were recorded (so that a change to the engine or the generator is
//! noticed).

use chrono::{NaiveDate, TimeZone, Utc};
use clinic_portal::{Config, Engine};
use clinic_portal_benches::w2;

fn practitioner_index(id: &str) -> usize {
    id.trim_start_matches('p')
        .parse()
        .expect("practitioner id p<n>")
}

#[test]
fn configuration_loads_with_only_the_expected_warnings() {
    let config = Config::from_json(&w2::config_json()).expect("parses");
    assert_eq!(config.clinics.len(), 3);
    assert_eq!(config.practitioners.len(), w2::PRACTITIONERS);
    assert_eq!(config.services.len(), 12);
    let diagnostics = Engine::validate(&config);
    assert!(
        diagnostics.iter().all(|d| !d.is_error()),
        "{:?}",
        diagnostics.iter().find(|d| d.is_error())
    );
    // Odd-numbered practitioners have no portal blocks: every one of their working
    // weekdays is reported under empty_portal_day = standard (rule 6), and nothing else.
    assert!(!diagnostics.is_empty());
    for d in &diagnostics {
        assert!(
            d.path.ends_with(".portal_blocks") && d.message.contains("empty_portal_day"),
            "{d}"
        );
        let p = d.path["practitioners[".len()..]
            .split(']')
            .next()
            .and_then(|n| n.parse::<usize>().ok())
            .expect("practitioner index");
        assert!(!w2::has_portal_blocks(p), "{d}");
    }
}

#[test]
fn the_generator_makes_100000_appointments_in_the_window() {
    let all = w2::appointments();
    assert_eq!(all.len(), 100_000);
    let tz = chrono_tz::America::Vancouver;
    let first = tz
        .from_local_datetime(&w2::first_date().and_hms_opt(0, 0, 0).expect("midnight"))
        .earliest()
        .expect("exists")
        .with_timezone(&Utc)
        - chrono::Duration::hours(3);
    let last = tz
        .from_local_datetime(
            &(w2::last_date() + chrono::Duration::days(1))
                .and_hms_opt(0, 0, 0)
                .expect("midnight"),
        )
        .earliest()
        .expect("exists")
        .with_timezone(&Utc);
    assert!(all.iter().all(|a| a.start >= first && a.end <= last));
    let mut ids: Vec<&str> = all.iter().map(|a| a.id.as_str()).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), 100_000, "ids are unique");
    assert_eq!(all, w2::appointments(), "deterministic");
}

#[test]
fn w2_queries_answer_the_recorded_counts_in_the_requested_clinic() {
    let engine = w2::engine();
    assert_eq!(engine.appointment_count(), w2::APPOINTMENTS);
    let now = w2::now();
    let short = engine.search(&w2::query_14_days(), now).expect("search");
    let long = engine.search(&w2::query_90_days(), now).expect("search");
    assert_eq!(short.len(), w2::SLOTS_14_DAYS, "14-day query");
    assert_eq!(long.len(), w2::SLOTS_90_DAYS, "90-day query");
    let labour_day = NaiveDate::from_ymd_opt(2027, 9, 6).expect("date");
    for s in long.iter() {
        assert_eq!(s.clinic(), w2::QUERY_CLINIC);
        assert_ne!(s.start().date_naive(), labour_day, "Labour Day is closed");
        assert!(s.start().date_naive() >= w2::first_date());
        assert!(s.start().date_naive() <= w2::last_date());
        assert_eq!(s.end_unix() - s.start_unix(), 30 * 60);
        for c in s.practitioners() {
            assert_eq!(w2::kind_of(practitioner_index(c.practitioner)), "physio");
        }
    }
    // The first 14 days of the long answer are the short answer.
    let prefix: Vec<String> = long
        .iter()
        .take(short.len())
        .map(|s| format!("{s:?}"))
        .collect();
    let short_all: Vec<String> = short.iter().map(|s| format!("{s:?}")).collect();
    assert_eq!(prefix, short_all);
}

#[test]
fn explain_agrees_with_the_search_on_a_sample() {
    let engine = w2::engine();
    let now = w2::now();
    let q = w2::query_90_days();
    let slots = engine.search(&q, now).expect("search");
    for s in slots.iter().step_by(97) {
        let start = s.start().with_timezone(&Utc);
        let e = engine.explain_all(&q, start, now).expect("explain_all");
        assert!(e.offered, "{s:?}: {}", e.message);
        let offered: Vec<&str> = e
            .practitioners
            .iter()
            .filter(|v| v.offered)
            .map(|v| v.practitioner.as_str())
            .collect();
        assert_eq!(offered, s.practitioner_ids(), "{s:?}");
        // Judged lazily, explain stops at the first of those candidates.
        let lazy = engine.explain(&q, start, now).expect("explain");
        let first: Vec<&str> = lazy
            .practitioners
            .iter()
            .map(|v| v.practitioner.as_str())
            .collect();
        assert_eq!(first, offered[..1], "{s:?}");
    }
    let e = engine
        .explain(&q, w2::offered_start(), now)
        .expect("explain");
    assert!(e.offered, "{}", e.message);
    assert_eq!(
        slots.get(0).map(|s| s.start_unix()),
        Some(w2::offered_start().timestamp())
    );
    let refused = w2::refused_start();
    let e = engine.explain(&q, refused, now).expect("explain");
    assert!(!e.offered);
    assert_eq!(e.rule, Some(7), "{}", e.message);
}
