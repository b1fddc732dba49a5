//! The FHIR R4 (4.0.1) resources and data types the engine reads and writes, with only the
//! elements it uses. They serialise as FHIR JSON (camelCase names, empty elements left
//! out) and are built by the mappings in [`super`].

use serde::{Deserialize, Serialize};

/// `Identifier`: a business identifier (our id under one of the `urn:clinic-portal:`
/// systems).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Identifier {
    /// The namespace, e.g. `urn:clinic-portal:appointment`.
    pub system: String,
    /// Our id.
    pub value: String,
}

/// `Reference`: to another resource by literal reference (`Practitioner/dr-lee`, when the
/// id is a valid FHIR id) and always by [`Identifier`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reference {
    /// `Type/id`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    /// The referenced resource type (`Practitioner`, `Patient`, `Location`…).
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// Our id of the referenced entity.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub identifier: Option<Identifier>,
    /// Text for humans.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display: Option<String>,
}

/// `Coding`: a code in a code system.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Coding {
    /// The code system.
    pub system: String,
    /// The code.
    pub code: String,
    /// Text for humans.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display: Option<String>,
}

/// `CodeableConcept`: codings and a text.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CodeableConcept {
    /// The codings.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub coding: Vec<Coding>,
    /// Text for humans.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
}

/// `Meta`, with only its tags (the appointment's source: `staff` or `portal`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Meta {
    /// Tags.
    pub tag: Vec<Coding>,
}

/// `Appointment.participant`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Participant {
    /// The practitioner, patient, location or related person.
    pub actor: Reference,
    /// `required` for the patient and practitioner, `information-only` for others.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub required: Option<String>,
    /// `accepted`, `declined`, `tentative` or `needs-action`.
    pub status: String,
}

/// `Appointment`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Appointment {
    /// Always `Appointment`.
    pub resource_type: String,
    /// The appointment id, when it is a valid FHIR id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The source tag.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub meta: Option<Meta>,
    /// Our appointment id.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub identifier: Vec<Identifier>,
    /// `proposed`, `pending`, `booked` or `cancelled`.
    pub status: String,
    /// The service.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub service_type: Vec<CodeableConcept>,
    /// Start instant (UTC).
    pub start: String,
    /// End instant (UTC).
    pub end: String,
    /// Who takes part, and where.
    pub participant: Vec<Participant>,
}

/// `Slot`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Slot {
    /// Always `Slot`.
    pub resource_type: String,
    /// The service.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub service_type: Vec<CodeableConcept>,
    /// The practitioner's schedule at the clinic.
    pub schedule: Reference,
    /// `free`, `busy` or `busy-tentative`.
    pub status: String,
    /// Start instant (UTC).
    pub start: String,
    /// End instant (UTC).
    pub end: String,
}

/// `Schedule`: a practitioner's bookable time at one clinic.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Schedule {
    /// Always `Schedule`.
    pub resource_type: String,
    /// `<practitioner>.<clinic>`, when a valid FHIR id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// `<practitioner>/<clinic>`.
    pub identifier: Vec<Identifier>,
    /// Whether the practitioner can be booked in the portal.
    pub active: bool,
    /// The practitioner and the clinic.
    pub actor: Vec<Reference>,
}

/// `HumanName`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HumanName {
    /// Family name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub family: Option<String>,
    /// Given names.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub given: Vec<String>,
}

/// `ContactPoint` (e-mail only).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactPoint {
    /// Always `email`.
    pub system: String,
    /// The address.
    pub value: String,
}

/// `Patient.link`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PatientLink {
    /// The other patient.
    pub other: Reference,
    /// `replaced-by` (on a merged patient) or `replaces` (on the one kept).
    #[serde(rename = "type")]
    pub kind: String,
}

/// `Patient`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Patient {
    /// Always `Patient`.
    pub resource_type: String,
    /// The patient id, when a valid FHIR id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Our patient id.
    pub identifier: Vec<Identifier>,
    /// `false` for a patient merged into another.
    pub active: bool,
    /// The name, when known.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub name: Vec<HumanName>,
    /// The e-mail on file.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub telecom: Vec<ContactPoint>,
    /// `YYYY-MM-DD`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub birth_date: Option<String>,
    /// Merge links.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub link: Vec<PatientLink>,
}

/// `RelatedPerson`: a portal account acting as a patient's guardian or carer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RelatedPerson {
    /// Always `RelatedPerson`.
    pub resource_type: String,
    /// `<account>.<patient>`, when a valid FHIR id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Our account id.
    pub identifier: Vec<Identifier>,
    /// Whether the link is active.
    pub active: bool,
    /// The patient.
    pub patient: Reference,
    /// `guardian` or `carer`.
    pub relationship: Vec<CodeableConcept>,
}

/// `OperationOutcome.issue`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Issue {
    /// Always `error`.
    pub severity: String,
    /// The FHIR issue type (`invalid`, `not-found`, `business-rule`…).
    pub code: String,
    /// Our error code, and the message as text.
    pub details: CodeableConcept,
    /// The message.
    pub diagnostics: String,
}

/// `OperationOutcome`: an [`crate::Error`] in FHIR.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OperationOutcome {
    /// Always `OperationOutcome`.
    pub resource_type: String,
    /// One issue.
    pub issue: Vec<Issue>,
}

/// `Bundle.entry.search`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntrySearch {
    /// `match`.
    pub mode: String,
}

/// `Bundle.entry`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    /// The resource.
    pub resource: serde_json::Value,
    /// In a searchset: why it is there.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub search: Option<EntrySearch>,
}

/// `Bundle`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Bundle {
    /// Always `Bundle`.
    pub resource_type: String,
    /// `searchset` or `collection`.
    #[serde(rename = "type")]
    pub kind: String,
    /// In a searchset: how many matched.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total: Option<u64>,
    /// The resources.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub entry: Vec<Entry>,
}
