//! Security properties of docs/accounts.md: tokens work once and only untampered, secrets never
//! leak into `Debug`, errors or snapshots, and login and reset do not reveal which
//! usernames exist.

mod common;

use std::sync::{Arc, Barrier};

use chrono::{DateTime, Duration, Utc};
use clinic_portal::{
    AcceptInvitation, BookRequest, Engine, ErrorCode, InviteRequest, NewAccount, Password, Patient,
    Relationship, SecretToken,
};
use common::*;
use serde_json::json;

fn patient(id: &str, email: &str) -> Patient {
    serde_json::from_value(json!({"id": id, "first_name": id, "email": email})).expect("patient")
}

fn now() -> DateTime<Utc> {
    early()
}

fn practice() -> Engine {
    let e = engine(&base());
    e.upsert_patient(patient("p1", "p1@x.test")).expect("p1");
    e.upsert_patient(patient("p2", "p2@x.test")).expect("p2");
    e
}

#[test]
fn thirty_two_concurrent_redemptions_of_one_token_succeed_exactly_once() {
    let e = Arc::new(practice());
    let parent = e
        .create_account(&NewAccount::new("parent@x.test", "parent password"), now())
        .expect("parent");
    let issued = e
        .invite(&InviteRequest::guardian("p1", "parent@x.test"), now())
        .expect("invite");
    let barrier = Arc::new(Barrier::new(32));
    let handles: Vec<_> = (0..32)
        .map(|i| {
            let (e, barrier, token, parent) = (
                Arc::clone(&e),
                Arc::clone(&barrier),
                issued.token.clone(),
                parent.id.clone(),
            );
            std::thread::spawn(move || {
                barrier.wait();
                let request = if i % 8 == 0 {
                    // A few try to create a new account instead (same address: refused
                    // or beaten to it).
                    AcceptInvitation::with_password(token, "racing password")
                } else {
                    AcceptInvitation::into_account(token, parent)
                };
                e.accept_invitation(&request, now()).map(|a| a.id)
            })
        })
        .collect();
    let results: Vec<_> = handles
        .into_iter()
        .map(|h| h.join().expect("no panic"))
        .collect();
    let ok: Vec<_> = results.iter().filter(|r| r.is_ok()).collect();
    assert_eq!(ok.len(), 1, "{results:?}");
    for r in &results {
        if let Err(err) = r {
            assert!(
                matches!(
                    err.code(),
                    ErrorCode::InvitationInvalid | ErrorCode::EmailInUse
                ),
                "{err}"
            );
        }
    }
    assert_eq!(e.links_of_patient("p1").len(), 1);
    assert_eq!(e.accounts().len(), 1);
}

#[test]
fn tampered_and_made_up_tokens_are_refused() {
    let e = practice();
    let issued = e.invite(&InviteRequest::own("p1"), now()).expect("invite");
    let text = issued.token.expose().to_owned();
    let mut flipped = text.clone().into_bytes();
    flipped[10] = if flipped[10] == b'A' { b'B' } else { b'A' };
    let tampered = String::from_utf8(flipped).expect("ascii");
    for bad in [
        tampered.as_str(),
        &text[..42],
        &format!("{text}A"),
        "",
        "not a token at all",
    ] {
        let before = e.snapshot();
        let err = e
            .accept_invitation(
                &AcceptInvitation::with_password(SecretToken::new(bad), "good password"),
                now(),
            )
            .expect_err("tampered token");
        assert_eq!(err.code(), ErrorCode::InvitationInvalid, "{err}");
        assert_eq!(e.snapshot(), before);
    }
    e.accept_invitation(
        &AcceptInvitation::with_password(&issued.token, "good password"),
        now(),
    )
    .expect("the real one still works");
}

#[test]
fn a_patient_cannot_see_or_act_for_another_patient() {
    let e = practice();
    let one = e
        .create_account(
            &NewAccount::new("p1@x.test", "p1 password").linked("p1", Relationship::Own),
            now(),
        )
        .expect("p1's account");
    let theirs = e
        .book(&BookRequest::new("p2", "physio-30", mon_at(9, 0)), now())
        .expect("p2 booked by staff");
    assert!(e
        .appointments_for_account(&one.id)
        .expect("visible")
        .is_empty());
    let before = e.snapshot();
    let err = e
        .book(
            &BookRequest::new("p2", "physio-30", mon_at(10, 0)).actor(&one.id),
            now(),
        )
        .expect_err("not their patient");
    assert_eq!(err.code(), ErrorCode::NotAuthorized);
    let err = e
        .hold(
            &clinic_portal::HoldRequest::new("physio-30", mon_at(10, 0)).actor(&one.id),
            now(),
        )
        .expect_err("a portal hold names its patient");
    assert_eq!(err.code(), ErrorCode::NotAuthorized);
    assert_eq!(e.snapshot(), before);
    // Searching on someone else's behalf is refused; for oneself it works.
    let theirs_q = on(monday()).patient("p2").actor(&one.id);
    assert_eq!(
        e.search(&theirs_q, now()).expect_err("search").code(),
        ErrorCode::NotAuthorized
    );
    assert_eq!(
        e.explain(&theirs_q, mon_at(9, 0), now())
            .expect_err("explain")
            .code(),
        ErrorCode::NotAuthorized
    );
    assert_eq!(
        e.search(&on(monday()).actor(&one.id), now())
            .expect_err("no patient")
            .code(),
        ErrorCode::NotAuthorized
    );
    assert!(!search(&e, &on(monday()).patient("p1").actor(&one.id), now()).is_empty());
    let mine = e
        .book(
            &BookRequest::new("p1", "physio-30", mon_at(10, 0)).actor(&one.id),
            now(),
        )
        .expect("own booking");
    let seen: Vec<_> = e
        .appointments_for_account(&one.id)
        .expect("visible")
        .into_iter()
        .map(|a| a.id)
        .collect();
    assert_eq!(seen, [mine.appointment.id]);
    assert_ne!(seen[0], theirs.appointment.id);
    // Holds: another patient's hold cannot be released by this account; its own can.
    let their_hold = e
        .hold(
            &clinic_portal::HoldRequest::new("physio-30", mon_at(11, 0)).patient("p2"),
            now(),
        )
        .expect("p2's hold, by staff");
    let before = e.snapshot();
    assert_eq!(
        e.release_hold(&clinic_portal::ReleaseHoldRequest::new(&their_hold.id).actor(&one.id))
            .expect_err("not their hold")
            .code(),
        ErrorCode::NotAuthorized
    );
    assert_eq!(e.snapshot(), before);
    let my_hold = e
        .hold(
            &clinic_portal::HoldRequest::new("physio-30", mon_at(11, 30))
                .patient("p1")
                .actor(&one.id),
            now(),
        )
        .expect("own hold");
    e.release_hold(&clinic_portal::ReleaseHoldRequest::new(&my_hold.id).actor(&one.id))
        .expect("own hold released");
}

#[test]
fn no_secret_appears_in_debug_output_errors_or_snapshots() {
    let e = practice();
    let password = "very secret password";
    let account = e
        .create_account(&NewAccount::new("p1@x.test", password), now())
        .expect("account");
    let issued = e
        .invite(&InviteRequest::guardian("p2", "p1@x.test"), now())
        .expect("invite");
    e.request_password_reset("p1@x.test", now()).expect("reset");
    let token = issued.token.expose().to_owned();
    let reset_token = e
        .outbox()
        .last()
        .and_then(|n| n.token.clone())
        .expect("reset token")
        .expose()
        .to_owned();
    let snapshot = e.snapshot();
    let phc_start = snapshot
        .find("$argon2id$")
        .expect("PHC string in the snapshot");
    let phc: String = snapshot[phc_start..]
        .chars()
        .take_while(|c| *c != '"')
        .collect();
    let digest = |t: &str| {
        use sha2::Digest;
        sha2::Sha256::digest(t.as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    };
    assert!(
        snapshot.contains(&digest(&token)),
        "invitation digest stored"
    );
    assert!(
        snapshot.contains(&digest(&reset_token)),
        "reset digest stored"
    );

    let changes = serde_json::to_string(&e.changes_since(0).expect("journal")).expect("json");
    let debug = [
        format!("{account:?}"),
        format!("{issued:?}"),
        format!("{:?}", e.outbox()),
        format!("{:?}", e.changes_since(0).expect("journal")),
        format!("{:?}", e.invitations_of("p2")),
        format!("{:?}", Password::new(password)),
        format!(
            "{:?}",
            AcceptInvitation::with_password(&issued.token, password)
        ),
        format!(
            "{:?}",
            e.login("p1@x.test", &Password::new("wrong one!"), now())
        ),
        e.login("p1@x.test", &Password::new(password), now())
            .map(|a| format!("{a:?}"))
            .expect("login"),
    ];
    let secrets = [password, &token, &reset_token, &phc];
    for text in debug.iter().chain([&snapshot, &changes]) {
        for secret in secrets {
            if (std::ptr::eq(text, &snapshot) || std::ptr::eq(text, &changes)) && secret == phc {
                continue; // the PHC string is what a snapshot and the journal store
            }
            assert!(
                !text.contains(secret),
                "a secret leaked into: {}",
                &text[..text.len().min(200)]
            );
        }
    }
    for secret in [password, token.as_str(), reset_token.as_str()] {
        assert!(!snapshot.contains(secret));
        assert!(!changes.contains(secret));
    }
    // Digests are redacted in Debug too.
    assert!(!debug[1].contains(&digest(&token)));
    // Errors: a bad password's error names neither the password nor the hash.
    let err = e
        .create_account(&NewAccount::new("p2@x.test", "short"), now())
        .expect_err("too short");
    assert!(!err.to_string().contains("short\""));
    assert!(!format!("{err:?}").contains(&phc));
}

#[test]
fn login_and_reset_do_not_reveal_which_usernames_exist() {
    let e = practice();
    e.create_account(&NewAccount::new("p1@x.test", "p1 password"), now())
        .expect("account");
    let known = e
        .login("p1@x.test", &Password::new("wrong password"), now())
        .expect_err("wrong password");
    let unknown = e
        .login("nobody@x.test", &Password::new("wrong password"), now())
        .expect_err("unknown user");
    assert_eq!(known.code(), ErrorCode::CredentialsInvalid);
    assert_eq!(known, unknown, "same code and message");
    // A password outside the accepted length is still just credentials_invalid.
    let short = e
        .login("p1@x.test", &Password::new("x"), now())
        .expect_err("short");
    assert_eq!(short, known);
    assert_eq!(
        e.request_password_reset("p1@x.test", now()),
        e.request_password_reset("nobody@x.test", now())
    );
}

#[test]
fn accounts_links_invitations_and_resets_snapshot_and_replay_exactly() {
    let e = practice();
    let start = Engine::restore(&e.snapshot()).expect("restore");
    let from = e.last_seq();
    let a = e
        .create_account(
            &NewAccount::new("p1@x.test", "p1 password").linked("p1", Relationship::Own),
            now(),
        )
        .expect("account");
    let inv = e
        .invite(&InviteRequest::guardian("p2", "p1@x.test"), now())
        .expect("invite");
    e.accept_invitation(&AcceptInvitation::into_account(&inv.token, &a.id), now())
        .expect("accept");
    e.invite(&InviteRequest::own("p2"), now())
        .expect("invite p2");
    e.request_password_reset("p1@x.test", now()).expect("reset");
    e.revoke_link(&a.id, "p2", now() + Duration::hours(1))
        .expect("revoke");
    for change in e.changes_since(from).expect("changes") {
        // Through JSON, as a host stores them.
        let json = serde_json::to_string(&change).expect("to json");
        start
            .apply(&serde_json::from_str(&json).expect("from json"))
            .expect("apply");
    }
    assert_eq!(start.snapshot(), e.snapshot());
    let restored = Engine::restore(&e.snapshot()).expect("restore");
    assert_eq!(restored.snapshot(), e.snapshot());
    assert_eq!(
        restored
            .login("p1@x.test", &Password::new("p1 password"), now())
            .expect("login after restore")
            .id,
        a.id
    );
    assert_eq!(restored.patients_of_account(&a.id), ["p1"]);
}

#[test]
fn program_registration_checks_the_actor_too() {
    let mut cfg = base();
    cfg["programs"] = json!([{
        "id": "pilates", "name": "Pilates", "clinic": "main", "start_date": "2027-02-01",
        "start_time": "18:00", "duration_minutes": 60, "capacity": 2,
        "recurrence": "FREQ=WEEKLY;BYDAY=MO"
    }]);
    let e = engine(&cfg);
    e.upsert_patient(patient("p1", "p1@x.test")).expect("p1");
    e.upsert_patient(patient("p2", "p2@x.test")).expect("p2");
    let one = e
        .create_account(
            &NewAccount::new("p1@x.test", "p1 password").linked("p1", Relationship::Own),
            now(),
        )
        .expect("account");
    let before = e.snapshot();
    let err = e
        .register_program(
            &clinic_portal::RegistrationRequest::new("pilates", "p2", monday()).actor(&one.id),
            now(),
        )
        .expect_err("not their patient");
    assert_eq!(err.code(), ErrorCode::NotAuthorized);
    assert_eq!(e.snapshot(), before);
    e.register_program(
        &clinic_portal::RegistrationRequest::new("pilates", "p1", monday()).actor(&one.id),
        now(),
    )
    .expect("own registration");
}

/// Runs a failing operation and checks its code and that nothing changed.
fn refused<T: std::fmt::Debug>(
    e: &Engine,
    code: ErrorCode,
    op: impl FnOnce(&Engine) -> clinic_portal::Result<T>,
) -> clinic_portal::Error {
    let before = e.snapshot();
    let err = op(e).expect_err("operation should fail");
    assert_eq!(err.code(), code, "{err}");
    assert_eq!(
        e.snapshot(),
        before,
        "a failed operation changed the engine"
    );
    err
}

fn signup_practice() -> Engine {
    let mut cfg = base();
    cfg["portal"] = json!({"allow_public_signup": true});
    engine(&cfg)
}

#[test]
fn an_actor_is_an_account_id_never_a_username() {
    let e = practice();
    let victim = e
        .create_account(
            &NewAccount {
                id: Some("acct-v".into()),
                ..NewAccount::new("victim@x.test", "victim password")
            }
            .linked("p1", Relationship::Guardian),
            now(),
        )
        .expect("victim");
    let booked = e
        .book(&BookRequest::new("p1", "physio-30", mon_at(9, 0)), now())
        .expect("staff booking for p1");
    // Naming the actor by username no longer works, for any patient-facing call.
    refused(&e, ErrorCode::NotAuthorized, |e| {
        e.book(
            &BookRequest::new("p1", "physio-30", mon_at(10, 0)).actor(&victim.username),
            now(),
        )
    });
    refused(&e, ErrorCode::NotAuthorized, |e| {
        e.search(&on(monday()).patient("p1").actor("VICTIM@x.test"), now())
    });
    refused(&e, ErrorCode::NotFound, |e| {
        e.appointments_for_account(&victim.username)
    });
    assert_eq!(
        e.appointments_for_account(&victim.id)
            .expect("by id")
            .into_iter()
            .map(|a| a.id)
            .collect::<Vec<_>>(),
        [booked.appointment.id]
    );
    // A username equal to another account's id is refused (it used to make the host's
    // "actor = the logged-in username" act for the victim's dependants) …
    refused(&e, ErrorCode::EmailInUse, |e| {
        e.create_account(&NewAccount::new("acct-v", "attacker password"), now())
    });
    // … and so is an id equal to (or looking like) another account's username.
    for id in ["victim@x.test", "Victim@X.test", "victim@x.test."] {
        refused(&e, ErrorCode::DuplicateId, |e| {
            e.create_account(
                &NewAccount {
                    id: Some(id.into()),
                    ..NewAccount::new("attacker@x.test", "attacker password")
                },
                now(),
            )
        });
    }
}

#[test]
fn ids_and_usernames_cannot_collide_through_any_way_of_making_an_account() {
    let e = signup_practice();
    e.upsert_patient(patient("p1", "p1@x.test")).expect("p1");
    // A manual account whose username looks like a generated id.
    let first = e
        .create_account(&NewAccount::new("acct-2", "first password"), now())
        .expect("first");
    assert_eq!(first.id, "acct-1");
    // The next generated id skips `acct-2`: it is a username.
    let second = e
        .create_account(&NewAccount::new("second@x.test", "second password"), now())
        .expect("second");
    assert_eq!(second.id, "acct-3");
    // Signup: a caller's account id that is a username, and an address that is an id.
    let mut form =
        clinic_portal::SignupRequest::new("new@x.test", "signup password", "Nia", "Ray", None);
    form.account_id = Some("second@x.test".into());
    refused(&e, ErrorCode::DuplicateId, |e| e.signup(&form, now()));
    let with_mail_id = e
        .create_account(
            &NewAccount {
                id: Some("mail@x.test".into()),
                ..NewAccount::new("mailbox", "third password")
            },
            now(),
        )
        .expect("an id shaped like an address");
    let mut form =
        clinic_portal::SignupRequest::new(&with_mail_id.id, "signup password", "Nia", "Ray", None);
    refused(&e, ErrorCode::EmailInUse, |e| e.signup(&form, now()));
    form.email = "nia@x.test".into();
    e.signup(&form, now()).expect("a fresh address");
    // Accepting an invitation with a new account: the same two checks.
    let issued = e
        .invite(&InviteRequest::guardian("p1", "mail@x.test"), now())
        .expect("invite to an address that is an account id");
    refused(&e, ErrorCode::EmailInUse, |e| {
        e.accept_invitation(
            &AcceptInvitation::with_password(&issued.token, "guardian password"),
            now(),
        )
    });
    let issued = e
        .invite(&InviteRequest::guardian("p1", "dad@x.test"), now())
        .expect("invite");
    let mut accept = AcceptInvitation::with_password(&issued.token, "guardian password");
    accept.account_id = Some("second@x.test".into());
    refused(&e, ErrorCode::DuplicateId, |e| {
        e.accept_invitation(&accept, now())
    });
    // An authenticated account is named by id: a username is not found.
    let by_name = AcceptInvitation::into_account(&issued.token, "second@x.test");
    refused(&e, ErrorCode::NotFound, |e| {
        e.accept_invitation(&by_name, now())
    });
    accept.account_id = Some("acct-dad".into());
    let dad = e.accept_invitation(&accept, now()).expect("accepted");
    assert_eq!(
        (dad.id.as_str(), dad.username.as_str()),
        ("acct-dad", "dad@x.test")
    );
}

/// A victim with an appointment, and an attacker's public signup carrying the victim's
/// e-mail, name and birth date.
fn victim_and_impostor(victim_email: Option<&str>) -> (Engine, String, String, String) {
    let e = signup_practice();
    let victim: Patient = serde_json::from_value(json!({
        "id": "victim", "first_name": "Ann", "last_name": "Lee",
        "email": victim_email, "birth_date": "1980-05-06"
    }))
    .expect("victim");
    e.upsert_patient(victim).expect("victim");
    let theirs = e
        .book(
            &BookRequest::new("victim", "physio-30", mon_at(9, 0)),
            now(),
        )
        .expect("the victim's appointment");
    let impostor = e
        .signup(
            &clinic_portal::SignupRequest::new(
                victim_email.unwrap_or("impostor@evil.test"),
                "impostor password",
                "Ann",
                "Lee",
                Some(date(1980, 5, 6)),
            ),
            now(),
        )
        .expect("signup");
    (
        e,
        impostor.patient.id,
        impostor.account.id,
        theirs.appointment.id,
    )
}

#[test]
fn a_merge_never_gives_an_unverified_signup_access_to_the_existing_patient() {
    let (e, new, account, theirs) = victim_and_impostor(Some("ann@x.test"));
    let top = &e.find_duplicates(&new).expect("duplicates")[0];
    assert_eq!((top.patient.as_str(), top.score), ("victim", 90));
    let merged = e.merge_patients("victim", &new, now()).expect("merge");
    assert_eq!(merged.awaiting_confirmation, std::slice::from_ref(&account));
    let link = e
        .links_of_patient("victim")
        .into_iter()
        .find(|l| l.account == account)
        .expect("the link moved, for the record");
    assert!(!link.active && link.awaits_confirmation && link.revoked_at.is_none());
    assert!(e.patients_of_account(&account).is_empty());
    assert!(e
        .appointments_for_account(&account)
        .expect("account")
        .iter()
        .all(|a| a.id != theirs));
    refused(&e, ErrorCode::NotAuthorized, |e| {
        e.book(
            &BookRequest::new("victim", "physio-30", mon_at(10, 0)).actor(&account),
            now(),
        )
    });
    refused(&e, ErrorCode::NotAuthorized, |e| {
        e.cancel(
            &clinic_portal::CancelRequest::by_patient(&theirs).actor(&account),
            now(),
        )
    });
    // The waiting link survives a restore and a replay unchanged.
    let restored = Engine::restore(&e.snapshot()).expect("restore");
    assert_eq!(restored.snapshot(), e.snapshot());
    assert!(restored.patients_of_account(&account).is_empty());
    // Staff may refuse it for good.
    let revoked = e.revoke_link(&account, "victim", now()).expect("revoke");
    assert!(!revoked.active && !revoked.awaits_confirmation && revoked.revoked_at.is_some());
    refused(&e, ErrorCode::NotFound, |e| {
        e.confirm_link(&account, "victim", now())
    });
    // A self invitation goes to the victim's e-mail on file, which the impostor does not
    // read; whoever accepts it is the owner of that address.
    let issued = e
        .invite(&InviteRequest::own("victim"), now())
        .expect("invite");
    assert_eq!(issued.invitation.email, "ann@x.test");
}

#[test]
fn the_kept_e_mail_is_not_filled_from_a_signup_and_moved_invitations_expire() {
    // The victim has no e-mail on file: the impostor's address must not become it, or a
    // (bulk) self invitation would go to the impostor.
    let (e, new, account, _) = victim_and_impostor(None);
    let theirs = e
        .invite(
            &InviteRequest::guardian(&new, "accomplice@evil.test"),
            now(),
        )
        .expect("a guardian invitation of the new profile");
    let merged = e.merge_patients("victim", &new, now()).expect("merge");
    assert_eq!(merged.kept.email, None);
    assert_eq!(
        merged.invitations,
        std::slice::from_ref(&theirs.invitation.id)
    );
    refused(&e, ErrorCode::InvitationExpired, |e| {
        e.accept_invitation(
            &AcceptInvitation::with_password(&theirs.token, "accomplice password"),
            now(),
        )
    });
    assert_eq!(
        e.invitation(&theirs.invitation.id)
            .expect("kept for the record")
            .patient,
        "victim"
    );
    let report = e.bulk_invite(now()).expect("bulk");
    assert!(report.invited.is_empty(), "{report:?}");
    assert!(e.patients_of_account(&account).is_empty());
}

#[test]
fn a_moved_link_becomes_active_by_staff_confirmation_or_a_self_invitation_to_the_e_mail_on_file() {
    // Staff confirm.
    let (e, new, account, theirs) = victim_and_impostor(Some("ann@x.test"));
    e.merge_patients("victim", &new, now()).expect("merge");
    let link = e.confirm_link(&account, "victim", now()).expect("confirm");
    assert!(link.active && !link.awaits_confirmation);
    assert_eq!(link.relationship, Relationship::Own);
    assert_eq!(e.patients_of_account(&account), ["victim"]);
    assert!(e
        .appointments_for_account(&account)
        .expect("visible")
        .iter()
        .any(|a| a.id == theirs));
    // Or the account proves the e-mail on file: a self invitation sent there, accepted
    // into the account.
    let (e, new, account, theirs) = victim_and_impostor(Some("ann@x.test"));
    e.merge_patients("victim", &new, now()).expect("merge");
    let issued = e
        .invite(&InviteRequest::own("victim"), now())
        .expect("invite");
    // A self invitation stops working when the e-mail on file changes under it.
    let mut moved: Patient = e.patient("victim").expect("victim");
    moved.email = Some("ann@new.test".into());
    e.upsert_patient(moved.clone()).expect("new address");
    refused(&e, ErrorCode::InvitationInvalid, |e| {
        e.accept_invitation(
            &AcceptInvitation::into_account(&issued.token, &account),
            now(),
        )
    });
    let resent = e
        .resend_invitation(&issued.invitation.id, now())
        .expect("resend");
    assert_eq!(resent.invitation.email, "ann@new.test");
    let proved = e
        .accept_invitation(
            &AcceptInvitation::into_account(&resent.token, &account),
            now(),
        )
        .expect("accepted into the waiting account");
    assert_eq!(proved.id, account);
    assert_eq!(e.patients_of_account(&account), ["victim"]);
    assert!(!e.links_of_account(&account)[0].awaits_confirmation);
    e.book(
        &BookRequest::new("victim", "physio-30", mon_at(10, 0)).actor(&account),
        now(),
    )
    .expect("acts for the patient now");
    assert!(e
        .appointments_for_account(&account)
        .expect("visible")
        .iter()
        .any(|a| a.id == theirs));
}

#[test]
fn an_account_serialises_without_its_password_hash_but_storage_keeps_it() {
    let e = practice();
    let account = e
        .create_account(&NewAccount::new("p9@x.test", "p9 password long"), now())
        .unwrap();
    let shown = serde_json::to_value(&account).unwrap();
    assert_eq!(
        shown.as_object().unwrap().keys().collect::<Vec<_>>(),
        ["created_at", "id", "username"]
    );
    assert!(!shown.to_string().contains("argon2"), "{shown}");
    // The snapshot and the journal keep the hash, so a restored engine still logs in.
    let snapshot = e.snapshot();
    assert!(snapshot.contains("$argon2id$"));
    let change = serde_json::to_string(&e.changes_since(0).unwrap()).unwrap();
    assert!(change.contains("$argon2id$"));
    let restored = Engine::restore(&snapshot).unwrap();
    restored
        .login(
            "p9@x.test",
            &clinic_portal::Password::new("p9 password long"),
            now(),
        )
        .unwrap();
}

#[test]
fn an_invitation_serialises_without_its_token_digest_but_storage_keeps_it() {
    let e = practice();
    let issued = e.invite(&InviteRequest::own("p1"), now()).expect("invite");
    let shown = serde_json::to_value(e.invitation(&issued.invitation.id).unwrap()).unwrap();
    assert!(shown.get("token_digest").is_none(), "{shown}");
    assert_eq!(shown["id"], issued.invitation.id.as_str());
    // The snapshot and the journal keep the digest, so a restored engine still redeems the
    // token (and a snapshot without it is refused).
    let snapshot = e.snapshot();
    assert!(snapshot.contains("\"token_digest\""));
    let change = serde_json::to_string(&e.changes_since(0).unwrap()).unwrap();
    assert!(change.contains("\"token_digest\""));
    let restored = Engine::restore(&snapshot).unwrap();
    let mut doc: serde_json::Value = serde_json::from_str(&snapshot).unwrap();
    doc["invitations"][0]
        .as_object_mut()
        .unwrap()
        .remove("token_digest");
    assert!(Engine::restore(&doc.to_string()).is_err());
    restored
        .accept_invitation(
            &AcceptInvitation::with_password(&issued.token, "p1 password long"),
            now(),
        )
        .unwrap();
}
