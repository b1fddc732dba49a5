//! Explain: why a start is or is not offered, and which practitioners can offer a service
//! at all (docs/rules.md, "How explain decides").
//!
//! Every verdict comes from the same rule functions as the search in
//! [`crate::availability`], applied in rule order; the first that fails is reported.

use std::collections::BTreeSet;

use chrono::{DateTime, NaiveDate, Timelike, Utc};
use serde::{Deserialize, Serialize};

use crate::availability::{
    booking_window, capacity, clinic_books_in_portal, closed_minutes, closure_on, day_blocks,
    expand_closures, grid_step, occupied_span, on_grid, open_spans, portal_on,
    practitioner_offered, query_refusal, rank, record_applies, refuse, refuse_at, resolve,
    schedule_chain, service_offered, Refusal, Resolved, SlotQuery,
};
use crate::config::{SlotMode, Weekday};
use crate::engine::State;
use crate::practice::{fmt_minutes, CService, Ix, Practice};
use crate::zone::{wall_of, Instant};
use crate::Result;

/// The verdict for one practitioner.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct PractitionerVerdict {
    /// Practitioner id.
    pub practitioner: String,
    /// Whether this practitioner offers the start.
    pub offered: bool,
    /// The clinic, when offered.
    pub clinic: Option<String>,
    /// Places left, when offered.
    pub remaining_capacity: u32,
    /// Why not, when not offered.
    pub refusal: Option<Refusal>,
}

/// Why a (query, start) is or is not offered.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Explanation {
    /// Whether the start is offered.
    pub offered: bool,
    /// The first failing availability rule (for no preference: the practitioner that came
    /// closest), when not offered.
    pub rule: Option<u8>,
    /// The entity at fault, when not offered.
    pub entity: Option<String>,
    /// A human sentence: "offered" or why not.
    pub message: String,
    /// The verdict per practitioner considered.
    pub practitioners: Vec<PractitionerVerdict>,
}

impl Explanation {
    fn refused(r: Refusal, practitioners: Vec<PractitionerVerdict>) -> Explanation {
        Explanation {
            offered: false,
            rule: Some(r.rule),
            entity: Some(r.entity),
            message: r.message,
            practitioners,
        }
    }

    /// The refusal as a value, when not offered.
    pub fn refusal(&self) -> Option<Refusal> {
        Some(refuse(
            self.rule?,
            self.entity.clone()?,
            self.message.clone(),
        ))
    }
}

/// Why `start` is or is not offered for `q` at `now`, walking the rules in order.
///
/// Bad input (unknown ids, dates or a limit out of bounds) is an error, as for search. A
/// refusal of the whole query (rule 1 portal or named clinic off, rule 2 service not
/// online, rule 12 no practitioner named while "No Preference" is off) is an explanation
/// that is not offered, with no practitioner verdicts — the same refusal search and
/// booking turn into an error. A start whose local date (in the clinic's zone) lies
/// outside the query's `from..=to` is not offered, by rule 8 with the entity `query`.
/// `limit` and `after` only page the search: they are checked, not used.
///
/// With `every`, every candidate practitioner is judged and has a verdict. Without it
/// (the default of [`crate::Engine::explain`]) a no-preference explanation stops at the
/// first practitioner who offers the start, or, when nobody does, as soon as a refusal
/// reaches the furthest any practitioner could get (see [`ceiling`]); its only verdict is
/// that of the practitioner reported. The answer (`offered`, `rule`, `entity`, `message`)
/// is the same either way.
pub(crate) fn explain(
    practice: &Practice,
    state: &State,
    q: &SlotQuery,
    start: DateTime<Utc>,
    now: Instant,
    every: bool,
) -> Result<Explanation> {
    let r = resolve(practice, state, q)?;
    if let Err(refusal) = query_refusal(practice, &r) {
        return Ok(Explanation::refused(refusal, Vec::new()));
    }
    let at = Start {
        instant: start.timestamp(),
        whole_second: start.timestamp_subsec_nanos() == 0,
        from: q.from,
        to: q.to,
    };
    let practitioners: Vec<Ix> = match r.practitioner {
        Some(p) => vec![p],
        // No practitioner named (and "No Preference" on, or the query was refused above):
        // every practitioner is a candidate.
        None => (0..practice.practitioners.len()).collect(),
    };
    let lazy = !every && r.practitioner.is_none();
    let mut closures: Closures = None;
    let ceiling = if lazy {
        ceiling(practice, r.service, &at, now, &mut closures)
    } else {
        None
    };
    let refused = |p: Ix, refusal: Refusal| PractitionerVerdict {
        practitioner: practice.practitioners[p].id.to_string(),
        offered: false,
        clinic: None,
        remaining_capacity: 0,
        refusal: Some(refusal),
    };
    let mut verdicts = Vec::new();
    let mut best: Option<(Ix, Refusal)> = None;
    for p in practitioners {
        match explain_practitioner(practice, state, &r, q, p, &at, now, &mut closures) {
            Ok((clinic, remaining)) => {
                verdicts.push(PractitionerVerdict {
                    practitioner: practice.practitioners[p].id.to_string(),
                    offered: true,
                    clinic: Some(practice.clinics[clinic].id.to_string()),
                    remaining_capacity: remaining,
                    refusal: None,
                });
                if lazy {
                    break;
                }
            }
            Err(refusal) => {
                let progress = refusal.progress;
                if best.as_ref().is_none_or(|(_, b)| progress > b.progress) {
                    if !lazy {
                        verdicts.push(refused(p, refusal.clone()));
                    }
                    best = Some((p, refusal));
                    if ceiling == Some(progress) {
                        break;
                    }
                } else if !lazy {
                    verdicts.push(refused(p, refusal));
                }
            }
        }
    }
    let best = best.map(|(p, refusal)| {
        if lazy && verdicts.is_empty() {
            verdicts.push(refused(p, refusal.clone()));
        }
        refusal
    });
    if verdicts.iter().any(|v| v.offered) {
        return Ok(Explanation {
            offered: true,
            rule: None,
            entity: None,
            message: "offered".to_owned(),
            practitioners: verdicts,
        });
    }
    let refusal = best.unwrap_or_else(|| refuse(3, "practice", "no practitioner is configured"));
    Ok(Explanation::refused(refusal, verdicts))
}

/// The furthest (the highest `progress`) any practitioner's check of `service` at `start`
/// can get, when a rule that does not depend on the practitioner refuses the start at
/// every clinic: the query's dates (rule 8), the clinic not booking in the portal (rule 1,
/// clinic level), a closure of the whole clinic over the appointment (rule 7), the booking
/// window (rule 8) or a start off the whole minute (rule 9). `None` when some clinic has no
/// such refusal, so that the start may be offered there.
fn ceiling(
    practice: &Practice,
    service: &CService,
    at: &Start,
    now: Instant,
    cache: &mut Closures,
) -> Option<u8> {
    let end = at
        .instant
        .saturating_add(60 * i64::from(service.duration_minutes));
    let mut highest = 0;
    for (c, clinic) in practice.clinics.iter().enumerate() {
        let wall = wall_of(clinic.tz, at.instant);
        let date = wall.date();
        let bound = if date < at.from || date > at.to {
            rank(8)
        } else if !clinic.book_in_portal {
            rank(1)
        } else if closed_for_everyone(practice, cache, c, date, (at.instant, end)) {
            rank(7)
        } else if !booking_window(practice, c, now).admits(at.instant) {
            rank(8)
        } else if !at.whole_second || wall.second() != 0 {
            rank(9)
        } else {
            return None;
        };
        highest = highest.max(bound);
    }
    Some(highest)
}

/// Whether a closure of the whole clinic `c` (every practitioner) overlaps `span` on the
/// local `date` — rule 7 then refuses the span to everyone there.
fn closed_for_everyone(
    practice: &Practice,
    cache: &mut Closures,
    c: Ix,
    date: NaiveDate,
    (start, end): (Instant, Instant),
) -> bool {
    let mut frame = None;
    closures_on(practice, cache, date)
        .iter()
        .any(|(ci, dates)| {
            let closure = &practice.closures[*ci];
            if closure.practitioner.is_some()
                || closure.clinic.is_some_and(|x| x != c)
                || !closure_on(closure, date, dates.as_deref())
            {
                return false;
            }
            let frame = frame.get_or_insert_with(|| practice.clinics[c].frames.frame(date));
            let (s, e) = (
                frame.boundary_instant(closure.start),
                frame.boundary_instant(closure.end),
            );
            s < e && s < end && e > start
        })
}

/// The closures expanded for one local date, kept for the rest of an explanation (the
/// clinics of a practice mostly share a date).
type Closures = Option<(NaiveDate, Vec<(Ix, Option<Vec<NaiveDate>>)>)>;

/// The closures on `date`, expanded once per date.
fn closures_on<'c>(
    practice: &Practice,
    cache: &'c mut Closures,
    date: NaiveDate,
) -> &'c [(Ix, Option<Vec<NaiveDate>>)] {
    if cache.as_ref().is_none_or(|(d, _)| *d != date) {
        *cache = Some((date, expand_closures(practice, date, date)));
    }
    cache.as_ref().map_or(&[][..], |(_, e)| e.as_slice())
}

/// The start explain is asked about, with the query's dates.
struct Start {
    instant: Instant,
    /// No fraction of a second (rule 9: starts fall on whole minutes).
    whole_second: bool,
    from: NaiveDate,
    to: NaiveDate,
}

/// The clinics where the chain has blocks, in configuration order.
fn chain_clinics(practice: &Practice, p: Ix, chain: &[bool]) -> BTreeSet<Ix> {
    let mut clinics = BTreeSet::new();
    for record in &practice.practitioners[p].records {
        for b in record
            .blocks
            .iter()
            .flatten()
            .chain(record.portal_blocks.iter().flatten())
        {
            if chain[b.schedule_type] {
                clinics.insert(b.clinic);
            }
        }
    }
    clinics
}

#[allow(clippy::too_many_arguments)]
fn explain_practitioner(
    practice: &Practice,
    state: &State,
    r: &Resolved<'_>,
    q: &SlotQuery,
    p: Ix,
    start: &Start,
    now: Instant,
    closures: &mut Closures,
) -> Result<(Ix, u32), Refusal> {
    let pr = &practice.practitioners[p];
    practitioner_offered(practice, r.service, p, r.allowed)?;
    let chain = schedule_chain(practice, r.service, p, q.telehealth)?;
    let mut clinics = chain_clinics(practice, p, &chain);
    if clinics.is_empty() {
        return Err(refuse(
            5,
            format!("practitioner {}", pr.id),
            format!(
                "practitioner `{}` has no availability blocks for service `{}`",
                pr.id, r.service.id
            ),
        ));
    }
    if let Some(c) = r.clinic {
        if !clinics.contains(&c) {
            return Err(refuse(
                4,
                format!("practitioner {}", pr.id),
                format!(
                    "no schedule type links practitioner `{}` and service `{}` at clinic `{}`",
                    pr.id, r.service.id, practice.clinics[c].id
                ),
            ));
        }
        clinics = BTreeSet::from([c]);
    } else {
        // The start may lie in working time of another type at another clinic: look there
        // too, so the refusal names the rule that really stops it.
        let every_type = vec![true; practice.schedule_types.len()];
        clinics.extend(chain_clinics(practice, p, &every_type));
    }
    let mut best: Option<Refusal> = None;
    for c in clinics {
        match check_at(
            practice, state, r.service, p, c, &chain, start, now, closures,
        ) {
            Ok(remaining) => return Ok((c, remaining)),
            Err(refusal) => {
                if best.as_ref().is_none_or(|b| refusal.progress > b.progress) {
                    best = Some(refusal);
                }
            }
        }
    }
    Err(best.unwrap_or_else(|| refuse(5, format!("practitioner {}", pr.id), "no clinic")))
}

#[allow(clippy::too_many_arguments)]
fn check_at(
    practice: &Practice,
    state: &State,
    service: &CService,
    p: Ix,
    clinic: Ix,
    chain: &[bool],
    asked: &Start,
    now: Instant,
    closures: &mut Closures,
) -> Result<u32, Refusal> {
    let start = asked.instant;
    let pr = &practice.practitioners[p];
    let who = || format!("practitioner {}", pr.id);
    let tz = practice.clinics[clinic].tz;
    let wall = wall_of(tz, start);
    let date = wall.date();
    let minute = wall.hour() * 60 + wall.minute();
    let frame = practice.clinics[clinic].frames.frame(date);
    let end = start.saturating_add(60 * i64::from(service.duration_minutes));
    // Written out only when a refusal needs them.
    let span = SpanText {
        date,
        from: minute,
        to: minute + service.duration_minutes,
    };
    let at = ClinicText(&practice.clinics[clinic].id);
    // The query's dates: a start on another local date is not in the answer (rule 8, the
    // window the query asks about).
    if date < asked.from || date > asked.to {
        return Err(refuse(
            8,
            "query",
            format!(
                "{span} at {at} is outside the query's dates {} to {}",
                asked.from, asked.to
            ),
        ));
    }
    let contains =
        |s: u32, e: u32| frame.boundary_instant(s) <= start && end <= frame.boundary_instant(e);

    // Rule 5: an availability record, and a working block of the chain around the slot.
    let record = pr.record_on(date).ok_or_else(|| {
        refuse(
            5,
            who(),
            format!(
                "no availability record of practitioner `{}` covers {date}",
                pr.id
            ),
        )
    })?;
    if !record_applies(record, date, None) {
        return Err(refuse(
            5,
            who(),
            format!("{} does not recur on {date}", record.label),
        ));
    }
    let weekday = Weekday::of(date);
    let blocks = day_blocks(practice, record, weekday, chain, Some(clinic));
    if !blocks.standard.iter().any(|b| contains(b.start, b.end)) {
        let other = record.blocks[weekday.index()]
            .iter()
            .find(|b| b.clinic == clinic && contains(b.start, b.end));
        if let Some(b) = other {
            let st = &practice.schedule_types[b.schedule_type].id;
            // The start lies in working time of the wrong type: further than rule 5.
            return Err(refuse_at(
                55,
                4,
                format!("schedule type {st}"),
                format!(
                    "{span} is `{st}` time, which does not offer service `{}` online",
                    service.id
                ),
            ));
        }
        return Err(refuse(
            5,
            who(),
            format!(
                "{span} is outside the working blocks of practitioner `{}` at {at}",
                pr.id
            ),
        ));
    }
    // Rule 1 (clinic level), once the start is known to lie in this clinic's working time.
    clinic_books_in_portal(practice, clinic)?;
    // Rule 6: a block bookable online.
    let Some(block) = blocks
        .bookable
        .iter()
        .find(|b| contains(b.start, b.end))
        .copied()
    else {
        let message = if blocks.empty_portal_day {
            format!("{date} has no portal blocks and empty_portal_day is `closed`")
        } else if practice.config.portal.scheduling.slot_mode == SlotMode::PortalBlocks {
            format!(
                "{span} is outside the portal blocks of practitioner `{}`",
                pr.id
            )
        } else {
            format!("{span} is not bookable online")
        };
        return Err(refuse(6, who(), message));
    };
    // Rule 7: closures.
    let closed = closed_minutes(
        practice,
        closures_on(practice, closures, date),
        date,
        clinic,
        p,
    );
    let spans = open_spans(&frame, &block, &closed);
    if !spans.iter().any(|&(a, b)| a <= start && end <= b) {
        let culprit = closed
            .iter()
            .find(|&&(cs, ce, _)| {
                frame.boundary_instant(cs) < end && frame.boundary_instant(ce) > start
            })
            .or(closed.first());
        let label = culprit.map_or_else(
            || "a closure".to_owned(),
            |&(_, _, ci)| practice.closures[ci].label.clone(),
        );
        return Err(refuse(
            7,
            label.clone(),
            format!("{span} is closed: {label}"),
        ));
    }
    // Rule 8: lead time and horizon.
    let window = booking_window(practice, clinic, now);
    if !window.admits(start) {
        let s = &practice.config.portal.scheduling;
        let message = if start < window.earliest {
            format!(
                "{span} is less than {} hour(s) from now",
                s.min_hours_before_booking
            )
        } else {
            format!("{span} is more than {} day(s) ahead", s.max_days_ahead)
        };
        return Err(refuse(8, "portal.scheduling", message));
    }
    // Rule 9: the start grid.
    let step = grid_step(practice, service);
    if !asked.whole_second || wall.second() != 0 {
        return Err(refuse(
            9,
            "portal.scheduling",
            format!("{span}: a start falls on a whole minute (no seconds or fractions)"),
        ));
    }
    if !on_grid(minute, block.start, step) {
        let message = match step {
            (n, true) => format!("{span} does not start on the {n}-minute grid"),
            (d, false) => format!(
                "{span} is not a multiple of {d} minutes after the block start {}",
                fmt_minutes(block.start)
            ),
        };
        return Err(refuse(9, "portal.scheduling", message));
    }
    // Rule 10: capacity.
    let cap = capacity(practice, service, block.schedule_type);
    let (os, oe) = occupied_span(service, start, end);
    let taken = state
        .occupancy
        .timeline(p)
        .map_or(0, |t| t.profile(os, oe, now).max_in(os, oe));
    if taken >= cap {
        return Err(refuse(
            10,
            who(),
            format!(
                "practitioner `{}` is fully booked at {span} ({taken} of {cap} place(s) taken)",
                pr.id
            ),
        ));
    }
    // Rule 11: the wall time must map back to this very instant (the earlier of a fold).
    if frame.start_instant(minute) != Some(start) {
        return Err(refuse(
            11,
            at.to_string(),
            format!("{span}: this wall time occurs twice on {date}; only its first occurrence is offered"),
        ));
    }
    Ok(cap - taken)
}

/// "2027-02-01 09:00–09:30", for refusal messages.
struct SpanText {
    date: NaiveDate,
    from: u32,
    to: u32,
}

impl std::fmt::Display for SpanText {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (from, to) = (fmt_minutes(self.from), fmt_minutes(self.to));
        write!(f, "{} {from}–{to}", self.date)
    }
}

/// "clinic `id`", for refusal messages.
struct ClinicText<'a>(&'a str);

impl std::fmt::Display for ClinicText<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "clinic `{}`", self.0)
    }
}

/// Which practitioners can offer a service online, and why the others cannot.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ServiceReport {
    /// Service id.
    pub service: String,
    /// Practitioners who can offer it online (in some week, at some clinic).
    pub offered_by: Vec<String>,
    /// The others, with the first rule that stops them.
    pub not_offered_by: Vec<ServiceRefusal>,
}

/// A practitioner who can never offer a service online, and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ServiceRefusal {
    /// Practitioner id.
    pub practitioner: String,
    /// The first rule that stops them.
    pub reason: Refusal,
}

pub(crate) fn service_report(practice: &Practice, si: Ix) -> ServiceReport {
    let service = &practice.services[si];
    let mut report = ServiceReport {
        service: service.id.to_string(),
        offered_by: Vec::new(),
        not_offered_by: Vec::new(),
    };
    for p in 0..practice.practitioners.len() {
        let id = practice.practitioners[p].id.to_string();
        match practitioner_can_offer(practice, service, p) {
            Ok(()) => report.offered_by.push(id),
            Err(reason) => report.not_offered_by.push(ServiceRefusal {
                practitioner: id,
                reason,
            }),
        }
    }
    report
}

fn practitioner_can_offer(practice: &Practice, service: &CService, p: Ix) -> Result<(), Refusal> {
    portal_on(practice)?;
    service_offered(service)?;
    practitioner_offered(practice, service, p, None)?;
    let chain = schedule_chain(practice, service, p, false)
        .or_else(|e| schedule_chain(practice, service, p, true).map_err(|_| e))?;
    let pr = &practice.practitioners[p];
    let mut any_block = false;
    let mut any_portal_clinic = false;
    for record in &pr.records {
        for wd in Weekday::ALL {
            let blocks = day_blocks(practice, record, wd, &chain, None);
            any_block |= !blocks.standard.is_empty();
            for b in &blocks.standard {
                any_portal_clinic |= clinic_books_in_portal(practice, b.clinic).is_ok();
            }
            if blocks
                .bookable
                .iter()
                .any(|b| clinic_books_in_portal(practice, b.clinic).is_ok())
            {
                return Ok(());
            }
        }
    }
    let who = format!("practitioner {}", pr.id);
    if !any_block {
        return Err(refuse(
            5,
            who,
            format!(
                "practitioner `{}` has no availability blocks of a schedule type of service `{}`",
                pr.id, service.id
            ),
        ));
    }
    if !any_portal_clinic {
        return Err(refuse(1, who, format!("practitioner `{}` works for service `{}` only at clinics that do not book in the portal", pr.id, service.id)));
    }
    Err(refuse(
        6,
        who,
        format!(
            "practitioner `{}` has no portal blocks for service `{}`",
            pr.id, service.id
        ),
    ))
}
