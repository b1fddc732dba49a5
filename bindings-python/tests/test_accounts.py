"""Accounts, invitations, the guardian flow, signup and merge (docs/accounts.md)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

import clinic_portal as cp
from conftest import NOW

PASSWORD = "correct horse battery"
WEEK = cp.SlotQuery(service="physio-followup-30", from_=date(2027, 3, 10), to=date(2027, 3, 16))


def test_guardian_books_for_a_child(sample: cp.Engine) -> None:
    own = sample.invite(cp.InviteRequest(patient="pat-ana"), NOW)
    assert own.token and own.token not in repr(own)
    ana = sample.accept_invitation(cp.AcceptInvitation(token=own.token, password=PASSWORD), NOW)
    assert sample.invitation(own.invitation.id).accepted_by == ana.id
    with pytest.raises(cp.InvitationInvalid):
        sample.accept_invitation(cp.AcceptInvitation(token=own.token, password=PASSWORD), NOW)
    guardian = sample.invite(
        cp.InviteRequest(patient="pat-ben", relationship="guardian", email="ana.souza@example.com"),
        NOW,
    )
    sample.accept_invitation(
        cp.AcceptInvitation(token=guardian.token, authenticated_account=ana.id), NOW
    )
    assert set(sample.patients_of_account(ana.id)) == {"pat-ana", "pat-ben"}
    assert {l.relationship for l in sample.links_of_account(ana.id)} == {"self", "guardian"}

    query = cp.SlotQuery(service=WEEK.service, from_=WEEK.from_, to=WEEK.to,
                         patient="pat-ben", actor=ana.id)
    slot = sample.search(query, NOW)[0]
    booking = sample.book(
        cp.BookRequest(patient="pat-ben", service=WEEK.service, start=slot.start,
                       practitioner=slot.practitioner_ids[0], consent_given=True, actor=ana.id),
        NOW,
    )
    assert booking.appointment.patient == "pat-ben"
    assert booking.appointment.id in [a.id for a in sample.appointments_for_account(ana.id)]

    # Chloe's account may not act for Ben.
    chloe = sample.create_account(
        cp.NewAccount(username="chloe.m@example.com", password=PASSWORD, patient="pat-chloe"), NOW
    )
    with pytest.raises(cp.NotAuthorized):
        sample.search(cp.SlotQuery(service=WEEK.service, from_=WEEK.from_, to=WEEK.to,
                                   patient="pat-ben", actor=chloe.id), NOW)
    revoked = sample.revoke_link(ana.id, "pat-ben", NOW)
    assert revoked.active is False and revoked.revoked_at == NOW
    assert sample.patients_of_account(ana.id) == ("pat-ana",)
    assert sample.links_of_patient("pat-ben")[0].active is False


def test_invitations_resend_delete_bulk_and_expiry(sample: cp.Engine) -> None:
    first = sample.invite(cp.InviteRequest(patient="pat-chloe"), NOW)
    again = sample.resend_invitation(first.invitation.id, NOW)
    with pytest.raises(cp.InvitationInvalid):
        sample.accept_invitation(cp.AcceptInvitation(token=first.token, password=PASSWORD), NOW)
    assert sample.invitations_of("pat-chloe") == (sample.invitation(first.invitation.id),)
    late = again.invitation.expires_at + timedelta(minutes=1)
    with pytest.raises(cp.InvitationExpired):
        sample.accept_invitation(cp.AcceptInvitation(token=again.token, password=PASSWORD), late)
    assert sample.delete_invitation(first.invitation.id).id == first.invitation.id
    report = sample.bulk_invite(NOW)
    assert isinstance(report, cp.BulkInviteReport)
    assert {i.invitation.patient for i in report.invited} | set(report.skipped) >= {"pat-chloe", "pat-dev"}
    sent = [n for n in sample.drain_outbox() if n.kind == "invitation"]
    assert {n.token for n in sent} >= {i.token for i in report.invited}


def test_passwords_login_and_reset(sample: cp.Engine) -> None:
    account = sample.create_account(
        cp.NewAccount(username="Dev.Patel@Example.com", password=PASSWORD, patient="pat-dev"), NOW
    )
    assert account.username == "dev.patel@example.com"
    assert sample.account(account.id) == account == sample.account_by_username("dev.patel@example.com")
    assert sample.accounts() == (account,)
    assert sample.login("dev.patel@example.com", PASSWORD, NOW) == account
    with pytest.raises(cp.CredentialsInvalid):
        sample.login("dev.patel@example.com", "wrong password!", NOW)
    sample.change_password(account.id, PASSWORD, "a new long password", NOW)
    sample.drain_outbox()
    sample.request_password_reset("dev.patel@example.com", NOW)
    (notice,) = [n for n in sample.drain_outbox() if n.kind == "password_reset"]
    assert notice.token is not None and notice.token not in repr(notice)
    sample.reset_password(notice.token, "third long password", NOW)
    assert sample.login("dev.patel@example.com", "third long password", NOW).id == account.id
    assert PASSWORD not in sample.snapshot() and "password_hash" not in repr(sample.accounts())


def test_signup_review_and_merge(sample: cp.Engine) -> None:
    types = sample.signup_referral_types()
    outcome = sample.signup(
        cp.SignupRequest(email="dev.patel@example.com", password=PASSWORD, first_name="Dev",
                         last_name="Patel", birth_date=date(1992, 11, 20),
                         referral_type=types[0].id if types else None),
        NOW,
    )
    assert isinstance(outcome, cp.SignupOutcome)
    assert sample.review_queue() == (outcome.signup,)
    dups = sample.find_duplicates(outcome.patient.id)
    assert dups[0].patient == "pat-dev" and "same_email" in dups[0].reasons
    merged = sample.merge_patients("pat-dev", outcome.patient.id, NOW)
    assert merged.record.replaced_by == "pat-dev" and merged.links == (outcome.account.id,)
    assert sample.replaced_by(outcome.patient.id) == merged.record
    assert sample.replaced_by("pat-dev") is None
    for account in merged.awaiting_confirmation:
        assert sample.confirm_link(account, "pat-dev", NOW).active
    reviewed = sample.mark_signup_reviewed(outcome.signup.id, NOW)
    assert reviewed.reviewed_at == NOW and sample.review_queue() == ()
    with pytest.raises(cp.NotFound):
        sample.patient(outcome.patient.id)
    with pytest.raises(cp.InvalidInput):
        sample.remove_patient("pat-dev")  # still linked
    sample.upsert_patient(cp.Patient(id="pat-new"))
    assert sample.remove_patient("pat-new").id == "pat-new"
