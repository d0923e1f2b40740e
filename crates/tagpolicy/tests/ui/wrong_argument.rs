static P: tagpolicy::CompiledPolicy = tagpolicy::policy!(fiel = "policies/owner.json");

fn main() {}
