//! `owner_tag_e2e`: every contender starts from the application's own struct ([`App`]) and the
//! timing includes building its request from it, then deciding with the `owner_tag` rule.
//!
//! - ours (`compiled`, `runtime`, and `naive_json`, which reads the same request): the instance
//!   ARN written into a stack buffer, the tags borrowed into a stack array, `aws:username` in a
//!   one-entry context; no allocation;
//! - `handwritten`: reads the struct directly (it knows the resource is an EC2 instance);
//! - `cedar`: the principal and resource `Entity` (tags with lower-cased keys), `Entities`, a
//!   `Request`;
//! - `regorus`: the input `Value` (then the compiled RVM program runs);
//! - `casbin`: the `(sub, obj, act)` arguments, serialised by casbin (`enforce` with serde
//!   structs, casbin's documented ABAC form).

use std::collections::BTreeMap;
use std::str::FromStr;

use tagpolicy::{Policy, Request, Value};

use crate::cases::folded;
use crate::{casbin_peer, handwritten, naive, rego_peer, seeds, Decide, Visitor};

/// What the application has at hand when it asks.
#[derive(Clone, Debug)]
pub struct App {
    /// The user's name.
    pub user: String,
    /// `ec2:Action`.
    pub action: String,
    /// The instance id, `i-…`.
    pub instance_id: String,
    /// The instance's tags.
    pub tags: Vec<(String, String)>,
}

/// The prefix of the instances' ARNs (one region and account).
pub const ARN_PREFIX: &str = "arn:aws:ec2:us-east-1:111122223333:instance/";

fn app(user: &str, action: &str, id: &str, tags: &[(&str, &str)], allow: bool) -> (App, bool) {
    let app = App {
        user: user.to_owned(),
        action: action.to_owned(),
        instance_id: id.to_owned(),
        tags: tags
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
    };
    (app, allow)
}

/// The requests of the group and their expected decisions.
pub fn apps() -> Vec<(App, bool)> {
    let me = "richard-roe";
    vec![
        app(
            me,
            "ec2:StartInstances",
            "i-0abc123",
            &[
                ("Name", "web-1"),
                ("Environment", "production"),
                ("Owner", me),
            ],
            true,
        ),
        app(me, "ec2:StopInstances", "i-0def456", &[("owner", me)], true),
        app(
            me,
            "ec2:StartInstances",
            "i-1",
            &[("Owner", "jane-doe")],
            false,
        ),
        app(
            me,
            "ec2:TerminateInstances",
            "i-0abc123",
            &[("Owner", me)],
            false,
        ),
        app(
            "jane-doe",
            "ec2:DescribeInstances",
            "i-0abc123",
            &[("Owner", me)],
            true,
        ),
        app(me, "ec2:StartInstances", "i-2", &[], false),
    ]
}

const STACK_TAGS: usize = 16;

/// Builds our request from `app` on the stack and hands it to `f`.
#[inline]
pub fn with_request<R>(app: &App, f: impl FnOnce(&Request<'_>) -> R) -> R {
    let mut buf = [0u8; 128];
    let prefix = ARN_PREFIX.as_bytes();
    let id = app.instance_id.as_bytes();
    let len = prefix.len() + id.len();
    let heap;
    let arn = match buf.get_mut(..len) {
        Some(dst) => {
            dst[..prefix.len()].copy_from_slice(prefix);
            dst[prefix.len()..].copy_from_slice(id);
            std::str::from_utf8(dst).unwrap_or_default()
        }
        None => {
            heap = format!("{ARN_PREFIX}{}", app.instance_id);
            heap.as_str()
        }
    };
    let ctx = [("aws:username", Value::Str(&app.user))];
    let mut stack = [("", ""); STACK_TAGS];
    let vec;
    let tags: &[(&str, &str)] = if app.tags.len() <= STACK_TAGS {
        for (slot, (k, v)) in stack.iter_mut().zip(&app.tags) {
            *slot = (k.as_str(), v.as_str());
        }
        &stack[..app.tags.len()]
    } else {
        vec = app
            .tags
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect::<Vec<_>>();
        &vec
    };
    let req = Request::new(&app.action, arn)
        .with_context(&ctx)
        .with_resource_tags(tags);
    f(&req)
}

/// Our paths, end to end.
pub struct OursE2e<P> {
    policy: P,
    apps: Vec<App>,
}

impl<P: Policy> Decide for OursE2e<P> {
    fn requests(&self) -> usize {
        self.apps.len()
    }

    fn decide(&mut self, i: usize) -> bool {
        let policy = &self.policy;
        with_request(&self.apps[i], |req| policy.evaluate(req).is_allowed())
    }
}

/// Hand-written, end to end.
pub struct HandE2e(Vec<App>);

impl Decide for HandE2e {
    fn requests(&self) -> usize {
        self.0.len()
    }

    fn decide(&mut self, i: usize) -> bool {
        let app = &self.0[i];
        handwritten::owner_tag_app(&app.user, &app.action, &app.tags)
    }
}

/// `naive_json`, end to end: our request, then parse and interpret.
pub struct NaiveE2e(Vec<App>);

impl Decide for NaiveE2e {
    fn requests(&self) -> usize {
        self.0.len()
    }

    fn decide(&mut self, i: usize) -> bool {
        with_request(&self.0[i], |req| {
            naive::decide(&[seeds::OWNER_TAG_JSON], req)
        })
    }
}

/// Cedar, end to end.
pub struct CedarE2e {
    policies: cedar_policy::PolicySet,
    authorizer: cedar_policy::Authorizer,
    user_type: cedar_policy::EntityTypeName,
    action_type: cedar_policy::EntityTypeName,
    resource_type: cedar_policy::EntityTypeName,
    apps: Vec<App>,
}

impl CedarE2e {
    fn new(apps: Vec<App>) -> Self {
        use cedar_policy::{Authorizer, EntityTypeName, PolicySet};
        let ty = |t: &str| EntityTypeName::from_str(t).unwrap_or_else(|e| panic!("{e}"));
        CedarE2e {
            policies: PolicySet::from_str(crate::cedar_peer::OWNER_TAG)
                .unwrap_or_else(|e| panic!("{e}")),
            authorizer: Authorizer::new(),
            user_type: ty("User"),
            action_type: ty("Action"),
            resource_type: ty("Resource"),
            apps,
        }
    }
}

impl Decide for CedarE2e {
    fn requests(&self) -> usize {
        self.apps.len()
    }

    fn decide(&mut self, i: usize) -> bool {
        use cedar_policy::{
            Context, Decision, Entities, Entity, EntityId, EntityUid, Request,
            RestrictedExpression as X,
        };
        let app = &self.apps[i];
        let principal =
            EntityUid::from_type_name_and_id(self.user_type.clone(), EntityId::new(&app.user));
        let user = Entity::new_with_tags(
            principal.clone(),
            [("name".to_owned(), X::new_string(app.user.clone()))],
            [],
            [],
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let arn = format!("{ARN_PREFIX}{}", app.instance_id);
        let resource =
            EntityUid::from_type_name_and_id(self.resource_type.clone(), EntityId::new(&arn));
        let tags = folded(&app.tags)
            .into_iter()
            .map(|(k, v)| (k, X::new_string(v)));
        let instance = Entity::new_with_tags(
            resource.clone(),
            [("arn".to_owned(), X::new_string(arn))],
            [],
            tags,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let action =
            EntityUid::from_type_name_and_id(self.action_type.clone(), EntityId::new(&app.action));
        let request = Request::new(principal, action, resource, Context::empty(), None)
            .unwrap_or_else(|e| panic!("{e}"));
        let entities =
            Entities::from_entities([user, instance], None).unwrap_or_else(|e| panic!("{e}"));
        self.authorizer
            .is_authorized(&request, &self.policies, &entities)
            .decision()
            == Decision::Allow
    }
}

/// regorus, end to end.
pub struct RegoE2e {
    vm: regorus::rvm::RegoVM,
    apps: Vec<App>,
}

impl Decide for RegoE2e {
    fn requests(&self) -> usize {
        self.apps.len()
    }

    fn decide(&mut self, i: usize) -> bool {
        use regorus::Value as V;
        let app = &self.apps[i];
        let tags: BTreeMap<V, V> = folded(&app.tags)
            .into_iter()
            .map(|(k, v)| (V::from(k), V::from(v)))
            .collect();
        let input: BTreeMap<V, V> = [
            (V::from("action"), V::from(app.action.as_str())),
            (
                V::from("resource"),
                V::from(format!("{ARN_PREFIX}{}", app.instance_id)),
            ),
            (V::from("username"), V::from(app.user.as_str())),
            (V::from("resource_tags"), V::from(tags)),
        ]
        .into_iter()
        .collect();
        rego_peer::vm_allowed(&mut self.vm, V::from(input))
    }
}

/// casbin, end to end.
pub struct CasbinE2e {
    enforcer: casbin::Enforcer,
    apps: Vec<App>,
}

impl Decide for CasbinE2e {
    fn requests(&self) -> usize {
        self.apps.len()
    }

    fn decide(&mut self, i: usize) -> bool {
        use casbin::CoreApi;
        let app = &self.apps[i];
        let sub = casbin_peer::Sub {
            name: app.user.clone(),
            tags: BTreeMap::new(),
        };
        let obj = casbin_peer::Obj {
            arn: format!("{ARN_PREFIX}{}", app.instance_id),
            tags: folded(&app.tags).into_iter().collect(),
            req_tags: BTreeMap::new(),
            tag_keys: Vec::new(),
        };
        self.enforcer
            .enforce((sub, obj, app.action.as_str()))
            .unwrap_or_else(|e| panic!("{e}"))
    }
}

/// The `owner_tag_e2e` group.
pub fn owner_tag_e2e<V: Visitor>(v: &mut V) {
    let apps: Vec<App> = apps().into_iter().map(|(a, _)| a).collect();
    v.contender("compiled", || OursE2e {
        policy: seeds::OWNER_TAG,
        apps: apps.clone(),
    });
    v.contender("runtime", || OursE2e {
        policy: seeds::load(&[seeds::OWNER_TAG_JSON]),
        apps: apps.clone(),
    });
    v.contender("handwritten", || HandE2e(apps.clone()));
    v.contender("cedar", || CedarE2e::new(apps.clone()));
    v.contender("regorus", || RegoE2e {
        vm: rego_peer::vm(rego_peer::OWNER_TAG).unwrap_or_else(|e| panic!("{e}")),
        apps: apps.clone(),
    });
    v.contender("casbin", || CasbinE2e {
        enforcer: casbin_peer::enforcer(
            casbin_peer::OWNER_TAG_MODEL,
            casbin_peer::owner_tag_lines(),
        ),
        apps: apps.clone(),
    });
    v.contender("naive_json", || NaiveE2e(apps.clone()));
}
