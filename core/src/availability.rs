//! Slot search: which starts a portal user may book (rules 1–12 of docs/rules.md).
//!
//! Each rule is decided by one function here; [`crate::explain`] calls the same functions
//! to say which rule refuses a start, so the two can never disagree.

use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;

use chrono::{DateTime, Days, FixedOffset, NaiveDate, Utc};
use serde::ser::{SerializeSeq, SerializeStruct};
use serde::{Deserialize, Serialize, Serializer};

use crate::config::{EmptyPortalDay, SlotMode, Weekday};
use crate::engine::State;
use crate::engine::{EARLIEST_INSTANT, LATEST_INSTANT};
use crate::occupancy::Profile;
use crate::practice::{
    CBlock, CClosure, CPractitioner, CRecord, CService, ClosureDates, Ix, Practice,
};
use crate::recurrence::{FIRST_DATE, LAST_DATE};
use crate::sweep::{sweep, Grid};
use crate::zone::{DayFrame, Instant};
use crate::{Error, Result};

/// The longest date range one query may span, in days (`from..=to` inclusive);
/// `invalid_input` beyond.
pub const MAX_QUERY_DAYS: i64 = 366;

/// The first date a query may name (`invalid_input` before).
pub const FIRST_QUERY_DATE: NaiveDate = FIRST_DATE;

/// The last date a query may name (`invalid_input` after). Starts after
/// 9999-12-31T00:00:00Z are never offered: no operation accepts them.
pub const LAST_QUERY_DATE: NaiveDate = LAST_DATE;

/// The most slots one search returns when the query gives no [`SlotQuery::limit`].
pub const DEFAULT_SLOT_LIMIT: u32 = 10_000;

/// The largest [`SlotQuery::limit`] (`invalid_input` beyond).
pub const MAX_SLOT_LIMIT: u32 = 100_000;

/// What a portal user asks: which starts can I book?
///
/// # Answers and errors
///
/// [`crate::Engine::search`] answers with [`Slots`], or with an error:
///
/// - bad input, before anything else: an unknown service, practitioner, clinic or patient
///   (`not_found`); a date outside [`FIRST_QUERY_DATE`]..=[`LAST_QUERY_DATE`], `to` before
///   `from`, more than [`MAX_QUERY_DAYS`] dates, a `limit` outside 1..=[`MAX_SLOT_LIMIT`]
///   or an `after` outside the instants operations accept (`invalid_input`);
/// - a refusal of the whole query, with the code booking gives for it: the portal is off,
///   or the named clinic does not book in the portal (rule 1 (portal on):
///   `portal_disabled`); the service is not bookable online (rule 2 (service online):
///   `slot_unavailable`); no practitioner is named while "No Preference" is off (rule 12
///   (no preference): `slot_unavailable`).
///
/// Anything else that stops a start (a practitioner, a block, a closure, the booking
/// window, the grid, capacity…) only leaves that start out of the answer.
///
/// [`crate::Engine::explain`] takes the same query and answers every refusal, whole-query
/// ones included, as an [`crate::Explanation`] that is not offered (bad input is still an
/// error). A start on a local date outside `from..=to` is not offered (rule 8 (booking
/// window), entity `query`). `limit` and `after` page the search only: explain checks them
/// but does not use them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SlotQuery {
    /// The service to book.
    pub service: String,
    /// A named practitioner; absent: no preference (rule 12 (no preference)).
    #[serde(default)]
    pub practitioner: Option<String>,
    /// Only this clinic.
    #[serde(default)]
    pub clinic: Option<String>,
    /// First local date (in each clinic's own zone), inclusive.
    pub from: NaiveDate,
    /// Last local date, inclusive.
    pub to: NaiveDate,
    /// Telehealth (video) appointments instead of in-person ones.
    #[serde(default)]
    pub telehealth: bool,
    /// The patient booking, for their practitioner restrictions.
    #[serde(default)]
    pub patient: Option<String>,
    /// The portal account searching (docs/accounts.md): it must name `patient` and have an active
    /// link to them (`not_authorized` otherwise). `None`: the host's trusted side, or an
    /// anonymous search without a patient.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actor: Option<String>,
    /// At most this many slots (1 to [`MAX_SLOT_LIMIT`]; absent: [`DEFAULT_SLOT_LIMIT`]).
    /// See [`Slots::truncated`] for paging. Explain checks it but does not use it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u32>,
    /// Only slots starting strictly after this instant: the cursor of the next page
    /// ([`Slots::next_after`]). Explain checks it but does not use it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after: Option<DateTime<Utc>>,
}

impl SlotQuery {
    /// A query for a service over local dates `from..=to`, any practitioner.
    pub fn new(service: impl Into<String>, from: NaiveDate, to: NaiveDate) -> SlotQuery {
        SlotQuery {
            service: service.into(),
            practitioner: None,
            clinic: None,
            from,
            to,
            telehealth: false,
            patient: None,
            actor: None,
            limit: None,
            after: None,
        }
    }

    /// At most `n` slots per answer (1 to [`MAX_SLOT_LIMIT`]).
    pub fn limit(mut self, n: u32) -> SlotQuery {
        self.limit = Some(n);
        self
    }

    /// Only slots starting strictly after `instant` (the next page's cursor).
    pub fn after(mut self, instant: DateTime<Utc>) -> SlotQuery {
        self.after = Some(instant);
        self
    }

    /// Only this practitioner.
    pub fn practitioner(mut self, id: impl Into<String>) -> SlotQuery {
        self.practitioner = Some(id.into());
        self
    }

    /// Only this clinic.
    pub fn clinic(mut self, id: impl Into<String>) -> SlotQuery {
        self.clinic = Some(id.into());
        self
    }

    /// Telehealth instead of in-person.
    pub fn telehealth(mut self, telehealth: bool) -> SlotQuery {
        self.telehealth = telehealth;
        self
    }

    /// For this patient (applies their allowed practitioners).
    pub fn patient(mut self, id: impl Into<String>) -> SlotQuery {
        self.patient = Some(id.into());
        self
    }

    /// On behalf of this portal account (docs/accounts.md).
    pub fn actor(mut self, account: impl Into<String>) -> SlotQuery {
        self.actor = Some(account.into());
        self
    }
}

/// A practitioner who can take a slot, with the places left with them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct SlotCandidate<'a> {
    /// Practitioner id.
    pub practitioner: &'a str,
    /// Places left at that start with this practitioner.
    pub remaining_capacity: u32,
}

/// The ids of a practice's clinics and practitioners, shared by every answer so that a slot
/// carries indices, not strings.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Ids {
    pub(crate) clinics: Box<[Arc<str>]>,
    pub(crate) practitioners: Box<[Arc<str>]>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Candidate {
    practitioner: u32,
    remaining: u32,
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct SlotRow {
    clinic: u32,
    start: Instant,
    end: Instant,
    offset: i32,
    remaining: u32,
    candidates: (u32, u32),
}

/// The answer to a [`SlotQuery`]: slots ordered by start, then clinic and practitioner in
/// configuration order. With no preference, one slot per (start, clinic) lists every
/// candidate practitioner; otherwise each slot has exactly one.
///
/// An answer holds at most the query's limit ([`DEFAULT_SLOT_LIMIT`] by default). When more
/// slots match, it is [`Slots::truncated`]: it ends before a start (the slots of one start
/// are never split across answers, so an answer may hold fewer than the limit; a single
/// start offered at more clinics than the limit comes whole), and the same query with
/// [`SlotQuery::after`] set to [`Slots::next_after`] gives the next page.
///
/// ```
/// use clinic_portal::{Engine, SlotQuery};
/// use chrono::{NaiveDate, TimeZone, Utc};
///
/// let engine = Engine::from_json(r#"{
///   "clinics": [{"id": "main", "time_zone": "America/Toronto"}],
///   "schedule_types": [{"id": "treat"}],
///   "practitioners": [{"id": "dr-lee", "schedule_types": ["treat"], "availability": [
///     {"start_date": "2027-01-01", "blocks": [
///       {"weekday": "mon", "start": "09:00", "end": "12:00", "schedule_type": "treat"}]}]}],
///   "services": [{"id": "physio-30", "duration_minutes": 30, "schedule_types": ["treat"]}]
/// }"#)?;
/// let monday = NaiveDate::from_ymd_opt(2027, 2, 1).unwrap();
/// let now = Utc.with_ymd_and_hms(2027, 1, 25, 12, 0, 0).unwrap();
/// let query = SlotQuery::new("physio-30", monday, monday).limit(4);
/// let first = engine.search(&query, now)?;
/// assert_eq!((first.len(), first.truncated()), (4, true));
/// let next = engine.search(&query.after(first.next_after().unwrap()), now)?;
/// assert_eq!((next.len(), next.truncated()), (2, false)); // 11:00 and 11:30
/// # Ok::<(), clinic_portal::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Slots {
    ids: Arc<Ids>,
    rows: Vec<SlotRow>,
    candidates: Vec<Candidate>,
    truncated: bool,
}

/// One offered slot, borrowed from [`Slots`].
#[derive(Clone, Copy)]
pub struct Slot<'a> {
    ids: &'a Ids,
    row: &'a SlotRow,
    candidates: &'a [Candidate],
}

/// The practitioners who can take a slot, in configuration order.
#[derive(Clone)]
pub struct SlotCandidates<'a> {
    ids: &'a Ids,
    inner: std::slice::Iter<'a, Candidate>,
}

impl<'a> Iterator for SlotCandidates<'a> {
    type Item = SlotCandidate<'a>;

    fn next(&mut self) -> Option<SlotCandidate<'a>> {
        self.inner.next().map(|c| SlotCandidate {
            practitioner: &self.ids.practitioners[c.practitioner as usize],
            remaining_capacity: c.remaining,
        })
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.inner.size_hint()
    }
}

impl ExactSizeIterator for SlotCandidates<'_> {}

impl fmt::Debug for SlotCandidates<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.clone()).finish()
    }
}

fn at_offset(instant: Instant, offset: i32) -> DateTime<FixedOffset> {
    let utc = FixedOffset::east_opt(0).unwrap_or_else(|| unreachable!("0 is a valid offset"));
    let tz = FixedOffset::east_opt(offset).unwrap_or(utc);
    DateTime::from_timestamp(instant, 0)
        .unwrap_or_default()
        .with_timezone(&tz)
}

impl<'a> Slot<'a> {
    /// The clinic.
    pub fn clinic(&self) -> &'a str {
        &self.ids.clinics[self.row.clinic as usize]
    }

    /// Start, in the clinic's local offset.
    pub fn start(&self) -> DateTime<FixedOffset> {
        at_offset(self.row.start, self.row.offset)
    }

    /// End (start + service duration), in the clinic's offset at the start.
    pub fn end(&self) -> DateTime<FixedOffset> {
        at_offset(self.row.end, self.row.offset)
    }

    /// Start as Unix seconds.
    pub fn start_unix(&self) -> i64 {
        self.row.start
    }

    /// End as Unix seconds.
    pub fn end_unix(&self) -> i64 {
        self.row.end
    }

    /// The clinic's UTC offset at the start, in seconds.
    pub fn utc_offset_seconds(&self) -> i32 {
        self.row.offset
    }

    /// Places left at this start (summed over candidates).
    pub fn remaining_capacity(&self) -> u32 {
        self.row.remaining
    }

    /// The practitioners who can take it, in configuration order.
    pub fn practitioners(&self) -> SlotCandidates<'a> {
        SlotCandidates {
            ids: self.ids,
            inner: self.candidates.iter(),
        }
    }

    /// The ids of the practitioners who can take it, in configuration order.
    pub fn practitioner_ids(&self) -> Vec<&'a str> {
        self.practitioners().map(|c| c.practitioner).collect()
    }
}

impl fmt::Debug for Slot<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Slot")
            .field("clinic", &self.clinic())
            .field("start", &self.start().to_rfc3339())
            .field("end", &self.end().to_rfc3339())
            .field("practitioners", &self.practitioners())
            .finish()
    }
}

impl Serialize for Slot<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut st = s.serialize_struct("Slot", 7)?;
        st.serialize_field("clinic", self.clinic())?;
        st.serialize_field("start", &self.start().to_rfc3339())?;
        st.serialize_field("end", &self.end().to_rfc3339())?;
        st.serialize_field("start_unix", &self.start_unix())?;
        st.serialize_field("end_unix", &self.end_unix())?;
        st.serialize_field("remaining_capacity", &self.remaining_capacity())?;
        let practitioners: Vec<SlotCandidate<'_>> = self.practitioners().collect();
        st.serialize_field("practitioners", &practitioners)?;
        st.end()
    }
}

impl Slots {
    /// Number of slots.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// Whether nothing is offered.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    fn slot<'a>(&'a self, row: &'a SlotRow) -> Slot<'a> {
        Slot {
            ids: &self.ids,
            row,
            candidates: &self.candidates[row.candidates.0 as usize..row.candidates.1 as usize],
        }
    }

    /// The `i`-th slot.
    pub fn get(&self, i: usize) -> Option<Slot<'_>> {
        self.rows.get(i).map(|row| self.slot(row))
    }

    /// The slots in order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = Slot<'_>> + '_ {
        self.rows.iter().map(|row| self.slot(row))
    }

    /// Whether more slots match than this answer holds (see [`Slots::next_after`]).
    pub fn truncated(&self) -> bool {
        self.truncated
    }

    /// When [`Slots::truncated`]: the start of the last slot, to pass as
    /// [`SlotQuery::after`] for the next page.
    pub fn next_after(&self) -> Option<DateTime<Utc>> {
        if !self.truncated {
            return None;
        }
        self.rows
            .last()
            .and_then(|r| DateTime::from_timestamp(r.start, 0))
    }

    /// The slots as a JSON array.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// The answer as a JSON page: `{"slots": [...], "truncated": bool, "next_after":
    /// RFC 3339 or null}`.
    pub fn to_page_json(&self) -> String {
        serde_json::to_string(&serde_json::json!({
            "slots": self,
            "truncated": self.truncated,
            "next_after": self.next_after(),
        }))
        .unwrap_or_default()
    }
}

impl Serialize for Slots {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(self.len()))?;
        for slot in self.iter() {
            seq.serialize_element(&slot)?;
        }
        seq.end()
    }
}

// ---------------------------------------------------------------------------------------
// The rules, one function each.
// ---------------------------------------------------------------------------------------

/// The name of availability rule `rule` (1–12) as docs/rules.md gives it, e.g.
/// `"capacity"` for rule 10.
pub(crate) fn rule_name(rule: u8) -> &'static str {
    match rule {
        1 => "portal on",
        2 => "service online",
        3 => "practitioner online",
        4 => "schedule-type chain",
        5 => "availability records",
        6 => "portal blocks",
        7 => "closures",
        8 => "booking window",
        9 => "start grid",
        10 => "capacity",
        11 => "time zones",
        12 => "no preference",
        _ => "unknown rule",
    }
}

/// Why a rule refuses: its number in docs/rules.md, the entity at fault, and a sentence.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Refusal {
    /// The rule number (1–12), as in docs/rules.md.
    pub rule: u8,
    /// The entity at fault, e.g. `practitioner dr-lee`.
    pub entity: String,
    /// A sentence for staff.
    pub message: String,
    /// How far through the checks the start came before this refusal: when several
    /// practitioners or clinics refuse, explain reports the one that came furthest.
    #[serde(skip)]
    pub(crate) progress: u8,
}

/// A refusal by `rule`, ranked where that rule is checked: in number order, except that
/// the clinic-level rule 1 is checked once the start lies in that clinic's working time.
pub(crate) fn refuse(rule: u8, entity: impl Into<String>, message: impl Into<String>) -> Refusal {
    refuse_at(rank(rule), rule, entity, message)
}

/// How far through the checks a refusal by `rule` comes (see [`refuse`]).
pub(crate) fn rank(rule: u8) -> u8 {
    match rule {
        1 => 55,
        n => n.saturating_mul(10),
    }
}

/// A refusal with an explicit rank (see [`refuse`]).
pub(crate) fn refuse_at(
    progress: u8,
    rule: u8,
    entity: impl Into<String>,
    message: impl Into<String>,
) -> Refusal {
    Refusal {
        rule,
        entity: entity.into(),
        message: message.into(),
        progress,
    }
}

/// Rule 1 (practice level): the portal is on.
pub(crate) fn portal_on(practice: &Practice) -> Result<(), Refusal> {
    if practice.config.portal.enabled {
        Ok(())
    } else {
        Err(refuse(
            1,
            "portal",
            "online booking is switched off for the practice (portal.enabled = false)",
        ))
    }
}

/// Rule 1 (clinic level): the clinic has "Book in Portal".
pub(crate) fn clinic_books_in_portal(practice: &Practice, clinic: Ix) -> Result<(), Refusal> {
    let c = &practice.clinics[clinic];
    if c.book_in_portal {
        Ok(())
    } else {
        Err(refuse(
            1,
            format!("clinic {}", c.id),
            format!("clinic `{}` does not book in the portal", c.id),
        ))
    }
}

/// Rule 2: the service is offered online.
pub(crate) fn service_offered(service: &CService) -> Result<(), Refusal> {
    if service.book_from_portal {
        Ok(())
    } else {
        Err(refuse(
            2,
            format!("service {}", service.id),
            format!("service `{}` is not bookable from the portal", service.id),
        ))
    }
}

/// Rule 12: a query that names no practitioner needs "No Preference".
pub(crate) fn no_preference_allowed(
    practice: &Practice,
    practitioner: Option<Ix>,
) -> Result<(), Refusal> {
    if practitioner.is_some() || practice.config.portal.scheduling.allow_no_preference {
        Ok(())
    } else {
        Err(refuse(
            12,
            "portal.scheduling",
            "no practitioner is named and \"No Preference\" is off \
             (portal.scheduling.allow_no_preference = false)",
        ))
    }
}

/// The refusals that concern the whole query rather than a start: rule 1 (the portal, and
/// the clinic the query names), rule 2 (the service) and rule 12 (no practitioner named
/// while "No Preference" is off). `search` answers them with the error booking would give
/// ([`crate::booking::refusal_error`]); `explain` answers them as a
/// [`crate::explain::Explanation`] that is not offered.
pub(crate) fn query_refusal(practice: &Practice, r: &Resolved<'_>) -> Result<(), Refusal> {
    portal_on(practice)?;
    if let Some(c) = r.clinic {
        clinic_books_in_portal(practice, c)?;
    }
    service_offered(r.service)?;
    no_preference_allowed(practice, r.practitioner)
}

/// Why rule 3 does not offer a practitioner (the words are written only when asked for).
#[derive(Clone, Copy)]
enum NotOffered {
    /// Not bookable in the portal.
    Portal,
    /// Not of the practitioner type the service needs.
    Type(Ix),
    /// Not among the patient's allowed practitioners.
    Allowed,
}

/// Rule 3 without the refusal's words: `None` when the practitioner is offered.
fn not_offered(
    practice: &Practice,
    service: &CService,
    p: Ix,
    allowed: Option<&[String]>,
) -> Option<NotOffered> {
    let pr = &practice.practitioners[p];
    if !pr.bookable_in_portal {
        return Some(NotOffered::Portal);
    }
    if let Some(t) = service.practitioner_type.filter(|t| !pr.types.contains(t)) {
        return Some(NotOffered::Type(t));
    }
    let allowed = allowed.filter(|a| !a.is_empty());
    if allowed.is_some_and(|a| !a.iter().any(|a| **a == *pr.id)) {
        return Some(NotOffered::Allowed);
    }
    None
}

/// Rule 3: the practitioner is offered online for this service and patient.
pub(crate) fn practitioner_offered(
    practice: &Practice,
    service: &CService,
    p: Ix,
    allowed: Option<&[String]>,
) -> Result<(), Refusal> {
    let Some(why) = not_offered(practice, service, p, allowed) else {
        return Ok(());
    };
    let pr = &practice.practitioners[p];
    let message = match why {
        NotOffered::Portal => format!("practitioner `{}` cannot be booked in the portal", pr.id),
        NotOffered::Type(t) => format!(
            "service `{}` needs a practitioner of type `{}`; `{}` is not one",
            service.id, practice.config.practitioner_types[t].id, pr.id
        ),
        NotOffered::Allowed => format!(
            "the patient may only book with {}; not with `{}`",
            allowed.unwrap_or_default().join(", "),
            pr.id
        ),
    };
    Err(refuse(3, format!("practitioner {}", pr.id), message))
}

/// Rule 4: the schedule types that link this practitioner to this service (assigned to the
/// practitioner, listed by the service, and of the right telehealth kind).
pub(crate) fn schedule_chain(
    practice: &Practice,
    service: &CService,
    p: Ix,
    telehealth: bool,
) -> Result<Vec<bool>, Refusal> {
    let pr = &practice.practitioners[p];
    let mut chain = vec![false; practice.schedule_types.len()];
    let mut linked = false;
    for &st in &pr.schedule_types {
        if service.schedule_types.contains(&st) {
            linked = true;
            if practice.schedule_types[st].telehealth == telehealth {
                chain[st] = true;
            }
        }
    }
    if !linked {
        return Err(refuse(
            4,
            format!("service {}", service.id),
            format!(
                "service `{}` is not linked to any schedule type of practitioner `{}`",
                service.id, pr.id
            ),
        ));
    }
    if !chain.iter().any(|&c| c) {
        let kind = if telehealth {
            "telehealth"
        } else {
            "in-person"
        };
        return Err(refuse(
            4,
            format!("practitioner {}", pr.id),
            format!(
                "practitioner `{}` has no {kind} schedule type for service `{}`",
                pr.id, service.id
            ),
        ));
    }
    Ok(chain)
}

/// Rule 5: whether the record applies on `date` (date range, then recurrence).
pub(crate) fn record_applies(
    record: &CRecord,
    date: NaiveDate,
    recurring: Option<&[NaiveDate]>,
) -> bool {
    record.covers(date)
        && match (&record.recurrence, recurring) {
            (None, _) => true,
            (Some(_), Some(dates)) => dates.binary_search(&date).is_ok(),
            (Some(rule), None) => rule.contains(date),
        }
}

/// Which blocks of the chain the day has: the working (standard) blocks, and the ones
/// bookable online after rule 6.
pub(crate) struct DayBlocks {
    pub(crate) standard: Vec<CBlock>,
    pub(crate) bookable: Vec<CBlock>,
    /// Rule 6 emptied the day (portal-blocks mode, no portal blocks, policy `closed`).
    pub(crate) empty_portal_day: bool,
}

/// Rule 4: whether a block belongs to the chain (and to the queried clinic, if any).
#[inline]
pub(crate) fn in_chain(block: &CBlock, chain: &[bool], clinic: Option<Ix>) -> bool {
    chain[block.schedule_type] && clinic.is_none_or(|c| c == block.clinic)
}

/// Rule 6: the blocks of a record's weekday that are bookable online (before the chain
/// filter), and whether the day is emptied by `empty_portal_day = closed`.
pub(crate) fn bookable_source<'r>(
    practice: &Practice,
    record: &'r CRecord,
    weekday: Weekday,
) -> (&'r [CBlock], bool) {
    let wd = weekday.index();
    let scheduling = &practice.config.portal.scheduling;
    match scheduling.slot_mode {
        SlotMode::Standard => (&record.blocks[wd], false),
        SlotMode::PortalBlocks => {
            let working_day = !record.blocks[wd].is_empty();
            if working_day && record.portal_blocks[wd].is_empty() {
                match scheduling.empty_portal_day {
                    EmptyPortalDay::Closed => (&[], true),
                    EmptyPortalDay::Standard => (&record.blocks[wd], false),
                }
            } else {
                (&record.portal_blocks[wd], false)
            }
        }
    }
}

/// Rules 4 and 6 on one day of a record: the chain's blocks, restricted to `clinic` if
/// given, and which of them are bookable online.
pub(crate) fn day_blocks(
    practice: &Practice,
    record: &CRecord,
    weekday: Weekday,
    chain: &[bool],
    clinic: Option<Ix>,
) -> DayBlocks {
    let keep = |b: &&CBlock| in_chain(b, chain, clinic);
    let standard = record.blocks[weekday.index()]
        .iter()
        .filter(keep)
        .copied()
        .collect();
    let (source, empty_portal_day) = bookable_source(practice, record, weekday);
    DayBlocks {
        standard,
        bookable: source.iter().filter(keep).copied().collect(),
        empty_portal_day,
    }
}

/// Rule 7: whether a closure applies on `date` (its `dates` pre-expanded where given).
pub(crate) fn closure_on(
    closure: &CClosure,
    date: NaiveDate,
    expanded: Option<&[NaiveDate]>,
) -> bool {
    match &closure.dates {
        ClosureDates::Range(from, to) => *from <= date && date <= *to,
        ClosureDates::Rule { rule, from, until } => {
            date >= *from
                && until.is_none_or(|u| date <= u)
                && match expanded {
                    Some(dates) => dates.binary_search(&date).is_ok(),
                    None => rule.contains(date),
                }
        }
    }
}

/// Rule 7: the closed wall-minute intervals of a day for a practitioner at a clinic.
pub(crate) fn closed_minutes(
    practice: &Practice,
    closures: &[(Ix, Option<Vec<NaiveDate>>)],
    date: NaiveDate,
    clinic: Ix,
    p: Ix,
) -> Vec<(u32, u32, Ix)> {
    closed_on(practice, closures, date, clinic, p).collect()
}

/// [`closed_minutes`] as an iterator (search fills a reused buffer with it).
fn closed_on<'c>(
    practice: &'c Practice,
    closures: &'c [(Ix, Option<Vec<NaiveDate>>)],
    date: NaiveDate,
    clinic: Ix,
    p: Ix,
) -> impl Iterator<Item = (u32, u32, Ix)> + 'c {
    closures.iter().filter_map(move |(ci, dates)| {
        let c = &practice.closures[*ci];
        (c.applies_to(clinic, p) && closure_on(c, date, dates.as_deref()))
            .then_some((c.start, c.end, *ci))
    })
}

/// Rule 7: a block minus closures, as spans of instants. Closures are subtracted as
/// instants, so a closure lying in a spring-forward gap closes nothing.
pub(crate) fn open_spans(
    frame: &DayFrame,
    block: &CBlock,
    closed: &[(u32, u32, Ix)],
) -> Vec<(Instant, Instant)> {
    let mut spans = Vec::new();
    open_spans_into(frame, block, closed, &mut spans);
    spans
}

/// Rule 7, into a reused buffer.
pub(crate) fn open_spans_into(
    frame: &DayFrame,
    block: &CBlock,
    closed: &[(u32, u32, Ix)],
    spans: &mut Vec<(Instant, Instant)>,
) {
    spans.clear();
    spans.push((
        frame.boundary_instant(block.start),
        frame.boundary_instant(block.end),
    ));
    for &(cs, ce, _) in closed {
        let (cs, ce) = (frame.boundary_instant(cs), frame.boundary_instant(ce));
        let mut i = 0;
        while i < spans.len() {
            let (a, b) = spans[i];
            if ce <= a || cs >= b || cs >= ce {
                i += 1;
                continue;
            }
            spans.remove(i);
            if ce < b {
                spans.insert(i, (ce, b));
            }
            if a < cs {
                spans.insert(i, (a, cs));
                i += 1;
            }
            if ce < b {
                i += 1;
            }
        }
    }
}

/// Rule 8: the lead time and the horizon of one clinic, as instants: starts in
/// `[earliest, horizon_end)` are inside the booking window.
#[derive(Clone, Copy, Debug)]
pub(crate) struct BookingWindow {
    pub(crate) earliest: Instant,
    pub(crate) horizon_end: Instant,
}

/// Rule 8 at `now` for one clinic. The window never reaches outside the instants every
/// operation accepts (1900-01-01T00:00:00Z to 9999-12-31T00:00:00Z), so search never
/// offers a start that booking would refuse.
pub(crate) fn booking_window(practice: &Practice, clinic: Ix, now: Instant) -> BookingWindow {
    let s = &practice.config.portal.scheduling;
    let tz = practice.clinics[clinic].tz;
    let today = crate::zone::wall_of(tz, now).date();
    let horizon_end = today
        .checked_add_days(Days::new(u64::from(s.max_days_ahead) + 1))
        .map_or(Instant::MAX, |d| {
            practice.clinics[clinic].frames.frame(d).midnight
        });
    BookingWindow {
        earliest: now
            .saturating_add(3600 * i64::from(s.min_hours_before_booking))
            .max(EARLIEST_INSTANT),
        horizon_end: horizon_end.min(LATEST_INSTANT.saturating_add(1)),
    }
}

impl BookingWindow {
    pub(crate) fn admits(&self, start: Instant) -> bool {
        start >= self.earliest && start < self.horizon_end
    }
}

/// Rule 9: the wall minutes of the start grid inside the piece `[from, to)` of a bookable
/// block that begins at `block_start`.
pub(crate) fn grid_step(practice: &Practice, service: &CService) -> (u32, bool) {
    match practice.config.portal.scheduling.start_interval_minutes {
        Some(n) => (n, true),
        None => (service.duration_minutes, false),
    }
}

/// Rule 9: whether wall minute `m` is on the start grid of a block starting at `block_start`.
pub(crate) fn on_grid(m: u32, block_start: u32, step: (u32, bool)) -> bool {
    match step {
        (n, true) => m.is_multiple_of(n),
        (d, false) => m >= block_start && (m - block_start).is_multiple_of(d),
    }
}

fn first_on_grid(from: u32, block_start: u32, step: (u32, bool)) -> u32 {
    match step {
        (n, true) => from.div_ceil(n) * n,
        (d, false) => {
            let k = (from.saturating_sub(block_start)).div_ceil(d);
            block_start + k * d
        }
    }
}

/// Rule 10: the capacity of a slot in a block of this schedule type.
pub(crate) fn capacity(practice: &Practice, service: &CService, schedule_type: Ix) -> u32 {
    if practice.schedule_types[schedule_type].allow_conflicts {
        service.portal_capacity
    } else {
        1
    }
}

/// Rule 10: what a booking of `service` at `[start, end)` occupies, buffers included.
pub(crate) fn occupied_span(
    service: &CService,
    start: Instant,
    end: Instant,
) -> (Instant, Instant) {
    (
        start.saturating_sub(60 * i64::from(service.buffer_before_minutes)),
        end.saturating_add(60 * i64::from(service.buffer_after_minutes)),
    )
}

// ---------------------------------------------------------------------------------------
// Search.
// ---------------------------------------------------------------------------------------

/// What a query resolves to, shared by search and explain.
pub(crate) struct Resolved<'a> {
    pub(crate) service: &'a CService,
    pub(crate) practitioner: Option<Ix>,
    pub(crate) clinic: Option<Ix>,
    pub(crate) allowed: Option<&'a [String]>,
    /// The most slots to return.
    pub(crate) limit: usize,
    /// Only starts after this instant.
    pub(crate) after: Option<Instant>,
}

/// Checks a query's ids, dates, limit and cursor; bad input is an error, never an empty
/// answer (bounds: see docs/limits.md).
pub(crate) fn resolve<'a>(
    practice: &'a Practice,
    state: &'a State,
    q: &SlotQuery,
) -> Result<Resolved<'a>> {
    let si = *practice
        .service_ix
        .get(&q.service)
        .ok_or_else(|| Error::not_found("service", &q.service))?;
    let practitioner = match &q.practitioner {
        Some(id) => Some(
            *practice
                .practitioner_ix
                .get(id)
                .ok_or_else(|| Error::not_found("practitioner", id))?,
        ),
        None => None,
    };
    let clinic = match &q.clinic {
        Some(id) => Some(
            *practice
                .clinic_ix
                .get(id)
                .ok_or_else(|| Error::not_found("clinic", id))?,
        ),
        None => None,
    };
    let allowed = match &q.patient {
        Some(id) => Some(
            state
                .patients
                .get(id)
                .ok_or_else(|| Error::not_found("patient", id))?
                .allowed_practitioners
                .as_slice(),
        ),
        None => None,
    };
    for (what, date) in [("from", q.from), ("to", q.to)] {
        if !(FIRST_QUERY_DATE..=LAST_QUERY_DATE).contains(&date) {
            return Err(Error::invalid_input(format!(
                "query date `{what}` {date} is outside {FIRST_QUERY_DATE} to {LAST_QUERY_DATE}"
            )));
        }
    }
    if q.to < q.from {
        return Err(Error::invalid_input(format!(
            "query date range ends ({}) before it starts ({})",
            q.to, q.from
        )));
    }
    if (q.to - q.from).num_days() >= MAX_QUERY_DAYS {
        return Err(Error::invalid_input(format!(
            "a query spans at most {MAX_QUERY_DAYS} days"
        )));
    }
    let limit = match q.limit {
        None => DEFAULT_SLOT_LIMIT,
        Some(n) if (1..=MAX_SLOT_LIMIT).contains(&n) => n,
        Some(n) => {
            return Err(Error::invalid_input(format!(
                "a query's limit is 1 to {MAX_SLOT_LIMIT} slots (got {n})"
            )))
        }
    };
    let after = match q.after {
        None => None,
        Some(t) => {
            crate::engine::check_instant("after", t)?;
            Some(t.timestamp())
        }
    };
    Ok(Resolved {
        service: &practice.services[si],
        practitioner,
        clinic,
        allowed,
        limit: limit as usize,
        after,
    })
}

/// Closures that can apply to the query, with RRULE dates expanded over `[from, to]`.
pub(crate) fn expand_closures(
    practice: &Practice,
    from: NaiveDate,
    to: NaiveDate,
) -> Vec<(Ix, Option<Vec<NaiveDate>>)> {
    practice
        .closures
        .iter()
        .enumerate()
        .filter_map(|(i, c)| match &c.dates {
            ClosureDates::Range(a, b) => (*a <= to && *b >= from).then_some((i, None)),
            ClosureDates::Rule { rule, .. } => {
                let dates = rule.dates_between(from, to);
                (!dates.is_empty()).then_some((i, Some(dates)))
            }
        })
        .collect()
}

/// Per clinic: the day frames of the query's dates (fetched on first use) and the window.
struct ClinicDays {
    window: BookingWindow,
    frames: Option<Vec<DayFrame>>,
}

struct Search<'a> {
    practice: &'a Practice,
    state: &'a State,
    /// The query's `now`: holds past their expiry no longer occupy (rule 10).
    now: Instant,
    service: &'a CService,
    from: NaiveDate,
    days: usize,
    clinic: Option<Ix>,
    /// Only starts after this instant (the paging cursor).
    after: Option<Instant>,
    clinics: Vec<ClinicDays>,
    closures: Vec<(Ix, Option<Vec<NaiveDate>>)>,
    step: (u32, bool),
    /// Open spans of the block at hand (a reused buffer).
    spans: Vec<(Instant, Instant)>,
    /// Closed wall minutes of the block at hand (a reused buffer).
    closed: Vec<(u32, u32, Ix)>,
}

/// One offered (practitioner, start) before grouping.
#[derive(Clone, Copy)]
struct Hit {
    start: Instant,
    clinic: u32,
    practitioner: u32,
    end: Instant,
    offset: i32,
    remaining: u32,
}

/// What a practitioner brings to a query, prepared once: the chain (rule 4), the occupancy
/// over the query (rule 10) with a forward cursor, and recurrence dates (rule 5).
struct Prepared<'a> {
    p: Ix,
    pr: &'a CPractitioner,
    chain: Vec<bool>,
    profile: Cow<'a, Profile>,
    cursor: usize,
    recurring: Vec<Option<Vec<NaiveDate>>>,
}

/// Zones are within ±26 h of UTC: a local date never touches instants further out.
const ZONE_REACH: i64 = 26 * 3600;

impl<'a> Search<'a> {
    fn frame(&mut self, clinic: Ix, day: usize) -> Option<DayFrame> {
        let (from, days) = (self.from, self.days);
        let cache = &self.practice.clinics[clinic].frames;
        self.clinics[clinic]
            .frames
            .get_or_insert_with(|| cache.frames(from, days))
            .get(day)
            .copied()
    }

    /// The query's `day`-th local date.
    fn date(&self, day: usize) -> Option<NaiveDate> {
        self.from.checked_add_days(Days::new(day as u64))
    }

    fn prepare(&self, p: Ix, chain: Vec<bool>) -> Prepared<'a> {
        let pr = &self.practice.practitioners[p];
        let to = self.date(self.days.saturating_sub(1)).unwrap_or(self.from);
        // Rule 10: the occupancy over the whole query, looked up once.
        let span_from = self
            .day_floor(0)
            .saturating_sub(60 * i64::from(self.service.buffer_after_minutes) + 86_400);
        let span_to = self
            .day_floor(self.days)
            .saturating_add(2 * ZONE_REACH)
            .saturating_add(60 * i64::from(self.service.buffer_before_minutes) + 86_400);
        let profile = self
            .state
            .occupancy
            .timeline(p)
            .map_or_else(Cow::default, |t| t.profile_at(span_from, span_to, self.now));
        let cursor = profile.first_ending_after(span_from);
        let recurring = pr
            .records
            .iter()
            .map(|r| {
                r.recurrence
                    .as_ref()
                    .map(|rule| rule.dates_between(self.from, to))
            })
            .collect();
        Prepared {
            p,
            pr,
            chain,
            profile,
            cursor,
            recurring,
        }
    }

    /// The offered starts of one practitioner on one local date.
    fn day_hits(&mut self, prep: &mut Prepared<'_>, day: usize, out: &mut Vec<Hit>) {
        let practice = self.practice;
        let Some(date) = self.date(day) else {
            return;
        };
        let Some(ri) = record_index_on(prep.pr, date) else {
            return;
        };
        let record = &prep.pr.records[ri];
        if !record_applies(record, date, prep.recurring[ri].as_deref()) {
            return;
        }
        let duration = 60 * i64::from(self.service.duration_minutes);
        let (source, _) = bookable_source(practice, record, Weekday::of(date));
        let clinic_filter = self.clinic;
        let after = self.after.unwrap_or(Instant::MIN);
        for block in source
            .iter()
            .filter(|b| in_chain(b, &prep.chain, clinic_filter))
        {
            if clinic_books_in_portal(practice, block.clinic).is_err() {
                continue;
            }
            let Some(frame) = self.frame(block.clinic, day) else {
                continue;
            };
            let window = self.clinics[block.clinic].window;
            if frame.next_midnight <= window.earliest
                || frame.midnight >= window.horizon_end
                || frame.next_midnight <= after
            {
                continue;
            }
            let cap = capacity(practice, self.service, block.schedule_type);
            self.closed.clear();
            self.closed.extend(closed_on(
                practice,
                &self.closures,
                date,
                block.clinic,
                prep.p,
            ));
            open_spans_into(&frame, block, &self.closed, &mut self.spans);
            let first = first_on_grid(block.start, block.start, self.step);
            if let Some(midnight) = frame.plain_minutes() {
                // No offset change today: evenly spaced instants, swept span by span.
                let grid = Grid {
                    step: 60 * i64::from(self.step.0.max(1)),
                    duration,
                    before: 60 * i64::from(self.service.buffer_before_minutes),
                    after: 60 * i64::from(self.service.buffer_after_minutes),
                    capacity: cap,
                };
                let at = |m: u32| midnight.saturating_add(60 * i64::from(m));
                let segments = prep.profile.segments();
                let offset = frame.offset_at(midnight);
                for &(a, b) in &self.spans {
                    let lo = a.max(window.earliest).max(after.saturating_add(1));
                    let hi = b
                        .saturating_sub(duration)
                        .min(window.horizon_end.saturating_sub(1))
                        .min(at(block.end).saturating_sub(1));
                    sweep(
                        segments,
                        &mut prep.cursor,
                        grid,
                        at(first),
                        (lo, hi),
                        |start, remaining| {
                            out.push(Hit {
                                start,
                                clinic: block.clinic as u32,
                                practitioner: prep.p as u32,
                                end: start + duration,
                                offset,
                                remaining,
                            });
                        },
                    );
                }
                continue;
            }
            let mut m = first;
            while m < block.end {
                let minute = m;
                m = m.saturating_add(self.step.0.max(1));
                // Rule 11: a start in the gap does not exist; a fold gives the earlier.
                let Some(start) = frame.start_instant(minute) else {
                    continue;
                };
                let end = start.saturating_add(duration);
                let inside = self.spans.iter().any(|&(a, b)| a <= start && end <= b);
                if !inside || !window.admits(start) || start <= after {
                    continue;
                }
                let (os, oe) = occupied_span(self.service, start, end);
                let taken = prep.profile.max_in_from(&mut prep.cursor, os, oe);
                if taken >= cap {
                    continue;
                }
                out.push(Hit {
                    start,
                    clinic: block.clinic as u32,
                    practitioner: prep.p as u32,
                    end,
                    offset: frame.offset_at(start),
                    remaining: cap - taken,
                });
            }
        }
    }

    /// An instant before every instant the query's `day`-th local date can touch, in any
    /// zone (`day` may be one past the last).
    fn day_floor(&self, day: usize) -> Instant {
        let base = self.date(day).map_or(Instant::MAX, |d| {
            d.and_time(chrono::NaiveTime::MIN).and_utc().timestamp()
        });
        base.saturating_sub(ZONE_REACH)
    }
}

/// Whether any block of the chain lies at `clinic` (any clinic when `None`): a
/// practitioner who never works there for this service is skipped before any other work.
fn works_at(pr: &CPractitioner, chain: &[bool], clinic: Option<Ix>) -> bool {
    pr.records.iter().any(|r| {
        r.blocks
            .iter()
            .chain(r.portal_blocks.iter())
            .flatten()
            .any(|b| in_chain(b, chain, clinic))
    })
}

fn record_index_on(pr: &CPractitioner, date: NaiveDate) -> Option<usize> {
    let i = pr.records.partition_point(|r| r.start_date <= date);
    let ri = i.checked_sub(1)?;
    pr.records[ri].covers(date).then_some(ri)
}

/// Runs a slot query (docs/rules.md).
///
/// Errors: bad input (unknown ids: `not_found`; dates outside 1900-01-01 to 9999-12-31, a
/// range beyond [`MAX_QUERY_DAYS`], a limit outside 1 to [`MAX_SLOT_LIMIT`]:
/// `invalid_input`), then the refusals of the whole query (rule 1 portal or named clinic
/// off: `portal_disabled`; rule 2 service not online and rule 12 no practitioner named
/// while "No Preference" is off: `slot_unavailable`), each with the code booking gives.
/// Everything else that stops a start only leaves it out of the answer.
pub(crate) fn search(
    practice: &Practice,
    state: &State,
    q: &SlotQuery,
    now: Instant,
) -> Result<Slots> {
    let r = resolve(practice, state, q)?;
    query_refusal(practice, &r).map_err(|refusal| crate::booking::refusal_error(&refusal))?;
    let mut slots = Slots {
        ids: Arc::clone(&practice.ids),
        rows: Vec::new(),
        candidates: Vec::new(),
        truncated: false,
    };
    // Rule 12: without a named practitioner (allowed, or the query was refused above), one
    // slot per (start, clinic) lists every candidate.
    let grouped = r.practitioner.is_none();
    let days = (q.to - q.from).num_days().max(0) as usize + 1;
    let mut search = Search {
        practice,
        state,
        now,
        service: r.service,
        from: q.from,
        days,
        clinic: r.clinic,
        after: r.after,
        clinics: (0..practice.clinics.len())
            .map(|c| ClinicDays {
                window: booking_window(practice, c, now),
                frames: None,
            })
            .collect(),
        closures: expand_closures(practice, q.from, q.to),
        step: grid_step(practice, r.service),
        spans: Vec::with_capacity(4),
        closed: Vec::new(),
    };
    let candidates: Vec<Ix> = match r.practitioner {
        Some(p) => vec![p],
        None => (0..practice.practitioners.len()).collect(),
    };
    let mut prepared = Vec::with_capacity(candidates.len());
    for p in candidates {
        if not_offered(practice, r.service, p, r.allowed).is_some() {
            continue;
        }
        let Ok(chain) = schedule_chain(practice, r.service, p, q.telehealth) else {
            continue;
        };
        if !works_at(&practice.practitioners[p], &chain, r.clinic) {
            continue;
        }
        prepared.push(search.prepare(p, chain));
    }
    // Day by day, so that ordering and grouping work on one day's starts at a time.
    let mut hits = Vec::with_capacity(256);
    let mut sorter = DaySorter::default();
    let mut unordered = false;
    for day in 0..days {
        hits.clear();
        for prep in prepared.iter_mut() {
            search.day_hits(prep, day, &mut hits);
        }
        if slots.rows.capacity() == 0 && !hits.is_empty() {
            // The first day with slots sizes the answer for the rest of the range (never
            // beyond the limit).
            let estimate = hits.len().saturating_mul(days - day);
            let rows = if grouped {
                estimate / prepared.len().max(1)
            } else {
                estimate
            };
            slots.rows.reserve(rows.min(r.limit + 1));
            slots
                .candidates
                .reserve(estimate.min(r.limit.saturating_add(hits.len())));
        }
        sorter.sort(&mut hits, practice.clinics.len());
        // Each day comes ordered; the answer is ordered while every day begins after the
        // one before ends.
        if let (Some(last), Some(next)) = (slots.rows.last(), hits.first()) {
            unordered |= (next.start, next.clinic) < (last.start, last.clinic);
        }
        append(&mut slots, &hits, grouped);
        // Starts before the next date's floor are final: later dates cannot add any.
        if slots.rows.len() > r.limit && cut_page(&mut slots, search.day_floor(day + 1), r.limit) {
            return Ok(slots);
        }
    }
    // Local dates of clinics in different zones can interleave in time: restore the order.
    if unordered {
        slots.rows.sort_by_key(|r| (r.start, r.clinic));
    }
    if slots.rows.len() > r.limit {
        cut_page(&mut slots, Instant::MAX, r.limit);
    }
    Ok(slots)
}

/// Ends the answer after at most `limit` slots if more than `limit` of them start before
/// `settled` (those cannot change any more), never splitting the slots of one start; then
/// it is truncated. Returns whether it cut.
fn cut_page(slots: &mut Slots, settled: Instant, limit: usize) -> bool {
    if !slots.rows.is_sorted_by_key(|r| (r.start, r.clinic)) {
        slots.rows.sort_by_key(|r| (r.start, r.clinic));
    }
    if slots.rows.partition_point(|r| r.start < settled) <= limit {
        return false;
    }
    let first_left_out = slots.rows[limit].start;
    let mut keep = slots.rows[..limit].partition_point(|r| r.start < first_left_out);
    if keep == 0 {
        // One start alone has more slots than the limit: it comes whole.
        keep = slots.rows.partition_point(|r| r.start <= first_left_out);
    }
    slots.rows.truncate(keep);
    let mut candidates = Vec::with_capacity(slots.candidates.len().min(keep * 4));
    for row in &mut slots.rows {
        let begin = candidates.len() as u32;
        candidates.extend_from_slice(
            &slots.candidates[row.candidates.0 as usize..row.candidates.1 as usize],
        );
        row.candidates = (begin, candidates.len() as u32);
    }
    slots.candidates = candidates;
    slots.truncated = true;
    true
}

/// Orders one day's hits by (start, clinic, practitioner). Hits arrive grouped by
/// practitioner in ascending order, so a stable sort by (start, clinic) is enough: a
/// counting sort over minutes when every start is a whole minute after the first (always,
/// for real zones), a comparison sort otherwise.
#[derive(Default)]
struct DaySorter {
    counts: Vec<u32>,
    keys: Vec<u32>,
    buffer: Vec<Hit>,
}

impl DaySorter {
    fn sort(&mut self, hits: &mut Vec<Hit>, clinics: usize) {
        let key = |h: &Hit| (h.start, h.clinic, h.practitioner);
        // Usually each start comes once and in order: one comparison per hit says so.
        if hits.windows(2).all(|w| w[0].start < w[1].start) || hits.is_sorted_by_key(key) {
            return;
        }
        // One pass for the range of starts and whether practitioners come in order.
        let (mut min, mut max, mut by_practitioner, mut last) =
            (Instant::MAX, Instant::MIN, true, 0);
        for h in hits.iter() {
            min = min.min(h.start);
            max = max.max(h.start);
            by_practitioner &= h.practitioner >= last;
            last = h.practitioner;
        }
        let buckets = ((max - min) / 60 + 1) as usize * clinics;
        if !by_practitioner || buckets > 1 << 16 {
            hits.sort_unstable_by_key(key);
            return;
        }
        // Each hit's bucket once: (whole minutes after the first start, clinic).
        self.keys.clear();
        for h in hits.iter() {
            let after = (h.start - min) as u64;
            let minutes = after / 60;
            if minutes * 60 != after {
                hits.sort_unstable_by_key(key);
                return;
            }
            self.keys.push(minutes as u32 * clinics as u32 + h.clinic);
        }
        self.counts.clear();
        self.counts.resize(buckets + 1, 0);
        for &k in &self.keys {
            self.counts[k as usize + 1] += 1;
        }
        for i in 1..self.counts.len() {
            self.counts[i] += self.counts[i - 1];
        }
        self.buffer.clear();
        self.buffer.resize(hits.len(), hits[0]);
        for (h, &k) in hits.iter().zip(&self.keys) {
            let at = &mut self.counts[k as usize];
            self.buffer[*at as usize] = *h;
            *at += 1;
        }
        std::mem::swap(hits, &mut self.buffer);
    }
}

/// Appends ordered hits as slots; with no preference, one slot per (start, clinic) listing
/// every candidate (rule 12).
fn append(slots: &mut Slots, hits: &[Hit], grouped: bool) {
    // Candidates come in the order of the hits, one each.
    let base = slots.candidates.len() as u32;
    slots.candidates.extend(hits.iter().map(|h| Candidate {
        practitioner: h.practitioner,
        remaining: h.remaining,
    }));
    let row = |first: &Hit, begin: usize, end: usize, remaining: u32| SlotRow {
        clinic: first.clinic,
        start: first.start,
        end: first.end,
        offset: first.offset,
        remaining,
        candidates: (base + begin as u32, base + end as u32),
    };
    if !grouped {
        slots.rows.extend(
            hits.iter()
                .enumerate()
                .map(|(i, h)| row(h, i, i + 1, h.remaining)),
        );
        return;
    }
    let mut i = 0;
    while let Some(first) = hits.get(i) {
        let begin = i;
        let mut remaining = 0u32;
        while let Some(h) = hits
            .get(i)
            .filter(|h| h.start == first.start && h.clinic == first.clinic)
        {
            remaining = remaining.saturating_add(h.remaining);
            i += 1;
        }
        slots.rows.push(row(first, begin, i, remaining));
    }
}
