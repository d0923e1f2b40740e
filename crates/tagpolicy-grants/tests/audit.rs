//! The audit log: what each event looks like, and the two sink modes.

use std::io::{self, Write};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use tagpolicy_grants::{
    AuditEvent, AuditLog, AuditStats, DecidedBy, DecisionRecord, Grant, GrantPolicy, Revision,
    Verdict,
};
use tagpolicy_runtime::{AccessDecision, Decision, GrantingRoles, StatementRef, Timestamp};

/// A sink the test can read while the log holds it.
#[derive(Clone, Default)]
struct Shared(Arc<Mutex<Vec<u8>>>);

impl Shared {
    fn lines(&self) -> Vec<Value> {
        let bytes = self.0.lock().expect("lock").clone();
        String::from_utf8(bytes)
            .expect("UTF-8")
            .lines()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
            .collect()
    }
}

impl Write for Shared {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.lock().expect("lock").extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

fn t(s: &str) -> Timestamp {
    Timestamp::parse_rfc3339(s).expect("time")
}

fn grant(edit: impl FnOnce(&mut Value)) -> Grant {
    let mut v = json!({
        "id": "g-ops", "principal": "alice", "tags": { "team": "ops" }, "roles": ["reader"],
        "not_before": "2026-11-22T10:00:00Z", "expires_at": "2026-11-22T12:00:00Z",
        "reason": "INC-4711 failover", "requested_by": "alice", "approved_by": ["bob"],
        "ticket": "INC-4711",
        "scope": { "actions": ["ec2:*"], "resources": ["arn:aws:ec2:*:*:instance/*"] }
    });
    edit(&mut v);
    serde_json::from_value(v).expect("grant")
}

fn decision<'a>(grants: &'a [&'a str]) -> DecisionRecord<'a> {
    DecisionRecord {
        principal: "alice",
        action: "ec2:StartInstances",
        resource: "arn:aws:ec2:us-east-1:1:instance/i-1",
        verdict: Verdict::Allow,
        decided_by: Some(DecidedBy::Statement {
            policy: 0,
            statement: 0,
            sid: Some("SameTeam"),
        }),
        grants,
        policy_revision: Some(Revision::Number(7)),
        grant_revision: Some(Revision::Text("rev-42")),
        time: t("2026-11-22T10:30:00Z"),
        reason: None,
    }
}

/// Checks the common fields and strips them (except `event`), so the rest can be compared.
fn common(lines: &mut [Value], prefix: &str, ts: &str) {
    for (i, line) in lines.iter_mut().enumerate() {
        let object = line.as_object_mut().expect("an object");
        assert_eq!(object.remove("v"), Some(json!(1)), "{i}");
        assert_eq!(object.remove("seq"), Some(json!(i)), "{i}");
        assert_eq!(
            object.remove("id"),
            Some(json!(format!("{prefix}-{i}"))),
            "{i}"
        );
        assert_eq!(object.remove("ts"), Some(json!(ts)), "{i}");
        assert!(object.contains_key("event"), "{i}");
    }
}

#[test]
fn every_event_kind_is_written_with_its_fields() {
    let sink = Shared::default();
    let log = AuditLog::blocking(sink.clone(), 16).expect("log");
    let prefix = log.id_prefix().to_string();
    let ts = Timestamp::from_millis(t("2026-11-22T10:30:01Z").millis() + 250);
    let rec = |e: AuditEvent| log.record_at(e, ts);

    rec(AuditEvent::decision(&decision(&["g-ops", "g-db"])));
    rec(AuditEvent::decision(&DecisionRecord {
        verdict: Verdict::ExplicitDeny,
        decided_by: Some(DecidedBy::Statement {
            policy: 1,
            statement: 2,
            sid: None,
        }),
        policy_revision: Some(Revision::Text("sha256:ab")),
        grant_revision: None,
        ..decision(&[])
    }));
    rec(AuditEvent::decision(&DecisionRecord {
        verdict: Verdict::ImplicitDeny,
        decided_by: None,
        reason: Some("caller's own\nreason"),
        ..decision(&[])
    }));
    rec(AuditEvent::decision(&DecisionRecord {
        decided_by: Some(DecidedBy::Permission("documents.read")),
        ..decision(&["g-ops"])
    }));
    let issued = grant(|_| {});
    rec(AuditEvent::grant_issued(&issued));
    let policy = GrantPolicy::from_json(
        r#"{ "max_duration": "1h", "grantable_tags": { "team": ["ops"] } }"#,
    )
    .expect("policy");
    let bad = grant(|v| {
        v["id"] = "g-bad".into();
        v["approved_by"] = json!(["alice"]);
        v.as_object_mut().expect("object").remove("ticket");
        v.as_object_mut().expect("object").remove("scope");
    });
    let reasons = policy.check(&bad, &[]).expect_err("rejected");
    rec(AuditEvent::grant_rejected(&bad, &reasons));
    rec(AuditEvent::grant_revoked(
        &issued,
        "carol",
        t("2026-11-22T11:00:00Z"),
    ));
    rec(AuditEvent::grant_expired(&issued, issued.expires_at));
    let stats = log.close().expect("closes");
    assert_eq!(
        stats,
        AuditStats {
            produced: 11,
            written: 11,
            dropped: 0
        }
    );

    let text = String::from_utf8(sink.0.lock().expect("lock").clone()).expect("UTF-8");
    assert_eq!(text.lines().count(), 11, "one event per line:\n{text}");
    let mut lines = sink.lines();
    common(&mut lines, &prefix, "2026-11-22T10:30:01.250Z");
    let first_id = json!(format!("{prefix}-0"));
    let fourth_id = json!(format!("{prefix}-5"));
    let expected = [
        json!({ "event": "decision", "principal": "alice", "action": "ec2:StartInstances",
            "resource": "arn:aws:ec2:us-east-1:1:instance/i-1", "decision": "Allow", "deny": null,
            "statement": { "policy": 0, "statement": 0, "sid": "SameTeam" }, "permission": null,
            "grants": ["g-ops", "g-db"], "policy_revision": 7, "grant_revision": "rev-42",
            "eval_time": "2026-11-22T10:30:00Z",
            "reason": "allowed by statement 0 (Sid SameTeam) of policy 0 using grants g-ops, g-db" }),
        json!({ "event": "grant.used", "grant": "g-ops", "principal": "alice", "decision": first_id }),
        json!({ "event": "grant.used", "grant": "g-db", "principal": "alice", "decision": first_id }),
        json!({ "event": "decision", "principal": "alice", "action": "ec2:StartInstances",
            "resource": "arn:aws:ec2:us-east-1:1:instance/i-1", "decision": "Deny", "deny": "explicit",
            "statement": { "policy": 1, "statement": 2, "sid": null }, "permission": null,
            "grants": [], "policy_revision": "sha256:ab", "grant_revision": null,
            "eval_time": "2026-11-22T10:30:00Z",
            "reason": "explicitly denied by statement 2 of policy 1" }),
        json!({ "event": "decision", "principal": "alice", "action": "ec2:StartInstances",
            "resource": "arn:aws:ec2:us-east-1:1:instance/i-1", "decision": "Deny", "deny": "implicit",
            "statement": null, "permission": null,
            "grants": [], "policy_revision": 7, "grant_revision": "rev-42",
            "eval_time": "2026-11-22T10:30:00Z", "reason": "caller's own\nreason" }),
        json!({ "event": "decision", "principal": "alice", "action": "ec2:StartInstances",
            "resource": "arn:aws:ec2:us-east-1:1:instance/i-1", "decision": "Allow", "deny": null,
            "statement": null, "permission": "documents.read",
            "grants": ["g-ops"], "policy_revision": 7, "grant_revision": "rev-42",
            "eval_time": "2026-11-22T10:30:00Z",
            "reason": "allowed by permission documents.read using grant g-ops" }),
        json!({ "event": "grant.used", "grant": "g-ops", "principal": "alice", "decision": fourth_id }),
        json!({ "event": "grant.issued", "grant": "g-ops", "principal": "alice",
            "tags": { "team": "ops" }, "roles": ["reader"],
            "not_before": "2026-11-22T10:00:00Z", "expires_at": "2026-11-22T12:00:00Z",
            "reason": "INC-4711 failover", "requested_by": "alice", "approved_by": ["bob"],
            "ticket": "INC-4711",
            "scope": { "actions": ["ec2:*"], "resources": ["arn:aws:ec2:*:*:instance/*"] },
            "break_glass": false }),
        json!({ "event": "grant.rejected", "grant": "g-bad", "principal": "alice", "reasons": [
            "the window is 2h long, longer than the 1h the grant policy allows (grants are rejected, never shortened)",
            "`alice` approved their own grant; only break-glass grants may be self-approved",
            "role `reader` may not be granted",
        ] }),
        json!({ "event": "grant.revoked", "grant": "g-ops", "principal": "alice",
            "revoked_by": "carol", "at": "2026-11-22T11:00:00Z" }),
        json!({ "event": "grant.expired", "grant": "g-ops", "principal": "alice",
            "expired_at": "2026-11-22T12:00:00Z" }),
    ];
    for (i, (got, want)) in lines.iter().zip(&expected).enumerate() {
        assert_eq!(got, want, "line {i}");
    }
    assert_eq!(lines.len(), expected.len());
}

#[test]
fn decisions_convert_from_the_runtime_types() {
    let s = StatementRef {
        policy: 3,
        statement: 1,
        sid: Some("S"),
    };
    assert_eq!(Verdict::from(Decision::Allow(s)), Verdict::Allow);
    assert_eq!(Verdict::from(Decision::Deny(s)), Verdict::ExplicitDeny);
    assert_eq!(Verdict::from(Decision::ImplicitDeny), Verdict::ImplicitDeny);
    assert_eq!(
        DecidedBy::of_decision(Decision::Deny(s)),
        Some(DecidedBy::Statement {
            policy: 3,
            statement: 1,
            sid: Some("S")
        })
    );
    assert_eq!(DecidedBy::of_decision(Decision::ImplicitDeny), None);
    assert_eq!(Verdict::from(AccessDecision::Deny), Verdict::ImplicitDeny);
    assert_eq!(DecidedBy::of_access(AccessDecision::Deny), None);
    let allow = AccessDecision::Allow {
        permission: "documents.read",
        roles: GrantingRoles::EMPTY,
    };
    assert_eq!(Verdict::from(allow), Verdict::Allow);
    assert_eq!(
        DecidedBy::of_access(allow),
        Some(DecidedBy::Permission("documents.read"))
    );
    assert_eq!(Verdict::ExplicitDeny.as_str(), "Deny");
    assert_eq!(Verdict::ImplicitDeny.deny_kind(), Some("implicit"));
    assert_eq!(Revision::from(5), Revision::Number(5));
    assert_eq!(Revision::from("r"), Revision::Text("r"));
    let event = AuditEvent::decision(&decision(&["a", "b"]));
    assert_eq!((event.kind(), event.lines()), ("decision", 3));
}

#[test]
fn the_log_is_shared_between_threads() {
    fn send_sync<T: Send + Sync>() {}
    send_sync::<AuditLog>();
    send_sync::<AuditEvent>();
}

#[test]
fn ids_differ_between_logs_and_ts_is_now() {
    let a = AuditLog::blocking(io::sink(), 1).expect("log");
    let b = AuditLog::blocking(io::sink(), 1).expect("log");
    assert_ne!(a.id_prefix(), b.id_prefix());
    drop((a, b));

    let sink = Shared::default();
    let log = AuditLog::lossy(sink.clone(), 4).expect("log");
    let before = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_millis() as i64;
    log.record(AuditEvent::grant_expired(
        &grant(|_| {}),
        t("2026-11-22T12:00:00Z"),
    ));
    log.close().expect("closes");
    let ts = sink.lines()[0]["ts"].as_str().expect("ts").to_string();
    let ts = Timestamp::parse_rfc3339(&ts).expect("RFC 3339").millis();
    assert!((before..before + 60_000).contains(&ts), "{ts} vs {before}");
}

/// A sink that sleeps for every line it is given.
struct Slow<W>(W, Duration);

impl<W: Write> Write for Slow<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let lines = buf.iter().filter(|&&b| b == b'\n').count().max(1);
        thread::sleep(self.1 * lines as u32);
        self.0.write(buf)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.0.flush()
    }
}

/// Lines written (not `audit.dropped`), the sum of `audit.dropped` counts, and a check that `seq`
/// runs 0, 1, 2, … with ids following it.
fn tally(lines: &[Value], prefix: &str) -> (u64, u64, u64) {
    let (mut written, mut reported, mut reports) = (0, 0, 0);
    for (i, line) in lines.iter().enumerate() {
        assert_eq!(line["seq"], json!(i), "no gap in seq");
        assert_eq!(line["id"], json!(format!("{prefix}-{i}")));
        if line["event"] == "audit.dropped" {
            let count = line["count"].as_u64().expect("count");
            assert!(count > 0, "a report only when something was dropped");
            reported += count;
            reports += 1;
        } else {
            written += 1;
        }
    }
    (written, reported, reports)
}

#[test]
fn a_lossy_log_never_blocks_and_counts_every_drop() {
    const THREADS: usize = 4;
    const EACH: usize = 20_000;
    let sink = Shared::default();
    let log =
        Arc::new(AuditLog::lossy(Slow(sink.clone(), Duration::from_millis(1)), 2).expect("log"));
    let start = Instant::now();
    let producers: Vec<_> = (0..THREADS)
        .map(|n| {
            let log = Arc::clone(&log);
            thread::spawn(move || {
                let principal = format!("user-{n}");
                for i in 0..EACH {
                    let grants: &[&str] = if i % 5 == 0 { &["g-1"] } else { &[] };
                    log.record(AuditEvent::decision(&DecisionRecord {
                        principal: &principal,
                        ..decision(grants)
                    }));
                }
            })
        })
        .collect();
    for p in producers {
        p.join().expect("producer");
    }
    let produced_in = start.elapsed();
    let at_end = log.stats();
    let expected = (THREADS * EACH + THREADS * EACH / 5) as u64;
    assert_eq!(at_end.produced, expected);
    // Had `record` waited for the writer (1 ms a line, two queued at most), the producers could
    // not finish before it had written nearly everything.
    assert!(
        at_end.written < expected / 4,
        "producers waited for the writer: {at_end:?} after {produced_in:?}"
    );
    assert!(at_end.dropped > 0, "{at_end:?}");

    let log = Arc::try_unwrap(log).expect("sole owner");
    let prefix = log.id_prefix().to_string();
    let stats = log.close().expect("closes");
    let lines = sink.lines();
    let (written, reported, reports) = tally(&lines, &prefix);
    assert_eq!(stats.produced, expected);
    assert_eq!(written, stats.written);
    assert_eq!(reported, stats.dropped);
    assert_eq!(written + reported, expected, "{stats:?}");
    assert!(stats.dropped > 0 && reports > 0);
    eprintln!(
        "lossy: {expected} events produced in {produced_in:?}; {written} written, {reported} \
         dropped in {reports} reports"
    );
}

/// A sink whose first write waits until the test lets it go.
struct Gate {
    inner: Shared,
    entered: Option<mpsc::Sender<()>>,
    release: mpsc::Receiver<()>,
}

impl Write for Gate {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if let Some(entered) = self.entered.take() {
            entered.send(()).expect("test waits");
            self.release.recv().expect("test releases");
        }
        self.inner.write(buf)
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[test]
fn a_lossy_log_reports_drops_without_waiting_for_close() {
    let sink = Shared::default();
    let (entered_tx, entered) = mpsc::channel();
    let (release, release_rx) = mpsc::channel();
    let gate = Gate {
        inner: sink.clone(),
        entered: Some(entered_tx),
        release: release_rx,
    };
    let log = AuditLog::lossy(gate, 1).expect("log");
    let event = || AuditEvent::grant_issued(&grant(|_| {}));
    log.record(event());
    entered
        .recv_timeout(Duration::from_secs(10))
        .expect("the writer is stuck in its first write");
    let start = Instant::now();
    log.record(event()); // fills the channel
    for _ in 0..8 {
        log.record(event()); // dropped: the writer is stuck
    }
    assert!(
        start.elapsed() < Duration::from_secs(2),
        "record waited for a stuck writer"
    );
    assert_eq!(
        log.stats(),
        AuditStats {
            produced: 10,
            written: 1,
            dropped: 8
        }
    );
    release.send(()).expect("writer waits");
    let deadline = Instant::now() + Duration::from_secs(10);
    while sink.lines().len() < 3 {
        assert!(Instant::now() < deadline, "no drop report before close");
        thread::sleep(Duration::from_millis(5));
    }
    let lines = sink.lines();
    assert_eq!(lines[2]["event"], "audit.dropped");
    assert_eq!(lines[2]["count"], 8);
    let prefix = log.id_prefix().to_string();
    let stats = log.close().expect("closes");
    let lines = sink.lines();
    assert_eq!(tally(&lines, &prefix), (2, 8, 1));
    assert_eq!(
        stats,
        AuditStats {
            produced: 10,
            written: 2,
            dropped: 8
        }
    );
}

#[test]
fn a_blocking_log_never_drops() {
    const THREADS: usize = 3;
    const EACH: usize = 300;
    let sink = Shared::default();
    let log = AuditLog::blocking(Slow(sink.clone(), Duration::from_micros(100)), 1).expect("log");
    thread::scope(|s| {
        for _ in 0..THREADS {
            s.spawn(|| {
                for _ in 0..EACH {
                    log.record(AuditEvent::decision(&decision(&[])));
                }
            });
        }
    });
    let prefix = log.id_prefix().to_string();
    let stats = log.close().expect("closes");
    let n = (THREADS * EACH) as u64;
    assert_eq!(
        stats,
        AuditStats {
            produced: n,
            written: n,
            dropped: 0
        }
    );
    assert_eq!(tally(&sink.lines(), &prefix), (n, 0, 0));
}

#[test]
fn dropping_the_log_writes_everything() {
    let sink = Shared::default();
    let log = AuditLog::blocking(sink.clone(), 8).expect("log");
    for _ in 0..100 {
        log.record(AuditEvent::decision(&decision(&[])));
    }
    drop(log);
    assert_eq!(sink.lines().len(), 100);
}

/// A sink that fails after `ok` writes.
struct Failing {
    ok: usize,
}

impl Write for Failing {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.ok == 0 {
            return Err(io::Error::other("disk full"));
        }
        self.ok -= 1;
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[test]
fn close_returns_the_sink_error_and_later_events_count_as_dropped() {
    let log = AuditLog::blocking(Failing { ok: 0 }, 4).expect("log");
    for _ in 0..50 {
        log.record(AuditEvent::decision(&decision(&["g-1"])));
    }
    // The error surfaces when the buffer is flushed; recording still returns.
    let deadline = Instant::now() + Duration::from_secs(10);
    while log.stats().written + log.stats().dropped < 100 && Instant::now() < deadline {
        thread::sleep(Duration::from_millis(5));
    }
    let stats = log.stats();
    assert_eq!(stats.produced, 100);
    let e = log.close().expect_err("the sink failed");
    assert_eq!(e.to_string(), "disk full");
}
