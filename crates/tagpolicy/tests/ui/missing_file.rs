static P: tagpolicy::CompiledPolicy = tagpolicy::policy!(file = "policies/no-such-file.json");

fn main() {}
