static P: tagpolicy::CompiledPolicy = tagpolicy::policy!(
    r#"{
  "Version": "2012-10-17",
  "Statement": [{
    "Effect": "Deny", "Action": "*", "Resource": "*",
    "Condition": { "NotIpAddress": { "aws:SourceIp": ["203.0.113.0/24", "10.0.0.0/33"] } }
  }]
}"#
);

fn main() {}
