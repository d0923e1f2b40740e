//! A benchmark request in neutral form, and its translation into our borrowed [`Request`].
//!
//! The peers' native forms are built from the same [`Case`] in their modules. Translations are
//! setup work, outside the timed loop of the decide groups (the `owner_tag_e2e` group times the
//! building of each contender's request).

use tagpolicy::{Request, Value};

/// One request of a workload, with the decision the seed case file expects (for the generated
/// sets, the reference is our run-time evaluator, see `check_agreement`).
#[derive(Clone, Debug, Default)]
pub struct Case {
    /// `service:Action`, in its canonical case (peers compare actions case-sensitively).
    pub action: String,
    /// The resource ARN, or `*`.
    pub resource: String,
    /// `aws:username`, if the request has one.
    pub username: Option<String>,
    /// Tags of the principal.
    pub principal_tags: Vec<(String, String)>,
    /// Tags of the resource.
    pub resource_tags: Vec<(String, String)>,
    /// Tags the request sets (their keys are `aws:TagKeys`).
    pub request_tags: Vec<(String, String)>,
    /// The expected decision, where known.
    pub expected: Option<bool>,
}

impl Case {
    /// A request for `action` on `resource`.
    pub fn new(action: &str, resource: &str) -> Self {
        Case {
            action: action.to_owned(),
            resource: resource.to_owned(),
            ..Case::default()
        }
    }

    /// With a user name.
    pub fn user(mut self, name: &str) -> Self {
        self.username = Some(name.to_owned());
        self
    }

    /// With principal tags.
    pub fn principal_tags(mut self, tags: &[(&str, &str)]) -> Self {
        self.principal_tags = owned(tags);
        self
    }

    /// With resource tags.
    pub fn resource_tags(mut self, tags: &[(&str, &str)]) -> Self {
        self.resource_tags = owned(tags);
        self
    }

    /// With request tags.
    pub fn request_tags(mut self, tags: &[(&str, &str)]) -> Self {
        self.request_tags = owned(tags);
        self
    }

    /// Expecting Allow (`true`) or Deny.
    pub fn expect(mut self, allow: bool) -> Self {
        self.expected = Some(allow);
        self
    }

    /// Our borrowed request; its data is leaked (benchmark setup, once per process).
    pub fn to_request(&self) -> Request<'static> {
        let context: &'static [(&'static str, Value<'static>)] = match &self.username {
            Some(u) => leak(vec![("aws:username", Value::Str(leak_str(u)))]),
            None => &[],
        };
        Request::new(leak_str(&self.action), leak_str(&self.resource))
            .with_context(context)
            .with_principal_tags(leak_tags(&self.principal_tags))
            .with_resource_tags(leak_tags(&self.resource_tags))
            .with_request_tags(leak_tags(&self.request_tags))
    }
}

/// Our requests for a list of cases.
pub fn requests(cases: &[Case]) -> Vec<Request<'static>> {
    cases.iter().map(Case::to_request).collect()
}

/// Tags with their keys lower-cased, the first of equal keys kept: how the peers receive tag
/// sets, since IAM compares tag keys case-insensitively and they compare strings exactly.
pub fn folded(tags: &[(String, String)]) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::with_capacity(tags.len());
    for (k, v) in tags {
        let k = k.to_ascii_lowercase();
        if !out.iter().any(|(seen, _)| *seen == k) {
            out.push((k, v.clone()));
        }
    }
    out
}

fn owned(tags: &[(&str, &str)]) -> Vec<(String, String)> {
    tags.iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

fn leak<T>(v: Vec<T>) -> &'static [T] {
    Box::leak(v.into_boxed_slice())
}

fn leak_str(s: &str) -> &'static str {
    Box::leak(s.to_owned().into_boxed_str())
}

fn leak_tags(tags: &[(String, String)]) -> &'static [(&'static str, &'static str)] {
    leak(
        tags.iter()
            .map(|(k, v)| (leak_str(k), leak_str(v)))
            .collect(),
    )
}
