// The fuzz harness: one function per JSON entry point of the engine.
//
// Shared, by `include!`, by the cargo-fuzz targets (fuzz/fuzz_targets/<target>.rs) and by
// core/tests/fuzz_corpus.rs, which replays every file of fuzz/corpus/<target>/ through the
// same functions on stable Rust (no libFuzzer, no nightly). core/tests/hardening.rs uses
// the same practice (`world`) and checks (`checked`, `unchanged`) for its property test.
//
// Each target parses its input; when it parses, it runs the operation on a fresh copy of a
// small practice and checks the engine's promises: no panic; a failure is a typed error,
// never `internal`, and changes nothing (the snapshot is byte-identical); after a success
// the snapshot restores to an engine with the same snapshot.

/// The fuzz targets and the practice they start from.
#[allow(dead_code)]
pub mod harness {
    use std::sync::OnceLock;

    use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
    use clinic_portal::{
        AcceptInvitation, AppointmentFilter, AppointmentStatus, BookRequest, CancelRequest, Change,
        Config, DecisionRequest, Engine, ErrorCode, HoldRequest, InviteRequest, NewAccount,
        Password, Patient, RegistrationRequest, Relationship, RescheduleRequest, SecretToken,
        SignupRequest, SlotQuery,
    };
    use serde::Deserialize;
    use serde_json::{json, Value};

    /// Every fuzz target, by name (the file names under fuzz/fuzz_targets/ and the
    /// folders under fuzz/corpus/).
    pub const TARGETS: &[&str] = &[
        "config",
        "restore",
        "apply",
        "hold",
        "book",
        "cancel",
        "reschedule",
        "decision",
        "invite",
        "signup",
        "account",
        "registration",
        "search",
    ];

    /// Runs one input through a target. Returns `false` for an unknown target name.
    pub fn run(target: &str, data: &[u8]) -> bool {
        // Every entry point takes JSON text: other bytes cannot reach it.
        let text = std::str::from_utf8(data).ok();
        let Some(text) = text else {
            return TARGETS.contains(&target);
        };
        match target {
            "config" => config(text),
            "restore" => restore(text),
            "apply" => apply(text),
            "hold" => hold(text),
            "book" => book(text),
            "cancel" => cancel(text),
            "reschedule" => reschedule(text),
            "decision" => decision(text),
            "invite" => invite(text),
            "signup" => signup(text),
            "account" => account(text),
            "registration" => registration(text),
            "search" => search(text),
            _ => return false,
        }
        true
    }

    // -- the practice every target starts from -----------------------------------------

    /// The `now` of the practice: Monday 2027-01-25 12:00 UTC, a week before the booked
    /// Monday 2027-02-01.
    pub fn now0() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2027, 1, 25, 12, 0, 0)
            .single()
            .unwrap_or(DateTime::UNIX_EPOCH)
    }

    /// 2027-02-01 (a Monday) at `h:m` in Toronto (UTC−5 in February).
    pub fn monday_at(h: u32, m: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2027, 2, 1, h + 5, m, 0)
            .single()
            .unwrap_or(DateTime::UNIX_EPOCH)
    }

    /// A small practice with a bit of everything: two clinics in odd zones, conflicts,
    /// telehealth, an RRULE, closures, a program, signup, consent and patient limits.
    pub fn config_json() -> Value {
        let weekdays: Vec<Value> = ["mon", "tue", "wed", "thu", "fri"]
            .iter()
            .map(|d| json!({"weekday": d, "start": "09:00", "end": "12:00", "schedule_type": "treat"}))
            .chain([json!({"weekday": "sat", "start": "10:00", "end": "11:00", "schedule_type": "video"})])
            .collect();
        json!({
            "clinics": [
                {"id": "main", "name": "Main", "time_zone": "America/Toronto", "email": "front@clinic.test"},
                {"id": "isle", "name": "Isle", "time_zone": "Pacific/Chatham"}
            ],
            "schedule_types": [
                {"id": "treat", "name": "Treatment", "clinic": "main", "allow_conflicts": true},
                {"id": "video", "name": "Video", "clinic": "main", "telehealth": true},
                {"id": "isle-t", "name": "Isle", "clinic": "isle"}
            ],
            "practitioner_types": [{"id": "physio", "name": "Physiotherapist"}],
            "practitioners": [
                {"id": "dr-a", "email": "a@clinic.test", "practitioner_types": ["physio"],
                 "schedule_types": ["treat", "video"],
                 "availability": [{"id": "a-2027", "start_date": "2027-01-01", "blocks": weekdays}]},
                {"id": "dr-b", "schedule_types": ["treat", "isle-t"],
                 "availability": [{"id": "b-2027", "start_date": "2027-01-04",
                   "recurrence": "FREQ=WEEKLY;INTERVAL=2",
                   "blocks": [
                     {"weekday": "mon", "start": "13:00", "end": "17:00", "schedule_type": "treat"},
                     {"weekday": "tue", "start": "08:00", "end": "12:00", "schedule_type": "isle-t"}]}]}
            ],
            "services": [
                {"id": "physio-30", "duration_minutes": 30, "portal_capacity": 2,
                 "schedule_types": ["treat", "video", "isle-t"], "buffer_after_minutes": 5},
                {"id": "massage-60", "duration_minutes": 60, "practitioner_type": "physio",
                 "schedule_types": ["treat"]}
            ],
            "closures": [
                {"id": "family-day", "date": "2027-02-15", "reason": "Family Day"},
                {"id": "b-off", "practitioner": "dr-b", "start_date": "2027-03-01", "end_date": "2027-03-05"}
            ],
            "referral_types": [
                {"id": "web", "name": "Web", "show_at_signup": true},
                {"id": "friend", "name": "Friend"}
            ],
            "programs": [
                {"id": "pilates", "name": "Pilates", "clinic": "main", "start_date": "2027-02-01",
                 "start_time": "18:00", "duration_minutes": 60, "capacity": 2,
                 "recurrence": "FREQ=WEEKLY;BYDAY=MO"}
            ],
            "portal": {
                "allow_public_signup": true,
                "login_url": "https://portal.clinic.test/login",
                "consent": {"enabled": true, "required": true, "text": "I agree", "version": "v1"},
                "scheduling": {
                    "max_bookings_per_day": 2, "max_future_bookings_per_patient": 4,
                    "min_hours_before_cancel": 2, "late_cancel_fee_hours": 24,
                    "start_interval_minutes": 15
                },
                "notifications": {"clinic_email": "front@clinic.test", "signup_to_clinic": true,
                                  "intake_form_to_clinic": true}
            }
        })
    }

    fn patient(v: Value) -> Patient {
        serde_json::from_value(v).unwrap_or_else(|e| panic!("world patient: {e}"))
    }

    fn must<T>(what: &str, r: clinic_portal::Result<T>) -> T {
        r.unwrap_or_else(|e| panic!("building the world: {what}: {e}"))
    }

    /// The practice as a snapshot, built once through the live API: patients (a family,
    /// a duplicate that was merged), accounts and links (one revoked), pending, booked,
    /// cancelled and host appointments, holds (one for no patient), a program
    /// registration, invitations, a password reset, a public signup and a queued
    /// notification.
    pub fn world() -> &'static str {
        static WORLD: OnceLock<String> = OnceLock::new();
        WORLD.get_or_init(build_world)
    }

    fn build_world() -> String {
        let now = now0();
        let e = must("config", Engine::from_json(&config_json().to_string()));
        for p in [
            json!({"id": "p1", "first_name": "Ann", "last_name": "Lee", "email": "ann@x.test",
                   "birth_date": "1980-01-02", "default_insurance": "ins-1", "referral_type": "friend"}),
            json!({"id": "p2", "first_name": "Bo", "last_name": "Lee", "birth_date": "2015-05-06"}),
            json!({"id": "p3", "first_name": "Cy", "last_name": "Day", "email": "cy@x.test",
                   "allowed_practitioners": ["dr-a"]}),
            json!({"id": "p4", "first_name": "Di", "last_name": "Fox", "email": "di@x.test"}),
            json!({"id": "p5", "first_name": "Ann", "last_name": "Lea", "email": "ann@x.test",
                   "birth_date": "1980-01-02"}),
        ] {
            must("patient", e.upsert_patient(patient(p)));
        }
        let mut a1 =
            NewAccount::new("ann@x.test", "correct horse 1").linked("p1", Relationship::Own);
        a1.id = Some("acct-1".to_owned());
        must("acct-1", e.create_account(&a1, now));
        must(
            "guardian",
            e.link_account("acct-1", "p2", Relationship::Guardian, now),
        );
        let mut a2 =
            NewAccount::new("cy@x.test", "correct horse 2").linked("p3", Relationship::Own);
        a2.id = Some("acct-2".to_owned());
        must("acct-2", e.create_account(&a2, now));
        must(
            "carer",
            e.link_account("acct-2", "p4", Relationship::Carer, now),
        );
        must("revoke", e.revoke_link("acct-2", "p4", now));

        let mut b1 = BookRequest::new("p1", "physio-30", monday_at(9, 0))
            .practitioner("dr-a")
            .consent()
            .idempotency_key("k1")
            .actor("acct-1");
        b1.id = Some("bk-p1".to_owned());
        must("book p1", e.book(&b1, now));
        let mut b3 = BookRequest::new("p3", "physio-30", monday_at(9, 30))
            .practitioner("dr-a")
            .consent();
        b3.id = Some("bk-p3".to_owned());
        must("book p3", e.book(&b3, now));
        must(
            "accept",
            e.accept(&DecisionRequest::new("bk-p3", Some("see you")), now),
        );
        let mut b2 = BookRequest::new("p2", "massage-60", monday_at(10, 0) + Duration::days(1))
            .practitioner("dr-a");
        b2.id = Some("bk-p2".to_owned());
        b2.consent_given = true;
        must("book p2", e.book(&b2, now));
        must(
            "cancel",
            e.cancel(&CancelRequest::by_staff("bk-p2", "double booked"), now),
        );
        must(
            "host",
            e.add_appointment(clinic_portal::Appointment {
                id: "host-1".to_owned(),
                practitioner: "dr-b".to_owned(),
                clinic: Some("main".to_owned()),
                service: Some("physio-30".to_owned()),
                patient: Some("p4".to_owned()),
                start: monday_at(13, 0),
                end: monday_at(13, 30),
                status: AppointmentStatus::Booked,
                source: clinic_portal::Source::Staff,
            }),
        );
        let mut h = HoldRequest::new("physio-30", monday_at(11, 0))
            .practitioner("dr-a")
            .patient("p3");
        h.id = Some("hold-p3".to_owned());
        must("hold", e.hold(&h, now));
        let mut h = HoldRequest::new("physio-30", monday_at(11, 30)).practitioner("dr-a");
        h.id = Some("hold-anon".to_owned());
        must("anonymous hold", e.hold(&h, now));
        let mut r = RegistrationRequest::new("pilates", "p1", date(2027, 2, 1));
        r.id = Some("reg-1".to_owned());
        must("register", e.register_program(&r, now));
        let mut i = InviteRequest::guardian("p2", "grandma@x.test");
        i.id = Some("inv-1".to_owned());
        must("invite guardian", e.invite(&i, now));
        let mut i = InviteRequest::own("p4");
        i.id = Some("inv-2".to_owned());
        must("invite p4", e.invite(&i, now));
        must("reset", e.request_password_reset("ann@x.test", now));
        let mut s = SignupRequest::new(
            "eve@x.test",
            "correct horse 3",
            "Eve",
            "Stone",
            Some(date(1990, 7, 8)),
        );
        s.referral_type = Some("web".to_owned());
        s.patient_id = Some("p6".to_owned());
        s.account_id = Some("acct-3".to_owned());
        must("signup", e.signup(&s, now));
        must("merge", e.merge_patients("p1", "p5", now));
        e.drain_outbox();
        must("intake", e.intake_form_completed("p1", "intake", now));
        e.snapshot()
    }

    /// A calendar date (the epoch's for an impossible one: callers pass real dates).
    pub fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default()
    }

    /// A fresh engine holding the practice.
    pub fn world_engine() -> Engine {
        Engine::restore(world()).unwrap_or_else(|e| panic!("the world does not restore: {e}"))
    }

    // -- the checks ----------------------------------------------------------------------

    /// The result of a mutating operation: a failure is typed (not `internal`) and left
    /// the snapshot as `before`; after a success the snapshot restores to itself.
    pub fn checked<T: std::fmt::Debug>(
        e: &Engine,
        before: &str,
        what: &str,
        result: clinic_portal::Result<T>,
    ) -> Option<T> {
        match result {
            Ok(v) => {
                round_trips(e, what);
                Some(v)
            }
            Err(err) => {
                assert_ne!(err.code(), ErrorCode::Internal, "{what}: {err}");
                assert!(
                    e.snapshot() == before,
                    "{what} failed ({err}) but changed the engine"
                );
                None
            }
        }
    }

    /// The result of a reading operation: typed if it fails, and nothing changed either way.
    pub fn unchanged<T>(
        e: &Engine,
        before: &str,
        what: &str,
        result: clinic_portal::Result<T>,
    ) -> Option<T> {
        if let Err(err) = &result {
            assert_ne!(err.code(), ErrorCode::Internal, "{what}: {err}");
        }
        assert!(e.snapshot() == before, "{what} changed the engine");
        result.ok()
    }

    /// The engine's snapshot restores to an engine with the same snapshot.
    pub fn round_trips(e: &Engine, what: &str) {
        let snap = e.snapshot();
        match Engine::restore(&snap) {
            Ok(back) => assert!(
                back.snapshot() == snap,
                "after {what}: the restored snapshot differs"
            ),
            Err(err) => panic!("after {what}: the engine's own snapshot does not restore: {err}"),
        }
    }

    /// What a request target reads: the request, and optionally `now` (default
    /// [`now0`]), an operation name and an explain start.
    #[derive(Deserialize)]
    struct Input<T> {
        #[serde(default)]
        now: Option<DateTime<Utc>>,
        #[serde(default)]
        op: Option<String>,
        #[serde(default)]
        start: Option<DateTime<Utc>>,
        request: T,
    }

    fn input<T: for<'de> Deserialize<'de>>(text: &str) -> Option<(DateTime<Utc>, Input<T>)> {
        let input: Input<T> = serde_json::from_str(text).ok()?;
        Some((input.now.unwrap_or_else(now0), input))
    }

    // -- the targets ---------------------------------------------------------------------

    /// Configuration JSON: it loads or is `invalid_config`/`invalid_input`; a loaded one
    /// survives its own JSON and a snapshot, and answers a bounded search and explain per
    /// service.
    pub fn config(text: &str) {
        let parsed = Config::from_json(text);
        if let Ok(cfg) = &parsed {
            // Validation never panics, and agrees with loading.
            let diags = Engine::validate(cfg);
            let loads = Engine::new(cfg.clone()).is_ok();
            assert_eq!(
                loads,
                !diags.iter().any(|d| d.is_error()),
                "validate and new disagree"
            );
            let again = Config::from_json(&cfg.to_json()).unwrap_or_else(|e| {
                panic!("a parsed configuration's own JSON does not parse: {e}")
            });
            assert!(again == *cfg, "a configuration's JSON does not round-trip");
        }
        let e = match Engine::from_json(text) {
            Ok(e) => e,
            Err(err) => {
                assert!(
                    matches!(
                        err.code(),
                        ErrorCode::InvalidConfig | ErrorCode::InvalidInput
                    ),
                    "{err}"
                );
                return;
            }
        };
        round_trips(&e, "loading a configuration");
        let before = e.snapshot();
        let now = now0();
        let from = date(2027, 2, 1);
        for s in &e.config().services {
            let q = SlotQuery::new(s.id.clone(), from, from + Duration::days(13));
            if let Some(slots) = unchanged(&e, &before, "search", e.search(&q, now)) {
                let _ = slots.to_json();
                if let Some(first) = slots.get(0) {
                    let start = first.start().with_timezone(&Utc);
                    unchanged(&e, &before, "explain", e.explain(&q, start, now));
                }
            }
            unchanged(&e, &before, "explain", e.explain(&q, monday_at(9, 0), now));
            unchanged(&e, &before, "service report", e.service_report(&s.id));
        }
        unchanged(
            &e,
            &before,
            "programs",
            e.report_programs(from, from + Duration::days(60)),
        );
        unchanged(&e, &before, "book button", e.book_button_html(None));
    }

    /// Snapshot JSON: it restores or is refused; a restored engine answers every report
    /// and a few operations without breaking its promises.
    pub fn restore(text: &str) {
        let Ok(e) = Engine::restore(text) else {
            return;
        };
        round_trips(&e, "restore");
        exercise(&e, now0());
    }

    /// Reads and a few writes over whatever a restored or changed engine holds.
    pub fn exercise(e: &Engine, now: DateTime<Utc>) {
        let before = e.snapshot();
        let wide = AppointmentFilter {
            source: None,
            ..AppointmentFilter::new(NaiveDate::MIN, NaiveDate::MAX)
        };
        unchanged(e, &before, "report", e.report_portal_appointments(&wide));
        let _ = e.pending_queue(now);
        let _ = e.report_referrals();
        let _ = e.review_queue();
        let _ = e.outbox();
        for a in e.accounts() {
            unchanged(
                e,
                &before,
                "appointments for account",
                e.appointments_for_account(&a.id),
            );
        }
        let from = date(2027, 2, 1);
        let q = SlotQuery::new("physio-30", from, from + Duration::days(6));
        unchanged(e, &before, "search", e.search(&q, now));
        unchanged(e, &before, "report programs", e.report_programs(from, from));
        let patients: Vec<String> = ["p1", "p2", "p3", "p4", "p6"]
            .iter()
            .map(|p| (*p).to_owned())
            .collect();
        for p in &patients {
            unchanged(e, &before, "duplicates", e.find_duplicates(p));
        }
        // Writes: each checked, each from the state the last one left.
        let mut before = before;
        let r = BookRequest::new("p4", "physio-30", monday_at(10, 30))
            .practitioner("dr-a")
            .consent();
        checked(e, &before, "book", e.book(&r, now));
        before = e.snapshot();
        checked(
            e,
            &before,
            "purge",
            Ok(e.purge_expired_holds(now + Duration::hours(1))),
        );
        before = e.snapshot();
        checked(e, &before, "bulk invite", e.bulk_invite(now));
        before = e.snapshot();
        checked(e, &before, "drain", Ok(e.drain_outbox()));
        for a in e.report_portal_appointments(&wide).unwrap_or_default() {
            before = e.snapshot();
            let cancel = CancelRequest::by_staff(&a.id, "fuzz");
            checked(e, &before, "cancel", e.cancel(&cancel, now));
        }
    }

    /// A change (JSON; without `seq` it gets the next one): applied whole or refused
    /// with nothing changed; an applied one leaves an engine that still keeps its promises.
    pub fn apply(text: &str) {
        let Ok(mut v) = serde_json::from_str::<Value>(text) else {
            return;
        };
        let e = world_engine();
        if let Some(obj) = v.as_object_mut() {
            obj.entry("seq").or_insert_with(|| json!(e.last_seq() + 1));
        }
        let Ok(change) = serde_json::from_value::<Change>(v) else {
            return;
        };
        let before = e.snapshot();
        if checked(&e, &before, "apply", e.apply(&change)).is_some() {
            // The journal holds it as given.
            let kept = e.changes_since(e.last_seq() - 1).unwrap_or_default();
            assert!(kept == [change], "an applied change is journaled as given");
            exercise(&e, now0());
        }
    }

    /// A hold request; a hold made is converted into a booking.
    pub fn hold(text: &str) {
        let Some((now, input)) = input::<HoldRequest>(text) else {
            return;
        };
        let e = world_engine();
        let before = e.snapshot();
        if let Some(h) = checked(&e, &before, "hold", e.hold(&input.request, now)) {
            let before = e.snapshot();
            let book = BookRequest::from_hold(h.patient.clone().unwrap_or_default(), &h.id);
            checked(&e, &before, "book from hold", e.book(&book.consent(), now));
        }
    }

    /// A booking request; with an idempotency key, retried once.
    pub fn book(text: &str) {
        let Some((now, input)) = input::<BookRequest>(text) else {
            return;
        };
        let e = world_engine();
        let before = e.snapshot();
        if checked(&e, &before, "book", e.book(&input.request, now)).is_some() {
            // A retry with the same key gives the first outcome and changes nothing more.
            if input.request.idempotency_key.is_some() {
                let before = e.snapshot();
                checked(&e, &before, "retry", e.book(&input.request, now));
            }
        }
    }

    /// A cancellation request.
    pub fn cancel(text: &str) {
        let Some((now, input)) = input::<CancelRequest>(text) else {
            return;
        };
        let e = world_engine();
        let before = e.snapshot();
        checked(&e, &before, "cancel", e.cancel(&input.request, now));
    }

    /// A reschedule request.
    pub fn reschedule(text: &str) {
        let Some((now, input)) = input::<RescheduleRequest>(text) else {
            return;
        };
        let e = world_engine();
        let before = e.snapshot();
        checked(&e, &before, "reschedule", e.reschedule(&input.request, now));
    }

    /// `op` is `accept` (default) or `decline`.
    pub fn decision(text: &str) {
        let Some((now, input)) = input::<DecisionRequest>(text) else {
            return;
        };
        let e = world_engine();
        let before = e.snapshot();
        let r = if input.op.as_deref() == Some("decline") {
            e.decline(&input.request, now)
        } else {
            e.accept(&input.request, now)
        };
        checked(&e, &before, "decision", r);
    }

    /// An invitation and, with `accept`, its redemption (`token` absent: the issued one).
    #[derive(Deserialize)]
    struct InviteInput {
        invite: InviteRequest,
        #[serde(default)]
        accept: Option<AcceptInput>,
    }

    #[derive(Deserialize)]
    struct AcceptInput {
        #[serde(default)]
        token: Option<String>,
        #[serde(default)]
        password: Option<String>,
        #[serde(default)]
        authenticated_account: Option<String>,
        #[serde(default)]
        account_id: Option<String>,
        #[serde(default)]
        now: Option<DateTime<Utc>>,
    }

    /// An invitation request and, with `accept`, its redemption.
    pub fn invite(text: &str) {
        let Some((now, input)) = input::<InviteInput>(text) else {
            return;
        };
        let e = world_engine();
        let before = e.snapshot();
        let issued = checked(&e, &before, "invite", e.invite(&input.request.invite, now));
        if let Some(a) = input.request.accept {
            let token = match (a.token, &issued) {
                (Some(t), _) => SecretToken::new(t),
                (None, Some(i)) => i.token.clone(),
                (None, None) => return,
            };
            let accept = AcceptInvitation {
                token,
                password: a.password.map(Password::new),
                authenticated_account: a.authenticated_account,
                account_id: a.account_id,
            };
            let before = e.snapshot();
            let at = a.now.unwrap_or(now);
            checked(
                &e,
                &before,
                "accept invitation",
                e.accept_invitation(&accept, at),
            );
        }
    }

    /// [`SignupRequest`] as JSON.
    #[derive(Deserialize)]
    struct SignupInput {
        email: String,
        password: String,
        #[serde(default)]
        first_name: String,
        #[serde(default)]
        last_name: String,
        #[serde(default)]
        birth_date: Option<NaiveDate>,
        #[serde(default)]
        referral_type: Option<String>,
        #[serde(default)]
        patient_id: Option<String>,
        #[serde(default)]
        account_id: Option<String>,
    }

    /// A signup, then (when it succeeds) a login, the duplicates of the new patient and
    /// a merge of it into the first candidate.
    pub fn signup(text: &str) {
        let Some((now, input)) = input::<SignupInput>(text) else {
            return;
        };
        let s = input.request;
        let request = SignupRequest {
            email: s.email,
            password: Password::new(s.password.clone()),
            first_name: s.first_name,
            last_name: s.last_name,
            birth_date: s.birth_date,
            referral_type: s.referral_type,
            patient_id: s.patient_id,
            account_id: s.account_id,
        };
        let e = world_engine();
        let before = e.snapshot();
        let Some(out) = checked(&e, &before, "signup", e.signup(&request, now)) else {
            return;
        };
        let before = e.snapshot();
        let login = e.login(&out.account.username, &Password::new(s.password), now);
        assert!(login.is_ok(), "cannot log in after signup: {login:?}");
        let before = {
            checked(&e, &before, "login", login);
            e.snapshot()
        };
        let dups = unchanged(
            &e,
            &before,
            "duplicates",
            e.find_duplicates(&out.patient.id),
        );
        if let Some(first) = dups.unwrap_or_default().first() {
            checked(
                &e,
                &before,
                "merge",
                e.merge_patients(&first.patient, &out.patient.id, now),
            );
        }
    }

    /// [`NewAccount`] as JSON.
    #[derive(Deserialize)]
    struct AccountInput {
        #[serde(default)]
        id: Option<String>,
        username: String,
        password: String,
        #[serde(default)]
        patient: Option<String>,
        #[serde(default)]
        relationship: Option<Relationship>,
    }

    /// A manual account, then (when it is created) a login, a password change and a reset
    /// request.
    pub fn account(text: &str) {
        let Some((now, input)) = input::<AccountInput>(text) else {
            return;
        };
        let a = input.request;
        let request = NewAccount {
            id: a.id,
            username: a.username,
            password: Password::new(a.password.clone()),
            patient: a.patient,
            relationship: a.relationship.unwrap_or(Relationship::Own),
        };
        let e = world_engine();
        let before = e.snapshot();
        let Some(acct) = checked(
            &e,
            &before,
            "create account",
            e.create_account(&request, now),
        ) else {
            return;
        };
        let before = e.snapshot();
        let pw = Password::new(a.password);
        checked(&e, &before, "login", e.login(&acct.username, &pw, now));
        let before = e.snapshot();
        let new = Password::new("another long password");
        checked(
            &e,
            &before,
            "change password",
            e.change_password(&acct.id, &pw, &new, now),
        );
        let before = e.snapshot();
        checked(
            &e,
            &before,
            "reset",
            e.request_password_reset(&acct.username, now),
        );
    }

    /// A registration, then (when it is made) its cancellation by the same actor.
    pub fn registration(text: &str) {
        let Some((now, input)) = input::<RegistrationRequest>(text) else {
            return;
        };
        let e = world_engine();
        let before = e.snapshot();
        let r = &input.request;
        if let Some(reg) = checked(&e, &before, "register", e.register_program(r, now)) {
            let before = e.snapshot();
            let cancel = e.cancel_program_registration(&reg.id, r.actor.as_deref(), now);
            checked(&e, &before, "cancel registration", cancel);
        }
    }

    /// A slot search and, with `start`, an explain; the first slot found is explained as
    /// offered.
    pub fn search(text: &str) {
        let Some((now, input)) = input::<SlotQuery>(text) else {
            return;
        };
        let e = world_engine();
        let before = e.snapshot();
        let q = &input.request;
        if let Some(slots) = unchanged(&e, &before, "search", e.search(q, now)) {
            let _ = slots.to_json();
            if let Some(first) = slots.get(0) {
                let start = first.start().with_timezone(&Utc);
                let x = unchanged(&e, &before, "explain", e.explain(q, start, now));
                assert!(
                    x.as_ref().is_some_and(|x| x.offered),
                    "search offers {start} but explain says {x:?}"
                );
            }
        }
        if let Some(start) = input.start {
            unchanged(&e, &before, "explain", e.explain(q, start, now));
        }
    }
}
