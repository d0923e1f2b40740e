//! The small vocabulary shared by the random policy corpus (`build.rs`) and the random requests of
//! `tests/agreement.rs`: both draw from the same names and values, so random requests actually hit
//! the generated actions, resources and conditions.
// Each side uses only part of the vocabulary.
#![allow(dead_code)]

/// Services and the action names of each (as AWS spells them).
pub const ACTIONS: &[(&str, &[&str])] = &[
    (
        "s3",
        &[
            "GetObject",
            "PutObject",
            "DeleteObject",
            "ListBucket",
            "GetBucketTagging",
        ],
    ),
    (
        "ec2",
        &[
            "StartInstances",
            "StopInstances",
            "DescribeInstances",
            "CreateTags",
            "GetConsoleOutput",
        ],
    ),
    ("iam", &["GetUser", "CreateUser", "TagRole", "ListRoles"]),
    ("sqs", &["SendMessage", "ReceiveMessage", "GetQueueUrl"]),
    ("dynamodb", &["GetItem", "PutItem", "Query"]),
];

/// The condition keys policies use and requests set (in their usual spelling; both sides write
/// them in random case).
pub const KEYS: &[&str] = &[
    "aws:username",
    "aws:ResourceTag/owner",
    "aws:ResourceTag/team",
    "aws:ResourceTag/env",
    "aws:PrincipalTag/team",
    "aws:PrincipalTag/role",
    "aws:RequestTag/owner",
    "aws:RequestTag/env",
    "aws:TagKeys",
    "aws:SourceIp",
    "aws:CurrentTime",
    "aws:EpochTime",
    "s3:max-keys",
    "aws:SecureTransport",
    "aws:SourceArn",
    "aws:MultiFactorAuthPresent",
];

/// Rare keys at the edges of the tag-key syntax: a tag family prefix with an empty tag key, a
/// tag key with a `/`.
pub const EDGE_KEYS: &[&str] = &[
    "aws:ResourceTag/",
    "aws:PrincipalTag/",
    "aws:RequestTag/",
    "aws:ResourceTag/team/x",
];

/// User names (also principals).
pub const USERS: &[&str] = &["alice", "bob", "Alice", "carol", "a*b", "al?ce"];

/// Tag values: teams, roles, owners, environments.
pub const TAG_VALUES: &[&str] = &[
    "ops", "dev", "Ops", "sec", "prod", "staging", "alice", "bob", "none", "team-ops", "prod-eu",
    "admin", "",
];

/// Tag keys (for tag sets and `aws:TagKeys`).
pub const TAG_KEYS: &[&str] = &["owner", "team", "env", "role", "Owner", "ENV", "cost"];

/// Regions and accounts of ARNs.
pub const REGIONS: &[&str] = &["us-east-1", "eu-west-1", ""];
/// Accounts of ARNs.
pub const ACCOUNTS: &[&str] = &["111122223333", "444455556666", ""];

/// Resource types (with their separator) by service.
pub const RESOURCE_TYPES: &[(&str, &[&str])] = &[
    ("s3", &["bucket-a/", "bucket-b/", "bucket-a"]),
    ("ec2", &["instance/", "volume/"]),
    ("iam", &["user/", "role/"]),
    ("sqs", &["queue-", ""]),
    ("dynamodb", &["table/"]),
];

/// Dates, as policy values and as request values.
pub const DATES: &[&str] = &[
    "2026-01-01T00:00:00Z",
    "2026-11-22",
    "2026-11-22T10:00:00Z",
    "2026-11-22T11:00:00+01:00",
    "2027-06-30T23:59:59.5Z",
    "1795341600",
    "2020-02-29",
];

/// Numbers written as text.
pub const NUMBERS: &[&str] = &["0", "10", "100", "2.5", "-1", "1000", "10.0", "1795341600"];

/// IP addresses (request side).
pub const IPS: &[&str] = &[
    "10.1.2.3",
    "10.0.0.1",
    "192.168.1.7",
    "203.0.113.5",
    "172.16.0.1",
    "2001:db8::1",
    "2001:db9::1",
    "::1",
    "::ffff:10.0.0.1",
];

/// ARNs (request side and `Arn*` policy values).
pub const ARNS: &[&str] = &[
    "arn:aws:iam::111122223333:user/alice",
    "arn:aws:iam::111122223333:role/ops-admin",
    "arn:aws:s3:::bucket-a",
    "arn:aws:s3:::bucket-a/home/alice/x.txt",
    "arn:aws:sns:us-east-1:111122223333:topic:sub",
    "arn:aws:ec2:eu-west-1:444455556666:instance/i-0a1b",
];

/// Base64 values of `BinaryEquals`.
pub const BINARY: &[&str] = &["QmluYXJ5", "YWJj", "dGVzdA=="];
