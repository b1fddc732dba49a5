//! W5 (benches/README.md): each generated practice has the size the workload claims,
//! starts from its snapshot, lets its patients log in, and is the same every time.

use clinic_portal::{Engine, Password};
use clinic_portal_benches::w5;

/// Slots of [`w5::query`] in practice 0 and in practice 3 (another zone, other data).
const QUERY_SLOTS: [usize; 2] = [1_078, 1_125];

#[test]
fn a_practice_has_the_size_of_the_workload_and_its_patients_log_in() {
    let hash = w5::password_hash();
    assert!(hash.starts_with("$argon2id$"), "{hash}");
    for (i, k) in [0, 3].into_iter().enumerate() {
        let engine = w5::practice(k, &hash);
        let config = engine.config();
        assert_eq!(config.practitioners.len(), w5::PRACTITIONERS);
        assert_eq!(config.clinics.len(), w5::CLINICS);
        assert_eq!(config.clinics[0].time_zone, w5::zone_of(k).name());
        assert_eq!(engine.appointment_count(), w5::APPOINTMENTS);
        assert_eq!(engine.accounts().len(), w5::PATIENTS);
        for p in [0, 17, w5::PATIENTS - 1] {
            let patient = engine.patient(&format!("pat-{p}")).expect("patient");
            assert_eq!(patient.email.as_deref(), Some(w5::username(k, p).as_str()));
            let links = engine.links_of_account(&format!("acct-{p}"));
            assert_eq!(links.len(), 1);
            assert!(links[0].is_active_self());
            assert_eq!(links[0].patient, format!("pat-{p}"));
        }
        let slots = engine.search(&w5::query(), w5::now()).expect("search");
        assert_eq!(slots.len(), QUERY_SLOTS[i], "practice {k}");
        if k == 0 {
            let account = engine
                .login(
                    &w5::username(k, 42),
                    &Password::new(w5::PASSWORD),
                    w5::now(),
                )
                .expect("login");
            assert_eq!(account.id, "acct-42");
        }
    }
}

#[test]
fn the_generator_is_deterministic_and_practices_differ() {
    let hash = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g";
    let one = w5::snapshot(1, hash);
    assert_eq!(one, w5::snapshot(1, hash));
    assert_ne!(w5::appointments(1), w5::appointments(2));
    let engine = Engine::restore(&one).expect("restore");
    assert_eq!(
        engine.snapshot(),
        Engine::restore(&engine.snapshot())
            .expect("again")
            .snapshot()
    );
}
