//! The configuration compiled for fast queries, and the checks that make it sound.
//!
//! [`compile`] resolves every id to an index, parses zones, wall times and RRULEs, and
//! reports every problem with its JSON path. A `Practice` only exists for a configuration
//! without errors.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::NaiveDate;
use chrono_tz::Tz;

use crate::config::{
    Block, Config, SlotMode, Weekday, FIRST_CONFIG_DATE, LAST_CONFIG_DATE, MAX_BLOCKS_PER_RECORD,
    MAX_BOOKING_LIMIT, MAX_BUFFER_MINUTES, MAX_CLINICS, MAX_CLOSURES, MAX_CONFIG_ID_CHARS,
    MAX_DAYS_AHEAD, MAX_DURATION_MINUTES, MAX_HOLD_MINUTES, MAX_INVITATION_TTL_HOURS,
    MAX_NOTICE_HOURS, MAX_PORTAL_CAPACITY, MAX_PRACTITIONERS, MAX_PRACTITIONER_TYPES, MAX_PROGRAMS,
    MAX_PROGRAM_CAPACITY, MAX_RECORDS_PER_PRACTITIONER, MAX_REFERRAL_TYPES, MAX_RRULES,
    MAX_SCHEDULE_TYPES, MAX_SERVICES,
};
use crate::recurrence::DateRule;
use crate::validate::{Diagnostic, Diagnostics};
use crate::widget::is_hex_colour;

pub(crate) type Ix = usize;

#[derive(Debug)]
pub(crate) struct CClinic {
    pub(crate) id: Arc<str>,
    pub(crate) tz: Tz,
    pub(crate) book_in_portal: bool,
    /// Day frames of the clinic's zone, filled on first use.
    pub(crate) frames: crate::zone::FrameCache,
}

#[derive(Debug)]
pub(crate) struct CScheduleType {
    pub(crate) id: Arc<str>,
    pub(crate) clinic: Option<Ix>,
    pub(crate) allow_conflicts: bool,
    pub(crate) telehealth: bool,
}

/// A weekly block with ids resolved: wall minutes `[start, end)` at one clinic.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct CBlock {
    pub(crate) start: u32,
    pub(crate) end: u32,
    pub(crate) schedule_type: Ix,
    pub(crate) clinic: Ix,
}

#[derive(Debug)]
pub(crate) struct CRecord {
    /// Position in the practitioner's `availability` list.
    pub(crate) index: usize,
    pub(crate) label: String,
    pub(crate) start_date: NaiveDate,
    pub(crate) end_date: Option<NaiveDate>,
    pub(crate) recurrence: Option<DateRule>,
    /// Standard blocks per weekday (Monday first), sorted by start.
    pub(crate) blocks: [Vec<CBlock>; 7],
    /// Portal blocks per weekday, sorted by start.
    pub(crate) portal_blocks: [Vec<CBlock>; 7],
}

impl CRecord {
    pub(crate) fn covers(&self, date: NaiveDate) -> bool {
        date >= self.start_date && self.end_date.is_none_or(|end| date <= end)
    }
}

#[derive(Debug)]
pub(crate) struct CPractitioner {
    pub(crate) id: Arc<str>,
    pub(crate) bookable_in_portal: bool,
    pub(crate) types: Vec<Ix>,
    pub(crate) schedule_types: Vec<Ix>,
    /// Sorted by start date; they do not overlap.
    pub(crate) records: Vec<CRecord>,
}

impl CPractitioner {
    /// The availability record applying on `date` (rule 5 (availability records)), if any.
    pub(crate) fn record_on(&self, date: NaiveDate) -> Option<&CRecord> {
        let i = self.records.partition_point(|r| r.start_date <= date);
        let r = self.records[..i].last()?;
        r.covers(date).then_some(r)
    }
}

#[derive(Debug)]
pub(crate) struct CService {
    pub(crate) id: Arc<str>,
    pub(crate) book_from_portal: bool,
    pub(crate) duration_minutes: u32,
    pub(crate) portal_capacity: u32,
    pub(crate) practitioner_type: Option<Ix>,
    pub(crate) schedule_types: Vec<Ix>,
    pub(crate) buffer_before_minutes: u32,
    pub(crate) buffer_after_minutes: u32,
}

/// Which dates a closure applies to.
#[derive(Debug)]
pub(crate) enum ClosureDates {
    Range(NaiveDate, NaiveDate),
    Rule {
        rule: Box<DateRule>,
        from: NaiveDate,
        until: Option<NaiveDate>,
    },
}

#[derive(Debug)]
pub(crate) struct CClosure {
    pub(crate) label: String,
    pub(crate) clinic: Option<Ix>,
    pub(crate) practitioner: Option<Ix>,
    pub(crate) dates: ClosureDates,
    /// Wall minutes `[start, end)` closed on each date.
    pub(crate) start: u32,
    pub(crate) end: u32,
}

impl CClosure {
    /// Whether the closure applies to this clinic and practitioner at all.
    pub(crate) fn applies_to(&self, clinic: Ix, practitioner: Ix) -> bool {
        self.clinic.is_none_or(|c| c == clinic)
            && self.practitioner.is_none_or(|p| p == practitioner)
    }
}

/// The compiled practice.
#[derive(Debug)]
pub(crate) struct Practice {
    pub(crate) config: Config,
    pub(crate) clinics: Vec<CClinic>,
    pub(crate) schedule_types: Vec<CScheduleType>,
    pub(crate) practitioners: Vec<CPractitioner>,
    pub(crate) services: Vec<CService>,
    pub(crate) closures: Vec<CClosure>,
    /// The session RRULE of each program (configuration order), parsed once.
    pub(crate) program_rules: Vec<Option<DateRule>>,
    pub(crate) clinic_ix: HashMap<String, Ix>,
    pub(crate) practitioner_ix: HashMap<String, Ix>,
    pub(crate) service_ix: HashMap<String, Ix>,
    pub(crate) warnings: Vec<Diagnostic>,
    /// Clinic and practitioner ids, shared with every slot answer.
    pub(crate) ids: Arc<crate::availability::Ids>,
}

fn index_ids<'a>(
    diags: &mut Diagnostics,
    list: &str,
    ids: impl Iterator<Item = &'a str>,
) -> HashMap<String, Ix> {
    let mut map = HashMap::new();
    for (i, id) in ids.enumerate() {
        if id.chars().count() > MAX_CONFIG_ID_CHARS {
            diags.error(
                format!("{list}[{i}].id"),
                format!("{list}[{i}]: an id has at most {MAX_CONFIG_ID_CHARS} characters"),
            );
        } else if id.trim().is_empty() {
            diags.error(
                format!("{list}[{i}].id"),
                format!("{list}[{i}] has an empty id"),
            );
        } else if map.insert(id.to_owned(), i).is_some() {
            diags.error(
                format!("{list}[{i}].id"),
                format!("duplicate id `{id}` in {list}"),
            );
        }
    }
    map
}

/// A list longer than its bound (see docs/limits.md).
fn check_count(d: &mut Diagnostics, path: &str, len: usize, max: usize) {
    if len > max {
        d.error(
            path,
            format!("`{path}` has {len} entries; at most {max} are allowed"),
        );
    }
}

/// A date outside the years the engine works in (see docs/limits.md).
fn check_date(d: &mut Diagnostics, path: String, label: &str, date: NaiveDate) {
    if !(FIRST_CONFIG_DATE..=LAST_CONFIG_DATE).contains(&date) {
        d.error(
            path,
            format!("{label}: {date} is outside {FIRST_CONFIG_DATE} to {LAST_CONFIG_DATE}"),
        );
    }
}

/// Warns about an RRULE that never chooses a date (from its anchor, or not before `end`).
fn check_rule_matches(
    d: &mut Diagnostics,
    path: String,
    label: &str,
    rule: &DateRule,
    end: Option<NaiveDate>,
) {
    match rule.first_date() {
        None => {
            d.warning(
                path,
                format!("{label}: the recurrence never chooses a date, so it never applies"),
            );
        }
        Some(first) if end.is_some_and(|end| first > end) => {
            d.warning(
                path,
                format!(
                    "{label}: the recurrence chooses no date before the end date (its first \
                     is {first}), so it never applies"
                ),
            );
        }
        Some(_) => {}
    }
}

fn lookup(
    diags: &mut Diagnostics,
    map: &HashMap<String, Ix>,
    id: &str,
    kind: &str,
    path: String,
) -> Option<Ix> {
    let found = map.get(id).copied();
    if found.is_none() {
        diags.error(path, format!("unknown {kind} `{id}`"));
    }
    found
}

/// Compiles and checks a configuration. On errors, returns every diagnostic (errors and
/// warnings); otherwise the practice, whose `warnings` hold the warnings.
pub(crate) fn compile(config: Config) -> Result<Practice, Vec<Diagnostic>> {
    let mut d = Diagnostics::default();
    check_portal(&config, &mut d);
    let mut too_large = false;
    for (path, len, max) in [
        ("clinics", config.clinics.len(), MAX_CLINICS),
        (
            "schedule_types",
            config.schedule_types.len(),
            MAX_SCHEDULE_TYPES,
        ),
        (
            "practitioner_types",
            config.practitioner_types.len(),
            MAX_PRACTITIONER_TYPES,
        ),
        (
            "practitioners",
            config.practitioners.len(),
            MAX_PRACTITIONERS,
        ),
        ("services", config.services.len(), MAX_SERVICES),
        ("closures", config.closures.len(), MAX_CLOSURES),
        (
            "referral_types",
            config.referral_types.len(),
            MAX_REFERRAL_TYPES,
        ),
        ("programs", config.programs.len(), MAX_PROGRAMS),
    ] {
        check_count(&mut d, path, len, max);
        too_large |= len > max;
    }
    // Every RRULE is checked for ever choosing a date when it is parsed, which may cost up
    // to the rrule crate's iteration limit: their number is bounded too.
    let rule_paths: Vec<String> = config
        .practitioners
        .iter()
        .enumerate()
        .flat_map(|(pi, p)| {
            p.availability
                .iter()
                .enumerate()
                .filter_map(move |(ri, r)| {
                    r.recurrence
                        .as_ref()
                        .map(|_| format!("practitioners[{pi}].availability[{ri}].recurrence"))
                })
        })
        .chain(config.closures.iter().enumerate().filter_map(|(i, c)| {
            c.recurrence
                .as_ref()
                .map(|_| format!("closures[{i}].recurrence"))
        }))
        .chain(config.programs.iter().enumerate().filter_map(|(i, p)| {
            p.recurrence
                .as_ref()
                .map(|_| format!("programs[{i}].recurrence"))
        }))
        .collect();
    if let Some(path) = rule_paths.get(MAX_RRULES) {
        d.error(
            path.clone(),
            format!(
                "the configuration has {} RRULEs; at most {MAX_RRULES} are allowed",
                rule_paths.len()
            ),
        );
        too_large = true;
    }
    if too_large {
        // Too large to check further: report what is known so far.
        return Err(d.finish(&config));
    }

    let clinic_ix = index_ids(
        &mut d,
        "clinics",
        config.clinics.iter().map(|c| c.id.as_str()),
    );
    let st_ix = index_ids(
        &mut d,
        "schedule_types",
        config.schedule_types.iter().map(|s| s.id.as_str()),
    );
    let pt_ix = index_ids(
        &mut d,
        "practitioner_types",
        config.practitioner_types.iter().map(|t| t.id.as_str()),
    );
    let practitioner_ix = index_ids(
        &mut d,
        "practitioners",
        config.practitioners.iter().map(|p| p.id.as_str()),
    );
    let service_ix = index_ids(
        &mut d,
        "services",
        config.services.iter().map(|s| s.id.as_str()),
    );
    index_ids(
        &mut d,
        "referral_types",
        config.referral_types.iter().map(|r| r.id.as_str()),
    );
    index_ids(
        &mut d,
        "programs",
        config.programs.iter().map(|p| p.id.as_str()),
    );

    let clinics: Vec<CClinic> = config
        .clinics
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let tz = c.time_zone.parse::<Tz>().unwrap_or_else(|_| {
                d.error(
                    format!("clinics[{i}].time_zone"),
                    format!(
                        "clinic `{}`: `{}` is not an IANA time zone",
                        c.id, c.time_zone
                    ),
                );
                Tz::UTC
            });
            CClinic {
                id: Arc::from(c.id.as_str()),
                tz,
                book_in_portal: c.book_in_portal,
                frames: crate::zone::FrameCache::new(tz),
            }
        })
        .collect();

    let schedule_types: Vec<CScheduleType> = config
        .schedule_types
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let path = format!("schedule_types[{i}]");
            let clinic = s
                .clinic
                .as_ref()
                .and_then(|c| lookup(&mut d, &clinic_ix, c, "clinic", format!("{path}.clinic")));
            if s.default_duration_minutes
                .is_some_and(|m| m == 0 || m > MAX_DURATION_MINUTES)
            {
                d.error(
                    format!("{path}.default_duration_minutes"),
                    format!(
                        "schedule type `{}`: default duration must be 1 to \
                         {MAX_DURATION_MINUTES} minutes",
                        s.id
                    ),
                );
            }
            for (field, colour) in [("colour", &s.colour), ("text_colour", &s.text_colour)] {
                if let Some(c) = colour.as_ref().filter(|c| !is_hex_colour(c)) {
                    d.warning(
                        format!("{path}.{field}"),
                        format!("schedule type `{}`: `{c}` is not a #rrggbb colour", s.id),
                    );
                }
            }
            CScheduleType {
                id: Arc::from(s.id.as_str()),
                clinic,
                allow_conflicts: s.allow_conflicts,
                telehealth: s.telehealth,
            }
        })
        .collect();

    let practitioners: Vec<CPractitioner> = config
        .practitioners
        .iter()
        .enumerate()
        .map(|(pi, p)| {
            let path = format!("practitioners[{pi}]");
            check_count(
                &mut d,
                &format!("{path}.availability"),
                p.availability.len(),
                MAX_RECORDS_PER_PRACTITIONER,
            );
            let types = p
                .practitioner_types
                .iter()
                .enumerate()
                .filter_map(|(k, t)| {
                    lookup(
                        &mut d,
                        &pt_ix,
                        t,
                        "practitioner type",
                        format!("{path}.practitioner_types[{k}]"),
                    )
                })
                .collect();
            let sts: Vec<Ix> = p
                .schedule_types
                .iter()
                .enumerate()
                .filter_map(|(k, s)| {
                    lookup(
                        &mut d,
                        &st_ix,
                        s,
                        "schedule type",
                        format!("{path}.schedule_types[{k}]"),
                    )
                })
                .collect();
            let mut records: Vec<CRecord> = p
                .availability
                .iter()
                .enumerate()
                .map(|(ri, r)| {
                    let rpath = format!("{path}.availability[{ri}]");
                    let label = match &r.id {
                        Some(id) => {
                            format!("availability record `{id}` of practitioner `{}`", p.id)
                        }
                        None => format!("availability[{ri}] of practitioner `{}`", p.id),
                    };
                    check_date(&mut d, format!("{rpath}.start_date"), &label, r.start_date);
                    if let Some(end) = r.end_date {
                        check_date(&mut d, format!("{rpath}.end_date"), &label, end);
                    }
                    check_count(
                        &mut d,
                        &format!("{rpath}.blocks"),
                        r.blocks.len(),
                        MAX_BLOCKS_PER_RECORD,
                    );
                    check_count(
                        &mut d,
                        &format!("{rpath}.portal_blocks"),
                        r.portal_blocks.len(),
                        MAX_BLOCKS_PER_RECORD,
                    );
                    if let Some(end) = r.end_date.filter(|end| *end < r.start_date) {
                        d.error(
                            format!("{rpath}.end_date"),
                            format!(
                                "{label}: end date {end} is before start date {}",
                                r.start_date
                            ),
                        );
                    }
                    let recurrence = r.recurrence.as_ref().and_then(|rule| {
                        DateRule::parse(rule, r.start_date)
                            .map_err(|e| {
                                d.error(format!("{rpath}.recurrence"), format!("{label}: {e}"))
                            })
                            .ok()
                    });
                    if let Some(rule) = &recurrence {
                        check_rule_matches(
                            &mut d,
                            format!("{rpath}.recurrence"),
                            &label,
                            rule,
                            r.end_date,
                        );
                    }
                    let ctx = BlockCtx {
                        clinic_ix: &clinic_ix,
                        st_ix: &st_ix,
                        schedule_types: &schedule_types,
                        config: &config,
                        practitioner_sts: &sts,
                        practitioner: &p.id,
                    };
                    let blocks =
                        compile_blocks(&mut d, &ctx, &r.blocks, &format!("{rpath}.blocks"), &label);
                    let portal_blocks = compile_blocks(
                        &mut d,
                        &ctx,
                        &r.portal_blocks,
                        &format!("{rpath}.portal_blocks"),
                        &label,
                    );
                    check_portal_blocks_inside(
                        &mut d,
                        &blocks,
                        &portal_blocks,
                        &r.portal_blocks,
                        &rpath,
                        &label,
                    );
                    if config.portal.scheduling.slot_mode == SlotMode::PortalBlocks {
                        for wd in Weekday::ALL {
                            if !blocks[wd.index()].is_empty()
                                && portal_blocks[wd.index()].is_empty()
                            {
                                let policy = match config.portal.scheduling.empty_portal_day {
                                    crate::config::EmptyPortalDay::Closed => {
                                        "`closed`, nothing is offered online that day"
                                    }
                                    crate::config::EmptyPortalDay::Standard => {
                                        "`standard`, the whole day is offered online"
                                    }
                                };
                                d.warning(
                                    format!("{rpath}.portal_blocks"),
                                    format!(
                                        "{label}: {} has working blocks but no portal blocks; with \
                                         empty_portal_day = {policy} (rule 6 (portal blocks))",
                                        wd.as_str(),
                                    ),
                                )
                                .rule(6)
                                .weekday(wd);
                            }
                        }
                    }
                    CRecord {
                        index: ri,
                        label,
                        start_date: r.start_date,
                        end_date: r.end_date,
                        recurrence,
                        blocks,
                        portal_blocks,
                    }
                })
                .collect();
            records.sort_by_key(|r| r.start_date);
            for pair in records.windows(2) {
                let (a, b) = (&pair[0], &pair[1]);
                if a.end_date.is_none_or(|end| end >= b.start_date) {
                    d.error(
                        format!("{path}.availability[{}]", b.index),
                        format!(
                            "{} overlaps {} (records of one practitioner must not overlap, \
                             rule 5 (availability records))",
                            b.label, a.label
                        ),
                    )
                    .rule(5);
                }
            }
            CPractitioner {
                id: Arc::from(p.id.as_str()),
                bookable_in_portal: p.bookable_in_portal,
                types,
                schedule_types: sts,
                records,
            }
        })
        .collect();

    let services: Vec<CService> = config
        .services
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let path = format!("services[{i}]");
            if s.duration_minutes == 0 || s.duration_minutes > MAX_DURATION_MINUTES {
                d.error(
                    format!("{path}.duration_minutes"),
                    format!(
                        "service `{}`: duration must be 1 to {MAX_DURATION_MINUTES} minutes",
                        s.id
                    ),
                );
            }
            if s.portal_capacity == 0 || s.portal_capacity > MAX_PORTAL_CAPACITY {
                d.error(
                    format!("{path}.portal_capacity"),
                    format!(
                        "service `{}`: portal capacity must be 1 to {MAX_PORTAL_CAPACITY}",
                        s.id
                    ),
                );
            }
            for (field, minutes) in [
                ("buffer_before_minutes", s.buffer_before_minutes),
                ("buffer_after_minutes", s.buffer_after_minutes),
            ] {
                if minutes > MAX_BUFFER_MINUTES {
                    d.error(
                        format!("{path}.{field}"),
                        format!(
                            "service `{}`: buffers must be at most {MAX_BUFFER_MINUTES} minutes",
                            s.id
                        ),
                    );
                }
            }
            let practitioner_type = s.practitioner_type.as_ref().and_then(|t| {
                lookup(
                    &mut d,
                    &pt_ix,
                    t,
                    "practitioner type",
                    format!("{path}.practitioner_type"),
                )
            });
            let sts = s
                .schedule_types
                .iter()
                .enumerate()
                .filter_map(|(k, st)| {
                    lookup(
                        &mut d,
                        &st_ix,
                        st,
                        "schedule type",
                        format!("{path}.schedule_types[{k}]"),
                    )
                })
                .collect();
            CService {
                id: Arc::from(s.id.as_str()),
                book_from_portal: s.book_from_portal,
                duration_minutes: s.duration_minutes,
                portal_capacity: s.portal_capacity,
                practitioner_type,
                schedule_types: sts,
                buffer_before_minutes: s.buffer_before_minutes,
                buffer_after_minutes: s.buffer_after_minutes,
            }
        })
        .collect();

    let closures = compile_closures(&config, &mut d, &clinic_ix, &practitioner_ix);
    let program_rules = check_programs(&config, &mut d, &clinic_ix, &practitioner_ix);
    for (i, r) in config.referral_types.iter().enumerate() {
        if r.name.trim().is_empty() {
            d.warning(
                format!("referral_types[{i}].name"),
                format!("referral type `{}` has no name", r.id),
            );
        }
    }

    if d.has_errors() {
        return Err(d.finish(&config));
    }
    let ids = Arc::new(crate::availability::Ids {
        clinics: clinics.iter().map(|c| Arc::clone(&c.id)).collect(),
        practitioners: practitioners.iter().map(|p| Arc::clone(&p.id)).collect(),
    });
    let mut practice = Practice {
        ids,
        config,
        clinics,
        schedule_types,
        practitioners,
        services,
        closures,
        program_rules,
        clinic_ix,
        practitioner_ix,
        service_ix,
        warnings: Vec::new(),
    };
    // Warnings that need the compiled practice: services no one can offer online.
    for (si, service) in practice.config.services.iter().enumerate() {
        if !service.book_from_portal {
            continue;
        }
        let report = crate::explain::service_report(&practice, si);
        if report.offered_by.is_empty() {
            let why: Vec<String> = report
                .not_offered_by
                .iter()
                .map(|r| r.reason.message.clone())
                .collect();
            let why = if why.is_empty() {
                "there are no practitioners".to_owned()
            } else {
                why.join("; ")
            };
            d.warning(
                format!("services[{si}]"),
                format!(
                    "portal service `{}` can never be offered online: {why}",
                    service.id
                ),
            );
        }
    }
    practice.warnings = d.finish(&practice.config);
    Ok(practice)
}

struct BlockCtx<'a> {
    clinic_ix: &'a HashMap<String, Ix>,
    st_ix: &'a HashMap<String, Ix>,
    schedule_types: &'a [CScheduleType],
    config: &'a Config,
    practitioner_sts: &'a [Ix],
    practitioner: &'a str,
}

fn compile_blocks(
    d: &mut Diagnostics,
    ctx: &BlockCtx<'_>,
    blocks: &[Block],
    path: &str,
    label: &str,
) -> [Vec<CBlock>; 7] {
    let mut out: [Vec<CBlock>; 7] = Default::default();
    let mut paths: [Vec<usize>; 7] = Default::default();
    for (bi, b) in blocks.iter().enumerate() {
        let bpath = format!("{path}[{bi}]");
        let (start, end) = (b.start.minutes(), b.end.minutes());
        if start >= end {
            d.error(
                bpath.clone(),
                format!("{label}: block {}–{} ends before it starts", b.start, b.end),
            );
            continue;
        }
        let Some(st) = lookup(
            d,
            ctx.st_ix,
            &b.schedule_type,
            "schedule type",
            format!("{bpath}.schedule_type"),
        ) else {
            continue;
        };
        if !ctx.practitioner_sts.contains(&st) {
            d.warning(
                format!("{bpath}.schedule_type"),
                format!(
                    "{label}: schedule type `{}` is not assigned to practitioner `{}`, so this \
                     block is never bookable online (rule 4 (schedule-type chain))",
                    b.schedule_type, ctx.practitioner
                ),
            )
            .rule(4);
        }
        let block_clinic = match &b.clinic {
            Some(c) => match lookup(d, ctx.clinic_ix, c, "clinic", format!("{bpath}.clinic")) {
                Some(c) => Some(c),
                None => continue,
            },
            None => None,
        };
        let type_clinic = ctx.schedule_types[st].clinic;
        let clinic = match (block_clinic, type_clinic) {
            (Some(b_c), Some(t_c)) if b_c != t_c => {
                d.error(
                    format!("{bpath}.clinic"),
                    format!(
                        "{label}: block names clinic `{}` but schedule type `{}` books into clinic `{}`",
                        ctx.config.clinics[b_c].id, b.schedule_type, ctx.config.clinics[t_c].id
                    ),
                );
                continue;
            }
            (Some(c), _) | (None, Some(c)) => c,
            (None, None) if ctx.config.clinics.len() == 1 => 0,
            (None, None) => {
                d.error(
                    format!("{bpath}.clinic"),
                    format!(
                        "{label}: schedule type `{}` is for any clinic, so the block must name its clinic",
                        b.schedule_type
                    ),
                );
                continue;
            }
        };
        let wd = b.weekday.index();
        out[wd].push(CBlock {
            start,
            end,
            schedule_type: st,
            clinic,
        });
        paths[wd].push(bi);
    }
    for wd in 0..7 {
        let mut order: Vec<usize> = (0..out[wd].len()).collect();
        order.sort_by_key(|&k| (out[wd][k].start, out[wd][k].end));
        let sorted: Vec<CBlock> = order.iter().map(|&k| out[wd][k]).collect();
        for w in order.windows(2) {
            let (a, b) = (out[wd][w[0]], out[wd][w[1]]);
            if b.start < a.end {
                d.error(
                    format!("{path}[{}]", paths[wd][w[1]]),
                    format!(
                        "{label}: {} blocks overlap ({} overlaps {})",
                        Weekday::ALL[wd].as_str(),
                        fmt_block(&b),
                        fmt_block(&a)
                    ),
                );
            }
        }
        out[wd] = sorted;
    }
    out
}

pub(crate) fn fmt_minutes(m: u32) -> String {
    format!("{:02}:{:02}", m / 60, m % 60)
}

fn fmt_block(b: &CBlock) -> String {
    format!("{}–{}", fmt_minutes(b.start), fmt_minutes(b.end))
}

fn check_portal_blocks_inside(
    d: &mut Diagnostics,
    blocks: &[Vec<CBlock>; 7],
    portal: &[Vec<CBlock>; 7],
    raw: &[Block],
    rpath: &str,
    label: &str,
) {
    for (bi, b) in raw.iter().enumerate() {
        let wd = b.weekday.index();
        let Some(pb) = portal[wd]
            .iter()
            .find(|p| p.start == b.start.minutes() && p.end == b.end.minutes())
        else {
            continue;
        };
        let inside = blocks[wd].iter().any(|s| {
            s.start <= pb.start
                && pb.end <= s.end
                && s.schedule_type == pb.schedule_type
                && s.clinic == pb.clinic
        });
        if !inside {
            d.error(
                format!("{rpath}.portal_blocks[{bi}]"),
                format!(
                    "{label}: portal block {} {} lies outside the standard blocks of the same \
                     schedule type (rule 6 (portal blocks))",
                    b.weekday.as_str(),
                    fmt_block(pb)
                ),
            )
            .rule(6);
        }
    }
}

fn check_portal(config: &Config, d: &mut Diagnostics) {
    let s = &config.portal.scheduling;
    if let Some(n) = s.start_interval_minutes {
        if n == 0 || 1440 % n != 0 {
            d.error(
                "portal.scheduling.start_interval_minutes",
                format!("start interval {n} does not divide a day (1440 minutes)"),
            );
        }
    }
    if s.hold_minutes == 0 || s.hold_minutes > MAX_HOLD_MINUTES {
        d.error(
            "portal.scheduling.hold_minutes",
            format!("hold_minutes must be 1 to {MAX_HOLD_MINUTES}"),
        );
    }
    if s.waitlist_offer_minutes == 0 || s.waitlist_offer_minutes > MAX_HOLD_MINUTES {
        d.error(
            "portal.scheduling.waitlist_offer_minutes",
            format!("waitlist_offer_minutes must be 1 to {MAX_HOLD_MINUTES}"),
        );
    }
    if s.max_days_ahead > MAX_DAYS_AHEAD {
        d.error(
            "portal.scheduling.max_days_ahead",
            format!("max_days_ahead must be at most {MAX_DAYS_AHEAD} days"),
        );
    }
    let ttl = config.portal.invitation_ttl_hours;
    if ttl == 0 || ttl > MAX_INVITATION_TTL_HOURS {
        d.error(
            "portal.invitation_ttl_hours",
            format!("invitation_ttl_hours must be 1 to {MAX_INVITATION_TTL_HOURS}"),
        );
    }
    for (field, hours) in [
        ("min_hours_before_booking", Some(s.min_hours_before_booking)),
        ("min_hours_before_cancel", Some(s.min_hours_before_cancel)),
        ("late_cancel_fee_hours", s.late_cancel_fee_hours),
    ] {
        if hours.is_some_and(|h| h > MAX_NOTICE_HOURS) {
            d.error(
                format!("portal.scheduling.{field}"),
                format!("{field} must be at most {MAX_NOTICE_HOURS} hours"),
            );
        }
    }
    for (field, limit) in [
        (
            "max_future_bookings_per_patient",
            s.max_future_bookings_per_patient,
        ),
        ("max_bookings_per_day", s.max_bookings_per_day),
    ] {
        if limit.is_some_and(|n| n == 0 || n > MAX_BOOKING_LIMIT) {
            d.error(
                format!("portal.scheduling.{field}"),
                format!("{field} must be 1 to {MAX_BOOKING_LIMIT} (leave it out for no limit)"),
            );
        }
    }
    let horizon_hours = (u64::from(s.max_days_ahead) + 1) * 24;
    if u64::from(s.min_hours_before_booking) >= horizon_hours {
        d.warning(
            "portal.scheduling.min_hours_before_booking",
            format!(
                "the lead time ({} h) reaches past the horizon ({} day(s) ahead): nothing can \
                 ever be booked online (rule 8 (booking window))",
                s.min_hours_before_booking, s.max_days_ahead
            ),
        )
        .rule(8);
    }
    if let Some(url) = &config.portal.login_url {
        if let Err(e) = crate::widget::check_url(url) {
            d.error("portal.login_url", format!("portal.login_url: {e}"));
        }
    }
    if let Some(domain) = &config.portal.calendar_domain {
        if let Err(e) = crate::ical::check_domain(domain) {
            d.error(
                "portal.calendar_domain",
                format!("portal.calendar_domain: {e}"),
            );
        }
    }
    if let Some(fee) = s.late_cancel_fee_hours {
        if s.allow_patient_cancel && fee <= s.min_hours_before_cancel {
            d.warning(
                "portal.scheduling.late_cancel_fee_hours",
                format!(
                    "late-cancel fee window ({fee} h) is not longer than the cancel cut-off \
                     ({} h): patients can never cancel online inside it, so the fee is unreachable",
                    s.min_hours_before_cancel
                ),
            );
        }
    }
    if config.portal.consent.required && !config.portal.consent.enabled {
        d.warning(
            "portal.consent.required",
            "consent is required but not enabled: it is enforced anyway",
        );
    }
    if config.portal.consent.enabled
        && config.portal.consent.text.trim().is_empty()
        && config.portal.consent.document_url.is_none()
    {
        d.warning(
            "portal.consent.text",
            "consent is enabled but has neither text nor a document",
        );
    }
    let button = &config.portal.widgets.book_button;
    for (field, colour) in [
        ("colour", &button.colour),
        ("text_colour", &button.text_colour),
    ] {
        if !is_hex_colour(colour) {
            d.warning(
                format!("portal.widgets.book_button.{field}"),
                format!("`{colour}` is not a #rrggbb colour; the default is used"),
            );
        }
    }
    if config.clinics.is_empty() {
        d.error("clinics", "the practice has no clinic");
    }
}

fn compile_closures(
    config: &Config,
    d: &mut Diagnostics,
    clinic_ix: &HashMap<String, Ix>,
    practitioner_ix: &HashMap<String, Ix>,
) -> Vec<CClosure> {
    let mut out = Vec::new();
    for (i, c) in config.closures.iter().enumerate() {
        let path = format!("closures[{i}]");
        let label = match (&c.id, &c.reason) {
            (Some(id), _) => format!("closure `{id}`"),
            (None, Some(reason)) => format!("closure `{reason}`"),
            (None, None) => format!("closures[{i}]"),
        };
        // `Err(())`: an unknown id, already reported.
        let clinic = match &c.clinic {
            None => Ok(None),
            Some(x) => lookup(d, clinic_ix, x, "clinic", format!("{path}.clinic"))
                .map(Some)
                .ok_or(()),
        };
        let practitioner = match &c.practitioner {
            None => Ok(None),
            Some(x) => lookup(
                d,
                practitioner_ix,
                x,
                "practitioner",
                format!("{path}.practitioner"),
            )
            .map(Some)
            .ok_or(()),
        };
        for (field, date) in [
            ("date", c.date),
            ("start_date", c.start_date),
            ("end_date", c.end_date),
        ] {
            if let Some(date) = date {
                check_date(d, format!("{path}.{field}"), &label, date);
            }
        }
        let start = c.start_time.map_or(0, |t| t.minutes());
        let end = c.end_time.map_or(1440, |t| t.minutes());
        if start >= end {
            d.error(
                format!("{path}.end_time"),
                format!("{label}: closes nothing (end is not after start)"),
            );
        }
        let dates = match (c.date, c.start_date, c.end_date, &c.recurrence) {
            (Some(date), None, None, None) => Some(ClosureDates::Range(date, date)),
            (None, Some(from), Some(to), None) => {
                if to < from {
                    d.error(
                        format!("{path}.end_date"),
                        format!("{label}: end date {to} is before start date {from}"),
                    );
                }
                Some(ClosureDates::Range(from, to))
            }
            (None, Some(from), until, Some(rule)) => match DateRule::parse(rule, from) {
                Ok(rule) => Some(ClosureDates::Rule {
                    rule: {
                        check_rule_matches(d, format!("{path}.recurrence"), &label, &rule, until);
                        Box::new(rule)
                    },
                    from,
                    until,
                }),
                Err(e) => {
                    d.error(format!("{path}.recurrence"), format!("{label}: {e}"));
                    None
                }
            },
            _ => {
                d.error(
                    path.clone(),
                    format!(
                        "{label}: give `date`, or `start_date` and `end_date`, or `start_date` \
                         with `recurrence` (optionally `end_date`)"
                    ),
                );
                None
            }
        };
        if let (Ok(clinic), Ok(practitioner), Some(dates)) = (clinic, practitioner, dates) {
            let reason = c
                .reason
                .as_deref()
                .map(|r| format!(" ({r})"))
                .unwrap_or_default();
            out.push(CClosure {
                label: format!("{label}{reason}"),
                clinic,
                practitioner,
                dates,
                start,
                end,
            });
        }
    }
    out
}

/// Checks the programs and parses their session RRULEs (one per program, in order).
fn check_programs(
    config: &Config,
    d: &mut Diagnostics,
    clinic_ix: &HashMap<String, Ix>,
    practitioner_ix: &HashMap<String, Ix>,
) -> Vec<Option<DateRule>> {
    let mut rules = Vec::with_capacity(config.programs.len());
    for (i, p) in config.programs.iter().enumerate() {
        let path = format!("programs[{i}]");
        let label = format!("program `{}`", p.id);
        lookup(d, clinic_ix, &p.clinic, "clinic", format!("{path}.clinic"));
        if let Some(pr) = &p.practitioner {
            lookup(
                d,
                practitioner_ix,
                pr,
                "practitioner",
                format!("{path}.practitioner"),
            );
        }
        check_date(d, format!("{path}.start_date"), &label, p.start_date);
        if p.capacity == 0 || p.capacity > MAX_PROGRAM_CAPACITY {
            d.error(
                format!("{path}.capacity"),
                format!("{label}: capacity must be 1 to {MAX_PROGRAM_CAPACITY}"),
            );
        }
        if p.duration_minutes == 0 || p.duration_minutes > MAX_DURATION_MINUTES {
            d.error(
                format!("{path}.duration_minutes"),
                format!("{label}: duration must be 1 to {MAX_DURATION_MINUTES} minutes"),
            );
        }
        let rule =
            p.recurrence
                .as_ref()
                .and_then(|rule| match DateRule::parse(rule, p.start_date) {
                    Ok(rule) => {
                        check_rule_matches(d, format!("{path}.recurrence"), &label, &rule, None);
                        Some(rule)
                    }
                    Err(e) => {
                        d.error(format!("{path}.recurrence"), format!("{label}: {e}"));
                        None
                    }
                });
        rules.push(rule);
    }
    rules
}
