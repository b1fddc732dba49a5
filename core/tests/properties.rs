//! Property tests: slot search against a brute-force, minute-by-minute model written here
//! from docs/rules.md (it never calls engine internals), over random small configurations in
//! America/Toronto, Europe/London, Australia/Lord_Howe and UTC, on short date windows that
//! often include a daylight-saving switch.
//!
//! The model looks at every minute instant of the window and decides whether a start there
//! is bookable: inside a bookable block (in instants), not closed, inside the booking
//! window, on the grid by its wall time, the earliest instant of its wall time, and below
//! capacity counting overlaps (buffers included).

use std::collections::BTreeSet;

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, TimeZone, Timelike, Utc};
use chrono_tz::Tz;
use clinic_portal::{Appointment, AppointmentStatus, Engine, Explanation, SlotQuery, Source};
use proptest::prelude::*;
use serde_json::{json, Value};

const ZONES: [Tz; 4] = [
    chrono_tz::America::Toronto,
    chrono_tz::Europe::London,
    chrono_tz::Australia::Lord_Howe,
    chrono_tz::UTC,
];

/// Per zone: dates the window is built around (switch days first).
fn anchors(zone: usize) -> [(i32, u32, u32); 3] {
    match zone {
        0 => [(2027, 3, 14), (2027, 11, 7), (2027, 6, 9)],
        1 => [(2027, 3, 28), (2027, 10, 31), (2027, 6, 9)],
        2 => [(2027, 10, 3), (2027, 4, 4), (2027, 6, 9)],
        _ => [(2027, 3, 14), (2027, 6, 9), (2028, 2, 29)],
    }
}

const GRIDS: [Option<u32>; 7] = [
    None,
    Some(5),
    Some(10),
    Some(15),
    Some(20),
    Some(30),
    Some(60),
];

const KINDS: [&str; 3] = ["solo", "shared", "admin"];

#[derive(Clone, Debug)]
struct Blk {
    start: u32,
    len: u32,
    /// 0 solo (no conflicts), 1 shared (allow_conflicts), 2 admin (not linked to the service).
    kind: usize,
    /// Portal block inside it: (offset, length) in minutes, clipped.
    portal: Option<(u32, u32)>,
}

#[derive(Clone, Debug)]
struct Prac {
    bookable: bool,
    record_start_shift: i64,
    record_end_shift: Option<i64>,
    week: Vec<Vec<Blk>>,
}

#[derive(Clone, Debug)]
struct Clo {
    practitioner: Option<usize>,
    day: i64,
    partial: Option<(u32, u32)>,
}

#[derive(Clone, Debug)]
struct Ap {
    practitioner: usize,
    start5: i64,
    len5: i64,
    status: usize,
    with_service: bool,
}

#[derive(Clone, Debug)]
struct Case {
    zone: usize,
    anchor: usize,
    from_shift: i64,
    span: i64,
    pracs: Vec<Prac>,
    portal_mode: bool,
    empty_standard: bool,
    closures: Vec<Clo>,
    grid: usize,
    duration: u32,
    buffers: (u32, u32),
    capacity: u32,
    appts: Vec<Ap>,
    now_offset: i64,
    lead_hours: u32,
    horizon_days: u32,
    named: Option<usize>,
    samples: Vec<i64>,
}

fn blk() -> impl Strategy<Value = Blk> {
    (
        prop_oneof![0u32..=60, 0u32..=285],
        prop_oneof![1 => 1u32..=6, 4 => 6u32..=60],
        prop_oneof![4 => Just(0usize), 3 => Just(1usize), 1 => Just(2usize)],
        prop::option::weighted(0.7, (0u32..60, 1u32..=60)),
    )
        .prop_map(|(s5, l5, kind, portal)| Blk {
            start: s5 * 5,
            len: l5 * 5,
            kind,
            portal: portal.map(|(o, l)| (o * 5, l * 5)),
        })
}

fn prac() -> impl Strategy<Value = Prac> {
    (
        prop::bool::weighted(0.95),
        prop_oneof![4 => -3i64..=0, 1 => Just(1i64)],
        prop::option::weighted(0.2, 0i64..=3),
        prop::collection::vec(
            prop_oneof![
                1 => prop::collection::vec(blk(), 0..=0),
                6 => prop::collection::vec(blk(), 1..=2),
            ],
            7,
        ),
    )
        .prop_map(
            |(bookable, record_start_shift, record_end_shift, week)| Prac {
                bookable,
                record_start_shift,
                record_end_shift,
                week,
            },
        )
}

fn clo() -> impl Strategy<Value = Clo> {
    (
        prop::option::of(0usize..3),
        0i64..=3,
        prop::option::weighted(0.7, (0u32..=287, 1u32..=72)),
    )
        .prop_map(|(practitioner, day, partial)| Clo {
            practitioner,
            day,
            partial: partial.map(|(s, l)| (s * 5, l * 5)),
        })
}

fn ap() -> impl Strategy<Value = Ap> {
    (
        0usize..3,
        0i64..=(5 * 288),
        1i64..=24,
        0usize..4,
        any::<bool>(),
    )
        .prop_map(|(practitioner, start5, len5, status, with_service)| Ap {
            practitioner,
            start5,
            len5,
            status,
            with_service,
        })
}

fn case() -> impl Strategy<Value = Case> {
    let shape = (
        0usize..4,
        0usize..3,
        -2i64..=0,
        prop_oneof![1 => Just(0i64), 2 => 1i64..=2],
        prop::collection::vec(prac(), 1..=3),
        prop::bool::weighted(0.3),
        any::<bool>(),
        prop::collection::vec(clo(), 0..=2),
        0usize..GRIDS.len(),
        10u32..=90,
    );
    let rest = (
        (
            prop_oneof![3 => Just(0u32), 1 => 0u32..=15],
            prop_oneof![3 => Just(0u32), 1 => 0u32..=15],
        ),
        1u32..=3,
        prop::collection::vec(ap(), 0..=6),
        prop_oneof![4 => -2880i64..=0, 1 => 0i64..=1440],
        prop_oneof![3 => Just(0u32), 1 => 0u32..=30],
        prop_oneof![3 => 3u32..=10, 1 => 0u32..=3],
        prop::option::of(0usize..3),
        prop::collection::vec(0i64..(5 * 1440), 24),
    );
    (shape, rest).prop_map(|(s, r)| Case {
        zone: s.0,
        anchor: s.1,
        from_shift: s.2,
        span: s.3,
        pracs: s.4,
        portal_mode: s.5,
        empty_standard: s.6,
        closures: s.7,
        grid: s.8,
        duration: s.9,
        buffers: r.0,
        capacity: r.1,
        appts: r.2,
        now_offset: r.3,
        lead_hours: r.4,
        horizon_days: r.5,
        named: r.6,
        samples: r.7,
    })
}

// ---------------------------------------------------------------------------------------
// The scenario, resolved once: dates, instants, and the configuration.
// ---------------------------------------------------------------------------------------

/// A normalised block: wall start, wall end, kind, portal block `[start, end)` inside it.
type DayBlock = (u32, u32, usize, Option<(u32, u32)>);

/// A day's blocks after normalisation: sorted, non-overlapping, ending by 24:00.
fn day_blocks(raw: &[Blk]) -> Vec<DayBlock> {
    let mut sorted = raw.to_vec();
    sorted.sort_by_key(|b| b.start);
    let mut out = Vec::new();
    let mut prev_end = 0;
    for b in sorted {
        if b.start < prev_end || b.start >= 1440 {
            continue;
        }
        let end = (b.start + b.len).min(1440);
        let len = end - b.start;
        let portal = b.portal.map(|(off, plen)| {
            let off = off % len;
            let plen = plen.min(len - off);
            (b.start + off, b.start + off + plen)
        });
        out.push((b.start, end, b.kind, portal));
        prev_end = end;
    }
    out
}

struct Scenario {
    tz: Tz,
    from: NaiveDate,
    to: NaiveDate,
    now: i64,
    config: Value,
    appointments: Vec<Appointment>,
}

fn wall(day: NaiveDate, minute: u32) -> NaiveDateTime {
    day.and_hms_opt(0, 0, 0).expect("midnight") + Duration::minutes(i64::from(minute))
}

/// Instant of a boundary at wall `minute` (1440 = next midnight): the earliest instant of
/// the wall time, or in a gap the first wall minute after it that exists.
fn boundary(tz: Tz, day: NaiveDate, minute: u32) -> i64 {
    let mut w = wall(day, minute);
    loop {
        if let Some(t) = tz.from_local_datetime(&w).earliest() {
            return t.timestamp();
        }
        w += Duration::minutes(1);
    }
}

fn instant(t: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(t, 0).expect("instant")
}

fn scenario(c: &Case) -> Scenario {
    let tz = ZONES[c.zone];
    let (y, m, d) = anchors(c.zone)[c.anchor];
    let from = NaiveDate::from_ymd_opt(y, m, d).expect("anchor") + Duration::days(c.from_shift);
    let to = from + Duration::days(c.span);
    let window_start = boundary(tz, from, 0);
    let now = window_start + 60 * c.now_offset;
    let np = c.pracs.len();
    let practitioners: Vec<Value> = c
        .pracs
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let mut blocks = Vec::new();
            let mut portal_blocks = Vec::new();
            for (wd, raw) in p.week.iter().enumerate() {
                let name = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"][wd];
                for (s, e, kind, portal) in day_blocks(raw) {
                    blocks.push(json!({"weekday": name, "start": hm(s), "end": hm(e),
                                       "schedule_type": KINDS[kind]}));
                    if let Some((ps, pe)) = portal {
                        portal_blocks.push(json!({"weekday": name, "start": hm(ps),
                                                  "end": hm(pe), "schedule_type": KINDS[kind]}));
                    }
                }
            }
            let mut record = json!({
                "start_date": (from + Duration::days(p.record_start_shift)).to_string(),
                "blocks": blocks,
                "portal_blocks": portal_blocks,
            });
            if let Some(end) = p.record_end_shift {
                let end =
                    (from + Duration::days(end)).max(from + Duration::days(p.record_start_shift));
                record["end_date"] = json!(end.to_string());
            }
            json!({
                "id": format!("p{i}"),
                "bookable_in_portal": p.bookable,
                "schedule_types": KINDS,
                "availability": [record],
            })
        })
        .collect();
    let closures: Vec<Value> = c
        .closures
        .iter()
        .map(|cl| {
            let mut v = json!({"date": (from + Duration::days(cl.day)).to_string()});
            if let Some(p) = cl.practitioner {
                v["practitioner"] = json!(format!("p{}", p % np));
            } else {
                v["clinic"] = json!("c");
            }
            if let Some((s, len)) = cl.partial {
                v["start_time"] = json!(hm(s));
                v["end_time"] = json!(hm((s + len).min(1440)));
            }
            v
        })
        .collect();
    let mut scheduling = json!({
        "slot_mode": if c.portal_mode { "portal_blocks" } else { "standard" },
        "empty_portal_day": if c.empty_standard { "standard" } else { "closed" },
        "min_hours_before_booking": c.lead_hours,
        "max_days_ahead": c.horizon_days,
    });
    if let Some(n) = GRIDS[c.grid] {
        scheduling["start_interval_minutes"] = json!(n);
    }
    let config = json!({
        "portal": {"scheduling": scheduling},
        "clinics": [{"id": "c", "time_zone": tz.name()}],
        "schedule_types": [
            {"id": "solo"},
            {"id": "shared", "allow_conflicts": true},
            {"id": "admin"},
        ],
        "practitioners": practitioners,
        "services": [{
            "id": "svc", "duration_minutes": c.duration, "schedule_types": ["solo", "shared"],
            "portal_capacity": c.capacity,
            "buffer_before_minutes": c.buffers.0, "buffer_after_minutes": c.buffers.1,
        }],
        "closures": closures,
    });
    let statuses = [
        AppointmentStatus::Booked,
        AppointmentStatus::Pending,
        AppointmentStatus::Cancelled,
        AppointmentStatus::Declined,
    ];
    let appointments = c
        .appts
        .iter()
        .enumerate()
        .map(|(i, a)| {
            let start = window_start - 6 * 3600 + 300 * a.start5;
            Appointment {
                id: format!("a{i}"),
                practitioner: format!("p{}", a.practitioner % np),
                clinic: None,
                service: a.with_service.then(|| "svc".to_owned()),
                patient: None,
                start: instant(start),
                end: instant(start + 300 * a.len5),
                status: statuses[a.status],
                source: Source::Staff,
            }
        })
        .collect();
    Scenario {
        tz,
        from,
        to,
        now,
        config,
        appointments,
    }
}

fn hm(m: u32) -> String {
    format!("{:02}:{:02}", m / 60, m % 60)
}

// ---------------------------------------------------------------------------------------
// The model.
// ---------------------------------------------------------------------------------------

/// One bookable block of one practitioner on one date, in instants.
struct ModelBlock {
    wall_start: u32,
    start: i64,
    end: i64,
    capacity: u32,
}

/// One practitioner on one date: bookable blocks and closed instant intervals.
type ModelDay = (Vec<ModelBlock>, Vec<(i64, i64)>);

struct Model {
    /// Per practitioner, per date index.
    days: Vec<Vec<ModelDay>>,
    /// Per practitioner: occupied instant intervals (buffers included).
    occupied: Vec<Vec<(i64, i64)>>,
    earliest: i64,
    horizon_end: i64,
}

fn build_model(c: &Case, sc: &Scenario) -> Model {
    let tz = sc.tz;
    let np = c.pracs.len();
    let ndays = (sc.to - sc.from).num_days() + 1;
    let days = c
        .pracs
        .iter()
        .enumerate()
        .map(|(pi, p)| {
            (0..ndays)
                .map(|k| {
                    let date = sc.from + Duration::days(k);
                    let rec_start = sc.from + Duration::days(p.record_start_shift);
                    let rec_end = p
                        .record_end_shift
                        .map(|e| (sc.from + Duration::days(e)).max(rec_start));
                    let applies = date >= rec_start && rec_end.is_none_or(|e| date <= e);
                    if !applies || !p.bookable {
                        return (Vec::new(), Vec::new());
                    }
                    let wd = date.weekday().num_days_from_monday() as usize;
                    let standard = day_blocks(&p.week[wd]);
                    // Rule 6: portal blocks, or the policy for a day without any.
                    let chosen: Vec<(u32, u32, usize)> = if !c.portal_mode {
                        standard.iter().map(|b| (b.0, b.1, b.2)).collect()
                    } else {
                        let portal: Vec<(u32, u32, usize)> = standard
                            .iter()
                            .filter_map(|b| b.3.map(|(s, e)| (s, e, b.2)))
                            .collect();
                        if !standard.is_empty() && portal.is_empty() {
                            if c.empty_standard {
                                standard.iter().map(|b| (b.0, b.1, b.2)).collect()
                            } else {
                                Vec::new()
                            }
                        } else {
                            portal
                        }
                    };
                    let blocks = chosen
                        .into_iter()
                        .filter(|b| b.2 != 2)
                        .map(|(s, e, kind)| ModelBlock {
                            wall_start: s,
                            start: boundary(tz, date, s),
                            end: boundary(tz, date, e),
                            capacity: if kind == 1 { c.capacity } else { 1 },
                        })
                        .collect();
                    let closed = c
                        .closures
                        .iter()
                        .filter(|cl| {
                            sc.from + Duration::days(cl.day) == date
                                && cl.practitioner.is_none_or(|x| x % np == pi)
                        })
                        .map(|cl| {
                            let (s, e) = cl
                                .partial
                                .map_or((0, 1440), |(s, len)| (s, (s + len).min(1440)));
                            (boundary(tz, date, s), boundary(tz, date, e))
                        })
                        .collect();
                    (blocks, closed)
                })
                .collect()
        })
        .collect();
    let mut occupied = vec![Vec::new(); np];
    for a in &sc.appointments {
        if !matches!(
            a.status,
            AppointmentStatus::Booked | AppointmentStatus::Pending
        ) {
            continue;
        }
        let p: usize = a.practitioner[1..].parse().expect("p index");
        let (bb, ba) = if a.service.is_some() {
            (c.buffers.0, c.buffers.1)
        } else {
            (0, 0)
        };
        occupied[p].push((
            a.start.timestamp() - 60 * i64::from(bb),
            a.end.timestamp() + 60 * i64::from(ba),
        ));
    }
    let today = tz
        .timestamp_opt(sc.now, 0)
        .single()
        .expect("now")
        .date_naive();
    let horizon_date = today + Duration::days(i64::from(c.horizon_days) + 1);
    Model {
        days,
        occupied,
        earliest: sc.now + 3600 * i64::from(c.lead_hours),
        horizon_end: boundary(tz, horizon_date, 0),
    }
}

impl Model {
    /// Whether practitioner `p` offers a start at instant `t` (wall `minute` on date index
    /// `k`), and the places left.
    fn offers(&self, c: &Case, p: usize, k: usize, minute: u32, t: i64) -> Option<u32> {
        let (blocks, closed) = &self.days[p][k];
        let dur = 60 * i64::from(c.duration);
        let block = blocks.iter().find(|b| b.start <= t && t + dur <= b.end)?;
        if closed.iter().any(|&(cs, ce)| t < ce && t + dur > cs) {
            return None;
        }
        if t < self.earliest || t >= self.horizon_end {
            return None;
        }
        let on_grid = match GRIDS[c.grid] {
            Some(n) => minute.is_multiple_of(n),
            None => {
                minute >= block.wall_start && (minute - block.wall_start).is_multiple_of(c.duration)
            }
        };
        if !on_grid {
            return None;
        }
        let (from, to) = (
            t - 60 * i64::from(c.buffers.0),
            t + dur + 60 * i64::from(c.buffers.1),
        );
        let occ = &self.occupied[p];
        let points =
            std::iter::once(from).chain(occ.iter().map(|o| o.0).filter(|&s| s > from && s < to));
        let taken = points
            .map(|x| occ.iter().filter(|o| o.0 <= x && x < o.1).count() as u32)
            .max()
            .unwrap_or(0);
        (taken < block.capacity).then(|| block.capacity - taken)
    }
}

/// Every (practitioner, start, places left) the model offers, and the set of instants in
/// the window (on dates from..=to) with their date index and wall minute.
/// (practitioner, start instant, places left).
type Offer = (usize, i64, u32);

/// (instant, date index, wall minute, earliest instant of its wall time).
type Probe = (i64, usize, u32, bool);

fn run_model(
    c: &Case,
    sc: &Scenario,
    model: &Model,
    practitioners: &[usize],
) -> (BTreeSet<Offer>, Vec<Probe>) {
    let tz = sc.tz;
    let lo = sc
        .from
        .and_hms_opt(0, 0, 0)
        .expect("t")
        .and_utc()
        .timestamp()
        - 15 * 3600;
    let hi = (sc.to + Duration::days(1))
        .and_hms_opt(0, 0, 0)
        .expect("t")
        .and_utc()
        .timestamp()
        + 15 * 3600;
    let mut offered = BTreeSet::new();
    let mut instants = Vec::new();
    let mut t = lo;
    while t < hi {
        let local = tz.timestamp_opt(t, 0).single().expect("instant");
        let lw = local.naive_local();
        let date = lw.date();
        if date >= sc.from && date <= sc.to {
            let k = (date - sc.from).num_days() as usize;
            let minute = lw.hour() * 60 + lw.minute();
            // Rule 11: only the earliest instant of a wall time is a start.
            let canonical = tz
                .from_local_datetime(&lw)
                .earliest()
                .is_some_and(|e| e.timestamp() == t);
            instants.push((t, k, minute, canonical));
            if canonical {
                for &p in practitioners {
                    if let Some(left) = model.offers(c, p, k, minute, t) {
                        offered.insert((p, t, left));
                    }
                }
            }
        }
        t += 60;
    }
    (offered, instants)
}

// ---------------------------------------------------------------------------------------
// The property.
// ---------------------------------------------------------------------------------------

fn check(c: &Case) -> Result<(), TestCaseError> {
    let sc = scenario(c);
    let engine = Engine::from_json(&sc.config.to_string())
        .map_err(|e| TestCaseError::fail(format!("config does not load: {e}")))?;
    engine
        .add_appointments(sc.appointments.clone())
        .map_err(|e| TestCaseError::fail(format!("appointments: {e}")))?;
    let np = c.pracs.len();
    let named = c.named.map(|p| p % np);
    let mut query = SlotQuery::new("svc", sc.from, sc.to);
    if let Some(p) = named {
        query = query.practitioner(format!("p{p}"));
    }
    let practitioners: Vec<usize> = match named {
        Some(p) => vec![p],
        None => (0..np).collect(),
    };
    let now = instant(sc.now);
    let slots = engine
        .search(&query, now)
        .map_err(|e| TestCaseError::fail(format!("search: {e}")))?;

    let mut got = BTreeSet::new();
    let mut last = i64::MIN;
    for s in slots.iter() {
        prop_assert!(s.start_unix() >= last, "slots out of order");
        last = s.start_unix();
        prop_assert_eq!(s.end_unix() - s.start_unix(), 60 * i64::from(c.duration));
        let offset = sc
            .tz
            .timestamp_opt(s.start_unix(), 0)
            .single()
            .expect("start")
            .fixed_offset()
            .to_rfc3339();
        prop_assert_eq!(s.start().to_rfc3339(), offset);
        let ids: Vec<usize> = s
            .practitioners()
            .map(|cand| cand.practitioner[1..].parse().expect("p index"))
            .collect();
        prop_assert!(
            ids.windows(2).all(|w| w[0] < w[1]),
            "candidates not in configuration order: {:?}",
            ids
        );
        if named.is_some() {
            prop_assert_eq!(ids.len(), 1);
        }
        for cand in s.practitioners() {
            let p: usize = cand.practitioner[1..].parse().expect("p index");
            got.insert((p, s.start_unix(), cand.remaining_capacity));
        }
    }

    let model = build_model(c, &sc);
    let (want, instants) = run_model(c, &sc, &model, &practitioners);
    if got != want {
        let show = |set: &BTreeSet<Offer>| -> Vec<String> {
            set.iter()
                .map(|&(p, t, left)| {
                    let l = sc
                        .tz
                        .timestamp_opt(t, 0)
                        .single()
                        .expect("t")
                        .fixed_offset();
                    format!("p{p} {} ({left} left)", l.to_rfc3339())
                })
                .collect()
        };
        let extra: BTreeSet<_> = got.difference(&want).copied().collect();
        let missing: BTreeSet<_> = want.difference(&got).copied().collect();
        return Err(TestCaseError::fail(format!(
            "search != model\nengine only: {:?}\nmodel only: {:?}\nnow {}\nconfig {}",
            show(&extra),
            show(&missing),
            now.with_timezone(&sc.tz).fixed_offset().to_rfc3339(),
            sc.config
        )));
    }

    // Explain agrees with search: every offered start (up to 40) is offered…
    let starts: BTreeSet<i64> = want.iter().map(|w| w.1).collect();
    let step = (starts.len() / 40).max(1);
    for &t in starts.iter().step_by(step) {
        let ex = lazy_agrees_with_full(&engine, &query, instant(t), now)?;
        prop_assert!(ex.offered, "offered {} but explain says {:?}", t, ex);
    }
    // …and sampled starts that are not offered are not: random minutes of the window,
    // plus 30 and 60 minutes after offered starts (the second pass of a fold).
    let mut probes: Vec<i64> = c
        .samples
        .iter()
        .filter_map(|&s| instants.get(s as usize).map(|i| i.0))
        .collect();
    probes.extend(
        starts
            .iter()
            .step_by(step)
            .flat_map(|&t| [t + 1800, t + 3600]),
    );
    let in_window: BTreeSet<i64> = instants.iter().map(|i| i.0).collect();
    for t in probes {
        if starts.contains(&t) || !in_window.contains(&t) {
            continue;
        }
        let ex = lazy_agrees_with_full(&engine, &query, instant(t), now)?;
        prop_assert!(
            !ex.offered && ex.rule.is_some(),
            "not offered by the model at {} but explain says {:?}",
            sc.tz
                .timestamp_opt(t, 0)
                .single()
                .expect("t")
                .fixed_offset()
                .to_rfc3339(),
            ex
        );
    }
    Ok(())
}

/// `explain` (judging lazily) and `explain_all` give the same answer, and each verdict
/// `explain` keeps is the full one's verdict for that practitioner.
fn lazy_agrees_with_full(
    engine: &Engine,
    query: &SlotQuery,
    start: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<Explanation, TestCaseError> {
    let fail = |e: clinic_portal::Error| TestCaseError::fail(format!("explain: {e}"));
    let lazy = engine.explain(query, start, now).map_err(fail)?;
    let full = engine.explain_all(query, start, now).map_err(fail)?;
    prop_assert_eq!(
        (lazy.offered, lazy.rule, &lazy.entity, &lazy.message),
        (full.offered, full.rule, &full.entity, &full.message)
    );
    prop_assert!(lazy.practitioners.len() <= 1 || query.practitioner.is_some());
    prop_assert_eq!(lazy.practitioners.is_empty(), full.practitioners.is_empty());
    for v in &lazy.practitioners {
        prop_assert!(full.practitioners.contains(v), "{:?} not in {:?}", v, full);
    }
    Ok(lazy)
}

proptest! {
    // 64 cases by default (PROPTEST_CASES overrides); no regression files are written.
    #![proptest_config(ProptestConfig {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(64),
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn search_matches_the_minute_model(c in case()) {
        check(&c)?;
    }
}

// ---------------------------------------------------------------------------------------
// Arbitrary values: no input panics (see docs/limits.md). Dates over chrono's whole range,
// instants from chrono's first to its last, configuration numbers at 0, at their bounds and
// at u32::MAX: every call gives a valid answer or a typed error, and a failed booking
// changes nothing.
// ---------------------------------------------------------------------------------------

/// A date anywhere in chrono's range, often near its ends or the engine's (1900, 9999),
/// most often in 2027–2028.
fn any_date() -> impl Strategy<Value = NaiveDate> {
    let days = NaiveDate::MIN.num_days_from_ce()..=NaiveDate::MAX.num_days_from_ce();
    let ymd = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap_or(NaiveDate::MIN);
    prop_oneof![
        1 => days.prop_map(|d| NaiveDate::from_num_days_from_ce_opt(d).unwrap_or(NaiveDate::MIN)),
        1 => prop::sample::select(vec![
            NaiveDate::MIN,
            NaiveDate::MAX,
            ymd(1899, 12, 31),
            ymd(1900, 1, 1),
            ymd(9999, 12, 31),
            ymd(10_000, 1, 1),
        ]),
        4 => (0i64..800).prop_map(move |d| ymd(2027, 1, 1) + Duration::days(d)),
    ]
}

/// An instant anywhere in chrono's range, most often in 2027, with a fraction of a second
/// sometimes.
fn any_instant() -> impl Strategy<Value = DateTime<Utc>> {
    let (lo, hi) = (
        DateTime::<Utc>::MIN_UTC.timestamp(),
        DateTime::<Utc>::MAX_UTC.timestamp(),
    );
    let at = |t: i64, nanos: u32| DateTime::from_timestamp(t, nanos).unwrap_or_default();
    prop_oneof![
        1 => (lo..=hi).prop_map(move |t| at(t, 0)),
        1 => prop::sample::select(vec![
            DateTime::<Utc>::MIN_UTC,
            DateTime::<Utc>::MAX_UTC,
            at(-2_208_988_800, 0),
            at(253_402_214_400, 0),
            at(253_402_214_401, 0),
        ]),
        4 => (1_798_761_600i64..1_830_297_600, 0u32..4)
            .prop_map(move |(t, q)| at(t - t % 900, if q == 0 { 500_000_000 } else { 0 })),
    ]
}

/// A configuration number: mostly ordinary, sometimes 0, a bound or u32::MAX.
fn any_number() -> impl Strategy<Value = u32> {
    prop_oneof![
        40 => 1u32..100,
        1 => prop::sample::select(vec![0u32, u32::MAX, 1440, 1441, 87_840, 87_841]),
        1 => any::<u32>(),
    ]
}

#[derive(Clone, Debug)]
struct Wild {
    numbers: Vec<u32>,
    from: NaiveDate,
    to: NaiveDate,
    start: DateTime<Utc>,
    now: DateTime<Utc>,
    limit: Option<u32>,
    after: Option<DateTime<Utc>>,
    no_preference: bool,
}

/// Dates and instants that fit together (a short range, `now` a few days before, a start
/// inside), so that searches find slots.
fn coherent() -> impl Strategy<Value = (NaiveDate, NaiveDate, DateTime<Utc>, DateTime<Utc>)> {
    (
        0i64..700,
        0i64..14,
        0i64..(5 * 96),
        0i64..(15 * 96),
        0u32..4,
    )
        .prop_map(|(day, len, back, ahead, q)| {
            let from =
                NaiveDate::from_ymd_opt(2027, 1, 1).unwrap_or(NaiveDate::MIN) + Duration::days(day);
            let midnight = from.and_time(chrono::NaiveTime::MIN).and_utc();
            let now = midnight - Duration::minutes(15 * back);
            let nanos = if q == 0 { 500_000_000 } else { 0 };
            let start = midnight - Duration::hours(14)
                + Duration::minutes(15 * ahead)
                + Duration::nanoseconds(i64::from(nanos));
            (from, from + Duration::days(len), now, start)
        })
}

fn wild() -> impl Strategy<Value = Wild> {
    let times = prop_oneof![
        3 => coherent(),
        1 => (
            any_date(),
            prop_oneof![1 => any_date().prop_map(Some), 3 => Just(None)],
            any_instant(),
            any_instant(),
        )
            .prop_map(|(from, to, start, now)| {
                // Often a short, valid range.
                let to = to.unwrap_or_else(|| {
                    from.checked_add_days(chrono::Days::new(6)).unwrap_or(from)
                });
                (from, to, now, start)
            }),
    ];
    (
        prop::collection::vec(any_number(), 10),
        times,
        prop_oneof![3 => Just(None), 1 => any_number().prop_map(Some)],
        prop_oneof![3 => Just(None), 1 => any_instant().prop_map(Some)],
        prop_oneof![3 => Just(true), 1 => Just(false)],
    )
        .prop_map(
            |(numbers, (from, to, now, start), limit, after, no_preference)| Wild {
                numbers,
                from,
                to,
                start,
                now,
                limit,
                after,
                no_preference,
            },
        )
}

const GRID_CHOICES: [u32; 12] = [5, 15, 30, 60, 1440, 1, 10, 20, 45, 90, 7, 0];

fn wild_config(w: &Wild) -> Value {
    let n = &w.numbers;
    json!({
        "portal": {
            "invitation_ttl_hours": n[0],
            "scheduling": {
                "min_hours_before_booking": n[1] % 200,
                "max_days_ahead": n[2],
                "min_hours_before_cancel": n[3],
                "hold_minutes": n[4],
                "max_bookings_per_day": n[5],
                "allow_no_preference": w.no_preference,
                "start_interval_minutes": GRID_CHOICES[(n[6] % 12) as usize],
            }
        },
        "clinics": [{"id": "main", "time_zone": "Pacific/Kiritimati"},
                    {"id": "far", "time_zone": "Pacific/Niue"}],
        "schedule_types": [{"id": "treat", "allow_conflicts": true},
                           {"id": "far", "clinic": "far", "allow_conflicts": true}],
        "practitioners": [
            {"id": "dr-a", "schedule_types": ["treat", "far"], "availability": [{
                "start_date": "1900-01-01", "recurrence": "FREQ=DAILY;INTERVAL=3",
                "blocks": [
                    {"weekday": "mon", "start": "00:00", "end": "24:00", "schedule_type": "treat", "clinic": "main"},
                    {"weekday": "tue", "start": "09:00", "end": "17:00", "schedule_type": "far"}]}]},
            {"id": "dr-b", "schedule_types": ["treat"], "availability": [{
                "start_date": "2027-01-01",
                "blocks": [{"weekday": "mon", "start": "09:00", "end": "12:00", "schedule_type": "treat", "clinic": "main"}]}]}
        ],
        "services": [{"id": "s", "duration_minutes": (n[7] % 1500).max(1),
                      "portal_capacity": n[8], "buffer_after_minutes": n[9] % 2000,
                      "schedule_types": ["treat", "far"]}],
        "closures": [{"start_date": "1900-01-01", "recurrence": "FREQ=YEARLY;BYMONTH=12;BYMONTHDAY=25"}]
    })
}

fn wild_check(w: &Wild) -> Result<(), TestCaseError> {
    use clinic_portal::{BookRequest, ErrorCode, HoldRequest, Patient};
    let engine = match Engine::from_json(&wild_config(w).to_string()) {
        Ok(e) => e,
        Err(e) => {
            prop_assert_eq!(e.code(), ErrorCode::InvalidConfig, "{}", e);
            return Ok(());
        }
    };
    let p: Patient = serde_json::from_value(json!({"id": "pat"})).expect("patient");
    engine.upsert_patient(p).expect("patient");
    let mut q = SlotQuery::new("s", w.from, w.to);
    q.limit = w.limit;
    q.after = w.after;
    match engine.search(&q, w.now) {
        Ok(slots) => {
            let limit = w
                .limit
                .unwrap_or(clinic_portal::availability::DEFAULT_SLOT_LIMIT);
            prop_assert!(slots.len() <= (limit as usize).max(2));
            for s in slots.iter().take(20) {
                let start = s.start().with_timezone(&Utc);
                let ex = engine.explain(&q, start, w.now);
                prop_assert!(ex.as_ref().is_ok_and(|e| e.offered), "{:?} {:?}", start, ex);
            }
            let _ = slots.to_page_json();
        }
        Err(e) => prop_assert!(
            matches!(
                e.code(),
                ErrorCode::InvalidInput | ErrorCode::SlotUnavailable | ErrorCode::PortalDisabled
            ),
            "{}",
            e
        ),
    }
    match engine.explain(&q, w.start, w.now) {
        Ok(ex) => prop_assert_eq!(ex.offered, ex.rule.is_none()),
        Err(e) => prop_assert_eq!(e.code(), ErrorCode::InvalidInput, "{}", e),
    }
    let before = engine.snapshot();
    let booked = engine.book(&BookRequest::new("pat", "s", w.start), w.now);
    if booked.is_err() {
        prop_assert_eq!(engine.snapshot(), before.clone());
    }
    let before = engine.snapshot();
    let held = engine.hold(&HoldRequest::new("s", w.start).practitioner("dr-a"), w.now);
    if held.is_err() {
        prop_assert_eq!(engine.snapshot(), before);
    }
    let _ = engine.report_portal_appointments(&clinic_portal::AppointmentFilter::new(w.from, w.to));
    let _ = engine.book_button_html(None);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(128),
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn arbitrary_dates_instants_and_numbers_never_panic(w in wild()) {
        wild_check(&w)?;
    }
}
