static P: tagpolicy::CompiledPolicy = tagpolicy::policy!(
    r#"{
  "Version": "2012-10-17",
  "Statement": [{
    "Effect": "Deny",
    "Action": "s3:*",
    "NotAction": "s3:GetObject",
    "Resource": "*"
  }]
}"#
);

fn main() {}
