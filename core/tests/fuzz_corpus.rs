//! Replays every committed fuzz corpus file (fuzz/corpus/<target>/*) through the fuzz
//! harness the cargo-fuzz targets run (fuzz/harness.rs), on stable Rust: no input may
//! panic, a failure is a typed error that changes nothing, and a success leaves a snapshot
//! that restores to itself. Inputs the fuzzer found are added to the corpus and stay here
//! as regression tests (see fuzz/README.md).

include!("../../fuzz/harness.rs");

use std::path::{Path, PathBuf};

fn corpus_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/corpus")
}

fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.expect("corpus entry").path())
        .filter(|p| p.is_file())
        .collect();
    out.sort();
    out
}

#[test]
fn every_target_has_a_seed_corpus_and_every_corpus_a_target() {
    for target in harness::TARGETS {
        let dir = corpus_root().join(target);
        assert!(!files(&dir).is_empty(), "fuzz/corpus/{target} is empty");
    }
    for entry in std::fs::read_dir(corpus_root()).expect("fuzz/corpus") {
        let name = entry.expect("entry").file_name();
        let name = name.to_string_lossy();
        assert!(
            harness::TARGETS.contains(&name.as_ref()),
            "fuzz/corpus/{name} is not a fuzz target"
        );
    }
    assert!(!harness::run("no-such-target", b"{}"));
}

#[test]
fn the_world_every_target_starts_from_restores_to_itself() {
    let e = harness::world_engine();
    assert_eq!(e.snapshot(), harness::world());
    // It holds what the targets aim at.
    assert_eq!(e.appointment_count(), 4);
    assert_eq!(e.accounts().len(), 3);
    assert_eq!(e.outbox().len(), 1);
    assert!(e.get_hold("hold-p3").is_ok());
    assert!(e.replaced_by("p5").is_some());
}

fn replay(target: &str) {
    for file in files(&corpus_root().join(target)) {
        let data = std::fs::read(&file).expect("corpus file");
        let name = file.display().to_string();
        let outcome = std::panic::catch_unwind(|| harness::run(target, &data));
        assert!(
            matches!(outcome, Ok(true)),
            "{name} breaks the engine's promises (see the panic above)"
        );
    }
}

/// fuzz/known-open/<target>/ holds inputs that still break the engine, for bugs fixed
/// elsewhere (they are kept out of the corpus so that fuzzing does not stop on them at
/// once). Each must still break: the day one replays clean, move it into
/// fuzz/corpus/<target>/.
#[test]
fn known_open_inputs_still_break() {
    let root = corpus_root().join("../known-open");
    let Ok(dirs) = std::fs::read_dir(&root) else {
        return;
    };
    for dir in dirs {
        let dir = dir.expect("entry").path();
        if !dir.is_dir() {
            continue;
        }
        let target = dir
            .file_name()
            .expect("name")
            .to_string_lossy()
            .into_owned();
        assert!(
            harness::TARGETS.contains(&target.as_str()),
            "fuzz/known-open/{target} is not a fuzz target"
        );
        for file in files(&dir) {
            let data = std::fs::read(&file).expect("input");
            let outcome = std::panic::catch_unwind(|| harness::run(&target, &data));
            assert!(
                outcome.is_err(),
                "{} replays clean now: move it to fuzz/corpus/{target}/",
                file.display()
            );
        }
    }
}

macro_rules! replay_tests {
    ($($name:ident => $target:literal,)+) => {
        $(
            #[test]
            fn $name() {
                replay($target);
            }
        )+
        #[test]
        fn every_target_is_replayed() {
            let mut tested = vec![$($target),+];
            tested.sort_unstable();
            let mut all = harness::TARGETS.to_vec();
            all.sort_unstable();
            assert_eq!(tested, all);
        }
    };
}

replay_tests! {
    config_corpus_replays_clean => "config",
    restore_corpus_replays_clean => "restore",
    apply_corpus_replays_clean => "apply",
    hold_corpus_replays_clean => "hold",
    book_corpus_replays_clean => "book",
    cancel_corpus_replays_clean => "cancel",
    reschedule_corpus_replays_clean => "reschedule",
    decision_corpus_replays_clean => "decision",
    invite_corpus_replays_clean => "invite",
    signup_corpus_replays_clean => "signup",
    account_corpus_replays_clean => "account",
    registration_corpus_replays_clean => "registration",
    search_corpus_replays_clean => "search",
}

/// Writes the generated seeds: the configuration and snapshot of the harness's practice,
/// and one change per kind of operation made on it (without `seq`: the harness gives the
/// next one). Run by hand after the practice changes:
/// `cargo test -p clinic-portal --test fuzz_corpus -- --ignored write_generated_seeds`.
#[test]
#[ignore = "writes files under fuzz/corpus"]
fn write_generated_seeds() {
    use clinic_portal::{
        Appointment, AppointmentStatus, BookRequest, CancelRequest, DecisionRequest, Engine,
        HoldRequest, InviteRequest, Patient, RescheduleRequest, Source,
    };
    let write = |target: &str, name: &str, text: String| {
        let dir = corpus_root().join(target);
        std::fs::create_dir_all(&dir).expect("corpus dir");
        std::fs::write(dir.join(format!("{name}.json")), text).expect("write seed");
    };
    write("config", "world", harness::config_json().to_string());
    write("restore", "world", harness::world().to_owned());
    let now = harness::now0();
    let at = harness::monday_at;
    type Op = Box<dyn Fn(&Engine)>;
    let ops: Vec<(&str, Op)> = vec![
        (
            "put-patient",
            Box::new(|e| {
                let p: Patient =
                    serde_json::from_str(r#"{"id": "p7", "first_name": "Gus"}"#).expect("patient");
                e.upsert_patient(p).expect("patient");
            }),
        ),
        (
            "book",
            Box::new(move |e| {
                let r = BookRequest::new("p4", "physio-30", at(10, 30)).consent();
                e.book(&r.idempotency_key("k2"), now).expect("book");
            }),
        ),
        (
            "book-from-hold",
            Box::new(move |e| {
                e.book(&BookRequest::from_hold("p3", "hold-p3").consent(), now)
                    .expect("book from hold");
            }),
        ),
        (
            "accept",
            Box::new(move |e| {
                e.accept(&DecisionRequest::new("bk-p1", Some("ok")), now)
                    .expect("accept");
            }),
        ),
        (
            "cancel",
            Box::new(move |e| {
                e.cancel(&CancelRequest::by_patient("bk-p1"), now)
                    .expect("cancel");
            }),
        ),
        (
            "reschedule",
            Box::new(move |e| {
                let to = at(10, 45) + chrono::Duration::days(1);
                e.reschedule(&RescheduleRequest::new("bk-p1", to), now)
                    .expect("reschedule");
            }),
        ),
        (
            "hold",
            Box::new(move |e| {
                let r = HoldRequest::new("physio-30", at(10, 30)).patient("p4");
                e.hold(&r, now).expect("hold");
            }),
        ),
        (
            "host-appointment",
            Box::new(move |e| {
                e.add_appointment(Appointment {
                    id: "host-2".to_owned(),
                    practitioner: "dr-a".to_owned(),
                    clinic: None,
                    service: None,
                    patient: None,
                    start: at(9, 0),
                    end: at(12, 0),
                    status: AppointmentStatus::Booked,
                    source: Source::Staff,
                })
                .expect("host appointment");
            }),
        ),
        (
            "invite",
            Box::new(move |e| {
                e.invite(&InviteRequest::guardian("p3", "nan@x.test"), now)
                    .expect("invite");
            }),
        ),
        (
            "revoke",
            Box::new(move |e| {
                e.revoke_link("acct-1", "p2", now).expect("revoke");
            }),
        ),
        (
            "merge",
            Box::new(move |e| {
                e.merge_patients("p6", "p4", now).expect("merge");
            }),
        ),
        (
            "drain",
            Box::new(|e| {
                assert_eq!(e.drain_outbox().len(), 1);
            }),
        ),
        (
            "register",
            Box::new(move |e| {
                let r = clinic_portal::RegistrationRequest::new(
                    "pilates",
                    "p4",
                    harness::date(2027, 2, 8),
                );
                e.register_program(&r, now).expect("register");
            }),
        ),
    ];
    for (name, op) in ops {
        let e = harness::world_engine();
        let seq = e.last_seq();
        op(&e);
        let changes = e.changes_since(seq).expect("changes");
        assert_eq!(changes.len(), 1, "{name}");
        let mut v = serde_json::to_value(&changes[0]).expect("change JSON");
        v.as_object_mut().expect("object").remove("seq");
        write("apply", name, v.to_string());
    }
}
