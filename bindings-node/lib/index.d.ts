// The public types of the `clinic-portal` package (hand-written over lib/types.d.ts, which
// is generated from the engine's JSON Schemas). Field names are the engine's JSON shapes.
import type {
  AcceptInvitation, Account, AccountLink, Appointment, AppointmentFilter, Booking,
  BookingDetails, BookRequest, CancelOutcome, CancelRequest, Change, Closure, Config,
  DecisionRequest, Diagnostic, DuplicateCandidate, Explanation, Hold, HoldRequest, Instant,
  Invitation, InviteRequest, IssuedInvitation, Json, LocalDate, MergeOutcome, MergeRecord,
  NewAccount, Notification, Operation, Patient, PendingItem, ProgramSession, Reconfiguration,
  ReferralCount, ReferralType, Registration, RegistrationRequest, Relationship,
  ReleaseHoldRequest, RescheduleOutcome, RescheduleRequest, ServiceReport, Signup,
  SignupRequest, SlotCandidateJson, SlotJson, SlotQuery, WaitlistEntry, WaitlistFilter,
  WaitlistProcessed, WaitlistReport, WaitlistRequest,
} from './types';

export * from './types';

/** The stable error codes of docs/errors.md. */
export type ErrorCode =
  | 'invalid_config' | 'invalid_input' | 'not_found' | 'not_authorized' | 'portal_disabled'
  | 'slot_unavailable' | 'outside_booking_window' | 'cancel_window_closed'
  | 'consent_required' | 'invalid_transition' | 'capacity_full' | 'hold_expired'
  | 'patient_busy' | 'limit_reached' | 'duplicate_id' | 'email_in_use'
  | 'invitation_invalid' | 'invitation_expired' | 'credentials_invalid' | 'signup_disabled'
  | 'internal' | 'idempotency_conflict' | 'stale_sequence';

/** Every error code, in the engine's numbering order. */
export declare const ERROR_CODES: readonly ErrorCode[];

/** The engine's version. */
export declare const version: string;

/** Every error the package throws: `code` is stable, `message` names the entity and rule. */
export declare class ClinicPortalError extends Error {
  readonly name: 'ClinicPortalError';
  readonly code: ErrorCode;
}

/** An instant given to the engine: an ISO-8601 / RFC 3339 string with an offset, or a Date. */
export type InstantInput = Instant | Date;

/** One offered slot: start and end in the clinic's offset (`2027-02-01T09:00:00-05:00`). */
export interface Slot extends SlotJson {
  /** The clinic's UTC offset at the start, in seconds. */
  utc_offset_seconds: number;
  practitioners: SlotCandidateJson[];
}

/** A search's answer: the slots in order, and the next page's `after` when truncated. */
export interface Slots {
  slots: Slot[];
  /** Whether more slots match than this answer holds. */
  truncated: boolean;
  /** When truncated: pass as the query's `after` for the next page. */
  next_after: Instant | null;
}

/** Why `bulkInvite` skipped a patient. */
export type SkipReason = 'invalid_email' | 'shared_email' | 'has_account' | 'live_invitation' | 'email_in_use';

/** What `bulkInvite` did. */
export interface BulkInviteReport {
  invited: IssuedInvitation[];
  /** Skipped patients and why, by patient id. */
  skipped: { [patient: string]: SkipReason };
}

/** What a signup created. */
export interface SignupOutcome {
  account: Account;
  patient: Patient;
  signup: Signup;
}

/** An operation planned and not applied (docs/persistence.md): store `change`, then `apply` it. */
export interface Planned {
  /** The change to store and apply; `null` when the operation changes nothing. */
  change: Change | null;
  /** What the operation returns once applied (its outcome as `execute` gives it). */
  outcome: Json;
}

/** The booking engine of one practice. Methods mirror the Rust `Engine` in camelCase. */
export declare class Engine {
  /** Builds an engine from a configuration object or its JSON; `invalid_config` lists every error. */
  constructor(config: Config | string);
  /** `new Engine(config)`. */
  static new(config: Config | string): Engine;
  /** Builds an engine from configuration JSON. */
  static fromJson(configJson: string): Engine;
  /** Every error and warning of a configuration, without building an engine. */
  static validate(config: Config | string): Diagnostic[];
  /** `validate` of configuration JSON (`invalid_config` when it does not parse as one). */
  static validateJson(configJson: string): Diagnostic[];
  /** Restores an engine from `snapshot()`. */
  static restore(snapshotJson: string): Engine;
  /** `restore` off the main thread. */
  static restoreAsync(snapshotJson: string): Promise<Engine>;

  /** Runs one mutating operation described as JSON (see docs/persistence.md); its outcome. */
  execute(operation: Operation | string, now: InstantInput): Json;
  /** `execute` off the main thread. */
  executeAsync(operation: Operation | string, now: InstantInput): Promise<Json>;
  /** Plans an operation without applying it. */
  planOperation(operation: Operation | string, now: InstantInput): Planned;
  /** Applies a planned or stored change; returns its sequence number. */
  apply(change: Change | string): number;
  /** The sequence number of the last change. */
  lastSeq(): number;
  /** The journaled changes after `seq`. */
  changesSince(seq: number): Change[];
  /** Drops the journaled changes up to `seq`; returns how many were dropped. */
  compactJournal(seq: number): number;
  /** The whole state as JSON. */
  snapshot(): string;
  /** `snapshot` off the main thread. */
  snapshotAsync(): Promise<string>;

  config(): Config;
  warnings(): Diagnostic[];
  reconfigure(config: Config | string, now: InstantInput): Reconfiguration;
  putClosure(closure: Closure, now: InstantInput): Reconfiguration;
  removeClosure(id: string, now: InstantInput): Reconfiguration;

  upsertPatient(patient: Patient): void;
  patient(id: string): Patient;
  removePatient(id: string): Patient;
  addAppointment(appointment: Appointment): void;
  addAppointments(appointments: Appointment[]): void;
  updateAppointment(appointment: Appointment): void;
  removeAppointment(id: string): Appointment;
  appointment(id: string): Appointment;
  appointmentCount(): number;

  /** The starts a portal user may book (docs/rules.md), as of `now`. */
  search(query: SlotQuery, now: InstantInput): Slots;
  /** `search` off the main thread (long windows). */
  searchAsync(query: SlotQuery, now: InstantInput): Promise<Slots>;
  /**
   * Why `start` is or is not offered; without a practitioner in the query, `practitioners`
   * holds only the verdict the answer comes from.
   */
  explain(query: SlotQuery, start: InstantInput, now: InstantInput): Explanation;
  /** `explain` with a verdict for every candidate practitioner. */
  explainAll(query: SlotQuery, start: InstantInput, now: InstantInput): Explanation;
  serviceReport(service: string): ServiceReport;
  bookButtonHtml(bookingUrl?: string | null): string;

  hold(request: HoldRequest, now: InstantInput): Hold;
  releaseHold(request: ReleaseHoldRequest): Hold;
  purgeExpiredHolds(now: InstantInput): number;
  getHold(id: string): Hold;
  book(request: BookRequest, now: InstantInput): Booking;
  accept(request: DecisionRequest, now: InstantInput): Booking;
  decline(request: DecisionRequest, now: InstantInput): Booking;
  cancel(request: CancelRequest, now: InstantInput): CancelOutcome;
  reschedule(request: RescheduleRequest, now: InstantInput): RescheduleOutcome;
  bookingDetails(appointment: string): BookingDetails | null;
  /** The id of the notification queued, or `null`. */
  intakeFormCompleted(patient: string, form: string, now: InstantInput): number | null;
  drainOutbox(): Notification[];
  outbox(): Notification[];

  registerProgram(request: RegistrationRequest, now: InstantInput): Registration;
  cancelProgramRegistration(id: string, actor: string | null | undefined, now: InstantInput): Registration;
  programSessions(program: string, from: LocalDate, to: LocalDate): ProgramSession[];
  registration(id: string): Registration;

  createAccount(request: NewAccount, now: InstantInput): Account;
  createAccountAsync(request: NewAccount, now: InstantInput): Promise<Account>;
  account(id: string): Account;
  accountByUsername(username: string): Account;
  accounts(): Account[];
  login(username: string, password: string, now: InstantInput): Account;
  loginAsync(username: string, password: string, now: InstantInput): Promise<Account>;
  changePassword(account: string, current: string, newPassword: string, now: InstantInput): Account;
  changePasswordAsync(account: string, current: string, newPassword: string, now: InstantInput): Promise<Account>;
  linksOfAccount(account: string): AccountLink[];
  linksOfPatient(patient: string): AccountLink[];
  linkAccount(account: string, patient: string, relationship: Relationship, now: InstantInput): AccountLink;
  confirmLink(account: string, patient: string, now: InstantInput): AccountLink;
  revokeLink(account: string, patient: string, now: InstantInput): AccountLink;
  patientsOfAccount(account: string): string[];
  appointmentsForAccount(account: string): Appointment[];
  requestPasswordReset(username: string, now: InstantInput): void;
  resetPassword(token: string, newPassword: string, now: InstantInput): Account;
  resetPasswordAsync(token: string, newPassword: string, now: InstantInput): Promise<Account>;
  invite(request: InviteRequest, now: InstantInput): IssuedInvitation;
  resendInvitation(id: string, now: InstantInput): IssuedInvitation;
  deleteInvitation(id: string): Invitation;
  invitation(id: string): Invitation;
  invitationsOf(patient: string): Invitation[];
  acceptInvitation(request: AcceptInvitation, now: InstantInput): Account;
  acceptInvitationAsync(request: AcceptInvitation, now: InstantInput): Promise<Account>;
  bulkInvite(now: InstantInput): BulkInviteReport;

  signupReferralTypes(): ReferralType[];
  signup(request: SignupRequest, now: InstantInput): SignupOutcome;
  signupAsync(request: SignupRequest, now: InstantInput): Promise<SignupOutcome>;
  reviewQueue(): Signup[];
  markSignupReviewed(id: string, now: InstantInput): Signup;
  findDuplicates(patient: string): DuplicateCandidate[];
  replacedBy(patient: string): MergeRecord | null;
  mergePatients(keep: string, merge: string, now: InstantInput): MergeOutcome;

  reportPortalAppointments(filter: AppointmentFilter): Appointment[];
  pendingQueue(now: InstantInput): PendingItem[];
  reportReferrals(): ReferralCount[];

  /** Puts a patient on the waitlist (docs/waitlist.md); offers come when capacity frees. */
  joinWaitlist(request: WaitlistRequest, now: InstantInput): WaitlistEntry;
  /** Takes an entry off the waitlist (`actor` null: staff); an offer out passes on. */
  leaveWaitlist(id: string, actor: string | null | undefined, now: InstantInput): WaitlistEntry;
  /** Declines the offer out for an entry; the start passes to the next matching entry. */
  declineWaitlistOffer(id: string, actor: string | null | undefined, now: InstantInput): WaitlistEntry;
  /** Moves expired offers on and drops entries past their range, as of `now`. */
  processWaitlist(now: InstantInput): WaitlistProcessed;
  /** The entries matching `filter` (all by default), first come first. */
  waitlist(filter?: WaitlistFilter): WaitlistEntry[];
  /** How many offers were made, accepted, declined and let expire. */
  waitlistReport(): WaitlistReport;
  reportPrograms(from: LocalDate, to: LocalDate): ProgramSession[];

  /** Every practitioner's schedule at each clinic: a FHIR R4 `searchset` Bundle of Schedules. */
  fhirSchedules(): FhirResource;
  /** The search as a FHIR Bundle of `free`, `busy-tentative` (holds) and `busy` Slots. */
  fhirSlots(query: SlotQuery, now: InstantInput): FhirResource;
  /** An appointment as a FHIR Appointment. */
  fhirAppointment(id: string): FhirResource;
  /** A patient as a FHIR Patient, with `replaces` / `replaced-by` merge links. */
  fhirPatient(id: string): FhirResource;
  /** A patient's guardians and carers: a FHIR Bundle of RelatedPersons. */
  fhirRelatedPersons(patient: string): FhirResource;
  /** `Appointment/$find`: FHIR Parameters in, a Bundle of proposed Appointments out. */
  fhirFind(parameters: FhirResource | string, actor: string | null | undefined, now: InstantInput): FhirResource;
  /** Imports a host appointment from a FHIR Appointment; returns the appointment added. */
  importFhirAppointment(resource: FhirResource | string): Appointment;
  /** One appointment as iCalendar (RFC 5545) text. */
  icalAppointment(id: string, actor: string | null | undefined, now: InstantInput): string;
  /** A patient's appointments as iCalendar text. */
  icalPatient(patient: string, actor: string | null | undefined, now: InstantInput): string;
  /** A practitioner's appointments on a local date as iCalendar text. */
  icalPractitionerDay(practitioner: string, day: LocalDate, now: InstantInput): string;
}

/** A FHIR R4 resource as JSON (`resourceType` names it). */
export interface FhirResource {
  resourceType: string;
  [element: string]: Json;
}

/** The FHIR OperationOutcome of an error: the issue code mapped, our code in `details`. */
export declare function fhirOperationOutcome(error: { code: ErrorCode; message: string }): FhirResource;

/** Panics inside the addon on purpose: throws a `ClinicPortalError` with code `internal`. */
export declare function provokePanic(message: string): void;
/** `provokePanic` off the main thread: rejects with code `internal`. */
export declare function provokePanicAsync(message: string): Promise<void>;
