static P: tagpolicy::CompiledPolicy = tagpolicy::policy!(
    r#"{
  "Version": "2012-10-17",
  "Statement": [
    { "Effect": "Allow", "Action": "s3:GetObject", "Resource": "*", }
  ]
}"#
);

fn main() {}
