//! Policy sets of disagreements between the compiled and the run-time path that the property test
//! (`tests/agreement.rs`) found. They open the random corpus, so they are compiled by `build.rs`
//! like every random set, and `tests/agreement.rs` replays their minimal requests: requests with
//! tag sets, which case files (SPEC §6) cannot express.

/// A condition on `aws:PrincipalTag/`, `aws:ResourceTag/` or `aws:RequestTag/` (a tag family
/// prefix with an empty tag key, which the IR treats as an ordinary context key, not a tag key),
/// and a request whose tag set has a tag with an empty key. Intended: the tag does not feed the
/// key, the key is missing, the condition fails, implicit deny. The compiled path fed the tag to
/// the key (its key table looked up `prefix + tag key` by name) and allowed.
pub const EMPTY_TAG_KEY: &str = r#"[{"Version": "2012-10-17", "Statement": [
  {"Sid": "P", "Effect": "Allow", "Action": "s3:GetObject", "Resource": "*",
   "Condition": {"StringEquals": {"aws:PrincipalTag/": "ops"}}},
  {"Sid": "R", "Effect": "Allow", "Action": "s3:PutObject", "Resource": "*",
   "Condition": {"StringEquals": {"aws:ResourceTag/": "ops"}}},
  {"Sid": "Q", "Effect": "Allow", "Action": "s3:DeleteObject", "Resource": "*",
   "Condition": {"StringEquals": {"aws:RequestTag/": "ops"}}}
]}]"#;

/// Every regression set, in corpus order.
pub const ALL: &[&str] = &[EMPTY_TAG_KEY];
