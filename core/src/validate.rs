//! Configuration diagnostics: every problem at once, each with a JSON path and a severity.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::config::{Config, Weekday};

/// How bad a diagnostic is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// The configuration cannot be loaded.
    Error,
    /// Loads, but probably not what the clinic wants.
    Warning,
}

/// One configuration problem.
///
/// Besides the sentence, a diagnostic carries its facts as fields, so that a staff screen
/// can highlight the practitioner, record or weekday without parsing the message: the ids
/// of the entities along its `path` (`clinic`, `practitioner`, `record`, `service`,
/// `closure`, `program`, `schedule_type`), the `weekday` of the block concerned, and the
/// availability `rule` (docs/rules.md) it is about. A fact that does not apply is absent.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Diagnostic {
    /// Error or warning.
    pub severity: Severity,
    /// JSON path of the offending value, e.g. `practitioners[2].availability[1].blocks[0]`.
    pub path: String,
    /// What is wrong, naming the entity and the rule.
    pub message: String,
    /// The availability rule (1–12, docs/rules.md) the problem is about, if one is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule: Option<u8>,
    /// The id of the clinic at `clinics[i]` in the path.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clinic: Option<String>,
    /// The id of the practitioner at `practitioners[i]` in the path.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub practitioner: Option<String>,
    /// The id of the availability record at `availability[j]` in the path, when it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub record: Option<String>,
    /// The weekday of the block concerned.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weekday: Option<Weekday>,
    /// The id of the service at `services[i]` in the path.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service: Option<String>,
    /// The id of the closure at `closures[i]` in the path.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closure: Option<String>,
    /// The id of the program at `programs[i]` in the path.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub program: Option<String>,
    /// The id of the schedule type at `schedule_types[i]` in the path.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schedule_type: Option<String>,
}

impl Diagnostic {
    /// Whether this diagnostic prevents loading.
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sev = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        write!(f, "{sev} at {}: {}", self.path, self.message)
    }
}

/// Collects diagnostics while a configuration is checked.
#[derive(Default)]
pub(crate) struct Diagnostics {
    pub(crate) items: Vec<Diagnostic>,
}

impl Diagnostics {
    fn push(&mut self, severity: Severity, path: String, message: String) -> Fact<'_> {
        self.items.push(Diagnostic {
            severity,
            path,
            message,
            rule: None,
            clinic: None,
            practitioner: None,
            record: None,
            weekday: None,
            service: None,
            closure: None,
            program: None,
            schedule_type: None,
        });
        Fact(self.items.last_mut())
    }

    pub(crate) fn error(
        &mut self,
        path: impl Into<String>,
        message: impl Into<String>,
    ) -> Fact<'_> {
        self.push(Severity::Error, path.into(), message.into())
    }

    pub(crate) fn warning(
        &mut self,
        path: impl Into<String>,
        message: impl Into<String>,
    ) -> Fact<'_> {
        self.push(Severity::Warning, path.into(), message.into())
    }

    /// The diagnostics, each with the ids its path names in `config` filled in.
    pub(crate) fn finish(mut self, config: &Config) -> Vec<Diagnostic> {
        for d in &mut self.items {
            fill_facts(d, config);
        }
        self.items
    }

    pub(crate) fn has_errors(&self) -> bool {
        self.items.iter().any(Diagnostic::is_error)
    }
}

/// Sets the facts that a diagnostic's path cannot tell.
pub(crate) struct Fact<'a>(Option<&'a mut Diagnostic>);

impl Fact<'_> {
    /// The availability rule the diagnostic is about.
    pub(crate) fn rule(mut self, rule: u8) -> Self {
        if let Some(d) = self.0.as_deref_mut() {
            d.rule = Some(rule);
        }
        self
    }

    /// The weekday concerned.
    pub(crate) fn weekday(mut self, weekday: Weekday) -> Self {
        if let Some(d) = self.0.as_deref_mut() {
            d.weekday = Some(weekday);
        }
        self
    }
}

/// `name[3]` → `("name", Some(3))`; `name` → `("name", None)`.
fn segment(part: &str) -> (&str, Option<usize>) {
    match part.split_once('[') {
        Some((name, rest)) => (name, rest.strip_suffix(']').and_then(|i| i.parse().ok())),
        None => (part, None),
    }
}

/// Fills the ids of the entities along the path (`practitioners[2].availability[1]…`).
fn fill_facts(d: &mut Diagnostic, config: &Config) {
    let mut parts = d.path.split('.').map(segment);
    let Some((top, Some(i))) = parts.next() else {
        return;
    };
    let set = |slot: &mut Option<String>, id: Option<&String>| {
        if slot.is_none() {
            *slot = id.cloned();
        }
    };
    match top {
        "clinics" => set(&mut d.clinic, config.clinics.get(i).map(|c| &c.id)),
        "services" => set(&mut d.service, config.services.get(i).map(|s| &s.id)),
        "closures" => set(
            &mut d.closure,
            config.closures.get(i).and_then(|c| c.id.as_ref()),
        ),
        "programs" => set(&mut d.program, config.programs.get(i).map(|p| &p.id)),
        "schedule_types" => set(
            &mut d.schedule_type,
            config.schedule_types.get(i).map(|t| &t.id),
        ),
        "practitioners" => {
            let Some(p) = config.practitioners.get(i) else {
                return;
            };
            set(&mut d.practitioner, Some(&p.id));
            let Some(("availability", Some(j))) = parts.next() else {
                return;
            };
            let Some(r) = p.availability.get(j) else {
                return;
            };
            set(&mut d.record, r.id.as_ref());
            let block = match parts.next() {
                Some(("blocks", Some(k))) => r.blocks.get(k),
                Some(("portal_blocks", Some(k))) => r.portal_blocks.get(k),
                _ => None,
            };
            if let Some(b) = block {
                d.weekday = d.weekday.or(Some(b.weekday));
            }
        }
        _ => {}
    }
}
