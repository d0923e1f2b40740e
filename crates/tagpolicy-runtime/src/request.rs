//! The request a policy decides: borrowed data only, built without allocation.

use crate::grants::{GrantContext, GrantTable};
use crate::ip::IpAddr;
use crate::time::Timestamp;

/// A typed context value, as a caller supplies it.
///
/// Strings are the common case (every value in a case file is a string or a list of strings);
/// operators interpret them as they need (`NumericLessThan` parses a number from `Str`, `DateLessThan`
/// a date, `IpAddress` an address). Typed variants spare that parsing on a hot path.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Value<'a> {
    /// A single string.
    Str(&'a str),
    /// A multi-valued key (`aws:TagKeys`, `aws:PrincipalOrgPaths`, …).
    List(&'a [&'a str]),
    /// A number.
    Number(f64),
    /// A boolean.
    Bool(bool),
    /// A point in time.
    Time(Timestamp),
    /// An IP address.
    Ip(IpAddr),
}

/// One value as an operator sees it: one element of a key's value(s).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Scalar<'a> {
    /// A string.
    Str(&'a str),
    /// A number.
    Number(f64),
    /// A boolean.
    Bool(bool),
    /// A point in time.
    Time(Timestamp),
    /// An IP address.
    Ip(IpAddr),
}

/// A tag: key and value.
pub type Tag<'a> = (&'a str, &'a str);

/// Which tag set a tag key belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TagFamily {
    /// `aws:PrincipalTag/k`: tags of the calling principal (and tags granted to it).
    Principal,
    /// `aws:ResourceTag/k`: tags of the resource acted on.
    Resource,
    /// `aws:RequestTag/k`: tags the request wants to set.
    Request,
}

impl TagFamily {
    /// The lower-cased key prefix of this family, `aws:principaltag/` and so on.
    pub const fn prefix(self) -> &'static str {
        match self {
            TagFamily::Principal => "aws:principaltag/",
            TagFamily::Resource => "aws:resourcetag/",
            TagFamily::Request => "aws:requesttag/",
        }
    }
}

/// A request to decide. It borrows everything it refers to.
///
/// ```
/// use tagpolicy_runtime::request::{Request, Value};
/// let ctx = [("aws:username", Value::Str("alice"))];
/// let tags = [("Owner", "alice")];
/// let req = Request::new("ec2:StartInstances", "arn:aws:ec2:us-east-1:1:instance/i-1")
///     .with_context(&ctx)
///     .with_resource_tags(&tags);
/// assert_eq!(req.action, "ec2:StartInstances");
/// ```
#[derive(Clone, Copy, Debug)]
pub struct Request<'a> {
    /// The action, `service:Name`; matched case-insensitively.
    pub action: &'a str,
    /// The resource ARN (or `*`); matched case-sensitively.
    pub resource: &'a str,
    /// The identity that grants name and that `Principal` elements match.
    pub principal: Option<&'a str>,
    /// Context keys and their values; key names are case-insensitive. The first entry of a key wins.
    pub context: &'a [(&'a str, Value<'a>)],
    /// Tags of the principal: `aws:PrincipalTag/k` when the context does not set that key.
    pub principal_tags: &'a [Tag<'a>],
    /// Tags of the resource: `aws:ResourceTag/k` when the context does not set that key.
    pub resource_tags: &'a [Tag<'a>],
    /// Tags in the request: `aws:RequestTag/k`, and their keys are `aws:TagKeys`, when the context
    /// does not set those keys.
    pub request_tags: &'a [Tag<'a>],
    /// The evaluation time: `aws:CurrentTime` and `aws:EpochTime` when the context does not set them.
    /// Grants count only for a request with a time.
    pub time: Option<Timestamp>,
    /// The grants of the principal: a tag that a grant counting for this request gives replaces
    /// the principal's own `aws:PrincipalTag/k`, wherever that came from.
    pub grants: &'a GrantTable<'a>,
}

impl<'a> Request<'a> {
    /// A request with an action and a resource and nothing else.
    pub const fn new(action: &'a str, resource: &'a str) -> Self {
        Request {
            action,
            resource,
            principal: None,
            context: &[],
            principal_tags: &[],
            resource_tags: &[],
            request_tags: &[],
            time: None,
            grants: &GrantTable::EMPTY,
        }
    }

    /// Sets the context keys.
    pub const fn with_context(mut self, context: &'a [(&'a str, Value<'a>)]) -> Self {
        self.context = context;
        self
    }

    /// Sets the principal.
    pub const fn with_principal(mut self, principal: &'a str) -> Self {
        self.principal = Some(principal);
        self
    }

    /// Sets the principal's tags.
    pub const fn with_principal_tags(mut self, tags: &'a [Tag<'a>]) -> Self {
        self.principal_tags = tags;
        self
    }

    /// Sets the resource's tags.
    pub const fn with_resource_tags(mut self, tags: &'a [Tag<'a>]) -> Self {
        self.resource_tags = tags;
        self
    }

    /// Sets the tags the request carries.
    pub const fn with_request_tags(mut self, tags: &'a [Tag<'a>]) -> Self {
        self.request_tags = tags;
        self
    }

    /// Sets the evaluation time.
    pub const fn with_time(mut self, time: Timestamp) -> Self {
        self.time = Some(time);
        self
    }

    /// Sets the principal's grants (a grant store's table for that principal).
    pub const fn with_grants(mut self, grants: &'a GrantTable<'a>) -> Self {
        self.grants = grants;
        self
    }

    /// What decides whether a grant counts for this request.
    pub const fn grant_context(&self) -> GrantContext<'a> {
        GrantContext {
            principal: self.principal,
            time: self.time,
            action: self.action,
            resource: self.resource,
        }
    }

    /// The service prefix of the action (the text before the first `:`), if it has one.
    pub fn service(&self) -> Option<&'a str> {
        self.action.split_once(':').map(|(service, _)| service)
    }
}

impl crate::grants::GrantScope for Request<'_> {
    fn action_and_resource(&self) -> (&str, &str) {
        (self.action, self.resource)
    }
}
