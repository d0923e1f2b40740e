static P: tagpolicy::CompiledPolicy = tagpolicy::policy!(
    r#"{
  "Version": "2012-10-17",
  "Statement": [{
    "Effect": "Allow", "Action": "ec2:StartInstances", "Resource": "*",
    "Condition": { "StringEqual": { "aws:ResourceTag/Owner": "${aws:username}" } }
  }]
}"#
);

fn main() {}
