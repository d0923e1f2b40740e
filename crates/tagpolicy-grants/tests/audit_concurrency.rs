//! Many threads recording into one blocking log: every event is written once, numbered without a
//! gap, in each thread's order.

use std::collections::HashSet;
use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter};
use std::sync::Arc;
use std::thread;
use std::time::Instant;

use serde_json::Value;
use tagpolicy_grants::{
    AuditEvent, AuditLog, DecidedBy, DecisionRecord, Grant, GrantStore, Revision, Verdict,
};
use tagpolicy_runtime::Timestamp;

const DECIDERS: usize = 4;
const DECISIONS: usize = 100_000;
/// Every `USES`-th decision relies on a grant (one more line: `grant.used`).
const USES: usize = 10;
const GRANTS: usize = 5_000;

fn grant(n: usize) -> Grant {
    serde_json::from_value(serde_json::json!({
        "id": format!("g-{n}"), "principal": format!("user-{}", n % DECIDERS),
        "tags": { "team": "ops" }, "not_before": "2026-11-22T10:00:00Z",
        "expires_at": "2026-11-22T12:00:00Z", "reason": "INC-4711",
        "requested_by": "alice", "approved_by": ["bob"]
    }))
    .expect("grant")
}

#[test]
fn four_hundred_thousand_decisions_and_grant_events_from_five_threads() {
    let path = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("audit-concurrency-{}.jsonl", std::process::id()));
    let file = File::create(&path).expect("create");
    let log = Arc::new(AuditLog::blocking(BufWriter::new(file), 4096).expect("log"));
    let prefix = log.id_prefix().to_string();
    let time = Timestamp::parse_rfc3339("2026-11-22T10:30:00Z").expect("time");

    let start = Instant::now();
    thread::scope(|s| {
        for t in 0..DECIDERS {
            let log = &*log;
            s.spawn(move || {
                let principal = format!("user-{t}");
                let mut resource = String::new();
                for i in 0..DECISIONS {
                    resource.clear();
                    resource.push_str("arn:aws:ec2:us-east-1:1:instance/");
                    resource.push_str(&format!("{t}-{i}"));
                    let grants: &[&str] = if i % USES == 0 { &["g-1"] } else { &[] };
                    log.record(AuditEvent::decision(&DecisionRecord {
                        principal: &principal,
                        action: "ec2:StartInstances",
                        resource: &resource,
                        verdict: Verdict::Allow,
                        decided_by: Some(DecidedBy::Statement {
                            policy: 0,
                            statement: 0,
                            sid: Some("SameTeam"),
                        }),
                        grants,
                        policy_revision: Some(Revision::Number(1)),
                        grant_revision: Some(Revision::Number(i as u64)),
                        time,
                        reason: None,
                    }));
                }
            });
        }
        // Issue and revoke through a real grant store, which records its own events.
        let store = GrantStore::new().with_audit(Arc::clone(&log));
        s.spawn(move || {
            for n in 0..GRANTS {
                store.issue(grant(n)).expect("issued");
                store
                    .revoke(&format!("g-{n}"), "carol", time)
                    .expect("revoked");
            }
        });
    });
    let log = Arc::try_unwrap(log).unwrap_or_else(|_| panic!("the store is gone: one owner"));
    let stats = log.close().expect("closes");
    let produced_in = start.elapsed();

    let expected = (DECIDERS * DECISIONS + DECIDERS * DECISIONS / USES + 2 * GRANTS) as u64;
    assert_eq!(stats.produced, expected);
    assert_eq!(stats.written, expected);
    assert_eq!(stats.dropped, 0, "a blocking log never drops");

    let start = Instant::now();
    let mut ids = HashSet::with_capacity(expected as usize);
    let mut next = [0usize; DECIDERS];
    let (mut issued, mut revoked) = (0, 0);
    let mut last_decision = String::new();
    let mut used_expected = 0;
    let mut count = 0u64;
    for (n, line) in BufReader::new(File::open(&path).expect("open"))
        .lines()
        .enumerate()
    {
        let line = line.expect("read");
        let v: Value = serde_json::from_str(&line).unwrap_or_else(|e| panic!("{e}: {line}"));
        assert_eq!(v["v"], 1);
        assert_eq!(
            v["seq"].as_u64(),
            Some(n as u64),
            "seq has no gap or duplicate"
        );
        let id = v["id"].as_str().expect("id");
        assert_eq!(id, format!("{prefix}-{n}"));
        assert!(ids.insert(id.to_string()), "duplicate id {id}");
        assert!(v["ts"].is_string());
        assert_eq!(used_expected > 0, v["event"] == "grant.used", "line {n}");
        match v["event"].as_str().expect("event") {
            "decision" => {
                let resource = v["resource"].as_str().expect("resource");
                let (t, i) = resource
                    .rsplit_once('/')
                    .and_then(|(_, r)| r.split_once('-'))
                    .expect("t-i");
                let (t, i): (usize, usize) = (t.parse().expect("t"), i.parse().expect("i"));
                assert_eq!(i, next[t], "thread {t}'s decisions in its order");
                next[t] += 1;
                assert_eq!(v["principal"], format!("user-{t}"));
                assert_eq!(v["grant_revision"], i);
                last_decision = id.to_string();
                used_expected = v["grants"].as_array().expect("grants").len();
            }
            "grant.used" => {
                assert_eq!(v["decision"], last_decision.as_str());
                assert_eq!(v["grant"], "g-1");
                used_expected -= 1;
            }
            "grant.issued" => {
                assert_eq!(v["grant"], format!("g-{issued}"));
                issued += 1;
            }
            "grant.revoked" => {
                assert_eq!(v["grant"], format!("g-{revoked}"));
                revoked += 1;
                assert!(revoked <= issued, "revoked after issued");
            }
            other => panic!("unexpected event {other}"),
        }
        count += 1;
    }
    assert_eq!(count, expected, "one line per event");
    assert_eq!(next, [DECISIONS; DECIDERS]);
    assert_eq!((issued, revoked), (GRANTS, GRANTS));
    eprintln!(
        "blocking: {expected} events from 5 threads written in {produced_in:?}, checked in {:?}",
        start.elapsed()
    );
    std::fs::remove_file(&path).expect("remove");
}
