static P: tagpolicy::CompiledPolicy = tagpolicy::policy!({
    "Version": "2012-10-17",
    "Statement": []
});

fn main() {}
