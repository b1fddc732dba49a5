"""The shared vectors (core/tests/vectors/*.json, format: its README.md) run through the
Python API with the same expectations and cross-checks as the Rust runner
(core/tests/vectors.rs): search/explain agreement, failed operations changing nothing,
secrets never leaking, and the journal replaying onto the initial snapshots."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Set, Tuple, TypeVar

import icalendar
import pytest

import clinic_portal as cp

VECTORS = Path(__file__).resolve().parents[2] / "core" / "tests" / "vectors"
MIN_VECTORS = 50

T = TypeVar("T")
Json = Any

NOTE = {"op", "note"}
NOW = NOTE | {"now"}
EXPECT = {"expect"}
#: The members each step may have (unknown members are errors, like in Rust).
FIELDS: Dict[str, Set[str]] = {
    "search": NOW | {"query", "expect"},
    "explain": NOW | {"query", "start", "expect"},
    "validate": NOTE | EXPECT,
    "add_appointment": NOTE | {"appointment"} | EXPECT,
    "update_appointment": NOTE | {"appointment"} | EXPECT,
    "remove_appointment": NOTE | {"id"} | EXPECT,
    "upsert_patient": NOTE | {"patient"} | EXPECT,
    "hold": NOW | {"request"} | EXPECT,
    "book": NOW | {"request"} | EXPECT,
    "accept": NOW | {"request"} | EXPECT,
    "decline": NOW | {"request"} | EXPECT,
    "cancel": NOW | {"request"} | EXPECT,
    "reschedule": NOW | {"request"} | EXPECT,
    "register_program": NOW | {"request"} | EXPECT,
    "cancel_program_registration": NOW | {"id", "actor"} | EXPECT,
    "drain_outbox": NOTE | EXPECT,
    "journal_replay": NOTE,
    "create_account": NOW | {"request"} | EXPECT,
    "login": NOW | {"username", "password"} | EXPECT,
    "change_password": NOW | {"account", "current", "new"} | EXPECT,
    "link_account": NOW | {"account", "patient", "relationship"} | EXPECT,
    "revoke_link": NOW | {"account", "patient"} | EXPECT,
    "confirm_link": NOW | {"account", "patient"} | EXPECT,
    "appointments_for_account": NOTE | {"account"} | EXPECT,
    "fhir_appointment": NOTE | {"id"} | EXPECT,
    "import_fhir_appointment": NOTE | {"resource"} | EXPECT,
    "ical_appointment": NOW | {"id", "actor"} | EXPECT,
    "invite": NOW | {"request", "save_token_as"} | EXPECT,
    "resend_invitation": NOW | {"id", "save_token_as"} | EXPECT,
    "delete_invitation": NOTE | {"id"} | EXPECT,
    "accept_invitation": NOW
    | {"token_ref", "token", "password", "authenticated_account", "account_id"}
    | EXPECT,
    "bulk_invite": NOW | {"save_tokens_as"} | EXPECT,
    "request_password_reset": NOW | {"username", "save_token_as"} | EXPECT,
    "reset_password": NOW | {"token_ref", "token", "password"} | EXPECT,
    "signup": NOW | {"request"} | EXPECT,
    "review_queue": NOTE | EXPECT,
    "mark_signup_reviewed": NOW | {"id"} | EXPECT,
    "find_duplicates": NOTE | {"patient"} | EXPECT,
    "merge_patients": NOW | {"keep", "merge"} | EXPECT,
    "join_waitlist": NOW | {"request"} | EXPECT,
    "leave_waitlist": NOW | {"id", "actor"} | EXPECT,
    "decline_waitlist_offer": NOW | {"id", "actor"} | EXPECT,
    "process_waitlist": NOW | EXPECT,
    "waitlist": NOTE | EXPECT,
}
#: The steps whose `expect` is a plain `{"error": code}` (absent: must succeed).
PLAIN = {"add_appointment", "update_appointment", "remove_appointment", "upsert_patient"}


class StepFailed(Exception):
    """A step's expectation is not met."""


def vector_files() -> List[Path]:
    return sorted(p for p in VECTORS.glob("*.json") if p.is_file())


def instant(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def same_instant(a: str, b: str) -> bool:
    try:
        return instant(a) == instant(b)
    except ValueError:
        return False


def subset(want: Json, got: Json, path: str = "") -> None:
    """`want` must be a subset of `got` (vectors README: recursive on objects, item by item
    on arrays, RFC 3339 strings equal as instants)."""
    if isinstance(want, dict) and isinstance(got, dict):
        for key, value in want.items():
            at = f"{path}.{key}" if path else key
            if key not in got:
                raise StepFailed(f"the outcome has no field `{at}`")
            subset(value, got[key], at)
    elif isinstance(want, list) and isinstance(got, list):
        if len(want) != len(got):
            raise StepFailed(f"`{path}`: expected {len(want)} item(s), got {len(got)}: {got}")
        for i, (a, b) in enumerate(zip(want, got)):
            subset(a, b, f"{path}[{i}]")
    elif isinstance(want, str) and isinstance(got, str) and want != got:
        if not same_instant(want, got):
            raise StepFailed(f"`{path}`: expected {want!r}, got {got!r}")
    elif want != got or type(want) is not type(got):
        # JSON: 1 and true differ; ints and floats of equal value compare equal.
        if not (isinstance(want, (int, float)) and isinstance(got, (int, float))
                and not isinstance(want, bool) and not isinstance(got, bool) and want == got):
            raise StepFailed(f"`{path}`: expected {want!r}, got {got!r}")


def text(value: Json) -> str:
    if isinstance(value, str):
        return value
    if set(value) != {"repeat", "times"}:
        raise StepFailed(f"a text is a string or {{repeat, times}}, not {value}")
    return str(value["repeat"]) * int(value["times"])


def ical_lines(ics: str) -> Json:
    """The vectors' view of an iCalendar export, after an independent parser (the
    ``icalendar`` package) has read it back with one event per VEVENT line."""
    parsed = icalendar.Calendar.from_ical(ics)
    assert len(parsed.walk("VEVENT")) == ics.count("BEGIN:VEVENT")
    return {"lines": [line for line in ics.split("\r\n") if line]}


class Outcome:
    """The result of one engine call: a value or a `PortalError`."""

    def __init__(self, call: Callable[[], T]) -> None:
        self.value: Any = None
        self.error: Optional[cp.PortalError] = None
        try:
            self.value = call()
        except cp.PortalError as e:
            self.error = e
            # The class matches the code (docs/errors.md: one subclass per code).
            assert type(e) is cp.ERRORS[e.code], (type(e), e.code)


class Run:
    def __init__(self, path: Path) -> None:
        self.vector = json.loads(path.read_text(encoding="utf-8"))
        self.file = path.name
        self.config = self.vector["config"]
        self.engine: Optional[cp.Engine] = None
        self.build_error: Optional[cp.PortalError] = None
        try:
            self.engine = cp.Engine(self.config)
        except cp.PortalError as e:
            self.build_error = e
        self.initial: List[Tuple[str, str]] = []
        self.tokens: Dict[str, str] = {}
        self.secrets: List[str] = []

    # -- helpers -------------------------------------------------------------------

    def eng(self) -> cp.Engine:
        if self.engine is None:
            raise StepFailed(f"the configuration does not load: {self.build_error}")
        return self.engine

    def secret(self, value: Json) -> str:
        s = text(value)
        if len(s) >= 8:
            self.secrets.append(s)
        return s

    def save_token(self, name: str, token: str) -> None:
        if name in self.tokens:
            raise StepFailed(f"token name `{name}` is already used in this vector")
        self.tokens[name] = token
        self.secrets.append(token)

    def token(self, step: Dict[str, Json]) -> str:
        ref, literal = step.get("token_ref"), step.get("token")
        if ref is not None and literal is None:
            if ref not in self.tokens:
                raise StepFailed(f"no token was saved as `{ref}`")
            return self.tokens[ref]
        if literal is not None and ref is None:
            return str(literal)
        raise StepFailed("give exactly one of `token_ref` and `token`")

    def no_secrets(self, haystack: str, what: str) -> None:
        for s in self.secrets:
            if s in haystack:
                raise StepFailed(f"{what} contains a password or token ({len(s)} characters)")

    def check_error(self, out: Outcome, want: Optional[str]) -> None:
        if out.error is not None:
            self.no_secrets(str(out.error), "the error message")
        if want is None and out.error is not None:
            raise StepFailed(f"unexpected error {out.error}")
        if want is not None and out.error is None:
            raise StepFailed(f"expected error `{want}`, got success")
        if want is not None and out.error is not None and out.error.code != want:
            raise StepFailed(f"expected error `{want}`, got {out.error}")

    def outcome(self, out: Outcome, expect: Dict[str, Json], view: Callable[[Any], Json]) -> None:
        if "error" in expect:
            extra = [k for k in expect if k not in ("error", "rule")]
            if extra:
                raise StepFailed(f"an `expect` with `error` may only add `rule`, not {extra}")
            self.check_error(out, expect["error"])
            if "rule" in expect and out.error is not None:
                cite = f"rule {expect['rule']} ("
                if cite not in out.error.message:
                    raise StepFailed(f"expected the message to cite `{cite}`, got {out.error}")
            return
        if "rule" in expect:
            raise StepFailed("`rule` goes with `error` only")
        self.check_error(out, None)
        subset(expect, view(out.value))

    # -- steps ---------------------------------------------------------------------

    def search(self, step: Dict[str, Json]) -> None:
        engine, query, now = self.eng(), step["query"], instant(step["now"])
        expect = step["expect"]
        out = Outcome(lambda: engine.search(query, now))
        if "error" in expect:
            return self.check_error(out, expect["error"])
        self.check_error(out, None)
        slots: cp.Slots = out.value
        starts = [s.start.isoformat() for s in slots]
        # The engine's own form and the Python datetime in the clinic's zone agree.
        assert starts == [s.start_rfc3339 for s in slots]
        if len(slots) != expect["count"]:
            raise StepFailed(f"expected {expect['count']} slots, got {len(slots)}: {starts}")
        if "starts" in expect and expect["starts"] != starts:
            raise StepFailed(f"starts differ\n  expected {expect['starts']}\n  got      {starts}")
        checks: List[Tuple[str, Callable[[cp.Slot], Json]]] = [
            ("practitioners", lambda s: list(s.practitioner_ids)),
            ("clinics", lambda s: s.clinic),
            ("remaining", lambda s: s.remaining_capacity),
        ]
        for key, get in checks:
            if key in expect:
                want = expect[key]
                got = [get(s) for s in slots[: len(want)]]
                if want != got:
                    raise StepFailed(f"{key} differ\n  expected {want}\n  got      {got}")
        for slot in slots:
            label, start = slot.start_rfc3339, slot.start
            why = engine.explain(query, start, now)
            if not why.offered:
                raise StepFailed(f"cross-check: search returned {label} but explain refuses it: {why}")
            for candidate in slot.practitioner_ids:
                named = dict(query, practitioner=candidate, clinic=slot.clinic)
                why = engine.explain(named, start, now)
                verdict = [v for v in why.practitioners if v.practitioner == candidate]
                if not why.offered or not verdict or verdict[0].clinic != slot.clinic:
                    raise StepFailed(
                        f"cross-check: search offers {label} with `{candidate}` at "
                        f"`{slot.clinic}`, explain says {why}"
                    )

    def explain(self, step: Dict[str, Json]) -> None:
        engine, query, now = self.eng(), step["query"], instant(step["now"])
        start, expect = instant(step["start"]), step["expect"]
        out = Outcome(lambda: engine.explain(query, start, now))
        if "error" in expect:
            return self.check_error(out, expect["error"])
        self.check_error(out, None)
        why: cp.Explanation = out.value
        if "offered" not in expect:
            raise StepFailed("an explain step expects `offered` or `error`")
        if why.offered != expect["offered"]:
            raise StepFailed(f"expected offered = {expect['offered']}, got {why}")
        if why.offered:
            if "rule" in expect:
                raise StepFailed("an offered start has no rule: drop `rule`")
            around = dict(query)
            day = start.astimezone(timezone.utc).date()
            around["from"] = (day - timedelta(days=1)).isoformat()
            around["to"] = (day + timedelta(days=1)).isoformat()
            slots = engine.search(around, now)
            if not any(s.start_unix == int(start.timestamp()) for s in slots):
                raise StepFailed(f"cross-check: explain offers {start} but the search around it does not")
            return
        if "rule" not in expect:
            raise StepFailed("an explain step that expects a refusal must give `rule`")
        if why.rule != expect["rule"]:
            raise StepFailed(f"expected rule {expect['rule']}, got {why.rule}: {why.message}")

    def validate(self, step: Dict[str, Json]) -> None:
        expect = step["expect"]
        diagnostics = cp.Engine.validate(self.config)
        errors = {d.path for d in diagnostics if d.severity == "error"}
        warnings = {d.path for d in diagnostics if d.severity == "warning"}
        want_errors, want_warnings = set(expect["errors"]), set(expect["warnings"])
        if errors != want_errors or warnings != want_warnings:
            raise StepFailed(
                f"diagnostics differ\n  expected errors {want_errors}, warnings {want_warnings}"
                f"\n  got {[str(d) for d in diagnostics]}"
            )
        if want_errors:
            if self.engine is not None:
                raise StepFailed("the configuration has errors but the engine was built")
            assert self.build_error is not None
            if self.build_error.code != "invalid_config":
                raise StepFailed(f"building must fail with invalid_config, got {self.build_error}")
            # The error carries every diagnostic, typed.
            assert {d.path for d in self.build_error.diagnostics if d.severity == "error"} == errors
        else:
            if self.engine is None:
                raise StepFailed(f"no errors expected, but the engine fails: {self.build_error}")
            live = {d.path for d in self.engine.warnings()}
            if live != want_warnings:
                raise StepFailed(f"Engine.warnings() {live} differ from validate's {want_warnings}")

    def drain_outbox(self, step: Dict[str, Json]) -> None:
        drained = self.eng().drain_outbox()
        expect = step["expect"]
        for w in expect:
            unknown = set(w) - {"kind", "recipients", "data", "token_ref", "save_token_as"}
            if unknown:
                raise StepFailed(f"unknown notification members {unknown}")
        got = [(n.kind, list(n.recipients)) for n in drained]
        want = [(w["kind"], w["recipients"]) for w in expect]
        if got != want:
            raise StepFailed(f"notifications differ\n  expected {want}\n  got      {got}")
        for i, (n, w) in enumerate(zip(drained, expect)):
            if "data" in w:
                try:
                    subset(w["data"], n.data, "data")
                except StepFailed as e:
                    raise StepFailed(f"notification {i} ({w['kind']}): {e}") from None
            if "token_ref" in w:
                if n.token is None or n.token != self.tokens.get(w["token_ref"]):
                    raise StepFailed(f"notification {i} does not carry token `{w['token_ref']}`")
            if "save_token_as" in w:
                if n.token is None:
                    raise StepFailed(f"notification {i} ({w['kind']}) carries no token to save")
                self.save_token(w["save_token_as"], n.token)

    def journal_replay(self) -> None:
        engine = self.eng()
        current = engine.snapshot()
        for label, snapshot in self.initial:
            seq = json.loads(snapshot)["seq"]
            replica = cp.Engine.restore(snapshot)
            changes = engine.changes_since(seq)
            for change in changes:
                # Through storage: the change's JSON, as a host would keep it.
                replica.apply(cp.Change.from_json(change.to_json()))
            if replica.snapshot() != current:
                raise StepFailed(
                    f"replaying {len(changes)} change(s) onto the {label} snapshot does not "
                    "reproduce the engine"
                )

    def lifecycle(self, step: Dict[str, Json]) -> None:
        engine, op = self.eng(), step["op"]
        expect: Dict[str, Json] = step.get("expect", {})
        now = instant(step["now"])
        request: Any = step.get("request")
        view: Callable[[Any], Json] = lambda r: r.to_dict()
        calls: Dict[str, Callable[[], Any]] = {
            "hold": lambda: engine.hold(request, now),
            "book": lambda: engine.book(request, now),
            "accept": lambda: engine.accept(request, now),
            "decline": lambda: engine.decline(request, now),
            "cancel": lambda: engine.cancel(request, now),
            "reschedule": lambda: engine.reschedule(request, now),
            "register_program": lambda: engine.register_program(request, now),
            "cancel_program_registration": lambda: engine.cancel_program_registration(
                step["id"], step.get("actor"), now
            ),
            "join_waitlist": lambda: engine.join_waitlist(request, now),
            "leave_waitlist": lambda: engine.leave_waitlist(step["id"], step.get("actor"), now),
            "decline_waitlist_offer": lambda: engine.decline_waitlist_offer(
                step["id"], step.get("actor"), now
            ),
            "process_waitlist": lambda: engine.process_waitlist(now),
        }
        self.outcome(Outcome(calls[op]), expect, view)

    def account_step(self, step: Dict[str, Json]) -> None:
        engine, op = self.eng(), step["op"]
        expect: Dict[str, Json] = step.get("expect", {})
        now = instant(step["now"]) if "now" in step else None
        to_dict: Callable[[Any], Json] = lambda r: r.to_dict()

        def at() -> datetime:
            assert now is not None
            return now

        if op == "create_account":
            r = step["request"]
            unknown = set(r) - {"id", "username", "password", "patient", "relationship"}
            if unknown:
                raise StepFailed(f"unknown request members {unknown}")
            new = cp.NewAccount(
                username=r["username"],
                password=self.secret(r["password"]),
                id=r.get("id"),
                patient=r.get("patient"),
                relationship=r.get("relationship") or "self",
            )
            return self.outcome(Outcome(lambda: engine.create_account(new, at())), expect, to_dict)
        if op == "login":
            pw = self.secret(step["password"])
            return self.outcome(Outcome(lambda: engine.login(step["username"], pw, at())), expect, to_dict)
        if op == "change_password":
            cur, new_pw = self.secret(step["current"]), self.secret(step["new"])
            return self.outcome(
                Outcome(lambda: engine.change_password(step["account"], cur, new_pw, at())),
                expect,
                to_dict,
            )
        if op == "link_account":
            return self.outcome(
                Outcome(lambda: engine.link_account(step["account"], step["patient"], step["relationship"], at())),
                expect,
                to_dict,
            )
        if op == "revoke_link":
            return self.outcome(
                Outcome(lambda: engine.revoke_link(step["account"], step["patient"], at())), expect, to_dict
            )
        if op == "confirm_link":
            return self.outcome(
                Outcome(lambda: engine.confirm_link(step["account"], step["patient"], at())), expect, to_dict
            )
        if op == "appointments_for_account":
            return self.outcome(
                Outcome(lambda: engine.appointments_for_account(step["account"])),
                expect,
                lambda items: {"appointments": [a.id for a in items]},
            )
        if op == "fhir_appointment":
            return self.outcome(
                Outcome(lambda: engine.fhir_appointment(step["id"])), expect, lambda r: r
            )
        if op == "import_fhir_appointment":
            return self.outcome(
                Outcome(lambda: engine.import_fhir_appointment(step["resource"])), expect, to_dict
            )
        if op == "ical_appointment":
            return self.outcome(
                Outcome(lambda: engine.ical_appointment(step["id"], step.get("actor"), at())),
                expect,
                ical_lines,
            )
        issued_view: Callable[[Any], Json] = lambda i: {
            "invitation": i.invitation.to_dict(),
            "notification": i.notification,
        }
        if op in ("invite", "resend_invitation"):
            if op == "invite":
                out = Outcome(lambda: engine.invite(step["request"], at()))
            else:
                out = Outcome(lambda: engine.resend_invitation(step["id"], at()))
            if out.error is None and "save_token_as" in step:
                self.save_token(step["save_token_as"], out.value.token)
            return self.outcome(out, expect, issued_view)
        if op == "delete_invitation":
            return self.outcome(Outcome(lambda: engine.delete_invitation(step["id"])), expect, to_dict)
        if op == "accept_invitation":
            request = cp.AcceptInvitation(
                token=self.token(step),
                password=None if step.get("password") is None else self.secret(step["password"]),
                authenticated_account=step.get("authenticated_account"),
                account_id=step.get("account_id"),
            )
            return self.outcome(Outcome(lambda: engine.accept_invitation(request, at())), expect, to_dict)
        if op == "bulk_invite":
            out = Outcome(lambda: engine.bulk_invite(at()))
            if out.error is None:
                report: cp.BulkInviteReport = out.value
                for patient, name in step.get("save_tokens_as", {}).items():
                    found = [i for i in report.invited if i.invitation.patient == patient]
                    if not found:
                        raise StepFailed(f"save_tokens_as: patient `{patient}` was not invited")
                    self.save_token(name, found[0].token)
            return self.outcome(
                out,
                expect,
                lambda r: {
                    "invited": [i.invitation.to_dict() for i in r.invited],
                    "skipped": [{"patient": p, "reason": r.skipped[p]} for p in sorted(r.skipped)],
                },
            )
        if op == "request_password_reset":
            last = max((n.id for n in engine.outbox()), default=0)
            out = Outcome(lambda: engine.request_password_reset(step["username"], at()))
            if out.error is None and "save_token_as" in step:
                sent = [
                    n.token
                    for n in engine.outbox()
                    if n.id > last and n.kind == "password_reset" and n.token is not None
                ]
                if len(sent) != 1:
                    raise StepFailed(
                        "save_token_as: expected one new password_reset notification with a "
                        f"token, found {len(sent)}"
                    )
                self.save_token(step["save_token_as"], sent[0])
            return self.outcome(out, expect, lambda _: {})
        if op == "reset_password":
            token, pw = self.token(step), self.secret(step["password"])
            return self.outcome(Outcome(lambda: engine.reset_password(token, pw, at())), expect, to_dict)
        if op == "signup":
            r = dict(step["request"])
            r["password"] = self.secret(r["password"])
            return self.outcome(Outcome(lambda: engine.signup(r, at())), expect, to_dict)
        if op == "review_queue":
            return self.outcome(
                Outcome(engine.review_queue), expect, lambda q: {"signups": [s.to_dict() for s in q]}
            )
        if op == "mark_signup_reviewed":
            return self.outcome(Outcome(lambda: engine.mark_signup_reviewed(step["id"], at())), expect, to_dict)
        if op == "find_duplicates":
            return self.outcome(
                Outcome(lambda: engine.find_duplicates(step["patient"])),
                expect,
                lambda c: {"candidates": [x.to_dict() for x in c]},
            )
        if op == "merge_patients":
            return self.outcome(
                Outcome(lambda: engine.merge_patients(step["keep"], step["merge"], at())), expect, to_dict
            )
        raise StepFailed(f"`{op}` is not a known step")

    def step(self, step: Dict[str, Json]) -> None:
        op = step.get("op")
        if op not in FIELDS:
            raise StepFailed(f"unknown op `{op}`")
        unknown = set(step) - FIELDS[op]
        if unknown:
            raise StepFailed(f"unknown members {sorted(unknown)}")
        if op in PLAIN:
            engine = self.eng()
            calls: Dict[str, Callable[[], Any]] = {
                "add_appointment": lambda: engine.add_appointment(step["appointment"]),
                "update_appointment": lambda: engine.update_appointment(step["appointment"]),
                "remove_appointment": lambda: engine.remove_appointment(step["id"]),
                "upsert_patient": lambda: engine.upsert_patient(step["patient"]),
            }
            expect = step.get("expect", {})
            if set(expect) - {"error"}:
                raise StepFailed(f"unknown expect members {set(expect) - {'error'}}")
            return self.check_error(Outcome(calls[op]), expect.get("error"))
        simple: Dict[str, Callable[[Dict[str, Json]], None]] = {
            "search": self.search,
            "explain": self.explain,
            "validate": self.validate,
            "drain_outbox": self.drain_outbox,
            "journal_replay": lambda _: self.journal_replay(),
        }
        if op in simple:
            return simple[op](step)
        if op in ("hold", "book", "accept", "decline", "cancel", "reschedule",
                  "register_program", "cancel_program_registration", "join_waitlist",
                  "leave_waitlist", "decline_waitlist_offer", "process_waitlist"):
            return self.lifecycle(step)
        if op == "waitlist":
            engine = self.eng()
            return self.outcome(
                Outcome(engine.waitlist),
                step.get("expect", {}),
                lambda entries: {"entries": [x.to_dict() for x in entries]},
            )
        return self.account_step(step)

    def expects_error(self, step: Dict[str, Json]) -> bool:
        expect = step.get("expect")
        return isinstance(expect, dict) and "error" in expect

    def checked_step(self, step: Dict[str, Json]) -> None:
        if self.engine is not None and self.expects_error(step):
            before = self.engine.snapshot()
            self.step(step)
            if self.engine.snapshot() != before:
                raise StepFailed("the operation failed as expected but changed the engine's snapshot")
        else:
            self.step(step)
        if self.engine is not None and self.secrets:
            snapshot = self.engine.snapshot()
            self.no_secrets(snapshot, "the snapshot")
            journal = json.dumps([c.to_dict() for c in self.engine.changes_since(0)])
            self.no_secrets(journal, "the journal")
            for account in json.loads(snapshot).get("accounts", []):
                if not str(account.get("password_hash", "")).startswith("$argon2id$"):
                    raise StepFailed(f"account `{account['id']}` does not store an Argon2id hash")
            for acct in self.engine.accounts():
                if "password_hash" in acct.to_dict():
                    raise StepFailed(f"account `{acct.id}` shows its hash")

    def run(self) -> List[str]:
        failures: List[str] = []
        name = self.vector["name"]
        if not self.vector["steps"]:
            return [f"{self.file}: has no steps"]
        if self.engine is not None:
            self.initial.append(("empty", self.engine.snapshot()))
        if self.vector.get("patients") or self.vector.get("appointments"):
            try:
                engine = self.eng()
                for p in self.vector.get("patients", []):
                    engine.upsert_patient(p)
                engine.add_appointments(self.vector.get("appointments", []))
            except (StepFailed, cp.PortalError) as e:
                return [f"{self.file} ({name}): loading data: {e}"]
        if self.engine is not None:
            self.initial.append(("loaded", self.engine.snapshot()))
        for i, step in enumerate(self.vector["steps"]):
            try:
                self.checked_step(step)
            except StepFailed as e:
                note = f" [{step['note']}]" if "note" in step else ""
                failures.append(f"{self.file} ({name}) step {i} ({step.get('op')}){note}: {e}")
        if self.engine is not None:
            try:
                self.journal_replay()
            except StepFailed as e:
                failures.append(f"{self.file} ({name}) after the last step (journal replay): {e}")
        return failures


def test_the_vectors_folder_is_complete() -> None:
    files = vector_files()
    assert len(files) >= MIN_VECTORS, f"expected at least {MIN_VECTORS} vectors in {VECTORS}"
    names = [json.loads(p.read_text(encoding="utf-8"))["name"] for p in files]
    assert names == [p.stem for p in files]


@pytest.mark.parametrize("path", vector_files(), ids=lambda p: p.stem)
def test_vector(path: Path) -> None:
    failures = Run(path).run()
    assert not failures, "\n\n".join(failures)

