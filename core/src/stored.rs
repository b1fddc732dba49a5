//! The compact form in which the engine keeps appointments.
//!
//! An [`Appointment`] at the API is five strings and two instants. Stored, it is one small
//! box: its id (shared, not copied, with the practitioner's occupancy timeline and the
//! patient's index), the practitioner, clinic, service and patient ids as numbers into a
//! table of names shared by every appointment that uses them, and the instants as seconds.
//! Appointments are read back as ordinary [`Appointment`]s ([`Appointments::get`]), or
//! serialised straight from the stored form ([`StoredRef`]) for a snapshot.

use std::borrow::Borrow;
use std::collections::{HashMap, HashSet};
use std::hash::{Hash, Hasher};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::ser::{Serialize, SerializeStruct, Serializer};

use crate::model::{Appointment, AppointmentStatus, Source};

/// The number of no name (an absent clinic, service or patient).
const NONE: u32 = u32::MAX;

/// How many distinct names the table can hold: every number but [`NONE`]. An engine
/// reaches it only with billions of appointments, long after memory runs out.
pub(crate) const MAX_NAMES: usize = NONE as usize;

/// Interned names with a count of the appointments using each; a name nobody uses any
/// more is forgotten and its number reused.
#[derive(Debug, Default)]
struct Names {
    /// Name and use count by number; a free number has count 0 and an empty name.
    list: Vec<(Arc<str>, u32)>,
    ix: HashMap<Arc<str>, u32>,
    free: Vec<u32>,
}

impl Names {
    fn intern(&mut self, name: &str) -> u32 {
        if let Some(&i) = self.ix.get(name) {
            self.list[i as usize].1 += 1;
            return i;
        }
        let name: Arc<str> = Arc::from(name);
        let i = match self.free.pop() {
            Some(i) => {
                self.list[i as usize] = (Arc::clone(&name), 1);
                i
            }
            None => {
                // Checked before any insert (`Appointments::is_full`); unreachable.
                let i = u32::try_from(self.list.len())
                    .unwrap_or(NONE - 1)
                    .min(NONE - 1);
                self.list.push((Arc::clone(&name), 1));
                i
            }
        };
        self.ix.insert(name, i);
        i
    }

    fn intern_opt(&mut self, name: Option<&str>) -> u32 {
        name.map_or(NONE, |n| self.intern(n))
    }

    fn release(&mut self, i: u32) {
        let Some(entry) = self.list.get_mut(i as usize) else {
            return;
        };
        entry.1 = entry.1.saturating_sub(1);
        if entry.1 == 0 {
            self.ix.remove(&*entry.0);
            entry.0 = Arc::from("");
            self.free.push(i);
        }
    }

    fn name(&self, i: u32) -> &str {
        self.list.get(i as usize).map_or("", |(n, _)| n)
    }

    fn opt(&self, i: u32) -> Option<&str> {
        (i != NONE).then(|| self.name(i))
    }

    fn len(&self) -> usize {
        self.list.len() - self.free.len()
    }
}

/// One stored appointment (56 bytes).
#[derive(Debug)]
pub(crate) struct Stored {
    id: Arc<str>,
    start: i64,
    end: i64,
    practitioner: u32,
    clinic: u32,
    service: u32,
    patient: u32,
    status: AppointmentStatus,
    source: Source,
    /// Whether either instant has a fraction of a second (kept in `Appointments::fractions`).
    fraction: bool,
}

impl Stored {
    pub(crate) fn id(&self) -> &str {
        &self.id
    }
}

/// A stored appointment that hashes and compares as its id.
#[derive(Debug)]
struct ById(Box<Stored>);

impl Borrow<str> for ById {
    fn borrow(&self) -> &str {
        &self.0.id
    }
}

impl Hash for ById {
    fn hash<H: Hasher>(&self, state: &mut H) {
        // As `str` hashes, so that lookups by `&str` find it (`Borrow<str>`).
        self.0.id.hash(state);
    }
}

impl PartialEq for ById {
    fn eq(&self, other: &ById) -> bool {
        self.0.id == other.0.id
    }
}

impl Eq for ById {}

/// Appointments by id, in the compact form.
#[derive(Debug, Default)]
pub(crate) struct Appointments {
    table: HashSet<ById>,
    names: Names,
    /// The nanoseconds of start and end, for the rare appointments whose instants have them.
    fractions: HashMap<Arc<str>, (u32, u32)>,
}

impl Appointments {
    /// The appointment with this id, as the API shows it.
    pub(crate) fn get(&self, id: &str) -> Option<Appointment> {
        self.table.get(id).map(|s| self.expand(&s.0))
    }

    /// The appointment with this id, borrowed.
    pub(crate) fn view(&self, id: &str) -> Option<View<'_>> {
        self.table.get(id).map(|s| self.view_of(&s.0))
    }

    /// Every appointment, borrowed, in no particular order.
    pub(crate) fn views(&self) -> impl ExactSizeIterator<Item = View<'_>> + '_ {
        self.table.iter().map(|s| self.view_of(&s.0))
    }

    /// The id as stored, for indexes that share it.
    pub(crate) fn shared_id(&self, id: &str) -> Option<Arc<str>> {
        self.table.get(id).map(|s| Arc::clone(&s.0.id))
    }

    pub(crate) fn contains_key(&self, id: &str) -> bool {
        self.table.contains(id)
    }

    /// Whether no appointment with a new practitioner, clinic, service or patient id fits.
    pub(crate) fn is_full(&self) -> bool {
        self.names.len() + 4 > MAX_NAMES
    }

    /// Adds or replaces (by id) an appointment; returns the one replaced.
    pub(crate) fn insert(&mut self, appointment: &Appointment) -> Option<Appointment> {
        let old = self.remove(&appointment.id);
        let id: Arc<str> = Arc::from(appointment.id.as_str());
        let (start_ns, end_ns) = (
            appointment.start.timestamp_subsec_nanos(),
            appointment.end.timestamp_subsec_nanos(),
        );
        let fraction = start_ns != 0 || end_ns != 0;
        if fraction {
            self.fractions.insert(Arc::clone(&id), (start_ns, end_ns));
        }
        let stored = Stored {
            id,
            start: appointment.start.timestamp(),
            end: appointment.end.timestamp(),
            practitioner: self.names.intern(&appointment.practitioner),
            clinic: self.names.intern_opt(appointment.clinic.as_deref()),
            service: self.names.intern_opt(appointment.service.as_deref()),
            patient: self.names.intern_opt(appointment.patient.as_deref()),
            status: appointment.status,
            source: appointment.source,
            fraction,
        };
        self.table.insert(ById(Box::new(stored)));
        old
    }

    pub(crate) fn remove(&mut self, id: &str) -> Option<Appointment> {
        let stored = self.table.take(id)?.0;
        let appointment = self.expand(&stored);
        for i in [
            stored.practitioner,
            stored.clinic,
            stored.service,
            stored.patient,
        ] {
            if i != NONE {
                self.names.release(i);
            }
        }
        if stored.fraction {
            self.fractions.remove(id);
        }
        Some(appointment)
    }

    /// Every appointment in the stored form, in no particular order.
    pub(crate) fn stored(&self) -> impl ExactSizeIterator<Item = &Stored> + Clone {
        self.table.iter().map(|s| &*s.0)
    }

    /// A stored appointment ready to serialise.
    pub(crate) fn serializable<'a>(&'a self, stored: &'a Stored) -> StoredRef<'a> {
        StoredRef {
            stored,
            appointments: self,
        }
    }

    /// What the indexes read of every stored appointment, in no particular order.
    pub(crate) fn parts(&self) -> impl Iterator<Item = Parts<'_>> {
        self.table.iter().map(|s| {
            let s = &*s.0;
            Parts {
                id: &s.id,
                practitioner: self.names.name(s.practitioner),
                service: self.names.opt(s.service),
                patient: self.names.opt(s.patient),
                start: s.start,
                end: s.end,
                status: s.status,
            }
        })
    }

    pub(crate) fn len(&self) -> usize {
        self.table.len()
    }

    pub(crate) fn reserve(&mut self, additional: usize) {
        self.table.reserve(additional);
    }

    fn instants(&self, s: &Stored) -> (DateTime<Utc>, DateTime<Utc>) {
        let (start_ns, end_ns) = if s.fraction {
            self.fractions.get(&*s.id).copied().unwrap_or_default()
        } else {
            (0, 0)
        };
        // Stored from valid instants, so both convert back; the epoch is never used.
        let at = |secs, ns| DateTime::from_timestamp(secs, ns).unwrap_or_default();
        (at(s.start, start_ns), at(s.end, end_ns))
    }

    fn view_of<'a>(&'a self, s: &'a Stored) -> View<'a> {
        let (start, end) = self.instants(s);
        View {
            id: &s.id,
            practitioner: self.names.name(s.practitioner),
            clinic: self.names.opt(s.clinic),
            service: self.names.opt(s.service),
            patient: self.names.opt(s.patient),
            start,
            end,
            status: s.status,
            source: s.source,
        }
    }

    fn expand(&self, s: &Stored) -> Appointment {
        self.view_of(s).to_appointment()
    }
}

/// A stored appointment, borrowed: the fields of an [`Appointment`] without copying them.
#[derive(Clone, Copy, Debug)]
pub(crate) struct View<'a> {
    pub(crate) id: &'a str,
    pub(crate) practitioner: &'a str,
    pub(crate) clinic: Option<&'a str>,
    pub(crate) service: Option<&'a str>,
    pub(crate) patient: Option<&'a str>,
    pub(crate) start: DateTime<Utc>,
    pub(crate) end: DateTime<Utc>,
    pub(crate) status: AppointmentStatus,
    pub(crate) source: Source,
}

impl View<'_> {
    /// The appointment as the API shows it.
    pub(crate) fn to_appointment(self) -> Appointment {
        Appointment {
            id: self.id.to_owned(),
            practitioner: self.practitioner.to_owned(),
            clinic: self.clinic.map(str::to_owned),
            service: self.service.map(str::to_owned),
            patient: self.patient.map(str::to_owned),
            start: self.start,
            end: self.end,
            status: self.status,
            source: self.source,
        }
    }
}

/// What the indexes read of an appointment, borrowed from the stored form or from an
/// [`Appointment`].
pub(crate) struct Parts<'a> {
    pub(crate) id: &'a Arc<str>,
    pub(crate) practitioner: &'a str,
    pub(crate) service: Option<&'a str>,
    pub(crate) patient: Option<&'a str>,
    /// Start and end in seconds.
    pub(crate) start: i64,
    pub(crate) end: i64,
    pub(crate) status: AppointmentStatus,
}

impl<'a> Parts<'a> {
    /// The parts of `a`, whose id as the indexes keep it is `id`.
    pub(crate) fn of(a: &'a Appointment, id: &'a Arc<str>) -> Parts<'a> {
        Parts {
            id,
            practitioner: &a.practitioner,
            service: a.service.as_deref(),
            patient: a.patient.as_deref(),
            start: a.start.timestamp(),
            end: a.end.timestamp(),
            status: a.status,
        }
    }
}

/// An instant serialised as [`Appointment`] serialises its start and end.
struct Instant(DateTime<Utc>);

impl Serialize for Instant {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        crate::model::instant::serialize(&self.0, serializer)
    }
}

/// A stored appointment serialised exactly as [`Appointment`] serialises.
pub(crate) struct StoredRef<'a> {
    stored: &'a Stored,
    appointments: &'a Appointments,
}

impl Serialize for StoredRef<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let (s, names) = (self.stored, &self.appointments.names);
        let (start, end) = self.appointments.instants(s);
        let mut out = serializer.serialize_struct("Appointment", 9)?;
        out.serialize_field("id", &*s.id)?;
        out.serialize_field("practitioner", names.name(s.practitioner))?;
        out.serialize_field("clinic", &names.opt(s.clinic))?;
        out.serialize_field("service", &names.opt(s.service))?;
        out.serialize_field("patient", &names.opt(s.patient))?;
        out.serialize_field("start", &Instant(start))?;
        out.serialize_field("end", &Instant(end))?;
        out.serialize_field("status", &s.status)?;
        out.serialize_field("source", &s.source)?;
        out.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use proptest::prelude::*;

    fn appointment(id: &str, patient: Option<&str>, nanos: u32) -> Appointment {
        let start = Utc.with_ymd_and_hms(2027, 3, 14, 6, 30, 0).unwrap()
            + chrono::Duration::nanoseconds(i64::from(nanos));
        Appointment {
            id: id.to_owned(),
            practitioner: "p1".to_owned(),
            clinic: Some("c1".to_owned()),
            service: None,
            patient: patient.map(str::to_owned),
            start,
            end: start + chrono::Duration::minutes(30),
            status: AppointmentStatus::Pending,
            source: Source::Portal,
        }
    }

    #[test]
    fn the_stored_form_gives_back_what_went_in_and_serialises_the_same() {
        let mut all = Appointments::default();
        for a in [
            appointment("a", Some("pat"), 0),
            appointment("b", None, 500_000_000),
        ] {
            assert_eq!(all.insert(&a), None);
            assert_eq!(all.get(&a.id).as_ref(), Some(&a));
            let stored = all.stored().find(|s| s.id() == a.id).unwrap();
            assert_eq!(
                serde_json::to_string(&all.serializable(stored)).unwrap(),
                serde_json::to_string(&a).unwrap()
            );
        }
        assert_eq!(all.len(), 2);
    }

    #[test]
    fn names_nobody_uses_are_forgotten_and_their_numbers_reused() {
        let mut all = Appointments::default();
        all.insert(&appointment("a", Some("pat-1"), 0));
        assert_eq!(all.names.len(), 3);
        let replaced = all.insert(&appointment("a", Some("pat-2"), 0)).unwrap();
        assert_eq!(replaced.patient.as_deref(), Some("pat-1"));
        assert_eq!(all.names.len(), 3);
        assert!(!all.names.ix.contains_key("pat-1"));
        assert_eq!(all.names.list.len(), 3, "the freed number was reused");
        all.remove("a");
        assert_eq!((all.names.len(), all.len()), (0, 0));
        assert!(all.fractions.is_empty());
    }

    proptest! {
        /// Random inserts, replacements and removals agree with a plain map of appointments.
        #[test]
        fn agrees_with_a_map(ops in proptest::collection::vec((0u8..6, 0u8..4, any::<bool>(), 0u32..3), 1..60)) {
            let mut all = Appointments::default();
            let mut model = std::collections::BTreeMap::new();
            for (id, patient, remove, nanos) in ops {
                let id = format!("a{id}");
                if remove {
                    prop_assert_eq!(all.remove(&id), model.remove(&id));
                } else {
                    let patient = format!("pat-{patient}");
                    let a = appointment(&id, Some(patient.as_str()), nanos * 1_000);
                    prop_assert_eq!(all.insert(&a), model.insert(id.clone(), a));
                }
                prop_assert_eq!(all.len(), model.len());
                for (id, a) in &model {
                    prop_assert_eq!(all.get(id), Some(a.clone()));
                }
                let used: std::collections::BTreeSet<&str> = model
                    .values()
                    .flat_map(|a| [Some(a.practitioner.as_str()), a.clinic.as_deref(), a.patient.as_deref()])
                    .flatten()
                    .collect();
                prop_assert_eq!(all.names.len(), used.len());
            }
        }
    }
}
