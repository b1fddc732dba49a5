//! Operations as JSON: every `Operation` parses from a JSON example and, run with
//! `Engine::execute`, does what the Rust call does; `plan_operation` + `apply` equals
//! `execute`; bad JSON changes nothing; outcomes carry the link tokens the host needs and
//! never a password hash or token digest.

mod common;

use std::collections::BTreeSet;

use chrono::{DateTime, Duration, Utc};
use clinic_portal::{
    AcceptInvitation, Account, AppointmentStatus, BookRequest, CancelRequest, DecisionRequest,
    Engine, ErrorCode, HoldRequest, Invitation, InviteRequest, IssuedInvitation, NewAccount,
    Operation, Password, RegistrationRequest, Relationship, ReleaseHoldRequest, RescheduleRequest,
    SecretToken, SignupRequest, WaitlistFilter, WaitlistRequest,
};
use common::*;
use serde_json::{json, Value};

type R = clinic_portal::Result<Value>;

fn config() -> Value {
    let mut cfg = base();
    cfg["practitioners"] = json!([
        practitioner("dr-a", weekday_blocks("09:00", "12:00")),
        practitioner("dr-b", weekday_blocks("09:00", "12:00")),
    ]);
    cfg["practitioners"][0]["email"] = json!("a@clinic.test");
    cfg["referral_types"] = json!([{"id": "google", "name": "Google", "show_at_signup": true}]);
    cfg["programs"] = json!([{
        "id": "pilates", "name": "Pilates", "clinic": "main", "start_date": "2027-02-01",
        "start_time": "18:00", "duration_minutes": 60, "capacity": 2,
        "recurrence": "FREQ=WEEKLY;BYDAY=MO"
    }]);
    cfg["portal"] = json!({
        "allow_public_signup": true,
        "notifications": {"clinic_email": "front@clinic.test", "intake_form_to_clinic": true,
                          "signup_to_clinic": true}
    });
    cfg
}

/// The exhaustiveness guard: adding a variant without listing it here does not compile,
/// and `every_operation_runs_as_json_like_the_rust_call` fails until a step runs it.
fn covered(op: &Operation) -> &'static str {
    match op {
        Operation::UpsertPatient { .. } => "upsert_patient",
        Operation::RemovePatient { .. } => "remove_patient",
        Operation::AddAppointment { .. } => "add_appointment",
        Operation::AddAppointments { .. } => "add_appointments",
        Operation::UpdateAppointment { .. } => "update_appointment",
        Operation::RemoveAppointment { .. } => "remove_appointment",
        Operation::Hold { .. } => "hold",
        Operation::ReleaseHold { .. } => "release_hold",
        Operation::PurgeExpiredHolds {} => "purge_expired_holds",
        Operation::Book { .. } => "book",
        Operation::Accept { .. } => "accept",
        Operation::Decline { .. } => "decline",
        Operation::Cancel { .. } => "cancel",
        Operation::Reschedule { .. } => "reschedule",
        Operation::IntakeFormCompleted { .. } => "intake_form_completed",
        Operation::DrainOutbox {} => "drain_outbox",
        Operation::RegisterProgram { .. } => "register_program",
        Operation::CancelProgramRegistration { .. } => "cancel_program_registration",
        Operation::CreateAccount { .. } => "create_account",
        Operation::Login { .. } => "login",
        Operation::ChangePassword { .. } => "change_password",
        Operation::LinkAccount { .. } => "link_account",
        Operation::ConfirmLink { .. } => "confirm_link",
        Operation::RevokeLink { .. } => "revoke_link",
        Operation::RequestPasswordReset { .. } => "request_password_reset",
        Operation::ResetPassword { .. } => "reset_password",
        Operation::Invite { .. } => "invite",
        Operation::ResendInvitation { .. } => "resend_invitation",
        Operation::DeleteInvitation { .. } => "delete_invitation",
        Operation::AcceptInvitation { .. } => "accept_invitation",
        Operation::BulkInvite {} => "bulk_invite",
        Operation::Signup { .. } => "signup",
        Operation::MarkSignupReviewed { .. } => "mark_signup_reviewed",
        Operation::MergePatients { .. } => "merge_patients",
        Operation::Reconfigure { .. } => "reconfigure",
        Operation::PutClosure { .. } => "put_closure",
        Operation::RemoveClosure { .. } => "remove_closure",
        Operation::JoinWaitlist { .. } => "join_waitlist",
        Operation::LeaveWaitlist { .. } => "leave_waitlist",
        Operation::DeclineWaitlistOffer { .. } => "decline_waitlist_offer",
        Operation::ProcessWaitlist {} => "process_waitlist",
        Operation::ImportFhirAppointment { .. } => "import_fhir_appointment",
    }
}

/// The `op` names in the module documentation's table.
fn documented() -> BTreeSet<String> {
    include_str!("../src/operation.rs")
        .lines()
        .filter_map(|l| l.strip_prefix("//! | `"))
        .filter_map(|l| l.split('`').next())
        .filter(|n| *n != "op")
        .map(str::to_owned)
        .collect()
}

/// The variants of `pub enum Operation`, in snake_case, read from the source.
fn declared() -> BTreeSet<String> {
    let src = include_str!("../src/operation.rs");
    let body = src
        .split("pub enum Operation {")
        .nth(1)
        .and_then(|b| b.split("\n}\n").next())
        .expect("enum body");
    body.lines()
        .filter_map(|l| l.strip_prefix("    "))
        .filter(|l| l.starts_with(|c: char| c.is_ascii_uppercase()))
        .map(|l| {
            let name: String = l.chars().take_while(char::is_ascii_alphanumeric).collect();
            let mut out = String::new();
            for (i, c) in name.chars().enumerate() {
                if c.is_ascii_uppercase() && i > 0 {
                    out.push('_');
                }
                out.push(c.to_ascii_lowercase());
            }
            out
        })
        .collect()
}

// Expected outcomes, written independently of the module's views.

fn account(a: &Account) -> Value {
    json!({"id": a.id, "username": a.username, "created_at": a.created_at})
}

fn invitation(i: &Invitation) -> Value {
    let mut v = serde_json::to_value(i).expect("invitation");
    v.as_object_mut().expect("object").remove("token_digest");
    v
}

fn issued(i: &IssuedInvitation) -> Value {
    json!({"invitation": invitation(&i.invitation), "token": i.token.expose(),
           "notification": i.notification})
}

fn val<T: serde::Serialize>(v: T) -> Value {
    serde_json::to_value(v).expect("serialise")
}

/// The outcome with every link token blanked (each engine draws its own).
fn no_tokens(v: &Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.iter()
                .map(|(k, x)| {
                    let x = if k == "token" {
                        json!("*")
                    } else {
                        no_tokens(x)
                    };
                    (k.clone(), x)
                })
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.iter().map(no_tokens).collect()),
        other => other.clone(),
    }
}

/// A snapshot with the random parts (password hashes, token digests) blanked.
fn masked(e: &Engine) -> Value {
    fn walk(v: &mut Value) {
        match v {
            Value::Object(m) => {
                for (k, x) in m.iter_mut() {
                    if k == "password_hash" || k == "token_digest" {
                        *x = json!("*");
                    } else {
                        walk(x);
                    }
                }
            }
            Value::Array(a) => a.iter_mut().for_each(walk),
            _ => {}
        }
    }
    let mut v: Value = serde_json::from_str(&e.snapshot()).expect("snapshot");
    walk(&mut v);
    v
}

/// The last link token found in an outcome.
fn token_in(v: &Value) -> Option<String> {
    match v {
        Value::Object(m) => m
            .get("token")
            .and_then(Value::as_str)
            .map(str::to_owned)
            .or_else(|| m.values().filter_map(token_in).next_back()),
        Value::Array(a) => a.iter().filter_map(token_in).next_back(),
        _ => None,
    }
}

fn assert_no_secret(v: &Value) {
    let text = v.to_string();
    assert!(!text.contains("password_hash"), "{text}");
    assert!(!text.contains("$argon2"), "{text}");
    assert!(!text.contains("token_digest"), "{text}");
}

/// Three engines that must stay equal: `exec` runs the JSON operation, `direct` the Rust
/// call, `planner` plans the JSON operation and applies the change, which `replica`
/// applies too.
struct World {
    exec: Engine,
    direct: Engine,
    planner: Engine,
    replica: Engine,
    /// The last link token each of exec, direct, planner was given.
    tokens: [String; 3],
    now: DateTime<Utc>,
    seen: BTreeSet<&'static str>,
    /// No random secret made yet: exec and planner are byte-identical.
    deterministic: bool,
}

impl World {
    fn new() -> World {
        let cfg = config();
        World {
            exec: engine(&cfg),
            direct: engine(&cfg),
            planner: engine(&cfg),
            replica: engine(&cfg),
            tokens: Default::default(),
            now: early(),
            seen: BTreeSet::new(),
            deterministic: true,
        }
    }

    /// Runs one step: `json` builds the operation from the engine's last token, `rust`
    /// makes the same call on `direct`. Returns the JSON outcome.
    fn step(
        &mut self,
        json: impl Fn(&str) -> Value,
        rust: impl FnOnce(&Engine, &str) -> R,
    ) -> Value {
        let ops: Vec<Operation> = (0..3)
            .map(|i| {
                let text = json(&self.tokens[i]).to_string();
                Operation::from_json(&text).unwrap_or_else(|e| panic!("{text}: {e}"))
            })
            .collect();
        let name = covered(&ops[0]);
        assert_eq!(ops[0].name(), name);
        self.seen.insert(name);
        let now = self.now;

        let out_exec = self
            .exec
            .execute(&ops[0], now)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let out_direct =
            rust(&self.direct, &self.tokens[1]).unwrap_or_else(|e| panic!("{name}: {e}"));
        let before = self.planner.snapshot();
        let planned = self
            .planner
            .plan_operation(&ops[2], now)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(
            self.planner.snapshot(),
            before,
            "{name}: planning changed the engine"
        );
        if let Some(change) = &planned.change {
            self.planner.apply(change).expect("apply");
            self.replica.apply(change).expect("apply on the replica");
        }
        let out_plan = planned.outcome;

        for out in [&out_exec, &out_direct, &out_plan] {
            assert_no_secret(out);
        }
        assert_eq!(
            no_tokens(&out_exec),
            no_tokens(&out_direct),
            "{name}: execute vs Rust"
        );
        assert_eq!(
            no_tokens(&out_plan),
            no_tokens(&out_exec),
            "{name}: plan vs execute"
        );
        assert_eq!(
            masked(&self.exec),
            masked(&self.direct),
            "{name}: execute vs Rust"
        );
        assert_eq!(
            masked(&self.planner),
            masked(&self.exec),
            "{name}: plan vs execute"
        );
        assert_eq!(
            self.replica.snapshot(),
            self.planner.snapshot(),
            "{name}: replica"
        );
        if matches!(
            name,
            "create_account"
                | "change_password"
                | "reset_password"
                | "invite"
                | "resend_invitation"
                | "accept_invitation"
                | "bulk_invite"
                | "signup"
                | "request_password_reset"
                | "login"
        ) {
            self.deterministic = false;
        }
        if self.deterministic {
            assert_eq!(
                self.planner.snapshot(),
                self.exec.snapshot(),
                "{name}: byte-identical"
            );
        }
        for (i, out) in [&out_exec, &out_direct, &out_plan].into_iter().enumerate() {
            if let Some(t) = token_in(out) {
                self.tokens[i] = t;
            }
        }
        out_exec
    }
}

fn ok<T: serde::Serialize>(r: clinic_portal::Result<T>) -> R {
    r.map(val)
}

#[test]
fn every_operation_runs_as_json_like_the_rust_call() {
    let mut w = World::new();
    let appt_json = |id: &str, start: DateTime<Utc>| {
        json!({"id": id, "practitioner": "dr-b", "start": start,
               "end": start + Duration::minutes(30), "status": "booked", "source": "staff"})
    };
    let a = |id: &str, start: DateTime<Utc>| {
        appt(
            id,
            "dr-b",
            start,
            start + Duration::minutes(30),
            AppointmentStatus::Booked,
        )
    };
    for id in ["p1", "p2", "p3", "p4"] {
        let p = json!({"id": id, "email": format!("{id}@x.test"), "first_name": id,
                       "last_name": "Doe"});
        let out = w.step(
            |_| json!({"op": "upsert_patient", "patient": p}),
            |e, _| ok(e.upsert_patient(serde_json::from_value(p.clone()).expect("patient"))),
        );
        assert_eq!(out, Value::Null);
    }
    let out = w.step(
        |_| json!({"op": "remove_patient", "id": "p4"}),
        |e, _| ok(e.remove_patient("p4")),
    );
    assert_eq!(out["id"], "p4");
    w.step(
        |_| json!({"op": "add_appointment", "appointment": appt_json("s1", mon_at(9, 0))}),
        |e, _| ok(e.add_appointment(a("s1", mon_at(9, 0)))),
    );
    w.step(
        |_| {
            json!({"op": "add_appointments", "appointments":
            [appt_json("s2", mon_at(9, 30)), appt_json("s3", mon_at(10, 0))]})
        },
        |e, _| ok(e.add_appointments(vec![a("s2", mon_at(9, 30)), a("s3", mon_at(10, 0))])),
    );
    let fhir = json!({"resourceType": "Appointment", "id": "f1", "status": "booked",
        "start": mon_at(11, 30), "end": mon_at(11, 30) + Duration::minutes(30),
        "participant": [{"actor": {"reference": "Practitioner/dr-b"}, "status": "accepted"}]})
    .to_string();
    w.step(
        |_| json!({"op": "import_fhir_appointment", "resource": fhir}),
        |e, _| ok(e.import_fhir_appointment(&fhir)),
    );
    w.step(
        |_| json!({"op": "update_appointment", "appointment": appt_json("s2", mon_at(11, 0))}),
        |e, _| ok(e.update_appointment(a("s2", mon_at(11, 0)))),
    );
    let out = w.step(
        |_| json!({"op": "remove_appointment", "id": "s3"}),
        |e, _| ok(e.remove_appointment("s3")),
    );
    assert_eq!(out["id"], "s3");
    let hold = HoldRequest::new("physio-30", mon_at(10, 0))
        .practitioner("dr-a")
        .patient("p1")
        .id("h1");
    let out = w.step(
        |_| {
            json!({"op": "hold", "request": {"service": "physio-30", "start": mon_at(10, 0),
                   "practitioner": "dr-a", "patient": "p1", "id": "h1"}})
        },
        |e, _| ok(e.hold(&hold, early())),
    );
    assert_eq!(out["id"], "h1");
    w.step(
        |_| json!({"op": "release_hold", "request": {"hold": "h1"}}),
        |e, _| ok(e.release_hold(&ReleaseHoldRequest::new("h1"))),
    );
    let hold2 = HoldRequest::new("physio-30", mon_at(10, 0))
        .patient("p1")
        .id("h2");
    w.step(
        |_| {
            json!({"op": "hold", "request": {"service": "physio-30", "start": mon_at(10, 0),
                   "patient": "p1", "id": "h2"}})
        },
        |e, _| ok(e.hold(&hold2, early())),
    );
    w.now = early() + Duration::days(1);
    let out = w.step(
        |_| json!({"op": "purge_expired_holds"}),
        |e, _| ok(Ok(e.purge_expired_holds(early() + Duration::days(1)))),
    );
    assert_eq!(out, json!(1));
    w.now = early();
    let now = early();
    for (id, h) in [("b1", 10), ("b2", 11)] {
        let out = w.step(
            |_| {
                json!({"op": "book", "request": {"patient": "p1", "service": "physio-30",
                       "start": mon_at(h, 0), "practitioner": "dr-a", "id": id}})
            },
            |e, _| {
                ok(e.book(
                    &BookRequest::new("p1", "physio-30", mon_at(h, 0))
                        .practitioner("dr-a")
                        .id(id),
                    now,
                ))
            },
        );
        assert_eq!(out["appointment"]["id"], id);
    }
    w.step(
        |_| json!({"op": "accept", "request": {"appointment": "b1", "note": "See you"}}),
        |e, _| ok(e.accept(&DecisionRequest::new("b1", Some("See you")), now)),
    );
    w.step(
        |_| json!({"op": "decline", "request": {"appointment": "b2"}}),
        |e, _| ok(e.decline(&DecisionRequest::new("b2", None), now)),
    );
    w.step(
        |_| json!({"op": "reschedule", "request": {"appointment": "b1", "start": mon_at(11, 30)}}),
        |e, _| ok(e.reschedule(&RescheduleRequest::new("b1", mon_at(11, 30)), now)),
    );
    w.step(
        |_| json!({"op": "cancel", "request": {"appointment": "b1", "by": "patient"}}),
        |e, _| ok(e.cancel(&CancelRequest::by_patient("b1"), now)),
    );
    let out = w.step(
        |_| json!({"op": "intake_form_completed", "patient": "p1", "form": "covid"}),
        |e, _| ok(e.intake_form_completed("p1", "covid", now)),
    );
    assert!(out.is_u64(), "{out}");
    w.step(
        |_| {
            json!({"op": "register_program", "request": {"id": "r1", "program": "pilates",
                   "patient": "p1", "session_date": "2027-02-01"}})
        },
        |e, _| {
            let mut r = RegistrationRequest::new("pilates", "p1", monday());
            r.id = Some("r1".into());
            ok(e.register_program(&r, now))
        },
    );
    w.step(
        |_| json!({"op": "cancel_program_registration", "id": "r1"}),
        |e, _| ok(e.cancel_program_registration("r1", None, now)),
    );
    let out = w.step(
        |_| {
            json!({"op": "create_account", "request": {"id": "acct-p1", "username": "p1@x.test",
                   "password": "first password", "patient": "p1"}})
        },
        |e, _| {
            let mut r =
                NewAccount::new("p1@x.test", "first password").linked("p1", Relationship::Own);
            r.id = Some("acct-p1".into());
            e.create_account(&r, now).map(|a| account(&a))
        },
    );
    assert_eq!(out.as_object().map(|o| o.len()), Some(3), "{out}");
    w.step(
        |_| json!({"op": "login", "username": "p1@x.test", "password": "first password"}),
        |e, _| {
            e.login("p1@x.test", &Password::new("first password"), now)
                .map(|a| account(&a))
        },
    );
    w.step(
        |_| {
            json!({"op": "change_password", "account": "acct-p1", "current": "first password",
                   "new": "second password"})
        },
        |e, _| {
            e.change_password(
                "acct-p1",
                &"first password".into(),
                &"second password".into(),
                now,
            )
            .map(|a| account(&a))
        },
    );
    w.step(
        |_| {
            json!({"op": "link_account", "account": "acct-p1", "patient": "p2",
                   "relationship": "guardian"})
        },
        |e, _| ok(e.link_account("acct-p1", "p2", Relationship::Guardian, now)),
    );
    w.step(
        |_| json!({"op": "revoke_link", "account": "acct-p1", "patient": "p2"}),
        |e, _| ok(e.revoke_link("acct-p1", "p2", now)),
    );
    w.step(
        |_| json!({"op": "request_password_reset", "username": "p1@x.test"}),
        |e, _| ok(e.request_password_reset("p1@x.test", now)),
    );
    let drained = w.step(
        |_| json!({"op": "drain_outbox"}),
        |e, _| {
            Ok(Value::Array(
                e.drain_outbox()
                    .iter()
                    .map(|n| {
                        let mut v = val(n);
                        if let Some(t) = &n.token {
                            v["token"] = json!(t.expose());
                        }
                        v
                    })
                    .collect(),
            ))
        },
    );
    let reset = drained
        .as_array()
        .and_then(|a| a.iter().find(|n| n["kind"] == "password_reset"))
        .expect("a reset notification");
    assert!(
        reset["token"].as_str().is_some_and(|t| t.len() >= 40),
        "{reset}"
    );
    w.step(
        |t| json!({"op": "reset_password", "token": t, "new": "third password"}),
        |e, t| {
            e.reset_password(&SecretToken::new(t), &"third password".into(), now)
                .map(|a| account(&a))
        },
    );
    let out = w.step(
        |_| {
            json!({"op": "invite", "request": {"id": "i1", "patient": "p2",
                   "relationship": "guardian", "email": "parent@x.test"}})
        },
        |e, _| {
            let mut r = InviteRequest::guardian("p2", "parent@x.test");
            r.id = Some("i1".into());
            e.invite(&r, now).map(|i| issued(&i))
        },
    );
    assert!(
        out["token"].as_str().is_some_and(|t| t.len() >= 40),
        "{out}"
    );
    let out = w.step(
        |_| json!({"op": "resend_invitation", "id": "i1"}),
        |e, _| e.resend_invitation("i1", now).map(|i| issued(&i)),
    );
    assert!(out["token"].is_string(), "{out}");
    w.step(
        |t| {
            json!({"op": "accept_invitation", "request": {"token": t, "password": "parent password",
                   "account_id": "acct-parent"}})
        },
        |e, t| {
            let mut r = AcceptInvitation::with_password(t, "parent password");
            r.account_id = Some("acct-parent".into());
            e.accept_invitation(&r, now).map(|a| account(&a))
        },
    );
    w.step(
        |_| {
            json!({"op": "invite", "request": {"id": "i2", "patient": "p3",
                   "relationship": "carer", "email": "carer@x.test"}})
        },
        |e, _| {
            let mut r = InviteRequest::guardian("p3", "carer@x.test");
            r.id = Some("i2".into());
            r.relationship = Relationship::Carer;
            e.invite(&r, now).map(|i| issued(&i))
        },
    );
    w.step(
        |_| json!({"op": "delete_invitation", "id": "i2"}),
        |e, _| e.delete_invitation("i2").map(|i| invitation(&i)),
    );
    let out = w.step(
        |_| json!({"op": "bulk_invite"}),
        |e, _| {
            e.bulk_invite(now).map(|r| {
                json!({"invited": r.invited.iter().map(issued).collect::<Vec<_>>(),
                       "skipped": r.skipped})
            })
        },
    );
    assert!(
        !out["invited"].as_array().expect("invited").is_empty(),
        "{out}"
    );
    let out = w.step(
        |_| {
            json!({"op": "signup", "request": {"email": "p3.again@x.test",
                   "password": "signup password", "first_name": "p3", "last_name": "Doe",
                   "patient_id": "p3b", "account_id": "acct-p3b", "referral_type": "google"}})
        },
        |e, _| {
            let mut r = SignupRequest::new("p3.again@x.test", "signup password", "p3", "Doe", None);
            r.patient_id = Some("p3b".into());
            r.account_id = Some("acct-p3b".into());
            r.referral_type = Some("google".into());
            e.signup(&r, now).map(|o| {
                json!({"account": account(&o.account), "patient": o.patient, "signup": o.signup})
            })
        },
    );
    assert_eq!(out["account"]["id"], "acct-p3b");
    w.step(
        |_| json!({"op": "mark_signup_reviewed", "id": "p3b"}),
        |e, _| ok(e.mark_signup_reviewed("p3b", now)),
    );
    let out = w.step(
        |_| json!({"op": "merge_patients", "keep": "p3", "merge": "p3b"}),
        |e, _| ok(e.merge_patients("p3", "p3b", now)),
    );
    assert_eq!(out["awaiting_confirmation"], json!(["acct-p3b"]));
    w.step(
        |_| json!({"op": "confirm_link", "account": "acct-p3b", "patient": "p3"}),
        |e, _| ok(e.confirm_link("acct-p3b", "p3", now)),
    );
    let closure = json!({"id": "off", "practitioner": "dr-b", "date": "2027-02-02"});
    w.step(
        |_| json!({"op": "put_closure", "closure": closure}),
        |e, _| {
            let c: clinic_portal::config::Closure =
                serde_json::from_value(closure.clone()).expect("closure");
            ok(e.put_closure(c, now))
        },
    );
    w.step(
        |_| json!({"op": "remove_closure", "id": "off"}),
        |e, _| ok(e.remove_closure("off", now)),
    );
    let mut cfg = config();
    cfg["portal"]["allow_public_signup"] = json!(false);
    w.step(
        |_| json!({"op": "reconfigure", "config": cfg}),
        |e, _| ok(e.reconfigure(serde_json::from_value(cfg.clone()).expect("config"), now)),
    );
    // The waitlist: p2 waits; p3's cancellation is offered to p2, who declines; the
    // offer then passes to nobody, and p2 leaves.
    let tue = mon_at(9, 0) + Duration::days(1);
    let wl = WaitlistRequest::new("p2", "physio-30", monday(), date(2027, 2, 5)).id("wl-a");
    let out = w.step(
        |_| {
            json!({"op": "join_waitlist", "request": {"id": "wl-a", "patient": "p2",
                   "service": "physio-30", "from": "2027-02-01", "to": "2027-02-05"}})
        },
        |e, _| ok(e.join_waitlist(&wl, now)),
    );
    assert_eq!(out["id"], "wl-a");
    let tue_booking = BookRequest::new("p3", "physio-30", tue)
        .practitioner("dr-a")
        .id("b-wl");
    w.step(
        |_| {
            json!({"op": "book", "request": {"id": "b-wl", "patient": "p3",
                   "service": "physio-30", "start": tue, "practitioner": "dr-a"}})
        },
        |e, _| ok(e.book(&tue_booking, now)),
    );
    w.step(
        |_| json!({"op": "cancel", "request": {"appointment": "b-wl", "by": "patient"}}),
        |e, _| ok(e.cancel(&CancelRequest::by_patient("b-wl"), now)),
    );
    assert!(w.exec.waitlist(&WaitlistFilter::default())[0]
        .offer
        .is_some());
    let out = w.step(
        |_| json!({"op": "decline_waitlist_offer", "id": "wl-a"}),
        |e, _| ok(e.decline_waitlist_offer("wl-a", None, now)),
    );
    assert_eq!(out["passed"].as_array().map(Vec::len), Some(1));
    w.step(
        |_| json!({"op": "process_waitlist"}),
        |e, _| ok(e.process_waitlist(now)),
    );
    w.step(
        |_| json!({"op": "leave_waitlist", "id": "wl-a"}),
        |e, _| ok(e.leave_waitlist("wl-a", None, now)),
    );

    let seen: BTreeSet<String> = w.seen.iter().map(|s| (*s).to_owned()).collect();
    assert_eq!(seen, declared(), "every variant runs in this test");
    assert_eq!(
        documented(),
        declared(),
        "the module's table lists every variant"
    );
    assert_eq!(seen.len(), 42);
}

#[test]
fn bad_json_is_invalid_input_and_changes_nothing() {
    let e = engine(&config());
    e.upsert_patient(serde_json::from_value(json!({"id": "p1"})).expect("p"))
        .expect("p1");
    let before = e.snapshot();
    for bad in [
        "",
        "not json",
        "[]",
        r#"{"patient": {"id": "x"}}"#,
        r#"{"op": "nope"}"#,
        r#"{"op": "remove_patient"}"#,
        r#"{"op": "remove_patient", "id": "p1", "extra": 1}"#,
        r#"{"op": "drain_outbox", "extra": 1}"#,
        r#"{"op": "book", "patient": "p1", "service": "physio-30", "start": "2027-02-01T15:00:00Z"}"#,
        r#"{"op": "book", "request": {"patient": "p1", "service": "physio-30", "start": "x"}}"#,
        r#"{"op": "upsert_patient", "patient": {"id": "x", "colour": "red"}}"#,
    ] {
        let err = Operation::from_json(bad).expect_err(bad);
        assert_eq!(err.code(), ErrorCode::InvalidInput, "{bad}: {err}");
        assert!(err.message().contains("operation JSON"), "{err}");
    }
    assert_eq!(e.snapshot(), before);
    // A well-formed operation that fails is the Rust call's error and changes nothing.
    let op = Operation::from_json(r#"{"op": "remove_appointment", "id": "nope"}"#).expect("op");
    assert_eq!(
        e.execute(&op, early()).expect_err("missing").code(),
        ErrorCode::NotFound
    );
    assert_eq!(
        e.plan_operation(&op, early()).expect_err("missing").code(),
        ErrorCode::NotFound
    );
    assert_eq!(e.snapshot(), before);
}

#[test]
fn a_secret_of_the_wrong_type_is_refused_without_being_echoed() {
    for bad in [
        r#"{"op": "login", "username": "a@x.test", "password": 987654321}"#,
        r#"{"op": "login", "username": "a@x.test", "password": 9876.54321}"#,
        r#"{"op": "reset_password", "token": 123456789, "new": "a new password"}"#,
        r#"{"op": "reset_password", "token": "t", "new": true}"#,
    ] {
        let err = Operation::from_json(bad).expect_err(bad);
        assert_eq!(err.code(), ErrorCode::InvalidInput);
        for secret in ["987654321", "9876.54321", "123456789", "true"] {
            assert!(!err.message().contains(secret), "{err}");
        }
        assert!(err.message().contains("must be a string"), "{err}");
    }
    // Debug of a parsed operation redacts its secrets.
    let op = Operation::from_json(
        r#"{"op": "change_password", "account": "a", "current": "old secret 1", "new": "new secret 2"}"#,
    )
    .expect("op");
    let debug = format!("{op:?}");
    assert!(!debug.contains("secret"), "{debug}");
    assert!(debug.contains("redacted"), "{debug}");
}
