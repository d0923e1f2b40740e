static P: tagpolicy::CompiledPolicy = tagpolicy::policy!(
    r#"{
  "Version": "2012-10-17",
  "Statement": [{
    "Effect": "Allow", "Action": "sqs:SendMessage", "Resource": "*",
    "Condition": { "NumericLessThan": { "sqs:MessageSize": "64k" } }
  }]
}"#
);

fn main() {}
