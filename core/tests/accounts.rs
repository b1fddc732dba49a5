//! Portal accounts, invitations and family links (docs/accounts.md): usernames, passwords,
//! invitation tokens, guardians, password reset and bulk invite. Every failing case checks
//! that the engine's snapshot is unchanged (docs/errors.md).

mod common;

use chrono::{DateTime, Duration, Utc};
use clinic_portal::{
    AcceptInvitation, BookRequest, CancelRequest, DuplicateReason, Engine, ErrorCode,
    InviteRequest, NewAccount, NotificationKind, Password, Patient, Relationship,
    RescheduleRequest, SecretToken, SignupRequest, SkipReason,
};
use common::*;
use serde_json::{json, Value};

fn patient(id: &str, first: &str, email: Option<&str>) -> Patient {
    serde_json::from_value(json!({
        "id": id, "first_name": first, "last_name": "Lee", "email": email,
        "birth_date": "2015-03-04"
    }))
    .expect("patient")
}

fn config() -> Value {
    let mut cfg = base();
    cfg["portal"] = json!({"notifications": {"clinic_email": "front@clinic.test"}});
    cfg
}

/// Mum (`mum`) with two children (`kid1`, `kid2`) who share her address, and an unrelated
/// patient `other`.
fn family() -> Engine {
    let e = engine(&config());
    e.upsert_patient(patient("mum", "Ann", Some("Ann.Lee@Example.com")))
        .expect("mum");
    e.upsert_patient(patient("kid1", "Bo", Some("ann.lee@example.com")))
        .expect("kid1");
    e.upsert_patient(patient("kid2", "Cy", None)).expect("kid2");
    e.upsert_patient(patient("other", "Di", Some("di@x.test")))
        .expect("other");
    e
}

fn now() -> DateTime<Utc> {
    early()
}

/// Runs a failing operation and checks its code and that nothing changed.
fn fails<T: std::fmt::Debug>(
    e: &Engine,
    code: ErrorCode,
    op: impl FnOnce(&Engine) -> clinic_portal::Result<T>,
) -> String {
    let before = e.snapshot();
    let seq = e.last_seq();
    let err = op(e).expect_err("operation should fail");
    assert_eq!(err.code(), code, "{err}");
    assert_eq!(
        e.snapshot(),
        before,
        "a failed operation changed the engine: {err}"
    );
    assert_eq!(e.last_seq(), seq);
    err.message().to_owned()
}

fn pw(s: &str) -> Password {
    Password::new(s)
}

#[test]
fn usernames_are_normalised_unique_and_look_alikes_are_refused() {
    let e = family();
    let a = e
        .create_account(
            &NewAccount::new("  Ann.Lee@EXAMPLE.com ", "correct horse"),
            now(),
        )
        .expect("account");
    assert_eq!(a.username, "ann.lee@example.com");
    assert_eq!(a.id, "acct-1");
    // Same name in another case: taken.
    fails(&e, ErrorCode::EmailInUse, |e| {
        e.create_account(
            &NewAccount::new("ANN.LEE@example.COM", "another pass"),
            now(),
        )
    });
    // Look-alikes: the Kelvin sign and the dotless ı.
    e.create_account(&NewAccount::new("kim@x.test", "password-1"), now())
        .expect("kim");
    fails(&e, ErrorCode::EmailInUse, |e| {
        e.create_account(&NewAccount::new("\u{212A}im@x.test", "password-2"), now())
    });
    e.create_account(&NewAccount::new("ida@x.test", "password-3"), now())
        .expect("ida");
    fails(&e, ErrorCode::EmailInUse, |e| {
        e.create_account(&NewAccount::new("\u{131}da@x.test", "password-4"), now())
    });
    // Non-ASCII local parts keep their case (Ä and ä are different names at login), but
    // the look-alike rule refuses the second one rather than keeping two such accounts.
    let upper = e
        .create_account(&NewAccount::new("Äsa@X.test", "password-5"), now())
        .expect("Äsa");
    assert_eq!(upper.username, "Äsa@x.test");
    fails(&e, ErrorCode::EmailInUse, |e| {
        e.create_account(&NewAccount::new("äsa@x.test", "password-6"), now())
    });
    fails(&e, ErrorCode::CredentialsInvalid, |e| {
        e.login("äsa@x.test", &pw("password-5"), now())
    });
    assert!(e.login("Äsa@x.TEST", &pw("password-5"), now()).is_ok());
    fails(&e, ErrorCode::InvalidInput, |e| {
        e.create_account(&NewAccount::new("   ", "password-7"), now())
    });
}

/// Each look-alike of an existing username, and the error it gets wherever a username or
/// an e-mail is given: manual accounts, public signup and invitations.
const LOOK_ALIKES: &[(&str, &str, ErrorCode)] = &[
    (
        "Cyrillic а (U+0430) inside Latin",
        "m\u{430}rk@example.com",
        ErrorCode::InvalidInput,
    ),
    (
        "Cyrillic е (U+0435) inside Latin",
        "p\u{435}ter@example.com",
        ErrorCode::InvalidInput,
    ),
    (
        "Cyrillic а in a Latin domain",
        "mark@ex\u{430}mple.com",
        ErrorCode::InvalidInput,
    ),
    (
        "zero-width space U+200B",
        "ma\u{200B}rk@example.com",
        ErrorCode::InvalidInput,
    ),
    (
        "zero-width space in the domain",
        "mark@exa\u{200B}mple.com",
        ErrorCode::InvalidInput,
    ),
    (
        "zero-width joiner U+200D",
        "ma\u{200D}rk@example.com",
        ErrorCode::InvalidInput,
    ),
    (
        "soft hyphen U+00AD",
        "ma\u{AD}rk@example.com",
        ErrorCode::InvalidInput,
    ),
    (
        "soft hyphen in the domain",
        "mark@exam\u{AD}ple.com",
        ErrorCode::InvalidInput,
    ),
    (
        "word joiner U+2060",
        "mark\u{2060}@example.com",
        ErrorCode::InvalidInput,
    ),
    (
        "byte order mark U+FEFF",
        "\u{FEFF}mark@example.com",
        ErrorCode::InvalidInput,
    ),
    (
        "right-to-left override U+202E",
        "\u{202E}kram@example.com",
        ErrorCode::InvalidInput,
    ),
    (
        "trailing dot in the domain",
        "mark@example.com.",
        ErrorCode::EmailInUse,
    ),
    (
        "upper-case domain",
        "mark@EXAMPLE.COM",
        ErrorCode::EmailInUse,
    ),
    (
        "all-Cyrillic асе (one script, same skeleton)",
        "\u{430}\u{441}\u{435}@example.com",
        ErrorCode::EmailInUse,
    ),
];

fn look_alike_practice() -> Engine {
    let e = engine(&signup_config(true));
    for name in ["mark@example.com", "peter@example.com", "ace@example.com"] {
        e.create_account(&NewAccount::new(name, "original password"), now())
            .expect(name);
    }
    e.upsert_patient(patient("kid", "Bo", None)).expect("kid");
    e
}

#[test]
fn look_alike_usernames_are_refused_as_accounts() {
    let e = look_alike_practice();
    for (what, name, code) in LOOK_ALIKES {
        let err = fails(&e, *code, |e| {
            e.create_account(&NewAccount::new(*name, "look-alike password"), now())
        });
        assert!(!err.is_empty(), "{what}");
        // Only another spelling of the same name logs in, as that account.
        let login = e.login(name, &pw("original password"), now());
        if name.is_ascii() {
            assert_eq!(login.expect(what).username, "mark@example.com", "{what}");
        } else {
            assert_eq!(
                login.expect_err(what).code(),
                ErrorCode::CredentialsInvalid,
                "{what}"
            );
        }
    }
    assert_eq!(e.accounts().len(), 3);
}

#[test]
fn look_alike_addresses_are_refused_at_signup_and_in_invitations() {
    let e = look_alike_practice();
    for (what, name, code) in LOOK_ALIKES {
        println!("case: {what}"); // shown with a failure
        fails(&e, *code, |e| e.signup(&form(name, "Mark", "Lee"), now()));
        if *code == ErrorCode::InvalidInput {
            fails(&e, ErrorCode::InvalidInput, |e| {
                e.invite(&InviteRequest::guardian("kid", *name), now())
            });
            e.upsert_patient(patient("pat-look", "Mark", Some(name)))
                .expect("a bad address on file");
            fails(&e, ErrorCode::InvalidInput, |e| {
                e.invite(&InviteRequest::own("pat-look"), now())
            });
            e.remove_patient("pat-look").expect("removed");
        }
    }
    // The trailing-dot and upper-case forms are the same address: an invitation to them
    // goes to the normalised address.
    let issued = e
        .invite(
            &InviteRequest::guardian("kid", "New.Parent@Example.COM."),
            now(),
        )
        .expect("invite");
    assert_eq!(issued.invitation.email, "new.parent@example.com");
    let idn = e
        .invite(
            &InviteRequest::guardian("kid", "parent@B\u{FC}cher.Example"),
            now(),
        )
        .expect("an internationalised domain");
    assert_eq!(idn.invitation.email, "parent@xn--bcher-kva.example");
}

#[test]
fn passwords_are_checked_hashed_verified_and_changed() {
    let e = family();
    fails(&e, ErrorCode::InvalidInput, |e| {
        e.create_account(&NewAccount::new("a@x.test", "short"), now())
    });
    fails(&e, ErrorCode::InvalidInput, |e| {
        e.create_account(&NewAccount::new("a@x.test", "x".repeat(1025)), now())
    });
    // 1024 characters are accepted and never truncated: 1023 of them do not log in.
    let long = "é".repeat(1024);
    e.create_account(&NewAccount::new("long@x.test", long.as_str()), now())
        .expect("1024 characters");
    assert!(e.login("long@x.test", &pw(&long), now()).is_ok());
    let err = e
        .login("long@x.test", &pw(&"é".repeat(1023)), now())
        .expect_err("truncated password");
    assert_eq!(err.code(), ErrorCode::CredentialsInvalid);

    let a = e
        .create_account(&NewAccount::new("a@x.test", "ﬁrst password"), now())
        .expect("account");
    let snap = e.snapshot();
    assert!(
        snap.contains("$argon2id$v=19$m=19456,t=2,p=1$"),
        "PHC string stored"
    );
    assert!(!snap.contains("first password") && !snap.contains("ﬁrst password"));
    // NFKC: the ligature ﬁ and "fi" are the same password.
    assert_eq!(
        e.login(" A@X.TEST ", &pw("first password"), now())
            .expect("login")
            .id,
        a.id
    );
    fails(&e, ErrorCode::CredentialsInvalid, |e| {
        e.login("a@x.test", &pw("wrong password"), now())
    });
    fails(&e, ErrorCode::CredentialsInvalid, |e| {
        e.change_password(&a.id, &pw("wrong password"), &pw("second password"), now())
    });
    e.change_password(&a.id, &pw("first password"), &pw("second password"), now())
        .expect("change");
    assert_eq!(
        e.login("a@x.test", &pw("first password"), now())
            .expect_err("old")
            .code(),
        ErrorCode::CredentialsInvalid
    );
    assert!(e.login("a@x.test", &pw("second password"), now()).is_ok());
}

#[test]
fn weak_stored_hashes_are_upgraded_at_login_and_absurd_ones_refused() {
    let e = family();
    e.create_account(&NewAccount::new("a@x.test", "first password"), now())
        .expect("account");
    let snap = e.snapshot();
    // A hash made with weaker parameters (m=8 MiB, t=1): same password, same salt.
    let weak = {
        use argon2::password_hash::PasswordHasher;
        let params = argon2::Params::new(8 * 1024, 1, 1, None).expect("params");
        argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params)
            .hash_password_with_salt(b"first password", b"0123456789abcdef")
            .expect("weak hash")
            .to_string()
    };
    let phc_start = snap.find("$argon2id$").expect("phc");
    let phc_end = phc_start + snap[phc_start..].find('"').expect("end of phc");
    let restored = Engine::restore(&snap.replace(&snap[phc_start..phc_end], &weak))
        .expect("restore with weak hash");
    assert!(restored.snapshot().contains("m=8192,t=1,p=1"));
    let seq = restored.last_seq();
    restored
        .login("a@x.test", &pw("first password"), now())
        .expect("login with weak hash");
    assert_eq!(restored.last_seq(), seq + 1, "re-hash journaled");
    assert!(restored.snapshot().contains("m=19456,t=2,p=1"));
    assert!(!restored.snapshot().contains("m=8192,t=1,p=1"));

    // A stored hash asking for 4 GiB is refused without running it.
    let absurd = weak.replace("m=8192", "m=4194304");
    let bad = Engine::restore(&snap.replace(&snap[phc_start..phc_end], &absurd)).expect("restore");
    assert_eq!(
        bad.login("a@x.test", &pw("first password"), now())
            .expect_err("absurd cost")
            .code(),
        ErrorCode::CredentialsInvalid
    );
}

#[test]
fn a_self_invitation_creates_the_account_and_links_it() {
    let e = family();
    let issued = e.invite(&InviteRequest::own("mum"), now()).expect("invite");
    assert_eq!(issued.invitation.email, "ann.lee@example.com");
    assert_eq!(issued.token.expose().len(), 43);
    assert_eq!(
        issued.invitation.expires_at - issued.invitation.created_at,
        Duration::hours(72)
    );
    // The notification carries the token, to the patient's address.
    let out = e.outbox();
    let n = out.last().expect("notification");
    assert_eq!(n.id, issued.notification);
    assert_eq!(n.kind, NotificationKind::Invitation);
    assert_eq!(n.recipients, vec!["ann.lee@example.com".to_owned()]);
    assert_eq!(n.token.as_ref(), Some(&issued.token));
    // A second live self invitation is refused: resend instead.
    fails(&e, ErrorCode::InvalidInput, |e| {
        e.invite(&InviteRequest::own("mum"), now())
    });
    // A password that is too short does not use the token up.
    fails(&e, ErrorCode::InvalidInput, |e| {
        e.accept_invitation(
            &AcceptInvitation::with_password(&issued.token, "short"),
            now(),
        )
    });
    let account = e
        .accept_invitation(
            &AcceptInvitation::with_password(&issued.token, "family password"),
            now() + Duration::hours(1),
        )
        .expect("accept");
    assert_eq!(account.username, "ann.lee@example.com");
    let links = e.links_of_account(&account.id);
    assert_eq!(links.len(), 1);
    assert_eq!(
        (
            links[0].patient.as_str(),
            links[0].relationship,
            links[0].active
        ),
        ("mum", Relationship::Own, true)
    );
    assert_eq!(
        e.login("ann.lee@example.com", &pw("family password"), now())
            .expect("login")
            .id,
        account.id
    );
    // Used: the same token is refused.
    fails(&e, ErrorCode::InvitationInvalid, |e| {
        e.accept_invitation(
            &AcceptInvitation::with_password(&issued.token, "family password"),
            now(),
        )
    });
    // The patient now has a self account: no new self invitation.
    fails(&e, ErrorCode::InvalidInput, |e| {
        e.invite(&InviteRequest::own("mum"), now())
    });
}

#[test]
fn invitations_expire_at_exactly_the_ttl() {
    let e = family();
    let t0 = now();
    let a = e.invite(&InviteRequest::own("mum"), t0).expect("a");
    let b = e.invite(&InviteRequest::own("other"), t0).expect("b");
    let last_valid = t0 + Duration::hours(72) - Duration::seconds(1);
    fails(&e, ErrorCode::InvitationExpired, |e| {
        e.accept_invitation(
            &AcceptInvitation::with_password(&a.token, "family password"),
            t0 + Duration::hours(72),
        )
    });
    e.accept_invitation(
        &AcceptInvitation::with_password(&b.token, "other password"),
        last_valid,
    )
    .expect("valid at 71:59:59");
    // Resend gives a new token and a new validity; the old token is dead.
    let again = e
        .resend_invitation(&a.invitation.id, t0 + Duration::hours(80))
        .expect("resend");
    assert_ne!(again.token, a.token);
    fails(&e, ErrorCode::InvitationInvalid, |e| {
        e.accept_invitation(
            &AcceptInvitation::with_password(&a.token, "family password"),
            t0 + Duration::hours(81),
        )
    });
    e.accept_invitation(
        &AcceptInvitation::with_password(&again.token, "family password"),
        t0 + Duration::hours(81),
    )
    .expect("new token works");
}

#[test]
fn a_guardian_links_to_an_existing_account_and_manages_exactly_their_dependents() {
    let e = family();
    let mum = e
        .create_account(
            &NewAccount::new("ann.lee@example.com", "family password")
                .linked("mum", Relationship::Own),
            now(),
        )
        .expect("mum's account");
    for kid in ["kid1", "kid2"] {
        let inv = e
            .invite(&InviteRequest::guardian(kid, "Ann.Lee@example.com"), now())
            .expect("guardian invite");
        // Accepting with a password would collide with her username: email_in_use.
        fails(&e, ErrorCode::EmailInUse, |e| {
            e.accept_invitation(
                &AcceptInvitation::with_password(&inv.token, "new password"),
                now(),
            )
        });
        e.accept_invitation(&AcceptInvitation::into_account(&inv.token, &mum.id), now())
            .expect("link added");
    }
    let mut patients = e.patients_of_account(&mum.id);
    patients.sort();
    assert_eq!(patients, ["kid1", "kid2", "mum"]);
    // She books for both children.
    let b1 = e
        .book(
            &BookRequest::new("kid1", "physio-30", mon_at(9, 0)).actor(&mum.id),
            now(),
        )
        .expect("kid1");
    // An actor is an account id, never a username.
    fails(&e, ErrorCode::NotAuthorized, |e| {
        e.book(
            &BookRequest::new("kid2", "physio-30", mon_at(9, 30)).actor(&mum.username),
            now(),
        )
    });
    let b2 = e
        .book(
            &BookRequest::new("kid2", "physio-30", mon_at(9, 30)).actor(&mum.id),
            now(),
        )
        .expect("kid2");
    // Someone else's booking, made by staff.
    let theirs = e
        .book(
            &BookRequest::new("other", "physio-30", mon_at(10, 0)),
            now(),
        )
        .expect("staff side");
    let seen: Vec<String> = e
        .appointments_for_account(&mum.id)
        .expect("visible")
        .into_iter()
        .map(|a| a.id)
        .collect();
    assert_eq!(seen, [b1.appointment.id.clone(), b2.appointment.id.clone()]);
    // She cannot book, cancel or move for a non-dependent.
    fails(&e, ErrorCode::NotAuthorized, |e| {
        e.book(
            &BookRequest::new("other", "physio-30", mon_at(11, 0)).actor(&mum.id),
            now(),
        )
    });
    fails(&e, ErrorCode::NotAuthorized, |e| {
        e.cancel(
            &CancelRequest::by_patient(&theirs.appointment.id).actor(&mum.id),
            now(),
        )
    });
    fails(&e, ErrorCode::NotAuthorized, |e| {
        e.reschedule(
            &RescheduleRequest::new(&theirs.appointment.id, mon_at(11, 0)).actor(&mum.id),
            now(),
        )
    });
    fails(&e, ErrorCode::NotAuthorized, |e| {
        e.cancel(
            &CancelRequest::by_staff(&b1.appointment.id, "no").actor(&mum.id),
            now(),
        )
    });
    // Staff revoke her link to kid2: nothing is granted from then on.
    e.revoke_link(&mum.id, "kid2", now()).expect("revoke");
    fails(&e, ErrorCode::NotAuthorized, |e| {
        e.cancel(
            &CancelRequest::by_patient(&b2.appointment.id).actor(&mum.id),
            now(),
        )
    });
    let seen: Vec<String> = e
        .appointments_for_account(&mum.id)
        .expect("visible")
        .into_iter()
        .map(|a| a.id)
        .collect();
    assert_eq!(seen, std::slice::from_ref(&b1.appointment.id));
    // She may still cancel for kid1.
    e.cancel(
        &CancelRequest::by_patient(&b1.appointment.id).actor(&mum.id),
        now(),
    )
    .expect("cancel for kid1");
    // An unknown actor is refused too.
    fails(&e, ErrorCode::NotAuthorized, |e| {
        e.book(
            &BookRequest::new("kid1", "physio-30", mon_at(11, 0)).actor("nobody"),
            now(),
        )
    });
}

#[test]
fn deleted_invitations_are_refused_and_self_links_are_unique() {
    let e = family();
    let inv = e
        .invite(&InviteRequest::guardian("kid2", "dad@x.test"), now())
        .expect("invite");
    e.delete_invitation(&inv.invitation.id).expect("delete");
    fails(&e, ErrorCode::InvitationInvalid, |e| {
        e.accept_invitation(
            &AcceptInvitation::with_password(&inv.token, "dad password"),
            now(),
        )
    });
    let a = e
        .create_account(
            &NewAccount::new("x@x.test", "x password").linked("other", Relationship::Own),
            now(),
        )
        .expect("x");
    let b = e
        .create_account(&NewAccount::new("y@x.test", "y password"), now())
        .expect("y");
    fails(&e, ErrorCode::InvalidInput, |e| {
        e.link_account(&b.id, "other", Relationship::Own, now())
    });
    e.link_account(&b.id, "other", Relationship::Carer, now())
        .expect("carer is fine");
    // An account is self for one patient only (guardian or carer for the others).
    fails(&e, ErrorCode::InvalidInput, |e| {
        e.link_account(&a.id, "mum", Relationship::Own, now())
    });
    e.link_account(&a.id, "mum", Relationship::Guardian, now())
        .expect("guardian is fine");
    assert_eq!(e.links_of_patient("other").len(), 2);
    assert_eq!(e.links_of_patient("other")[0].account, a.id);
    assert_eq!(e.links_of_account(&a.id).len(), 2);
}

#[test]
fn password_reset_is_single_use_short_lived_and_goes_to_the_stored_address() {
    let e = family();
    let a = e
        .create_account(&NewAccount::new("a@x.test", "first password"), now())
        .expect("account");
    e.create_account(&NewAccount::new("frontdesk-7", "staff made"), now())
        .expect("non-e-mail username");
    e.drain_outbox();
    // Unknown and non-e-mail usernames: the same outcome, nothing sent.
    assert_eq!(e.request_password_reset("nobody@x.test", now()), Ok(()));
    assert_eq!(e.request_password_reset("frontdesk-7", now()), Ok(()));
    assert!(e.outbox().is_empty());
    assert_eq!(e.request_password_reset(" A@x.test", now()), Ok(()));
    let n = e.drain_outbox().pop().expect("reset notification");
    assert_eq!(n.kind, NotificationKind::PasswordReset);
    assert_eq!(n.recipients, vec!["a@x.test".to_owned()]);
    let token = n.token.expect("token");
    assert!(!e.snapshot().contains(token.expose()));
    fails(&e, ErrorCode::InvitationExpired, |e| {
        e.reset_password(
            &token,
            &pw("second password"),
            now() + Duration::minutes(60),
        )
    });
    fails(&e, ErrorCode::InvitationInvalid, |e| {
        e.reset_password(&SecretToken::new("made-up"), &pw("second password"), now())
    });
    e.reset_password(
        &token,
        &pw("second password"),
        now() + Duration::minutes(59),
    )
    .expect("reset");
    fails(&e, ErrorCode::InvitationInvalid, |e| {
        e.reset_password(&token, &pw("third password"), now())
    });
    assert_eq!(
        e.login("a@x.test", &pw("second password"), now())
            .expect("login")
            .id,
        a.id
    );
}

#[test]
fn bulk_invite_reports_who_was_invited_and_who_was_skipped() {
    let e = family();
    e.upsert_patient(patient("bad", "Ed", Some("not-an-email")))
        .expect("bad");
    e.upsert_patient(patient("solo", "Fay", Some("fay@x.test")))
        .expect("solo");
    e.upsert_patient(patient("taken", "Gus", Some("gus@x.test")))
        .expect("taken");
    e.create_account(
        &NewAccount::new("di@x.test", "di password").linked("other", Relationship::Own),
        now(),
    )
    .expect("other has an account");
    e.invite(&InviteRequest::own("solo"), now()).expect("live");
    e.create_account(&NewAccount::new("gus@x.test", "gus password"), now())
        .expect("address used by an unlinked account");
    let report = e.bulk_invite(now()).expect("bulk");
    assert!(report.invited.is_empty());
    let skipped: Vec<(&str, SkipReason)> = report
        .skipped
        .iter()
        .map(|(p, r)| (p.as_str(), *r))
        .collect();
    assert_eq!(
        skipped,
        [
            ("bad", SkipReason::InvalidEmail),
            ("kid1", SkipReason::SharedEmail),
            ("kid2", SkipReason::InvalidEmail),
            ("mum", SkipReason::SharedEmail),
            ("other", SkipReason::HasAccount),
            ("solo", SkipReason::LiveInvitation),
            ("taken", SkipReason::EmailInUse),
        ]
    );
    e.upsert_patient(patient("new", "Hal", Some("hal@x.test")))
        .expect("new");
    let report = e.bulk_invite(now()).expect("bulk");
    assert_eq!(report.invited.len(), 1);
    assert_eq!(report.invited[0].invitation.patient, "new");
    assert_eq!(e.bulk_invite(now()).expect("again").invited.len(), 0);
}

fn signup_config(allow: bool) -> Value {
    let mut cfg = config();
    cfg["portal"]["allow_public_signup"] = json!(allow);
    cfg["portal"]["notifications"]["signup_to_clinic"] = json!(true);
    cfg["referral_types"] = json!([
        {"id": "google", "name": "Google", "show_at_signup": true},
        {"id": "staff-only", "name": "Internal"}
    ]);
    cfg
}

fn form(email: &str, first: &str, last: &str) -> SignupRequest {
    SignupRequest::new(
        email,
        "signup password",
        first,
        last,
        Some(date(2015, 3, 4)),
    )
}

#[test]
fn public_signup_needs_the_setting_and_queues_the_new_patient_for_review() {
    let off = engine(&signup_config(false));
    fails(&off, ErrorCode::SignupDisabled, |e| {
        e.signup(&form("new@x.test", "Nia", "Ray"), now())
    });
    let e = engine(&signup_config(true));
    let offered: Vec<String> = e
        .signup_referral_types()
        .into_iter()
        .map(|r| r.id)
        .collect();
    assert_eq!(offered, ["google"]);
    let mut request = form("New@X.test", "Nia", "Ray");
    request.referral_type = Some("staff-only".into());
    fails(&e, ErrorCode::InvalidInput, |e| e.signup(&request, now()));
    request.referral_type = Some("google".into());
    let out = e.signup(&request, now()).expect("signup");
    assert_eq!(out.patient.email.as_deref(), Some("new@x.test"));
    assert_eq!(out.patient.referral_type.as_deref(), Some("google"));
    assert_eq!(
        e.patients_of_account(&out.account.id),
        std::slice::from_ref(&out.patient.id)
    );
    assert_eq!(e.review_queue(), std::slice::from_ref(&out.signup));
    let n = e.outbox().pop().expect("signup notification");
    assert_eq!(n.kind, NotificationKind::Signup);
    assert_eq!(n.recipients, vec!["front@clinic.test".to_owned()]);
    fails(&e, ErrorCode::EmailInUse, |e| {
        e.signup(&form("new@x.test", "Other", "Person"), now())
    });
    e.mark_signup_reviewed(&out.signup.id, now())
        .expect("reviewed");
    assert!(e.review_queue().is_empty());
    assert!(e.login("new@x.test", &pw("signup password"), now()).is_ok());
}

#[test]
fn duplicates_are_proposed_with_scores_and_reasons() {
    let e = engine(&signup_config(true));
    e.upsert_patient(patient("ann", "Ann", Some("ann@x.test")))
        .expect("ann");
    e.upsert_patient(patient("anne", "Anne", None))
        .expect("anne");
    e.upsert_patient(patient("bob", "Bob", Some("bob@x.test")))
        .expect("bob");
    let out = e
        .signup(&form("ANN@x.test", "ann", "LEE"), now())
        .expect("signup");
    let found = e.find_duplicates(&out.patient.id).expect("duplicates");
    let view: Vec<(&str, u32, Vec<DuplicateReason>)> = found
        .iter()
        .map(|c| (c.patient.as_str(), c.score, c.reasons.clone()))
        .collect();
    assert_eq!(
        view,
        [
            (
                "ann",
                90,
                vec![
                    DuplicateReason::SameEmail,
                    DuplicateReason::SameNameAndBirthDate
                ]
            ),
            ("anne", 25, vec![DuplicateReason::SimilarNameAndBirthDate]),
        ]
    );
}

#[test]
fn near_identical_names_alone_are_a_reason() {
    let e = engine(&signup_config(true));
    let mut no_birth_date = patient("jon", "Jon", None);
    no_birth_date.birth_date = None;
    e.upsert_patient(no_birth_date).expect("jon");
    let mut other_birth_date = patient("john", "John", None);
    other_birth_date.birth_date = chrono::NaiveDate::from_ymd_opt(1981, 5, 6);
    e.upsert_patient(other_birth_date).expect("john");
    e.upsert_patient(patient("zed", "Zed", None)).expect("zed");
    e.upsert_patient(patient("new", "John", None)).expect("new");
    let found = e.find_duplicates("new").expect("duplicates");
    let view: Vec<(&str, u32, Vec<DuplicateReason>)> = found
        .iter()
        .map(|c| (c.patient.as_str(), c.score, c.reasons.clone()))
        .collect();
    assert_eq!(
        view,
        [
            ("john", 15, vec![DuplicateReason::SimilarName]),
            ("jon", 15, vec![DuplicateReason::SimilarName]),
        ]
    );
}

#[test]
fn merging_a_duplicate_signup_loses_nothing_and_replays_exactly() {
    let mut cfg = signup_config(true);
    cfg["portal"]["consent"] = json!({"required": true, "version": "v1"});
    let e = engine(&cfg);
    e.upsert_patient(patient("ann", "Ann", None)).expect("ann");
    e.upsert_patient(patient("kid", "Bo", None)).expect("kid");
    let start = Engine::restore(&e.snapshot()).expect("start");
    let old = e
        .book(
            &BookRequest::new("ann", "physio-30", mon_at(9, 0)).consent(),
            now(),
        )
        .expect("existing booking");
    let out = e
        .signup(&form("ann@x.test", "Ann", "Lee"), now())
        .expect("signup");
    let new = out.patient.id.clone();
    let booked = e
        .book(
            &BookRequest::new(&new, "physio-30", mon_at(10, 0))
                .consent()
                .actor(&out.account.id),
            now(),
        )
        .expect("booked by the new account");
    let inv = e
        .invite(&InviteRequest::guardian(&new, "dad@x.test"), now())
        .expect("invitation");
    e.link_account(&out.account.id, "kid", Relationship::Guardian, now())
        .expect("guardian of kid");
    let before_appointments: Vec<String> = [&old.appointment.id, &booked.appointment.id]
        .into_iter()
        .cloned()
        .collect();
    let before_links: Vec<(String, Relationship)> = e
        .links_of_patient(&new)
        .into_iter()
        .chain(e.links_of_patient("ann"))
        .map(|l| (l.account, l.relationship))
        .collect();
    assert_eq!(e.find_duplicates(&new).expect("dups")[0].patient, "ann");

    fails(&e, ErrorCode::InvalidInput, |e| {
        e.merge_patients("ann", "ann", now())
    });
    fails(&e, ErrorCode::NotFound, |e| {
        e.merge_patients("ann", "nobody", now())
    });
    let merged = e.merge_patients("ann", &new, now()).expect("merge");
    assert_eq!(
        merged.kept.email, None,
        "a signup's unverified address does not become the e-mail on file"
    );
    assert_eq!(merged.invitations, std::slice::from_ref(&inv.invitation.id));
    assert_eq!(
        merged.awaiting_confirmation,
        std::slice::from_ref(&out.account.id)
    );
    // Everything is reachable from the kept patient.
    assert_eq!(
        e.patient(&new).expect_err("gone").code(),
        ErrorCode::NotFound
    );
    assert_eq!(e.replaced_by(&new).expect("record").replaced_by, "ann");
    for id in &before_appointments {
        assert_eq!(
            e.appointment(id).expect("kept").patient.as_deref(),
            Some("ann")
        );
    }
    let after_links: Vec<(String, Relationship)> = e
        .links_of_patient("ann")
        .into_iter()
        .map(|l| (l.account, l.relationship))
        .collect();
    for link in &before_links {
        assert!(after_links.contains(link), "{link:?} lost");
    }
    // ... but the merge granted nothing: the moved link awaits confirmation.
    let moved = e.links_of_account(&out.account.id);
    let moved = moved
        .iter()
        .find(|l| l.patient == "ann")
        .expect("moved link");
    assert!(!moved.active && moved.awaits_confirmation, "{moved:?}");
    assert_eq!(
        e.appointments_for_account(&out.account.id).expect("none"),
        []
    );
    fails(&e, ErrorCode::NotAuthorized, |e| {
        e.book(
            &BookRequest::new("ann", "physio-30", mon_at(11, 0))
                .consent()
                .actor(&out.account.id),
            now(),
        )
    });
    assert_eq!(e.invitations_of("ann").len(), 1);
    assert!(e.review_queue().is_empty(), "a merge reviews the signup");
    assert_eq!(e.links_of_patient("kid").len(), 1, "other links untouched");
    // The moved invitation expired with the merge (it was addressed for the other
    // profile); staff resend it deliberately.
    fails(&e, ErrorCode::InvitationExpired, |e| {
        e.accept_invitation(
            &AcceptInvitation::with_password(&inv.token, "dad password"),
            now(),
        )
    });
    // Staff confirm the link: from then on the account sees both profiles' appointments.
    fails(&e, ErrorCode::NotFound, |e| {
        e.confirm_link(&out.account.id, "kid", now())
    });
    let confirmed = e
        .confirm_link(&out.account.id, "ann", now())
        .expect("confirm");
    assert!(confirmed.active && !confirmed.awaits_confirmation);
    assert_eq!(confirmed.relationship, Relationship::Own);
    fails(&e, ErrorCode::NotFound, |e| {
        e.confirm_link(&out.account.id, "ann", now())
    });
    let mut seen: Vec<String> = e
        .appointments_for_account(&out.account.id)
        .expect("visible")
        .into_iter()
        .map(|a| a.id)
        .collect();
    seen.sort();
    let mut expected = before_appointments.clone();
    expected.sort();
    assert_eq!(seen, expected);
    let resent = e
        .resend_invitation(&inv.invitation.id, now())
        .expect("resend");
    e.accept_invitation(
        &AcceptInvitation::with_password(&resent.token, "dad password"),
        now(),
    )
    .expect("the resent invitation links the dad");
    assert_eq!(
        e.links_of_patient("ann")
            .iter()
            .filter(|l| l.active)
            .count(),
        2
    );
    // The journal replays the merge exactly.
    for change in e.changes_since(start.last_seq()).expect("changes") {
        start.apply(&change).expect("apply");
    }
    assert_eq!(start.snapshot(), e.snapshot());
    assert_eq!(
        Engine::restore(&e.snapshot()).expect("restore").snapshot(),
        e.snapshot()
    );
}

#[test]
fn a_linked_patient_is_not_removed_and_invitations_go_with_a_removed_one() {
    let e = family();
    let a = e
        .create_account(
            &NewAccount::new("di@x.test", "di password").linked("other", Relationship::Own),
            now(),
        )
        .expect("account");
    fails(&e, ErrorCode::InvalidInput, |e| e.remove_patient("other"));
    e.revoke_link(&a.id, "other", now()).expect("revoke");
    fails(&e, ErrorCode::NotFound, |e| {
        e.revoke_link(&a.id, "other", now())
    });
    let inv = e
        .invite(&InviteRequest::guardian("kid2", "dad@x.test"), now())
        .expect("invite");
    e.remove_patient("kid2").expect("removed");
    assert_eq!(
        e.invitation(&inv.invitation.id).expect_err("gone").code(),
        ErrorCode::NotFound
    );
    fails(&e, ErrorCode::InvitationInvalid, |e| {
        e.accept_invitation(
            &AcceptInvitation::with_password(&inv.token, "dad password"),
            now(),
        )
    });
    e.remove_patient("other")
        .expect("revoked links do not block");
}
