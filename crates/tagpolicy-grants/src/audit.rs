//! The audit log (SPEC §4): JSON lines, one event per line, written by a background thread.
//!
//! Every line has `v` (the schema version, [`SCHEMA_VERSION`]), `event` (its kind), `id` (unique:
//! a prefix naming the log and the process, then `seq`), `seq` (0, 1, 2, … in file order, with no
//! gap: a gap shows a loss) and `ts` (when the event was recorded, RFC 3339 UTC). The kinds and
//! their other fields:
//!
//! | `event`          | fields |
//! |------------------|--------|
//! | `decision`       | `principal`, `action`, `resource`, `decision` (`"Allow"`/`"Deny"`), `deny` (`"explicit"`/`"implicit"`/null), `statement` (`{policy, statement, sid}` or null), `permission` (key or null), `grants` (ids), `policy_revision`, `grant_revision` (number, string or null), `eval_time`, `reason` |
//! | `grant.used`     | `grant`, `principal`, `decision` (the decision event's `id`) — one per grant a decision lists, written right after it |
//! | `grant.issued`   | `grant` (its id), `principal`, `tags`, `roles`, `not_before`, `expires_at`, `reason`, `requested_by`, `approved_by`, `ticket`, `scope`, `break_glass` |
//! | `grant.rejected` | `grant`, `principal`, `reasons` (one sentence per broken rule) |
//! | `grant.revoked`  | `grant`, `principal`, `revoked_by`, `at` |
//! | `grant.expired`  | `grant`, `principal`, `expired_at` |
//! | `audit.dropped`  | `count`: events a lossy log dropped since its previous report |
//!
//! [`AuditLog::record`] copies the event's strings into one buffer and hands it to the writer
//! thread through a bounded channel; numbering, JSON formatting and writing happen on that thread.
//! A **blocking** log ([`AuditLog::blocking`]) makes `record` wait while the channel is full and
//! never drops; a **lossy** log ([`AuditLog::lossy`]) never makes `record` wait, drops the event
//! instead, counts it, and reports the count in an `audit.dropped` line.
//!
//! ```
//! use tagpolicy_grants::{AuditEvent, AuditLog, DecidedBy, DecisionRecord, Revision, Verdict};
//! use tagpolicy_runtime::Timestamp;
//!
//! let path = std::env::temp_dir().join(format!("tagpolicy-audit-doc-{}.jsonl", std::process::id()));
//! let log = AuditLog::blocking(std::fs::File::create(&path)?, 1024)?;
//! log.record(AuditEvent::decision(&DecisionRecord {
//!     principal: "alice",
//!     action: "ec2:StartInstances",
//!     resource: "arn:aws:ec2:us-east-1:1:instance/i-1",
//!     verdict: Verdict::Allow,
//!     decided_by: Some(DecidedBy::Statement { policy: 0, statement: 0, sid: Some("SameTeam") }),
//!     grants: &["g-ops"],
//!     policy_revision: Some(Revision::Number(7)),
//!     grant_revision: Some(Revision::Number(42)),
//!     time: Timestamp::parse_rfc3339("2026-11-22T10:30:00Z").unwrap(),
//!     reason: None, // written for you from the fields above
//! }));
//! let stats = log.close()?; // flushes and waits for the writer
//! assert_eq!((stats.produced, stats.written, stats.dropped), (2, 2, 0));
//!
//! let text = std::fs::read_to_string(&path)?;
//! let lines: Vec<serde_json::Value> =
//!     text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
//! assert_eq!(lines[0]["event"], "decision");
//! assert_eq!(
//!     lines[0]["reason"],
//!     "allowed by statement 0 (Sid SameTeam) of policy 0 using grant g-ops"
//! );
//! assert_eq!(lines[1]["event"], "grant.used");
//! assert_eq!(lines[1]["decision"], lines[0]["id"]);
//! assert_eq!((lines[0]["seq"].as_u64(), lines[1]["seq"].as_u64()), (Some(0), Some(1)));
//! # std::fs::remove_file(&path)?;
//! # Ok::<(), std::io::Error>(())
//! ```

use std::fmt::{self, Write as _};
use std::io::{self, BufWriter, Write};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, SyncSender, TrySendError};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::ser::{SerializeMap, Serializer};
use serde::Serialize;
use tagpolicy_runtime::{AccessDecision, Decision, StatementRef, Timestamp};

use crate::grant::Grant;
use crate::policy::Rejection;

/// The value of `v` in every line; raised when a field changes meaning or disappears.
pub const SCHEMA_VERSION: u32 = 1;

/// How long the writer waits for an event before it looks for unreported drops and flushes.
const TICK: Duration = Duration::from_millis(100);

/// How many events the writer takes from the channel before it looks for drops again.
const BATCH: usize = 256;

// ---------------------------------------------------------------------------------------------
// What the caller fills in
// ---------------------------------------------------------------------------------------------

/// The outcome of a decision: `decision` and `deny` in the line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Verdict {
    /// Allowed: `"decision": "Allow", "deny": null`.
    Allow,
    /// Denied by an applicable Deny statement: `"decision": "Deny", "deny": "explicit"`.
    ExplicitDeny,
    /// Denied because nothing allows it: `"decision": "Deny", "deny": "implicit"`.
    ImplicitDeny,
}

impl Verdict {
    /// `"Allow"` or `"Deny"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Verdict::Allow => "Allow",
            Verdict::ExplicitDeny | Verdict::ImplicitDeny => "Deny",
        }
    }

    /// `"explicit"` or `"implicit"` for a deny, `None` for an allow.
    pub const fn deny_kind(self) -> Option<&'static str> {
        match self {
            Verdict::Allow => None,
            Verdict::ExplicitDeny => Some("explicit"),
            Verdict::ImplicitDeny => Some("implicit"),
        }
    }
}

impl From<Decision<'_>> for Verdict {
    fn from(decision: Decision<'_>) -> Verdict {
        match decision {
            Decision::Allow(_) => Verdict::Allow,
            Decision::Deny(_) => Verdict::ExplicitDeny,
            Decision::ImplicitDeny => Verdict::ImplicitDeny,
        }
    }
}

/// The permission form has no explicit deny: a deny is implicit.
impl From<AccessDecision<'_>> for Verdict {
    fn from(decision: AccessDecision<'_>) -> Verdict {
        if decision.is_allowed() {
            Verdict::Allow
        } else {
            Verdict::ImplicitDeny
        }
    }
}

/// What decided: a statement (IAM form) or a permission (permission form).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DecidedBy<'a> {
    /// A policy statement: `"statement": {"policy": 0, "statement": 1, "sid": "SameTeam"}`.
    Statement {
        /// Index of the policy in the policy set (0-based).
        policy: u32,
        /// Index of the statement in its policy (0-based).
        statement: u32,
        /// The statement's `Sid`.
        sid: Option<&'a str>,
    },
    /// A permission, by key: `"permission": "documents.read"`.
    Permission(&'a str),
}

impl<'a> From<StatementRef<'a>> for DecidedBy<'a> {
    fn from(s: StatementRef<'a>) -> DecidedBy<'a> {
        DecidedBy::Statement {
            policy: s.policy,
            statement: s.statement,
            sid: s.sid,
        }
    }
}

impl<'a> DecidedBy<'a> {
    /// The deciding statement of an IAM decision (`None` for an implicit deny).
    pub fn of_decision(decision: Decision<'a>) -> Option<DecidedBy<'a>> {
        decision.statement().map(DecidedBy::from)
    }

    /// The allowing permission of a permission-form decision (`None` for a deny).
    pub fn of_access(decision: AccessDecision<'a>) -> Option<DecidedBy<'a>> {
        match decision {
            AccessDecision::Allow { permission, .. } => Some(DecidedBy::Permission(permission)),
            AccessDecision::Deny => None,
        }
    }
}

/// A revision of the policies or of the grants: a counter or an opaque string (a hash, a database
/// revision). Written as a JSON number or string.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Revision<'a> {
    /// A counter.
    Number(u64),
    /// Anything else.
    Text(&'a str),
}

impl From<u64> for Revision<'_> {
    fn from(n: u64) -> Self {
        Revision::Number(n)
    }
}

impl<'a> From<&'a str> for Revision<'a> {
    fn from(s: &'a str) -> Self {
        Revision::Text(s)
    }
}

/// A decision to audit, filled in by the caller from the request and the decision;
/// [`AuditEvent::decision`] copies it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DecisionRecord<'a> {
    /// The request's principal (IAM) or `subject.id` (permission form).
    pub principal: &'a str,
    /// The action.
    pub action: &'a str,
    /// The resource.
    pub resource: &'a str,
    /// Allow, explicit deny or implicit deny.
    pub verdict: Verdict,
    /// The deciding statement or permission; `None` for an implicit deny.
    pub decided_by: Option<DecidedBy<'a>>,
    /// Ids of the grants the decision relied on. Each also gets a `grant.used` line.
    pub grants: &'a [&'a str],
    /// The revision of the policies that decided (`null` when `None`).
    pub policy_revision: Option<Revision<'a>>,
    /// The revision of the grants snapshot the evaluation read (`null` when `None`).
    pub grant_revision: Option<Revision<'a>>,
    /// The request's time (`eval_time`), which is not the time the event is recorded (`ts`).
    pub time: Timestamp,
    /// A one-line explanation for people. `None`: the writer composes one from the fields, such
    /// as "allowed by statement 0 (Sid SameTeam) of policy 0 using grant g-ops".
    pub reason: Option<&'a str>,
}

// ---------------------------------------------------------------------------------------------
// The event
// ---------------------------------------------------------------------------------------------

/// One audit event, owning its data, ready for [`AuditLog::record`].
///
/// Built with [`AuditEvent::decision`], [`AuditEvent::grant_issued`],
/// [`AuditEvent::grant_rejected`], [`AuditEvent::grant_revoked`] or [`AuditEvent::grant_expired`].
/// `grant.used` lines follow from a decision's grants, and `audit.dropped` lines come from the
/// log itself, so neither is built by hand.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditEvent {
    kind: Kind,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Kind {
    Decision(DecisionData),
    Issued(Box<Grant>),
    Rejected {
        grant: String,
        principal: String,
        reasons: Vec<Rejection>,
    },
    Revoked {
        text: String,
        grant: Span,
        principal: Span,
        revoked_by: Span,
        at: Timestamp,
    },
    Expired {
        text: String,
        grant: Span,
        principal: Span,
        expired_at: Timestamp,
    },
}

/// A byte range of an event's text buffer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Span(usize, usize);

/// Strings copied into one buffer: one allocation per event.
struct Text(String);

impl Text {
    fn with_capacity(n: usize) -> Text {
        Text(String::with_capacity(n))
    }

    fn push(&mut self, s: &str) -> Span {
        let start = self.0.len();
        self.0.push_str(s);
        Span(start, self.0.len())
    }
}

fn get(text: &str, span: Span) -> &str {
    text.get(span.0..span.1).unwrap_or_default()
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum OwnedBy {
    Nothing,
    Statement {
        policy: u32,
        statement: u32,
        sid: Option<Span>,
    },
    Permission(Span),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum OwnedRevision {
    Null,
    Number(u64),
    Text(Span),
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct DecisionData {
    text: String,
    principal: Span,
    action: Span,
    resource: Span,
    verdict: Verdict,
    by: OwnedBy,
    grants: Vec<Span>,
    policy_revision: OwnedRevision,
    grant_revision: OwnedRevision,
    time: Timestamp,
    reason: Option<Span>,
}

impl AuditEvent {
    /// A `decision` event (and a `grant.used` event for each of its grants), copying the record's
    /// strings into one buffer.
    pub fn decision(record: &DecisionRecord<'_>) -> AuditEvent {
        let rev_len = |r: Option<Revision<'_>>| match r {
            Some(Revision::Text(s)) => s.len(),
            _ => 0,
        };
        let by_len = match record.decided_by {
            Some(DecidedBy::Statement { sid, .. }) => sid.map_or(0, str::len),
            Some(DecidedBy::Permission(p)) => p.len(),
            None => 0,
        };
        let len = record.principal.len()
            + record.action.len()
            + record.resource.len()
            + by_len
            + record.grants.iter().map(|g| g.len()).sum::<usize>()
            + rev_len(record.policy_revision)
            + rev_len(record.grant_revision)
            + record.reason.map_or(0, str::len);
        let mut text = Text::with_capacity(len);
        let principal = text.push(record.principal);
        let action = text.push(record.action);
        let resource = text.push(record.resource);
        let by = match record.decided_by {
            None => OwnedBy::Nothing,
            Some(DecidedBy::Statement {
                policy,
                statement,
                sid,
            }) => OwnedBy::Statement {
                policy,
                statement,
                sid: sid.map(|s| text.push(s)),
            },
            Some(DecidedBy::Permission(p)) => OwnedBy::Permission(text.push(p)),
        };
        let grants = record.grants.iter().map(|g| text.push(g)).collect();
        let mut revision = |r: Option<Revision<'_>>| match r {
            None => OwnedRevision::Null,
            Some(Revision::Number(n)) => OwnedRevision::Number(n),
            Some(Revision::Text(s)) => OwnedRevision::Text(text.push(s)),
        };
        let policy_revision = revision(record.policy_revision);
        let grant_revision = revision(record.grant_revision);
        let reason = record.reason.map(|r| text.push(r));
        AuditEvent {
            kind: Kind::Decision(DecisionData {
                text: text.0,
                principal,
                action,
                resource,
                verdict: record.verdict,
                by,
                grants,
                policy_revision,
                grant_revision,
                time: record.time,
                reason,
            }),
        }
    }

    /// A `grant.issued` event with all the grant's fields.
    pub fn grant_issued(grant: &Grant) -> AuditEvent {
        AuditEvent {
            kind: Kind::Issued(Box::new(grant.clone())),
        }
    }

    /// A `grant.rejected` event: the grant's id and principal, and every reason it was refused
    /// (as [`GrantPolicy::check`](crate::GrantPolicy::check) returns them).
    pub fn grant_rejected(grant: &Grant, reasons: &[Rejection]) -> AuditEvent {
        AuditEvent {
            kind: Kind::Rejected {
                grant: grant.id.clone(),
                principal: grant.principal.clone(),
                reasons: reasons.to_vec(),
            },
        }
    }

    /// A `grant.revoked` event: who revoked the grant and when.
    pub fn grant_revoked(grant: &Grant, revoked_by: &str, at: Timestamp) -> AuditEvent {
        let mut text =
            Text::with_capacity(grant.id.len() + grant.principal.len() + revoked_by.len());
        let (id, principal, by) = (
            text.push(&grant.id),
            text.push(&grant.principal),
            text.push(revoked_by),
        );
        AuditEvent {
            kind: Kind::Revoked {
                text: text.0,
                grant: id,
                principal,
                revoked_by: by,
                at,
            },
        }
    }

    /// A `grant.expired` event. `expired_at` is normally the grant's `expires_at`, or earlier when
    /// an expiry margin ended it early.
    pub fn grant_expired(grant: &Grant, expired_at: Timestamp) -> AuditEvent {
        let mut text = Text::with_capacity(grant.id.len() + grant.principal.len());
        let (id, principal) = (text.push(&grant.id), text.push(&grant.principal));
        AuditEvent {
            kind: Kind::Expired {
                text: text.0,
                grant: id,
                principal,
                expired_at,
            },
        }
    }

    /// The `event` field: `"decision"`, `"grant.issued"`, `"grant.rejected"`, `"grant.revoked"`
    /// or `"grant.expired"`.
    pub fn kind(&self) -> &'static str {
        match self.kind {
            Kind::Decision(_) => "decision",
            Kind::Issued(_) => "grant.issued",
            Kind::Rejected { .. } => "grant.rejected",
            Kind::Revoked { .. } => "grant.revoked",
            Kind::Expired { .. } => "grant.expired",
        }
    }

    /// How many lines the event becomes: 1, plus one `grant.used` line per grant of a decision.
    pub fn lines(&self) -> u64 {
        match &self.kind {
            Kind::Decision(d) => 1 + d.grants.len() as u64,
            _ => 1,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The log
// ---------------------------------------------------------------------------------------------

/// Counts of a log's events, in lines (a decision with two grants counts 3: itself and two
/// `grant.used`). `audit.dropped` reports are not counted.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct AuditStats {
    /// Events recorded.
    pub produced: u64,
    /// Events written to the sink (handed to it; see [`AuditLog::close`] for when they are
    /// flushed).
    pub written: u64,
    /// Events dropped: by a lossy log whose channel was full, or by either kind of log after its
    /// sink failed. Once every recorded event is processed, `produced == written + dropped`.
    pub dropped: u64,
}

#[derive(Default)]
struct Counters {
    produced: AtomicU64,
    written: AtomicU64,
    dropped: AtomicU64,
}

impl Counters {
    fn stats(&self) -> AuditStats {
        AuditStats {
            produced: self.produced.load(Ordering::Relaxed),
            written: self.written.load(Ordering::Relaxed),
            dropped: self.dropped.load(Ordering::Relaxed),
        }
    }
}

struct Message {
    ts: Timestamp,
    kind: Kind,
}

/// An audit log writing JSON lines to a sink from a background thread. `record` may be called
/// from any number of threads at once (`AuditLog` is `Send + Sync`; share it by reference or in
/// an `Arc`).
///
/// Dropping the log closes it as [`AuditLog::close`] does, ignoring errors.
pub struct AuditLog {
    sender: Option<SyncSender<Message>>,
    writer: Option<JoinHandle<io::Result<()>>>,
    counters: Arc<Counters>,
    lossy: bool,
    prefix: Arc<str>,
}

impl fmt::Debug for AuditLog {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuditLog")
            .field("prefix", &self.prefix)
            .field("lossy", &self.lossy)
            .field("stats", &self.counters.stats())
            .finish()
    }
}

/// Distinguishes logs opened in the same process in the same millisecond.
static LOGS_OPENED: AtomicU64 = AtomicU64::new(0);

fn now() -> Timestamp {
    let ms = match SystemTime::now().duration_since(UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_millis()).unwrap_or(i64::MAX),
        Err(e) => i64::try_from(e.duration().as_millis()).map_or(i64::MIN, |ms| -ms),
    };
    Timestamp::from_millis(ms)
}

impl AuditLog {
    /// A log that never drops: `record` waits while `capacity` events are queued (a capacity of
    /// 0 counts as 1). Fails only when the writer thread cannot be started.
    pub fn blocking<W: Write + Send + 'static>(sink: W, capacity: usize) -> io::Result<AuditLog> {
        AuditLog::open(sink, capacity, false)
    }

    /// A log that never makes `record` wait: when `capacity` events are queued (a capacity of 0
    /// counts as 1), the event is dropped and counted, and the writer reports the count in an
    /// `audit.dropped` line as soon as it notices (within about 100 ms), and at close. Fails only
    /// when the writer thread cannot be started.
    pub fn lossy<W: Write + Send + 'static>(sink: W, capacity: usize) -> io::Result<AuditLog> {
        AuditLog::open(sink, capacity, true)
    }

    fn open<W: Write + Send + 'static>(
        sink: W,
        capacity: usize,
        lossy: bool,
    ) -> io::Result<AuditLog> {
        let (sender, receiver) = mpsc::sync_channel(capacity.max(1));
        let counters = Arc::new(Counters::default());
        let opened = LOGS_OPENED.fetch_add(1, Ordering::Relaxed);
        let prefix: Arc<str> =
            format!("{:x}-{:x}-{:x}", std::process::id(), now().millis(), opened).into();
        let writer = Writer {
            out: BufWriter::with_capacity(64 * 1024, sink),
            counters: Arc::clone(&counters),
            prefix: Arc::clone(&prefix),
            seq: 0,
            reported: 0,
            line: Vec::with_capacity(512),
            id: String::with_capacity(64),
            error: None,
        };
        let handle = std::thread::Builder::new()
            .name("tagpolicy-audit".into())
            .spawn(move || writer.run(receiver))?;
        Ok(AuditLog {
            sender: Some(sender),
            writer: Some(handle),
            counters,
            lossy,
            prefix,
        })
    }

    /// Records an event stamped with the current time (`ts`). A blocking log waits while its
    /// channel is full; a lossy log drops the event instead and counts it.
    pub fn record(&self, event: AuditEvent) {
        self.record_at(event, now());
    }

    /// Records an event stamped `ts`, for callers with their own clock.
    pub fn record_at(&self, event: AuditEvent, ts: Timestamp) {
        let lines = event.lines();
        self.counters.produced.fetch_add(lines, Ordering::Relaxed);
        let message = Message {
            ts,
            kind: event.kind,
        };
        let sent = match &self.sender {
            Some(sender) if self.lossy => match sender.try_send(message) {
                Ok(()) => true,
                Err(TrySendError::Full(_) | TrySendError::Disconnected(_)) => false,
            },
            Some(sender) => sender.send(message).is_ok(),
            None => false,
        };
        if !sent {
            // The channel is full (lossy) or the writer thread is gone (it panicked).
            self.counters.dropped.fetch_add(lines, Ordering::Relaxed);
        }
    }

    /// The counts so far.
    pub fn stats(&self) -> AuditStats {
        self.counters.stats()
    }

    /// Whether the log drops rather than waits.
    pub fn is_lossy(&self) -> bool {
        self.lossy
    }

    /// The prefix of this log's event ids (`<pid>-<start ms>-<n>` in hex); an id is
    /// `<prefix>-<seq>`.
    pub fn id_prefix(&self) -> &str {
        &self.prefix
    }

    /// Writes every recorded event, reports unreported drops, flushes the sink and stops the
    /// writer thread. Returns the final counts, or the first error of the sink (after which
    /// events were counted as dropped, not written).
    pub fn close(mut self) -> io::Result<AuditStats> {
        self.shut_down()?;
        Ok(self.counters.stats())
    }

    fn shut_down(&mut self) -> io::Result<()> {
        drop(self.sender.take());
        match self.writer.take() {
            Some(handle) => handle
                .join()
                .unwrap_or_else(|_| Err(io::Error::other("the audit writer thread panicked"))),
            None => Ok(()),
        }
    }
}

impl Drop for AuditLog {
    fn drop(&mut self) {
        let _ = self.shut_down();
    }
}

// ---------------------------------------------------------------------------------------------
// The writer thread
// ---------------------------------------------------------------------------------------------

struct Writer<W: Write> {
    out: BufWriter<W>,
    counters: Arc<Counters>,
    prefix: Arc<str>,
    seq: u64,
    /// Drops already reported.
    reported: u64,
    line: Vec<u8>,
    id: String,
    error: Option<io::Error>,
}

impl<W: Write> Writer<W> {
    fn run(mut self, receiver: Receiver<Message>) -> io::Result<()> {
        loop {
            match receiver.recv_timeout(TICK) {
                Ok(message) => {
                    self.event(message);
                    let mut taken = 1;
                    while let Ok(message) = receiver.try_recv() {
                        self.event(message);
                        taken += 1;
                        if taken % BATCH == 0 {
                            self.report_drops();
                        }
                    }
                }
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => break,
            }
            self.report_drops();
            self.flush();
        }
        self.report_drops();
        self.flush();
        match self.error {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    fn flush(&mut self) {
        if self.error.is_none() {
            if let Err(e) = self.out.flush() {
                self.error = Some(e);
            }
        }
    }

    fn report_drops(&mut self) {
        let dropped = self.counters.dropped.load(Ordering::Relaxed);
        if dropped > self.reported && self.error.is_none() {
            let count = dropped - self.reported;
            self.reported = dropped;
            let ts = now();
            self.write_line(ts, DROPPED, |map| map.serialize_entry("count", &count));
        }
    }

    fn event(&mut self, Message { ts, kind }: Message) {
        if self.error.is_some() {
            let lines = AuditEvent { kind }.lines();
            self.counters.dropped.fetch_add(lines, Ordering::Relaxed);
            return;
        }
        match &kind {
            Kind::Decision(d) => self.decision(ts, d),
            Kind::Issued(g) => {
                self.write_line(ts, "grant.issued", |map| {
                    map.serialize_entry("grant", &g.id)?;
                    map.serialize_entry("principal", &g.principal)?;
                    map.serialize_entry("tags", &g.tags)?;
                    map.serialize_entry("roles", &g.roles)?;
                    map.serialize_entry("not_before", &Rfc3339(g.not_before))?;
                    map.serialize_entry("expires_at", &Rfc3339(g.expires_at))?;
                    map.serialize_entry("reason", &g.reason)?;
                    map.serialize_entry("requested_by", &g.requested_by)?;
                    map.serialize_entry("approved_by", &g.approved_by)?;
                    map.serialize_entry("ticket", &g.ticket)?;
                    map.serialize_entry("scope", &g.scope)?;
                    map.serialize_entry("break_glass", &g.break_glass)
                });
            }
            Kind::Rejected {
                grant,
                principal,
                reasons,
            } => {
                self.write_line(ts, "grant.rejected", |map| {
                    map.serialize_entry("grant", grant)?;
                    map.serialize_entry("principal", principal)?;
                    map.serialize_entry("reasons", &Reasons(reasons))
                });
            }
            Kind::Revoked {
                text,
                grant,
                principal,
                revoked_by,
                at,
            } => {
                self.write_line(ts, "grant.revoked", |map| {
                    map.serialize_entry("grant", get(text, *grant))?;
                    map.serialize_entry("principal", get(text, *principal))?;
                    map.serialize_entry("revoked_by", get(text, *revoked_by))?;
                    map.serialize_entry("at", &Rfc3339(*at))
                });
            }
            Kind::Expired {
                text,
                grant,
                principal,
                expired_at,
            } => {
                self.write_line(ts, "grant.expired", |map| {
                    map.serialize_entry("grant", get(text, *grant))?;
                    map.serialize_entry("principal", get(text, *principal))?;
                    map.serialize_entry("expired_at", &Rfc3339(*expired_at))
                });
            }
        }
    }

    fn decision(&mut self, ts: Timestamp, d: &DecisionData) {
        let text = d.text.as_str();
        let composed;
        let reason = match d.reason {
            Some(span) => get(text, span),
            None => {
                composed = compose_reason(d);
                composed.as_str()
            }
        };
        self.write_line(ts, "decision", |map| {
            map.serialize_entry("principal", get(text, d.principal))?;
            map.serialize_entry("action", get(text, d.action))?;
            map.serialize_entry("resource", get(text, d.resource))?;
            map.serialize_entry("decision", d.verdict.as_str())?;
            map.serialize_entry("deny", &d.verdict.deny_kind())?;
            match d.by {
                OwnedBy::Statement {
                    policy,
                    statement,
                    sid,
                } => map.serialize_entry(
                    "statement",
                    &StatementJson {
                        policy,
                        statement,
                        sid: sid.map(|s| get(text, s)),
                    },
                )?,
                _ => map.serialize_entry("statement", &())?,
            }
            match d.by {
                OwnedBy::Permission(p) => map.serialize_entry("permission", get(text, p))?,
                _ => map.serialize_entry("permission", &())?,
            }
            map.serialize_entry("grants", &Spans(text, &d.grants))?;
            map.serialize_entry("policy_revision", &RevisionJson(text, d.policy_revision))?;
            map.serialize_entry("grant_revision", &RevisionJson(text, d.grant_revision))?;
            map.serialize_entry("eval_time", &Rfc3339(d.time))?;
            map.serialize_entry("reason", reason)
        });
        if d.grants.is_empty() {
            return;
        }
        let decision_id = self.id.clone();
        for &grant in &d.grants {
            self.write_line(ts, "grant.used", |map| {
                map.serialize_entry("grant", get(text, grant))?;
                map.serialize_entry("principal", get(text, d.principal))?;
                map.serialize_entry("decision", &decision_id)
            });
        }
    }

    /// Writes one line: the common fields, then `body`'s. Leaves the line's id in `self.id`.
    /// After the sink has failed, counts the line as dropped instead.
    fn write_line<F>(&mut self, ts: Timestamp, event: &'static str, body: F)
    where
        F: FnOnce(&mut Map<'_>) -> Result<(), serde_json::Error>,
    {
        let counts = event != DROPPED;
        if self.error.is_none() {
            let seq = self.seq;
            self.id.clear();
            let _ = write!(self.id, "{}-{seq}", self.prefix);
            self.line.clear();
            match serialize_line(&mut self.line, event, &self.id, seq, ts, body) {
                // Cannot happen for these types (string keys, no maps with other keys).
                Err(e) => self.error = Some(io::Error::other(e)),
                Ok(()) => {
                    self.line.push(b'\n');
                    if let Err(e) = self.out.write_all(&self.line) {
                        self.error = Some(e);
                    }
                }
            }
            if self.error.is_none() {
                self.seq += 1;
                if counts {
                    self.counters.written.fetch_add(1, Ordering::Relaxed);
                }
                return;
            }
        }
        if counts {
            self.counters.dropped.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// The JSON object a line's body is written into.
type Map<'a> = serde_json::ser::Compound<'a, &'a mut Vec<u8>, serde_json::ser::CompactFormatter>;

/// The `event` of drop reports, which are not counted as written.
const DROPPED: &str = "audit.dropped";

fn serialize_line<F>(
    line: &mut Vec<u8>,
    event: &str,
    id: &str,
    seq: u64,
    ts: Timestamp,
    body: F,
) -> Result<(), serde_json::Error>
where
    F: FnOnce(&mut Map<'_>) -> Result<(), serde_json::Error>,
{
    let mut buf = [0u8; 32];
    let ts = ts.write_rfc3339(&mut buf);
    let mut ser = serde_json::Serializer::new(line);
    let mut map = ser.serialize_map(None)?;
    map.serialize_entry("v", &SCHEMA_VERSION)?;
    map.serialize_entry("event", event)?;
    map.serialize_entry("id", id)?;
    map.serialize_entry("seq", &seq)?;
    map.serialize_entry("ts", ts)?;
    body(&mut map)?;
    SerializeMap::end(map)
}

/// The sentence written as a decision's `reason` when the caller gives none.
fn compose_reason(d: &DecisionData) -> String {
    let text = d.text.as_str();
    let mut out = String::with_capacity(96);
    let verb = match d.verdict {
        Verdict::Allow => "allowed",
        Verdict::ExplicitDeny => "explicitly denied",
        Verdict::ImplicitDeny => "implicitly denied",
    };
    match d.by {
        OwnedBy::Statement {
            policy,
            statement,
            sid,
        } => {
            let _ = write!(out, "{verb} by statement {statement}");
            if let Some(sid) = sid {
                let _ = write!(out, " (Sid {})", get(text, sid));
            }
            let _ = write!(out, " of policy {policy}");
        }
        OwnedBy::Permission(p) => {
            let _ = write!(out, "{verb} by permission {}", get(text, p));
        }
        OwnedBy::Nothing => {
            let _ = write!(out, "{verb}: no statement or permission allows it");
        }
    }
    if !d.grants.is_empty() {
        out.push_str(if d.grants.len() == 1 {
            " using grant "
        } else {
            " using grants "
        });
        for (i, &g) in d.grants.iter().enumerate() {
            if i > 0 {
                out.push_str(", ");
            }
            out.push_str(get(text, g));
        }
    }
    out
}

struct Rfc3339(Timestamp);

impl Serialize for Rfc3339 {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut buf = [0u8; 32];
        s.serialize_str(self.0.write_rfc3339(&mut buf))
    }
}

#[derive(Serialize)]
struct StatementJson<'t> {
    policy: u32,
    statement: u32,
    sid: Option<&'t str>,
}

struct Spans<'t>(&'t str, &'t [Span]);

impl Serialize for Spans<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.1.iter().map(|&span| get(self.0, span)))
    }
}

struct RevisionJson<'t>(&'t str, OwnedRevision);

impl Serialize for RevisionJson<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.1 {
            OwnedRevision::Null => s.serialize_unit(),
            OwnedRevision::Number(n) => s.serialize_u64(n),
            OwnedRevision::Text(span) => s.serialize_str(get(self.0, span)),
        }
    }
}

struct Reasons<'r>(&'r [Rejection]);

impl Serialize for Reasons<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.0.iter().map(Sentence))
    }
}

struct Sentence<'r>(&'r Rejection);

impl Serialize for Sentence<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self.0)
    }
}
