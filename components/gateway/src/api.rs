//! The `/api/v1` front: matches the route table, applies CORS, rate limits,
//! authentication and authorization, deprecation headers and a request id to every
//! response, and dispatches to the handlers by the route's endpoint (an exhaustive
//! match: a route without a handler does not compile). Host-free: a request comes in
//! as values, the services and the outside world are reached through [`Backend`], and
//! a response goes out as values.
//!
//! Order of checks for a server's route ([`Endpoint::Server`]): the per-address rate
//! limit (so guessing credentials is limited too), the credential (401; the deployment
//! administrator's token is refused with 403), the per-token rate limit, the route's
//! guard — the server in the path and the scope, decided by identity's `authorize`
//! (403) — then the handler.
//!
//! For a deployment route ([`Endpoint::Deployment`]): the per-address rate limit, the
//! `gateway_admin_token` setting (503 naming it when unset), the administrator's token
//! (401; a server's credential is refused with 403), then the handler.

use crate::address::{self, TrustedProxies};
use crate::auth::{self, AdminToken, Caller, Verifiers};
use crate::backend::Backend;
use crate::cors::Cors;
use crate::ratelimit::{self, Decision, Limits, Policy};
use crate::reply::{Outcome, Problem};
use crate::router::{self, Match};
use crate::routes::{Deployment, Endpoint, Public, Route, Server, ROUTES};
use crate::status::Upstream;
use crate::{
    api_keys, deployment, guild, meetings, openapi, signin, status, subscriptions, upstream,
};
use common::ApiError;
use contracts::identity::Scope;
use contracts::Actor;

pub use crate::reply::Response;

/// A request as values.
#[derive(Debug, Clone, Default)]
pub struct Request<'a> {
    /// The method, upper case.
    pub method: &'a str,
    /// The request target: path and query.
    pub path_with_query: &'a str,
    /// The `Origin` header, if any.
    pub origin: Option<&'a str>,
    /// The `Authorization` header, if any.
    pub authorization: Option<&'a str>,
    /// The `If-Match` header, if any.
    pub if_match: Option<&'a str>,
    /// The peer's address as Spin set it: the **last** `spin-client-addr` (a client's
    /// own come first), if any.
    pub client_addr: Option<&'a str>,
    /// The values of every `X-Forwarded-For` header, in order; read only when the peer
    /// is a trusted proxy ([`crate::address`]).
    pub forwarded_for: &'a [String],
    /// The body.
    pub body: &'a [u8],
}

/// Answers one request.
pub async fn handle<B: Backend>(request: &Request<'_>, backend: &B) -> Response {
    let request_id = backend.request_id();
    let cors = Cors::from_setting(backend.setting("cors_allowed_origins").as_deref());
    let (matched, outcome) = respond(request, backend, &cors).await;
    let mut response = match outcome {
        Ok(response) => response,
        Err(problem) => {
            if problem.error.status >= 500 || problem.log.is_some() {
                backend.log(&format!(
                    "request {request_id}: {} {} -> {} {}{}",
                    request.method,
                    matched.map_or("(no route)", |r| r.path),
                    problem.error.status,
                    problem.error.code,
                    problem
                        .log
                        .as_deref()
                        .map(|detail| format!(": {detail}"))
                        .unwrap_or_default(),
                ));
            }
            problem.into_response()
        }
    };
    if let Some(route) = matched {
        response.headers.extend(deprecation_headers(route));
    }
    response.headers.extend(cors.headers(request.origin));
    response.headers.push(("x-request-id", request_id));
    // The route's template, not the path: ids stay out of the counters' labels.
    common::telemetry::http_request(matched.map_or("(no route)", |r| r.path), response.status);
    response
}

/// The `Deprecation`, `Sunset` and `Link` headers of a deprecated route.
fn deprecation_headers(route: &Route) -> Vec<(&'static str, String)> {
    match route.deprecated {
        None => Vec::new(),
        Some(deprecation) => vec![
            ("deprecation", deprecation.since.to_owned()),
            ("sunset", deprecation.sunset.to_owned()),
            (
                "link",
                format!("<{}>; rel=\"successor-version\"", deprecation.successor),
            ),
        ],
    }
}

async fn respond<B: Backend>(
    request: &Request<'_>,
    backend: &B,
    cors: &Cors,
) -> (Option<&'static Route>, Outcome) {
    let (path, query) = request
        .path_with_query
        .split_once('?')
        .unwrap_or((request.path_with_query, ""));
    if request.method == "OPTIONS" {
        let outcome = match cors.preflight(request.origin) {
            Some(headers) => Ok(Response {
                status: 204,
                headers,
                body: Vec::new(),
            }),
            None => Err(Problem::forbidden(
                "cross-origin requests from this origin are not allowed",
            )),
        };
        return (None, outcome);
    }
    match router::find(ROUTES, request.method, path) {
        Match::NotFound => (
            None,
            Err(ApiError::not_found(format!(
                "no route {} {path}; see /api/v1/openapi.json",
                request.method
            ))
            .into()),
        ),
        Match::WrongMethod(methods) => {
            let allowed = methods.join(", ");
            let problem =
                Problem::from(ApiError::method_not_allowed(&allowed)).with("allow", allowed);
            (None, Err(problem))
        }
        Match::Found(route, params) => {
            let outcome = serve(route, &params, query, request, backend).await;
            (Some(route), outcome)
        }
    }
}

/// The verifiers of server credentials.
fn verifiers<B: Backend>(backend: &B) -> Verifiers<'_> {
    Verifiers {
        tokens: backend.tokens(),
        api_keys: backend.api_keys(),
    }
}

async fn serve<B: Backend>(
    route: &'static Route,
    params: &[(&'static str, String)],
    query: &str,
    request: &Request<'_>,
    backend: &B,
) -> Outcome {
    let limits = if route.endpoint.address_limited() {
        let limits = Limits::from_settings(|name| backend.setting(name))
            .map_err(|name| ApiError::not_configured(&[name.to_owned()]))?;
        if let Some(policy) = limits.per_address {
            if let Some(address) = client_subject(request, backend)? {
                count(backend, "addr", &address, policy, "client address")?;
            }
        }
        Some(limits)
    } else {
        None
    };
    let (guard, endpoint) = match route.endpoint {
        Endpoint::Public(endpoint) => return public(endpoint, query, request, backend).await,
        Endpoint::Deployment(endpoint) => {
            let admin = AdminToken::from_setting(admin_setting(backend).as_deref())?;
            let actor =
                auth::authenticate_admin(verifiers(backend), &admin, request.authorization)?;
            return administration(endpoint, &actor, query, request, backend);
        }
        Endpoint::Server(guard, endpoint) => (guard, endpoint),
    };
    let credential = auth::credential(request.authorization)?;
    let admin = AdminToken::from_setting(admin_setting(backend).as_deref()).ok();
    auth::refuse_admin_token(admin.as_ref(), credential)?;
    let caller = auth::authenticate(verifiers(backend), credential)?;
    let mut remaining = None;
    if let Some(policy) = limits.and_then(|l| l.per_token) {
        let (kind, subject) = caller.rate_subject();
        let what = if kind == "key" { "API key" } else { "token" };
        remaining = count(backend, kind, subject, policy, what)?.map(|left| (policy, left));
    }
    auth::authorize(backend.tokens(), guard, params, &caller)?;
    let mut response = server(endpoint, &caller, params, query, request, backend).await?;
    if let Some((policy, left)) = remaining {
        response
            .headers
            .push(("x-ratelimit-limit", policy.limit.to_string()));
        response
            .headers
            .push(("x-ratelimit-remaining", left.to_string()));
    }
    Ok(response)
}

/// What the per-address limit counts for this request ([`address::subject`] of
/// [`address::client`]); `None` when Spin gave no readable address.
///
/// # Errors
/// `503` naming [`address::TRUSTED_PROXIES_SETTING`] when it is malformed.
fn client_subject<B: Backend>(
    request: &Request<'_>,
    backend: &B,
) -> Result<Option<String>, Problem> {
    let trusted =
        TrustedProxies::from_setting(backend.setting(address::TRUSTED_PROXIES_SETTING).as_deref())
            .map_err(|name| ApiError::not_configured(&[name.to_owned()]))?;
    Ok(request
        .client_addr
        .and_then(|peer| address::client(peer, request.forwarded_for, &trusted))
        .map(address::subject))
}

/// The deployment administrator's token as set (a secret: never logged nor shown).
fn admin_setting<B: Backend>(backend: &B) -> Option<String> {
    backend.setting(auth::ADMIN_TOKEN_SETTING)
}

/// Counts one request of a subject; `Ok(None)` when the store could not count it (the
/// request goes through: the limit protects capacity, and the store failing would
/// fail the request's real work anyway).
fn count<B: Backend>(
    backend: &B,
    kind: &str,
    subject: &str,
    policy: Policy,
    what: &str,
) -> Result<Option<u32>, Problem> {
    match ratelimit::count(
        backend.rates(),
        &ratelimit::key(kind, subject),
        policy,
        backend.now(),
    ) {
        Ok(Decision::Allowed { remaining }) => Ok(Some(remaining)),
        Ok(Decision::Limited { retry_after_secs }) => {
            common::telemetry::event("rate_limited", &[("scope", kind.into())]);
            Err(Problem::rate_limited(what, retry_after_secs))
        }
        Err(err) => {
            backend.log(&format!("rate limit not counted for a {what}: {err:?}"));
            Ok(None)
        }
    }
}

/// The routes anyone may call.
async fn public<B: Backend>(
    endpoint: Public,
    query: &str,
    request: &Request<'_>,
    backend: &B,
) -> Outcome {
    match endpoint {
        Public::Health => Ok(status::health()),
        Public::Ready => ready(query, request, backend),
        Public::OpenApi => Ok(Response::json(200, &openapi::document(ROUTES))),
        Public::SignIn => signin::discord(backend, request.body).await,
        Public::Refresh => signin::refresh(backend, request.body).await,
        Public::Revoke => signin::revoke(backend, request.body),
    }
}

/// `GET /api/v1/ready[?upstream=true]`: with the deep check, Kaltura's state as
/// [`upstream::check`] knows it (at most one ping per interval for the deployment),
/// and why it fails only for an [`operator`].
///
/// # Errors
/// `400` for an `upstream` that is not `true` or `false`; `503` naming
/// [`upstream::INTERVAL_SETTING`] when it is malformed; `401` for a credential that is
/// not valid.
fn ready<B: Backend>(query: &str, request: &Request<'_>, backend: &B) -> Outcome {
    if !status::wants_upstream(query)? {
        return Ok(status::ready(backend, None));
    }
    let interval = upstream::interval(backend.setting(upstream::INTERVAL_SETTING).as_deref())
        .map_err(|name| ApiError::not_configured(&[name.to_owned()]))?;
    let detail = operator(request, backend)?;
    let kaltura = upstream::check(backend, interval);
    Ok(status::ready(backend, Some(Upstream { kaltura, detail })))
}

/// Whether the caller is an operator, who may see why Kaltura fails: the deployment
/// administrator's token, or a server credential holding `audit:read`. Without a
/// credential, not one; a credential that is not valid is refused, not ignored.
///
/// # Errors
/// `401` for a malformed, forged, expired or revoked credential; `503` when identity
/// cannot tell.
fn operator<B: Backend>(request: &Request<'_>, backend: &B) -> Result<bool, Problem> {
    if request.authorization.is_none() {
        return Ok(false);
    }
    let credential = auth::credential(request.authorization)?;
    if let Ok(admin) = AdminToken::from_setting(admin_setting(backend).as_deref()) {
        if admin.matches(credential.value()) {
            return Ok(true);
        }
    }
    let caller = auth::authenticate(verifiers(backend), credential)?;
    caller.holds(backend.tokens(), Scope::AuditRead)
}

/// The value of path parameter `name` (the route table guarantees it is there).
fn param<'p>(params: &'p [(&'static str, String)], name: &str) -> &'p str {
    params
        .iter()
        .find(|(n, _)| *n == name)
        .map_or("", |(_, v)| v.as_str())
}

/// A server's routes, for a caller that passed the route's guard.
async fn server<B: Backend>(
    endpoint: Server,
    caller: &Caller,
    params: &[(&'static str, String)],
    query: &str,
    request: &Request<'_>,
    backend: &B,
) -> Outcome {
    let meeting = || param(params, "meeting_id");
    let subscription = || param(params, "subscription_id");
    match endpoint {
        Server::Me => Ok(auth::me(caller)),
        Server::ListMeetings => meetings::list(backend, caller),
        Server::CreateMeeting => meetings::create(backend, caller, request.body).await,
        Server::GetMeeting => meetings::get(backend, caller, meeting()),
        Server::JoinMeeting => meetings::join(backend, caller, meeting()),
        Server::EndMeeting => meetings::end(backend, caller, meeting()),
        Server::GetConfig => guild::get_config(backend, caller),
        Server::UpdateConfig => {
            guild::update_config(backend, caller, request.if_match, request.body)
        }
        Server::ResetConfig => guild::reset_config(backend, caller, request.body),
        Server::AuditLog => guild::audit_log(backend, caller, query),
        Server::NotificationAuditLog => guild::notification_audit_log(backend, caller, query),
        Server::ListApiKeys => api_keys::list(backend, caller).await,
        Server::CreateApiKey => api_keys::create(backend, caller, request.body),
        Server::RevokeApiKey => api_keys::revoke(backend, caller, param(params, "key_id")),
        Server::ListSubscriptions => subscriptions::list(backend, caller),
        Server::CreateSubscription => subscriptions::create(backend, caller, request.body),
        Server::GetSubscription => subscriptions::get(backend, caller, subscription()),
        Server::DeleteSubscription => subscriptions::delete(backend, caller, subscription()),
        Server::PauseSubscription => {
            subscriptions::set_paused(backend, caller, subscription(), true)
        }
        Server::ResumeSubscription => {
            subscriptions::set_paused(backend, caller, subscription(), false)
        }
        Server::SubscriptionDeliveries => {
            subscriptions::deliveries(backend, caller, subscription(), query)
        }
    }
}

/// The deployment routes, for the deployment's administrator (recorded as `actor`).
fn administration<B: Backend>(
    endpoint: Deployment,
    actor: &Actor,
    query: &str,
    request: &Request<'_>,
    backend: &B,
) -> Outcome {
    match endpoint {
        Deployment::GetConfig => deployment::get_config(backend),
        Deployment::UpdateConfig => {
            deployment::update_config(backend, actor, request.if_match, request.body)
        }
        Deployment::AuditLog => deployment::audit_log(backend, query),
        Deployment::PumpEvents => subscriptions::pump(backend, query),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::routes::Endpoint;
    use crate::testing::*;
    use contracts::events::EventType;
    use contracts::identity::Scope;
    use contracts::kaltura::Requester;
    use contracts::{Actor, KalturaRole as Role};
    use serde_json::{json, Value};
    use std::cell::RefCell;
    use std::rc::Rc;

    fn sign_in(fake: &Fake, world: DiscordWorld, body: &str) -> Response {
        fake.discord(move |request| world.respond(request));
        fake.call("POST", "/api/v1/auth/discord", None, body)
    }

    const SIGN_IN: &str = r#"{"code":"good-code","guild_id":"100000000000000001"}"#;

    #[test]
    fn health_lists_every_component() {
        let response = Fake::default().get("/api/v1/health", None);
        assert_eq!(response.status, 200);
        assert_eq!(body(&response)["components"].as_array().unwrap().len(), 7);
    }

    #[test]
    fn every_answer_is_one_metric_event_under_its_route_template() {
        let fake = Fake::default();
        let (_, lines) = common::telemetry::capture(|| {
            fake.get("/api/v1/ready", None);
            fake.get("/api/v1/guilds/300000000000000001/config", None);
            fake.get("/api/v1/nothing-here", None);
        });
        let events: Vec<(String, u64)> = lines
            .iter()
            .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
            .filter(|l| l["event"] == "http_request")
            .map(|l| {
                (
                    l["route"].as_str().unwrap().to_owned(),
                    l["status"].as_u64().unwrap(),
                )
            })
            .collect();
        assert_eq!(events.len(), 3, "{events:?}");
        assert_eq!(events[0], ("/api/v1/ready".to_owned(), 200));
        assert_eq!(events[1].0, "/api/v1/guilds/{guild_id}/config");
        assert_eq!(events[2].0, "(no route)");
    }

    #[test]
    fn every_response_carries_a_request_id() {
        let fake = Fake::default();
        for path in ["/api/v1/health", "/api/v1/nope", "/api/v1/meetings"] {
            assert_eq!(fake.get(path, None).header("x-request-id"), Some("req-1"));
        }
    }

    #[test]
    fn ready_is_200_when_everything_is_configured() {
        let response = Fake::default().get("/api/v1/ready", None);
        assert_eq!(response.status, 200);
        assert_eq!(body(&response)["ready"], true);
    }

    #[test]
    fn ready_names_each_missing_setting_with_503() {
        let fake = Fake::default();
        fake.unset("discord_public_key");
        let response = fake.get("/api/v1/ready", None);
        assert_eq!(response.status, 503);
        let message = body(&response)["error"]["message"]
            .as_str()
            .unwrap()
            .to_owned();
        assert!(message.contains("discord_public_key"), "{message}");
    }

    #[test]
    fn a_failing_store_makes_ready_503() {
        let fake = Fake::default();
        fake.store
            .fail_with(Some(common::StoreError::Other("down".into())));
        let response = fake.get("/api/v1/ready", None);
        assert_eq!(response.status, 503);
        assert_eq!(body(&response)["services"][0]["key_value_ok"], false);
    }

    #[test]
    fn upstream_is_checked_only_when_asked_and_its_failure_explained_to_operators_only() {
        let fake = Fake::default();
        fake.set(auth::ADMIN_TOKEN_SETTING, ADMIN_TOKEN);
        *fake.kaltura.ping_failure.borrow_mut() =
            Some(contracts::Error::Unavailable("refused by 10.1.2.3".into()));
        assert_eq!(fake.get("/api/v1/ready", None).status, 200);
        assert_eq!(fake.kaltura.pings.get(), 0);

        let public = fake.get("/api/v1/ready?upstream=true", None);
        assert_eq!(public.status, 503);
        assert_eq!(body(&public)["upstream"]["kaltura"], "failing");
        assert_eq!(body(&public)["upstream"]["checked_at"], NOW);
        assert!(!fake.everything_said(&public).contains("refused"));
        assert_eq!(
            body(&public)["error"]["message"],
            "Kaltura unreachable",
            "ok or not ok, nothing more"
        );

        let auditor = fake
            .identity
            .mint(GUILD, USER, Role::Admin, &[Scope::AuditRead]);
        let viewer = fake
            .identity
            .mint(GUILD, USER, Role::Viewer, &[Scope::MeetingsRead]);
        for (operator, credential) in [(true, ADMIN_TOKEN), (true, &auditor), (false, &viewer)] {
            let response = fake.get("/api/v1/ready?upstream=true", Some(credential));
            assert_eq!(response.status, 503);
            let json = body(&response);
            assert_eq!(
                json["upstream"]["detail"] == "refused by 10.1.2.3",
                operator,
                "{json}"
            );
            assert_eq!(
                json["error"]["message"]
                    .as_str()
                    .unwrap()
                    .contains("refused by 10.1.2.3"),
                operator
            );
        }
        let forged = fake.get("/api/v1/ready?upstream=true", Some("kd1.forged"));
        assert_eq!(forged.status, 401);
        assert_eq!(fake.kaltura.pings.get(), 1, "one ping per interval");
    }

    #[test]
    fn kaltura_is_pinged_once_per_interval_whoever_asks() {
        let fake = Fake::default();
        fake.set(upstream::INTERVAL_SETTING, "10");
        for _ in 0..5 {
            let response = fake.get("/api/v1/ready?upstream=true", None);
            assert_eq!(body(&response)["upstream"]["kaltura"], "ok");
        }
        assert_eq!(fake.kaltura.pings.get(), 1);
        fake.clock.set(NOW + 9);
        fake.get("/api/v1/ready?upstream=true", None);
        assert_eq!(fake.kaltura.pings.get(), 1, "the result is 9 s old");
        fake.clock.set(NOW + 10);
        let response = fake.get("/api/v1/ready?upstream=true", None);
        assert_eq!(fake.kaltura.pings.get(), 2);
        assert_eq!(body(&response)["upstream"]["checked_at"], NOW + 10);
        // The claims of past intervals are deleted: the result and one claim are kept.
        let kept: Vec<String> = fake
            .rates
            .keys()
            .into_iter()
            .chain(fake.store.keys())
            .filter(|k| k.starts_with(upstream::RESULT_KEY))
            .collect();
        assert_eq!(kept.len(), 2, "{kept:?}");

        fake.set(upstream::INTERVAL_SETTING, "0");
        fake.get("/api/v1/ready?upstream=true", None);
        fake.get("/api/v1/ready?upstream=true", None);
        assert_eq!(fake.kaltura.pings.get(), 4, "0 pings every time");
        fake.set(upstream::INTERVAL_SETTING, "often");
        let broken = fake.get("/api/v1/ready?upstream=true", None);
        assert_eq!(broken.status, 503);
        assert!(fake
            .everything_said(&broken)
            .contains(upstream::INTERVAL_SETTING));
    }

    #[test]
    fn a_request_that_loses_the_claim_answers_with_the_last_result_or_unknown() {
        let fake = Fake::default();
        let start = NOW - NOW % upstream::DEFAULT_INTERVAL_SECS;
        // Another replica claimed this interval and has not recorded anything yet.
        common::cas::CasStore::increment(&fake.rates, &upstream::claim_key(start), 1).unwrap();
        let response = fake.get("/api/v1/ready?upstream=true", None);
        assert_eq!(response.status, 503);
        assert_eq!(body(&response)["upstream"]["kaltura"], "unknown");
        assert_eq!(fake.kaltura.pings.get(), 0);
    }

    #[test]
    fn readiness_checks_the_upstream_query_and_counts_per_address() {
        let fake = Fake::default();
        for bad in ["upstream=1", "upstream=null", "upstream=yes&upstream=true"] {
            let response = fake.get(&format!("/api/v1/ready?{bad}"), None);
            assert_eq!(response.status, 400, "{bad}");
            assert!(body(&response)["error"]["message"]
                .as_str()
                .unwrap()
                .contains("`upstream`"));
        }
        assert_eq!(fake.kaltura.pings.get(), 0);
        let fresh = Fake::default();
        fresh.set(ratelimit::PER_ADDRESS_SETTING, "2");
        for _ in 0..2 {
            assert_eq!(fresh.get("/api/v1/ready?upstream=true", None).status, 200);
        }
        let limited = fresh.get("/api/v1/ready?upstream=true", None);
        assert_eq!(limited.status, 429);
        assert!(limited.header("retry-after").is_some());
        assert_eq!(fresh.get("/api/v1/health", None).status, 200);
        assert_eq!(fresh.get("/api/v1/openapi.json", None).status, 200);
    }

    #[test]
    fn ready_lists_the_gateway_and_every_library_service() {
        let response = Fake::default().get("/api/v1/ready", None);
        let names: Vec<String> = body(&response)["services"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["name"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(
            names,
            ["gateway", "config", "identity", "kaltura", "events"]
        );
    }

    #[test]
    fn an_unknown_route_is_a_json_404() {
        let response = Fake::default().get("/api/v2/health", None);
        assert_eq!(response.status, 404);
        assert_eq!(body(&response)["error"]["code"], "not_found");
    }

    #[test]
    fn a_wrong_method_is_a_405_naming_the_allowed_one() {
        let response = Fake::default().call("POST", "/api/v1/health", None, "");
        assert_eq!(response.status, 405);
        assert_eq!(response.header("allow"), Some("GET"));
    }

    #[test]
    fn a_trailing_slash_reaches_the_same_route() {
        assert_eq!(Fake::default().get("/api/v1/health/", None).status, 200);
    }

    #[test]
    fn a_preflight_is_answered_only_for_a_configured_origin() {
        let preflight = |fake: &Fake| {
            fake.call_with(
                Request {
                    method: "OPTIONS",
                    path_with_query: "/api/v1/health",
                    origin: Some("https://app.example"),
                    ..Request::default()
                },
                None,
            )
        };
        assert_eq!(preflight(&Fake::default()).status, 403);
        let fake = Fake::default();
        fake.set("cors_allowed_origins", "https://app.example");
        let response = preflight(&fake);
        assert_eq!(response.status, 204);
        assert_eq!(
            response.header("access-control-allow-origin"),
            Some("https://app.example")
        );
    }

    #[test]
    fn the_openapi_document_lists_every_route() {
        let document = body(&Fake::default().get("/api/v1/openapi.json", None));
        assert_eq!(document["openapi"], "3.1.0");
        for route in ROUTES {
            let operation = &document["paths"][route.path][route.method.to_ascii_lowercase()];
            assert_eq!(operation["operationId"], route.name, "{}", route.path);
        }
    }

    #[test]
    fn every_route_is_reached_through_the_table() {
        let fake = Fake::default();
        fake.set(auth::ADMIN_TOKEN_SETTING, ADMIN_TOKEN);
        let admin = fake.identity.mint(GUILD, USER, Role::Admin, Scope::ALL);
        for route in ROUTES {
            let path = route
                .path
                .replace("{guild_id}", GUILD)
                .replace("{meeting_id}", "1")
                .replace("{key_id}", "0000000000000001");
            let credential = if matches!(route.endpoint, Endpoint::Deployment(_)) {
                ADMIN_TOKEN
            } else {
                admin.as_str()
            };
            let response = fake.call(route.method, &path, Some(credential), "{}");
            let text = String::from_utf8_lossy(&response.body).into_owned();
            assert!(!text.contains("no route"), "{}: {text}", route.name);
            assert_ne!(response.status, 405, "{}: {text}", route.name);
            assert!(response.status < 500, "{}: {text}", route.name);
        }
    }

    #[test]
    fn a_deprecated_route_announces_its_sunset_and_successor() {
        let route = Route {
            deprecated: Some(router::Deprecation {
                since: "Sat, 01 Nov 2025 00:00:00 GMT",
                sunset: "Sun, 01 Nov 2026 00:00:00 GMT",
                successor: "/api/v1/meetings",
            }),
            ..ROUTES[0]
        };
        let headers = deprecation_headers(&route);
        assert_eq!(
            headers[0],
            ("deprecation", "Sat, 01 Nov 2025 00:00:00 GMT".to_owned())
        );
        assert_eq!(headers[1].0, "sunset");
        assert_eq!(
            headers[2].1,
            "</api/v1/meetings>; rel=\"successor-version\""
        );
        assert!(deprecation_headers(&ROUTES[0]).is_empty());
    }

    // --- sign-in ---

    #[test]
    fn signing_in_proves_the_user_and_their_roles_with_discord() {
        let fake = Fake::default();
        let response = sign_in(&fake, DiscordWorld::member(&[MOD_ROLE]), SIGN_IN);
        let json = body(&response);
        assert_eq!(response.status, 200, "{json}");
        assert_eq!(json["token_type"], "Bearer");
        assert_eq!(json["guild_id"], GUILD);
        assert_eq!(json["role"], "moderator");
        assert_eq!(
            json["scopes"],
            serde_json::json!(["meetings:read", "meetings:write"])
        );
        assert_eq!(json["user"]["id"], USER);
        assert_eq!(json["user"]["display_name"], "Countess");
        assert_eq!(json["expires_in"], 900);
        assert_eq!(response.header("cache-control"), Some("no-store"));
        let access = json["access_token"].as_str().unwrap();
        assert_eq!(fake.get("/api/v1/me", Some(access)).status, 200);

        let sent = fake.sent.borrow();
        let calls: Vec<String> = sent
            .iter()
            .map(|r| format!("{} {}", r.method(), r.uri().path()))
            .collect();
        assert_eq!(
            calls,
            [
                "POST /api/v10/oauth2/token",
                "GET /api/v10/users/@me",
                format!("GET /api/v10/guilds/{GUILD}/members/{USER}").as_str(),
                format!("GET /api/v10/guilds/{GUILD}").as_str(),
                format!("GET /api/v10/guilds/{GUILD}/roles").as_str(),
            ]
        );
        assert!(sent[0].headers()["authorization"]
            .to_str()
            .unwrap()
            .starts_with("Basic "));
        assert_eq!(
            sent[1].headers()["authorization"],
            "Bearer discord-user-token"
        );
        assert_eq!(
            sent[2].headers()["authorization"],
            format!("Bot {BOT_TOKEN}")
        );
        // config decided the role from Discord's roles and permissions.
        let member = &fake.config.role_queries.borrow()[0];
        assert_eq!(member.guild_id, snowflake(GUILD));
        assert_eq!(member.user_id, snowflake(USER));
        assert_eq!(member.role_ids, [snowflake(MOD_ROLE)]);
        assert_eq!(member.permissions, 2048);
        // identity recorded the member with that role, and issued the token for it.
        let resolved = fake.identity.resolved.borrow();
        assert_eq!(resolved[0], (member.clone(), Role::Moderator));
        assert_eq!(fake.identity.issued.borrow()[0].role, Role::Moderator);
        // Nothing secret is said.
        let said = fake.everything_said(&response);
        for secret in [
            "discord-user-token",
            "discord-refresh",
            BOT_TOKEN,
            CLIENT_SECRET,
        ] {
            assert!(!said.contains(secret), "{secret} leaked");
        }
    }

    #[test]
    fn the_administrator_permission_and_ownership_make_an_admin() {
        let fake = Fake::default();
        let response = sign_in(&fake, DiscordWorld::member(&[ADMIN_ROLE]), SIGN_IN);
        assert_eq!(body(&response)["role"], "admin");
        let fake = Fake::default();
        let mut owner = DiscordWorld::member(&[]);
        owner.owner = USER.into();
        let response = sign_in(&fake, owner, SIGN_IN);
        assert_eq!(body(&response)["role"], "admin");
        assert_eq!(body(&response)["scopes"].as_array().unwrap().len(), 7);
    }

    #[test]
    fn roles_sent_by_the_client_are_ignored() {
        let fake = Fake::default();
        let forged = format!(
            r#"{{"code":"good-code","guild_id":"{GUILD}","roles":["{ADMIN_ROLE}"],"role":"admin","permissions":"8","scopes":["keys:manage"],"user_id":"{OTHER_USER}"}}"#
        );
        let response = sign_in(&fake, DiscordWorld::member(&[]), &forged);
        let json = body(&response);
        assert_eq!(response.status, 200, "{json}");
        assert_eq!(json["role"], "viewer");
        assert_eq!(json["scopes"], serde_json::json!(["meetings:read"]));
        assert_eq!(json["user"]["id"], USER);
    }

    #[test]
    fn a_bad_code_gets_no_token() {
        let fake = Fake::default();
        let response = sign_in(
            &fake,
            DiscordWorld::member(&[ADMIN_ROLE]),
            &format!(r#"{{"code":"made-up","guild_id":"{GUILD}"}}"#),
        );
        assert_eq!(response.status, 401);
        assert_eq!(body(&response)["error"]["code"], "invalid_grant");
        assert!(fake.identity.issued.borrow().is_empty());
        assert_eq!(
            fake.sent.borrow().len(),
            1,
            "nothing after the failed exchange"
        );
    }

    #[test]
    fn a_user_who_is_not_a_member_of_the_server_gets_no_token() {
        let fake = Fake::default();
        let response = sign_in(
            &fake,
            DiscordWorld::member(&[ADMIN_ROLE]),
            &format!(r#"{{"code":"good-code","guild_id":"{OTHER_GUILD}"}}"#),
        );
        assert_eq!(response.status, 403);
        assert_eq!(body(&response)["error"]["code"], "not_a_member");
        assert!(fake.identity.issued.borrow().is_empty());
        assert!(fake.identity.resolved.borrow().is_empty());
    }

    #[test]
    fn sign_in_without_the_client_secret_is_503_naming_it() {
        let fake = Fake::default();
        fake.unset("discord_client_secret");
        let response = sign_in(&fake, DiscordWorld::member(&[]), SIGN_IN);
        assert_eq!(response.status, 503);
        assert!(body(&response)["error"]["message"]
            .as_str()
            .unwrap()
            .contains("discord_client_secret"));
        assert!(fake.sent.borrow().is_empty());
    }

    #[test]
    fn discord_rate_limiting_the_sign_in_is_a_503_with_retry_after() {
        let fake = Fake::default();
        fake.discord(|_| {
            json_response(
                429,
                r#"{"message":"You are being rate limited.","retry_after":2.5,"global":false}"#,
            )
        });
        let response = fake.call("POST", "/api/v1/auth/discord", None, SIGN_IN);
        assert_eq!(response.status, 503);
        assert_eq!(response.header("retry-after"), Some("3"));
    }

    #[test]
    fn refresh_rotates_and_revoke_ends_the_session() {
        let fake = Fake::default();
        let json = body(&sign_in(&fake, DiscordWorld::member(&[]), SIGN_IN));
        let access = json["access_token"].as_str().unwrap().to_owned();
        let refresh = json["refresh_token"].as_str().unwrap().to_owned();
        let response = fake.call(
            "POST",
            "/api/v1/auth/refresh",
            None,
            &format!(r#"{{"refresh_token":"{refresh}"}}"#),
        );
        assert_eq!(response.status, 200);
        let again = fake.call(
            "POST",
            "/api/v1/auth/refresh",
            None,
            &format!(r#"{{"refresh_token":"{refresh}"}}"#),
        );
        assert_eq!(again.status, 401);
        let revoked = fake.call(
            "POST",
            "/api/v1/auth/revoke",
            None,
            &format!(r#"{{"token":"{access}"}}"#),
        );
        assert_eq!(revoked.status, 204);
        let refused = fake.get("/api/v1/meetings", Some(&access));
        assert_eq!(refused.status, 401);
        assert!(refused
            .header("www-authenticate")
            .unwrap()
            .contains("invalid_token"));
    }

    /// Signs in through `world` (shared, so the test can change what Discord says);
    /// returns the access and refresh tokens.
    fn signed_in(fake: &Fake, world: &Rc<RefCell<DiscordWorld>>) -> (String, String) {
        let shared = Rc::clone(world);
        fake.discord(move |request| shared.borrow().respond(request));
        let json = body(&fake.call("POST", "/api/v1/auth/discord", None, SIGN_IN));
        (
            json["access_token"].as_str().unwrap().to_owned(),
            json["refresh_token"].as_str().unwrap().to_owned(),
        )
    }

    fn refresh_with(fake: &Fake, refresh: &str) -> Response {
        fake.call(
            "POST",
            "/api/v1/auth/refresh",
            None,
            &format!(r#"{{"refresh_token":"{refresh}"}}"#),
        )
    }

    #[test]
    fn a_refresh_asks_discord_again_and_carries_the_role_the_member_has_now() {
        let fake = Fake::default();
        let world = Rc::new(RefCell::new(DiscordWorld::member(&[ADMIN_ROLE])));
        let (_, refresh) = signed_in(&fake, &world);
        assert_eq!(fake.identity.issued.borrow()[0].role, Role::Admin);
        world.borrow_mut().member_roles = vec![MOD_ROLE.into()];
        fake.sent.borrow_mut().clear();

        let response = refresh_with(&fake, &refresh);
        let json = body(&response);
        assert_eq!(response.status, 200, "{json}");
        assert_eq!(json["role"], "moderator");
        assert_eq!(
            json["scopes"],
            serde_json::json!(["meetings:read", "meetings:write"])
        );
        assert_eq!(json["guild_id"], GUILD);
        assert_eq!(response.header("cache-control"), Some("no-store"));
        let refreshed = fake.identity.refreshed.borrow();
        assert_eq!(refreshed[0].role, Role::Moderator);
        assert_eq!(
            (refreshed[0].user_id, refreshed[0].guild_id),
            (snowflake(USER), snowflake(GUILD))
        );
        let calls: Vec<String> = fake
            .sent
            .borrow()
            .iter()
            .map(|r| {
                let auth = r.headers()["authorization"].to_str().unwrap();
                format!("{} {} {auth}", r.method(), r.uri().path())
            })
            .collect();
        assert_eq!(
            calls,
            [
                format!("GET /api/v10/guilds/{GUILD}/members/{USER} Bot {BOT_TOKEN}"),
                format!("GET /api/v10/guilds/{GUILD} Bot {BOT_TOKEN}"),
                format!("GET /api/v10/guilds/{GUILD}/roles Bot {BOT_TOKEN}"),
            ]
        );
        let access = json["access_token"].as_str().unwrap();
        let me = body(&fake.get("/api/v1/me", Some(access)));
        assert_eq!(me["role"], "moderator");
    }

    #[test]
    fn a_member_who_left_the_server_ends_the_session_on_refresh() {
        let fake = Fake::default();
        let world = Rc::new(RefCell::new(DiscordWorld::member(&[ADMIN_ROLE])));
        let (access, refresh) = signed_in(&fake, &world);
        world.borrow_mut().member_of.clear();
        let response = refresh_with(&fake, &refresh);
        assert_eq!(response.status, 401, "{}", body(&response));
        assert_eq!(body(&response)["error"]["code"], "invalid_token");
        assert!(response
            .header("www-authenticate")
            .unwrap()
            .contains("invalid_token"));
        assert!(fake.identity.refreshed.borrow().is_empty());
        assert!(
            fake.logs
                .borrow()
                .iter()
                .any(|l| l.contains("revoked at refresh")),
            "the end of the session is logged: {:?}",
            fake.logs.borrow()
        );
        assert_eq!(fake.get("/api/v1/me", Some(&access)).status, 401);
        assert_eq!(refresh_with(&fake, &refresh).status, 401);
    }

    #[test]
    fn a_discord_failure_during_refresh_issues_nothing_and_keeps_the_token_usable() {
        let fake = Fake::default();
        let world = Rc::new(RefCell::new(DiscordWorld::member(&[ADMIN_ROLE])));
        let (access, refresh) = signed_in(&fake, &world);
        fake.discord(|_| {
            json_response(
                429,
                r#"{"message":"You are being rate limited.","retry_after":4.2,"global":false}"#,
            )
        });
        let limited = refresh_with(&fake, &refresh);
        assert_eq!(limited.status, 503);
        assert_eq!(body(&limited)["error"]["code"], "membership_unverified");
        assert_eq!(limited.header("retry-after"), Some("5"));
        fake.discord(|_| json_response(502, "upstream down"));
        let failing = refresh_with(&fake, &refresh);
        assert_eq!(failing.status, 503);
        assert_eq!(failing.header("retry-after"), None);
        assert!(
            fake.identity.refreshed.borrow().is_empty(),
            "nothing issued"
        );
        assert_eq!(
            fake.get("/api/v1/me", Some(&access)).status,
            200,
            "not revoked"
        );

        let shared = Rc::clone(&world);
        fake.discord(move |request| shared.borrow().respond(request));
        assert_eq!(refresh_with(&fake, &refresh).status, 200);
    }

    #[test]
    fn a_refresh_without_the_bot_token_is_503_naming_it_and_refreshes_nothing() {
        let fake = Fake::default();
        let world = Rc::new(RefCell::new(DiscordWorld::member(&[])));
        let (_, refresh) = signed_in(&fake, &world);
        fake.unset("discord_bot_token");
        let response = refresh_with(&fake, &refresh);
        assert_eq!(response.status, 503);
        assert!(body(&response)["error"]["message"]
            .as_str()
            .unwrap()
            .contains("discord_bot_token"));
        assert!(fake.identity.refreshed.borrow().is_empty());
    }

    #[test]
    fn a_used_or_forged_refresh_token_asks_discord_nothing() {
        let fake = Fake::default();
        let world = Rc::new(RefCell::new(DiscordWorld::member(&[])));
        signed_in(&fake, &world);
        fake.sent.borrow_mut().clear();
        assert_eq!(refresh_with(&fake, "kd1.refresh-forged").status, 401);
        assert!(fake.sent.borrow().is_empty());
    }

    // --- authentication and authorization ---

    #[test]
    fn missing_forged_expired_and_revoked_credentials_are_401_with_a_challenge() {
        let fake = Fake::default();
        let expired = fake.identity.mint(GUILD, USER, Role::Admin, Scope::ALL);
        if let Some(claims) = fake.identity.tokens.borrow_mut().get_mut(&expired) {
            claims.expires_at = NOW - 1;
        }
        let revoked = fake.identity.mint(GUILD, USER, Role::Admin, Scope::ALL);
        contracts::Tokens::revoke(&fake.identity, &revoked).unwrap();
        for token in [
            None,
            Some("kd1.forged"),
            Some("garbage"),
            Some("kdk_0_forged"),
            Some(expired.as_str()),
            Some(revoked.as_str()),
        ] {
            let response = fake.get("/api/v1/meetings", token);
            assert_eq!(response.status, 401, "{token:?}");
            assert!(response
                .header("www-authenticate")
                .unwrap()
                .starts_with("Bearer realm="));
            assert!(body(&response)["error"]["message"].is_string());
        }
    }

    #[test]
    fn one_servers_admin_cannot_touch_another_server() {
        let fake = Fake::default();
        let admin = fake.identity.mint(GUILD, USER, Role::Admin, Scope::ALL);
        let theirs = fake.kaltura.add(OTHER_GUILD, OTHER_USER);
        for (method, path, body_text) in [
            (
                "GET",
                format!("/api/v1/guilds/{OTHER_GUILD}/config"),
                "".to_owned(),
            ),
            (
                "PATCH",
                format!("/api/v1/guilds/{OTHER_GUILD}/config"),
                r#"{"patch":{},"expected_version":0}"#.to_owned(),
            ),
            (
                "POST",
                format!("/api/v1/guilds/{OTHER_GUILD}/config/reset"),
                String::new(),
            ),
            (
                "GET",
                format!("/api/v1/guilds/{OTHER_GUILD}/audit-log"),
                String::new(),
            ),
            (
                "GET",
                format!("/api/v1/guilds/{OTHER_GUILD}/notifications/audit-log"),
                String::new(),
            ),
            (
                "GET",
                format!("/api/v1/guilds/{OTHER_GUILD}/api-keys"),
                String::new(),
            ),
            (
                "POST",
                format!("/api/v1/guilds/{OTHER_GUILD}/api-keys"),
                r#"{"label":"x","scopes":["meetings:read"]}"#.to_owned(),
            ),
            (
                "DELETE",
                format!("/api/v1/guilds/{OTHER_GUILD}/api-keys/0000000000000001"),
                String::new(),
            ),
        ] {
            let response = fake.call(method, &path, Some(&admin), &body_text);
            assert_eq!(response.status, 403, "{method} {path}");
        }
        for (method, path) in [
            ("GET", format!("/api/v1/meetings/{theirs}")),
            ("POST", format!("/api/v1/meetings/{theirs}/join")),
            ("POST", format!("/api/v1/meetings/{theirs}/end")),
        ] {
            let response = fake.call(method, &path, Some(&admin), "");
            assert_eq!(response.status, 404, "{method} {path}");
        }
        let listed = body(&fake.get("/api/v1/meetings", Some(&admin)));
        assert_eq!(listed["meetings"], serde_json::json!([]));
        assert!(fake.config.versions.borrow().is_empty(), "nothing changed");
        assert!(fake.kaltura.meetings.borrow()[&theirs].ended_at.is_none());
    }

    #[test]
    fn a_viewer_lacks_the_write_scopes() {
        let fake = Fake::default();
        let viewer = fake
            .identity
            .mint(GUILD, USER, Role::Viewer, &[Scope::MeetingsRead]);
        let create = fake.call(
            "POST",
            "/api/v1/meetings",
            Some(&viewer),
            &format!(r#"{{"kind":"meeting","title":"x","channel_id":"{CHANNEL}"}}"#),
        );
        assert_eq!(create.status, 403);
        assert_eq!(body(&create)["error"]["code"], "insufficient_scope");
        let config = fake.get(&format!("/api/v1/guilds/{GUILD}/config"), Some(&viewer));
        assert_eq!(config.status, 403);
    }

    // --- meetings ---

    /// A Discord that knows the member, and that member's token as a moderator with
    /// the meetings scopes.
    fn meetings_moderator(fake: &Fake) -> String {
        fake.discord(|request| DiscordWorld::member(&[]).respond(request));
        fake.identity.mint(
            GUILD,
            USER,
            Role::Moderator,
            &[Scope::MeetingsRead, Scope::MeetingsWrite],
        )
    }

    #[test]
    fn a_moderator_creates_lists_gets_and_ends_a_meeting() {
        let fake = Fake::default();
        let moderator = meetings_moderator(&fake);
        let created = fake.call(
            "POST",
            "/api/v1/meetings",
            Some(&moderator),
            &format!(r#"{{"kind":"webinar","title":"Town hall","channel_id":"{CHANNEL}","start_time":{},"duration_minutes":30}}"#, NOW + 60),
        );
        let json = body(&created);
        assert_eq!(created.status, 201, "{json}");
        let id = json["id"].as_str().unwrap().to_owned();
        assert_eq!(
            created.header("location"),
            Some(format!("/api/v1/meetings/{id}").as_str())
        );
        assert_eq!(json["owner_id"], USER);
        assert_eq!(json["guild_id"], GUILD);
        assert_eq!(json["active"], true);
        let listed = body(&fake.get("/api/v1/meetings", Some(&moderator)));
        assert_eq!(listed["meetings"][0]["id"], id.as_str());
        assert_eq!(
            fake.get(&format!("/api/v1/meetings/{id}"), Some(&moderator))
                .status,
            200
        );
        let ended = fake.call(
            "POST",
            &format!("/api/v1/meetings/{id}/end"),
            Some(&moderator),
            "",
        );
        assert_eq!(ended.status, 200);
        assert_eq!(body(&ended)["active"], false);
        let join = fake.call(
            "POST",
            &format!("/api/v1/meetings/{id}/join"),
            Some(&moderator),
            "",
        );
        assert_eq!(join.status, 409);
    }

    #[test]
    fn a_meeting_path_is_read_with_the_one_meeting_id_rule() {
        // Pinned (issue 12): one rule for meeting IDs in text, shared with the bot
        // (`contracts::meeting::parse_id`); `042` used to reach the kaltura service,
        // which read it as 42.
        let fake = Fake::default();
        let moderator = meetings_moderator(&fake);
        let created = fake.call(
            "POST",
            "/api/v1/meetings",
            Some(&moderator),
            &format!(r#"{{"kind":"webinar","title":"Town hall","channel_id":"{CHANNEL}"}}"#),
        );
        let id = body(&created)["id"].as_str().unwrap().to_owned();
        let get = |path: String| fake.get(&path, Some(&moderator)).status;
        assert_eq!(get(format!("/api/v1/meetings/{id}")), 200);
        assert_eq!(get(format!("/api/v1/meetings/0{id}")), 404);
        assert_eq!(get(format!("/api/v1/meetings/{id}x")), 404);
    }

    #[test]
    fn a_meeting_cannot_be_announced_in_another_servers_channel() {
        let fake = Fake::default();
        let moderator = meetings_moderator(&fake);
        let response = fake.call(
            "POST",
            "/api/v1/meetings",
            Some(&moderator),
            &format!(r#"{{"kind":"meeting","title":"x","channel_id":"{OTHER_CHANNEL}"}}"#),
        );
        assert_eq!(response.status, 403);
        assert!(fake.kaltura.meetings.borrow().is_empty());
        let bad = fake.call(
            "POST",
            "/api/v1/meetings",
            Some(&moderator),
            r#"{"kind":"party","title":"x","channel_id":"1"}"#,
        );
        assert_eq!(bad.status, 400);
    }

    #[test]
    fn creating_and_joining_a_meeting_publish_their_events_with_catalogue_data() {
        let fake = Fake::default();
        let moderator = meetings_moderator(&fake);
        let created = fake.call(
            "POST",
            "/api/v1/meetings",
            Some(&moderator),
            &format!(r#"{{"kind":"webinar","title":"Town hall","channel_id":"{CHANNEL}"}}"#),
        );
        assert_eq!(created.status, 201);
        let id = body(&created)["id"].as_str().unwrap().to_owned();
        let joined = fake.call(
            "POST",
            &format!("/api/v1/meetings/{id}/join"),
            Some(&moderator),
            "",
        );
        assert_eq!(joined.status, 200);
        let published = fake.events.published.borrow();
        let types: Vec<EventType> = published.iter().map(|e| e.event_type).collect();
        assert_eq!(types, [EventType::MeetingCreated, EventType::MeetingJoined]);
        for event in published.iter() {
            let data: Value = serde_json::from_str(&event.data_json).unwrap();
            event_catalogue::check_data(event.event_type, &data).unwrap();
            assert_eq!(data["source"], "api");
            assert_eq!(data["meeting_id"], id.as_str());
        }
    }

    #[test]
    fn a_subscriptions_secret_is_in_its_creation_answer_only() {
        let fake = Fake::default();
        let admin = fake
            .identity
            .mint(GUILD, USER, Role::Admin, &[Scope::EventsManage]);
        let path = format!("/api/v1/guilds/{GUILD}/subscriptions");
        let created = fake.call(
            "POST",
            &path,
            Some(&admin),
            r#"{"url":"https://hooks.example.com/kd","event_types":["meeting.created"]}"#,
        );
        let json = body(&created);
        assert_eq!(created.status, 201, "{json}");
        assert!(json["secret"].as_str().unwrap().starts_with("whsec_"));
        assert_eq!(created.header("cache-control"), Some("no-store"));
        let id = json["id"].as_str().unwrap();
        for answer in [
            fake.get(&path, Some(&admin)),
            fake.get(&format!("{path}/{id}"), Some(&admin)),
        ] {
            assert_eq!(answer.status, 200);
            assert!(!String::from_utf8_lossy(&answer.body).contains("whsec_"));
        }
        let unknown = fake.call(
            "POST",
            &path,
            Some(&admin),
            r#"{"url":"https://hooks.example.com/kd","event_types":["meeting.exploded"]}"#,
        );
        assert_eq!(unknown.status, 400);
        let viewer = fake
            .identity
            .mint(GUILD, USER, Role::Viewer, &[Scope::MeetingsRead]);
        assert_eq!(fake.get(&path, Some(&viewer)).status, 403);
    }

    #[test]
    fn joining_gives_the_member_their_own_link_with_the_right_part() {
        let fake = Fake::default();
        let id = fake.kaltura.add(GUILD, OTHER_USER);
        let viewer = fake
            .identity
            .mint(GUILD, USER, Role::Viewer, &[Scope::MeetingsRead]);
        let response = fake.call(
            "POST",
            &format!("/api/v1/meetings/{id}/join"),
            Some(&viewer),
            "",
        );
        let json = body(&response);
        assert_eq!(response.status, 200, "{json}");
        assert_eq!(json["role"], "attendee");
        assert_eq!(response.header("cache-control"), Some("no-store"));
        let moderator = fake
            .identity
            .mint(GUILD, USER, Role::Moderator, &[Scope::MeetingsRead]);
        let response = fake.call(
            "POST",
            &format!("/api/v1/meetings/{id}/join"),
            Some(&moderator),
            "",
        );
        assert_eq!(body(&response)["role"], "host");
        let joins = fake.kaltura.joins.borrow();
        assert_eq!(joins[0].1.kaltura_user_id, format!("discord-{USER}"));
        assert_eq!(joins[0].1.user_id, snowflake(USER));
        assert_eq!(
            (joins[0].1.role, joins[1].1.role),
            (Role::Viewer, Role::Moderator),
            "the service is told the member's role and decides their part"
        );
    }

    #[test]
    fn api_keys_get_no_join_links() {
        let fake = Fake::default();
        let id = fake.kaltura.add(GUILD, USER);
        let key = fake.identity.mint_key(
            GUILD,
            &[Scope::MeetingsRead],
            Actor::DiscordUser(snowflake(USER)),
        );
        let response = fake.call(
            "POST",
            &format!("/api/v1/meetings/{id}/join"),
            Some(&key),
            "",
        );
        assert_eq!(response.status, 403);
        assert!(fake.kaltura.joins.borrow().is_empty());
        assert_eq!(fake.get("/api/v1/meetings", Some(&key)).status, 200);
    }

    #[test]
    fn only_the_owner_or_a_writer_may_end_a_meeting() {
        let fake = Fake::default();
        let mine = fake.kaltura.add(GUILD, USER);
        let theirs = fake.kaltura.add(GUILD, OTHER_USER);
        let viewer = fake
            .identity
            .mint(GUILD, USER, Role::Viewer, &[Scope::MeetingsRead]);
        assert_eq!(
            fake.call(
                "POST",
                &format!("/api/v1/meetings/{theirs}/end"),
                Some(&viewer),
                ""
            )
            .status,
            403
        );
        assert_eq!(
            fake.call(
                "POST",
                &format!("/api/v1/meetings/{mine}/end"),
                Some(&viewer),
                ""
            )
            .status,
            200
        );
        let reader = fake.identity.mint_key(
            GUILD,
            &[Scope::MeetingsRead],
            Actor::DiscordUser(snowflake(OTHER_USER)),
        );
        let refused = fake.call(
            "POST",
            &format!("/api/v1/meetings/{theirs}/end"),
            Some(&reader),
            "",
        );
        assert_eq!(refused.status, 403, "a key without meetings:write");
        let key = fake.identity.mint_key(
            GUILD,
            &[Scope::MeetingsRead, Scope::MeetingsWrite],
            Actor::DiscordUser(snowflake(OTHER_USER)),
        );
        assert_eq!(
            fake.call(
                "POST",
                &format!("/api/v1/meetings/{theirs}/end"),
                Some(&key),
                ""
            )
            .status,
            200
        );
        // The kaltura service decided, with the caller as a requester: a member with
        // their user and role; a key without a user, as a moderator with meetings:write.
        let ends = fake.kaltura.ends.borrow();
        let requesters: Vec<Requester> = ends.iter().map(|(_, r)| *r).collect();
        assert_eq!(
            requesters,
            [
                Requester {
                    user_id: Some(snowflake(USER)),
                    role: Role::Viewer
                },
                Requester {
                    user_id: Some(snowflake(USER)),
                    role: Role::Viewer
                },
                Requester {
                    user_id: None,
                    role: Role::Viewer
                },
                Requester {
                    user_id: None,
                    role: Role::Moderator
                },
            ]
        );
    }

    #[test]
    fn an_api_keys_meetings_are_owned_by_the_member_who_created_the_key() {
        let fake = Fake::default();
        fake.discord(|request| DiscordWorld::member(&[]).respond(request));
        let key = fake.identity.mint_key(
            GUILD,
            &[Scope::MeetingsWrite],
            Actor::DiscordUser(snowflake(OTHER_USER)),
        );
        let response = fake.call(
            "POST",
            "/api/v1/meetings",
            Some(&key),
            &format!(r#"{{"kind":"classroom","title":"Class","channel_id":"{CHANNEL}"}}"#),
        );
        assert_eq!(response.status, 201);
        assert_eq!(body(&response)["owner_id"], OTHER_USER);
    }

    // --- config, audit, keys ---

    #[test]
    fn config_changes_need_the_current_version() {
        let fake = Fake::default();
        let admin = fake.identity.mint(GUILD, USER, Role::Admin, Scope::ALL);
        let path = format!("/api/v1/guilds/{GUILD}/config");
        let got = fake.get(&path, Some(&admin));
        assert_eq!(got.status, 200);
        assert_eq!(got.header("etag"), Some("\"0\""));
        let patch = r#"{"patch":{"features":{"activity":true}}}"#;
        assert_eq!(fake.call("PATCH", &path, Some(&admin), patch).status, 428);
        let ok = fake.call_with(
            Request {
                method: "PATCH",
                path_with_query: &path,
                if_match: Some("\"0\""),
                body: patch.as_bytes(),
                ..Request::default()
            },
            Some(&admin),
        );
        assert_eq!(ok.status, 200);
        assert_eq!(ok.header("etag"), Some("\"1\""));
        assert_eq!(
            body(&ok)["changed_keys"],
            serde_json::json!(["features.activity"])
        );
        let stale = fake.call(
            "PATCH",
            &path,
            Some(&admin),
            r#"{"patch":{"features":{"activity":false}},"expected_version":0}"#,
        );
        assert_eq!(stale.status, 409);
        let invalid = fake.call(
            "PATCH",
            &path,
            Some(&admin),
            r#"{"patch":{"bogus":1},"expected_version":1}"#,
        );
        assert_eq!(invalid.status, 400);
        let audit = body(&fake.get(
            &format!("/api/v1/guilds/{GUILD}/audit-log?limit=5"),
            Some(&admin),
        ));
        assert_eq!(
            audit["entries"][0]["actor"],
            serde_json::json!({"type":"discord_user","id":USER})
        );
        assert_eq!(audit["entries"][0]["changes"][0]["new_value"], true);
        let reset = fake.call(
            "POST",
            &format!("{path}/reset"),
            Some(&admin),
            r#"{"section":"features"}"#,
        );
        assert_eq!(reset.status, 200);
        let bad = fake.call(
            "POST",
            &format!("{path}/reset"),
            Some(&admin),
            r#"{"section":"nope"}"#,
        );
        assert_eq!(bad.status, 400);
        let version = fake.config.versions.borrow().clone();
        for body_text in [r#"{"section":null}"#, r#"{"section":5}"#, "[]", "null"] {
            let refused = fake.call("POST", &format!("{path}/reset"), Some(&admin), body_text);
            assert_eq!(refused.status, 400, "{body_text}");
            if body_text.contains("section") {
                assert!(body(&refused)["error"]["message"]
                    .as_str()
                    .unwrap()
                    .contains("`section`"));
            }
        }
        assert_eq!(*fake.config.versions.borrow(), version, "nothing was reset");
    }

    /// A delivery as the notifications service records it.
    fn delivery(at: u64, outcome: notify_log::AuditOutcome) -> notify_log::AuditEntry {
        notify_log::AuditEntry {
            at,
            event_id: format!("job-{at}"),
            event: "entry_ready".into(),
            kaltura_id: Some("0_abc123".into()),
            channel_id: CHANNEL.into(),
            attempts: vec![notify_log::Attempt {
                at_ms: at * 1000,
                status: Some(200),
                result: "delivered".into(),
                wait_ms: None,
            }],
            outcome,
            detail: None,
            message_id: Some("600000000000000009".into()),
        }
    }

    #[test]
    fn the_notification_audit_log_is_the_notifications_services_log_newest_first() {
        let fake = Fake::default();
        let mut log = notify_log::AuditLog {
            schema: notify_log::SCHEMA,
            entries: Vec::new(),
        };
        for at in 1..=3 {
            log = notify_log::with_entry(log, delivery(at, notify_log::AuditOutcome::Delivered));
        }
        let mut refused = delivery(4, notify_log::AuditOutcome::Undeliverable);
        refused.detail = Some("403 Missing Access".into());
        refused.message_id = None;
        log = notify_log::with_entry(log, refused);
        // As the notifications service stores it (`notify_log::append` does the same).
        common::cas::write(
            &fake.store,
            &notify_log::key(GUILD),
            &serde_json::to_vec(&log).unwrap(),
        )
        .unwrap();
        let seeded = fake.store.keys();
        let path = format!("/api/v1/guilds/{GUILD}/notifications/audit-log");
        let auditor = fake
            .identity
            .mint(GUILD, USER, Role::Admin, &[Scope::AuditRead]);

        let page = fake.get(&format!("{path}?limit=2"), Some(&auditor));
        assert_eq!(page.status, 200);
        let json = body(&page);
        let entries = json["entries"].as_array().unwrap();
        assert_eq!(entries.len(), 2);
        assert_eq!(entries[0]["at"], 4);
        assert_eq!(entries[0]["outcome"], "undeliverable");
        assert_eq!(entries[0]["detail"], "403 Missing Access");
        assert_eq!(entries[1]["outcome"], "delivered");
        assert_eq!(entries[1]["attempts"][0]["status"], 200);
        assert_eq!(
            entries[1],
            serde_json::to_value(&log.entries[1]).unwrap(),
            "entries are answered as the service stores them"
        );
        let all = body(&fake.get(&path, Some(&auditor)));
        assert_eq!(all["entries"].as_array().unwrap().len(), 4);

        assert_eq!(
            fake.get(&format!("{path}?limit=101"), Some(&auditor))
                .status,
            400
        );
        let viewer = fake
            .identity
            .mint(GUILD, USER, Role::Viewer, &[Scope::MeetingsRead]);
        assert_eq!(fake.get(&path, Some(&viewer)).status, 403);
        let other = format!("/api/v1/guilds/{OTHER_GUILD}/notifications/audit-log");
        assert_eq!(fake.get(&other, Some(&auditor)).status, 403);
        assert_eq!(fake.get(&path, None).status, 401);
        assert_eq!(fake.store.keys(), seeded, "the gateway wrote nothing");
    }

    #[test]
    fn a_server_without_notifications_has_an_empty_log_and_a_failing_store_is_503() {
        let fake = Fake::default();
        let auditor = fake
            .identity
            .mint(GUILD, USER, Role::Admin, &[Scope::AuditRead]);
        let path = format!("/api/v1/guilds/{GUILD}/notifications/audit-log");
        let empty = fake.get(&path, Some(&auditor));
        assert_eq!(empty.status, 200);
        assert_eq!(body(&empty), serde_json::json!({ "entries": [] }));

        common::cas::write(&fake.store, &notify_log::key(GUILD), b"not json").unwrap();
        let unreadable = fake.get(&path, Some(&auditor));
        assert_eq!(unreadable.status, 500);
        assert!(fake.logs.borrow().iter().any(|l| l.contains("unreadable")));

        let failing = Fake::default();
        failing
            .store
            .fail_with(Some(common::StoreError::Other("down".into())));
        let auditor = failing
            .identity
            .mint(GUILD, USER, Role::Admin, &[Scope::AuditRead]);
        let response = failing.get(&path, Some(&auditor));
        assert_eq!(response.status, 503);
        assert_eq!(body(&response)["error"]["code"], "storage_unavailable");
    }

    #[test]
    fn api_keys_are_shown_once_and_only_with_scopes_the_creator_holds() {
        let fake = Fake::default();
        let path = format!("/api/v1/guilds/{GUILD}/api-keys");
        let manager = fake.identity.mint(
            GUILD,
            USER,
            Role::Admin,
            &[Scope::KeysManage, Scope::MeetingsRead],
        );
        let too_much = fake.call(
            "POST",
            &path,
            Some(&manager),
            r#"{"label":"ci","scopes":["config:write"]}"#,
        );
        assert_eq!(too_much.status, 403);
        let created = fake.call(
            "POST",
            &path,
            Some(&manager),
            r#"{"label":"ci","scopes":["meetings:read"]}"#,
        );
        let json = body(&created);
        assert_eq!(created.status, 201, "{json}");
        assert_eq!(created.header("cache-control"), Some("no-store"));
        let key = json["key"].as_str().unwrap().to_owned();
        assert!(key.starts_with("kdk_"));
        let listed = fake.get(&path, Some(&manager));
        assert!(!String::from_utf8_lossy(&listed.body).contains(&key));
        assert_eq!(body(&listed)["keys"][0]["created_by"]["id"], USER);
        assert_eq!(fake.get("/api/v1/meetings", Some(&key)).status, 200);
        let id = json["id"].as_str().unwrap();
        let revoked = fake.call("DELETE", &format!("{path}/{id}"), Some(&manager), "");
        assert_eq!(revoked.status, 204);
        assert!(revoked.body.is_empty());
        assert_eq!(fake.get("/api/v1/meetings", Some(&key)).status, 401);
        assert_eq!(
            fake.call("DELETE", &format!("{path}/{id}"), Some(&manager), "")
                .status,
            404
        );
        let unknown = fake.call(
            "POST",
            &path,
            Some(&manager),
            r#"{"label":"ci","scopes":["root"]}"#,
        );
        assert_eq!(unknown.status, 400);
    }

    #[test]
    fn api_keys_show_their_expiry_and_whether_their_creator_is_still_a_member() {
        let fake = Fake::default();
        let world = DiscordWorld::member(&[]);
        fake.discord(move |request| world.respond(request));
        let path = format!("/api/v1/guilds/{GUILD}/api-keys");
        let manager = fake
            .identity
            .mint(GUILD, USER, Role::Admin, &[Scope::KeysManage]);
        let by_member = fake.identity.mint_key(
            GUILD,
            &[Scope::MeetingsRead],
            Actor::DiscordUser(snowflake(USER)),
        );
        let by_leaver = fake.identity.mint_key(
            GUILD,
            &[Scope::MeetingsRead],
            Actor::DiscordUser(snowflake(OTHER_USER)),
        );
        fake.identity.mint_key(
            GUILD,
            &[Scope::MeetingsRead],
            Actor::ApiKey("0123456789abcdef".into()),
        );
        if let Some(entry) = fake.identity.keys.borrow_mut().get_mut(&by_leaver) {
            entry.0.expires_at = Some(NOW);
        }
        let listed = fake.get(&path, Some(&manager));
        assert_eq!(listed.status, 200);
        let keys = body(&listed)["keys"].as_array().unwrap().clone();
        let shown: Vec<(String, String, Value, Value)> = keys
            .iter()
            .map(|k| {
                (
                    k["created_by"]["id"].as_str().unwrap().to_owned(),
                    k["creator_membership"].as_str().unwrap().to_owned(),
                    k["expires_at"].clone(),
                    k["expired"].clone(),
                )
            })
            .collect();
        assert_eq!(
            shown,
            [
                (USER.into(), "member".into(), Value::Null, json!(false)),
                (OTHER_USER.into(), "left".into(), json!(NOW), json!(true)),
                (
                    "0123456789abcdef".into(),
                    "not_applicable".into(),
                    Value::Null,
                    json!(false)
                ),
            ]
        );
        let asked: Vec<String> = fake
            .sent
            .borrow()
            .iter()
            .map(|r| r.uri().path().to_owned())
            .collect();
        assert_eq!(
            asked,
            [
                format!("/api/v10/guilds/{GUILD}/members/{USER}"),
                format!("/api/v10/guilds/{GUILD}/members/{OTHER_USER}"),
            ],
            "once per member creator, with the bot token"
        );
        // The expired key is refused; the other still works.
        assert_eq!(fake.get("/api/v1/meetings", Some(&by_leaver)).status, 401);
        assert_eq!(fake.get("/api/v1/meetings", Some(&by_member)).status, 200);

        // Discord failing: the listing still answers, saying it does not know.
        fake.discord(|_| json_response(503, "unavailable"));
        let listed = fake.get(&path, Some(&manager));
        assert_eq!(listed.status, 200);
        let memberships: Vec<Value> = body(&listed)["keys"]
            .as_array()
            .unwrap()
            .iter()
            .map(|k| k["creator_membership"].clone())
            .collect();
        assert_eq!(
            memberships,
            [json!("unknown"), json!("unknown"), json!("not_applicable")]
        );
        assert!(fake.logs.borrow().iter().any(|l| l.contains("unknown")));
        fake.unset("discord_bot_token");
        let listed = fake.get(&path, Some(&manager));
        assert_eq!(body(&listed)["keys"][0]["creator_membership"], "unknown");
    }

    #[test]
    fn a_key_is_created_with_an_expiry_within_the_deployments_bound() {
        let fake = Fake::default();
        let path = format!("/api/v1/guilds/{GUILD}/api-keys");
        let manager = fake.identity.mint(
            GUILD,
            USER,
            Role::Admin,
            &[Scope::KeysManage, Scope::MeetingsRead],
        );
        let create = |body: &str| fake.call("POST", &path, Some(&manager), body);
        let created = create(r#"{"label":"ci","scopes":["meetings:read"],"ttl_seconds":3600}"#);
        let json = body(&created);
        assert_eq!(created.status, 201, "{json}");
        assert_eq!(json["expires_at"], NOW + 3600);
        assert_eq!(json["expired"], false);
        let key = json["key"].as_str().unwrap();
        assert_eq!(
            body(&fake.get("/api/v1/me", Some(key)))["expires_at"],
            NOW + 3600
        );
        let at = NOW + 7 * 86_400;
        let created = create(&format!(
            r#"{{"label":"ci","scopes":["meetings:read"],"expires_at":{at}}}"#
        ));
        assert_eq!(body(&created)["expires_at"], at);
        for bad in [
            format!(
                r#"{{"label":"ci","scopes":["meetings:read"],"expires_at":{at},"ttl_seconds":60}}"#
            ),
            format!(
                r#"{{"label":"ci","scopes":["meetings:read"],"expires_at":{}}}"#,
                NOW - 1
            ),
            format!(
                r#"{{"label":"ci","scopes":["meetings:read"],"ttl_seconds":{}}}"#,
                366 * 86_400
            ),
        ] {
            assert_eq!(create(&bad).status, 400, "{bad}");
        }

        fake.set("gateway_api_key_max_days", "30");
        fake.set("gateway_api_key_require_expiry", "true");
        let forever = create(r#"{"label":"ci","scopes":["meetings:read"]}"#);
        assert_eq!(forever.status, 400);
        assert!(body(&forever)["error"]["message"]
            .as_str()
            .unwrap()
            .contains("requires API keys to expire"));
        let long = format!(
            r#"{{"label":"ci","scopes":["meetings:read"],"ttl_seconds":{}}}"#,
            31 * 86_400
        );
        assert_eq!(create(&long).status, 400);
        let month = format!(
            r#"{{"label":"ci","scopes":["meetings:read"],"ttl_seconds":{}}}"#,
            30 * 86_400
        );
        assert_eq!(create(&month).status, 201);
        fake.set("gateway_api_key_max_days", "forever");
        let broken = create(&month);
        assert_eq!(broken.status, 503);
        assert!(body(&broken)["error"]["message"]
            .as_str()
            .unwrap()
            .contains("gateway_api_key_max_days"));
        assert_eq!(
            fake.identity.keys.borrow().len(),
            3,
            "only the accepted keys exist"
        );
    }

    // --- the deployment's administrator ---

    #[test]
    fn the_deployment_routes_answer_503_naming_the_setting_until_a_token_is_set() {
        let fake = Fake::default();
        for (method, path) in [
            ("GET", "/api/v1/deployment/config"),
            ("PATCH", "/api/v1/deployment/config"),
            ("GET", "/api/v1/deployment/audit-log"),
        ] {
            let response = fake.call(method, path, Some(ADMIN_TOKEN), "{}");
            assert_eq!(response.status, 503, "{method} {path}");
            let json = body(&response);
            assert_eq!(json["error"]["code"], "not_configured");
            assert!(json["error"]["message"]
                .as_str()
                .unwrap()
                .contains(auth::ADMIN_TOKEN_SETTING));
        }
        fake.set(auth::ADMIN_TOKEN_SETTING, "short");
        let response = fake.get("/api/v1/deployment/config", Some("short"));
        assert_eq!(response.status, 503, "a guessable token counts as unset");
        assert!(!fake.everything_said(&response).contains("short\""));
        assert_eq!(*fake.config.deployment.borrow(), (0, String::new()));
    }

    #[test]
    fn the_administrator_reads_patches_and_audits_the_deployment_document() {
        let fake = Fake::default();
        fake.set(auth::ADMIN_TOKEN_SETTING, ADMIN_TOKEN);
        let path = "/api/v1/deployment/config";
        let got = fake.get(path, Some(ADMIN_TOKEN));
        assert_eq!(got.status, 200);
        assert_eq!(got.header("etag"), Some("\"0\""));
        assert_eq!(
            body(&got),
            serde_json::json!({"version": 0, "overrides": {}})
        );

        let patch = r#"{"patch":{"kaltura":{"privileges":{"view":"sview:*"}}}}"#;
        assert_eq!(
            fake.call("PATCH", path, Some(ADMIN_TOKEN), patch).status,
            428
        );
        let ok = fake.call_with(
            Request {
                method: "PATCH",
                path_with_query: path,
                if_match: Some("\"0\""),
                body: patch.as_bytes(),
                ..Request::default()
            },
            Some(ADMIN_TOKEN),
        );
        assert_eq!(ok.status, 200, "{}", body(&ok));
        assert_eq!(ok.header("etag"), Some("\"1\""));
        assert_eq!(
            body(&ok)["changed_keys"],
            serde_json::json!(["kaltura.privileges.view"])
        );
        let stale = fake.call(
            "PATCH",
            path,
            Some(ADMIN_TOKEN),
            r#"{"patch":{"features":{"activity":true}},"expected_version":0}"#,
        );
        assert_eq!(stale.status, 409);
        let invalid = fake.call(
            "PATCH",
            path,
            Some(ADMIN_TOKEN),
            r#"{"patch":{"bogus":1},"expected_version":1}"#,
        );
        assert_eq!(invalid.status, 400);
        assert!(body(&invalid)["error"]["message"]
            .as_str()
            .unwrap()
            .contains("bogus"));
        assert_eq!(
            fake.config.deployment.borrow().0,
            1,
            "refused writes change nothing"
        );

        let got = fake.get(path, Some(ADMIN_TOKEN));
        assert_eq!(got.header("etag"), Some("\"1\""));
        assert_eq!(
            body(&got)["overrides"]["kaltura"]["privileges"]["view"],
            "sview:*"
        );
        let audit = fake.get("/api/v1/deployment/audit-log?limit=5", Some(ADMIN_TOKEN));
        assert_eq!(audit.status, 200);
        assert_eq!(
            body(&audit)["entries"][0]["actor"],
            serde_json::json!({"type": "api_key", "id": auth::ADMIN_ACTOR_ID})
        );
        assert_eq!(
            fake.get("/api/v1/deployment/audit-log?limit=0", Some(ADMIN_TOKEN))
                .status,
            400
        );
        // The token is recorded nowhere and said nowhere.
        assert!(!format!("{:?}", fake.config.deployment_audit.borrow()).contains(ADMIN_TOKEN));
        assert!(!fake.everything_said(&audit).contains(ADMIN_TOKEN));
    }

    #[test]
    fn server_credentials_get_403_on_the_deployment_routes_and_guesses_401() {
        let fake = Fake::default();
        fake.set(auth::ADMIN_TOKEN_SETTING, ADMIN_TOKEN);
        let member = fake.identity.mint(GUILD, USER, Role::Admin, Scope::ALL);
        let key = fake
            .identity
            .mint_key(GUILD, Scope::ALL, Actor::DiscordUser(snowflake(USER)));
        for credential in [member.as_str(), key.as_str()] {
            for (method, path, text) in [
                ("GET", "/api/v1/deployment/config", ""),
                (
                    "PATCH",
                    "/api/v1/deployment/config",
                    r#"{"patch":{},"expected_version":0}"#,
                ),
                ("GET", "/api/v1/deployment/audit-log", ""),
            ] {
                let response = fake.call(method, path, Some(credential), text);
                assert_eq!(response.status, 403, "{method} {path}");
                assert_eq!(body(&response)["error"]["code"], "forbidden");
            }
        }
        for guess in [
            None,
            Some("kd1.forged"),
            Some("deployment-admin-token-0123456789abcdeX"),
        ] {
            let response = fake.get("/api/v1/deployment/config", guess);
            assert_eq!(response.status, 401, "{guess:?}");
            assert!(response.header("www-authenticate").is_some());
        }
        assert_eq!(fake.config.deployment.borrow().0, 0, "nothing changed");
    }

    #[test]
    fn the_administrator_token_is_not_a_server_credential() {
        let fake = Fake::default();
        fake.set(auth::ADMIN_TOKEN_SETTING, ADMIN_TOKEN);
        for (method, path) in [
            ("GET", "/api/v1/me".to_owned()),
            ("GET", "/api/v1/meetings".to_owned()),
            ("GET", format!("/api/v1/guilds/{GUILD}/config")),
            ("PATCH", format!("/api/v1/guilds/{GUILD}/config")),
            ("GET", format!("/api/v1/guilds/{GUILD}/api-keys")),
        ] {
            let response = fake.call(method, &path, Some(ADMIN_TOKEN), "{}");
            assert_eq!(response.status, 403, "{method} {path}");
            assert!(!fake.everything_said(&response).contains(ADMIN_TOKEN));
        }
        assert!(fake.config.versions.borrow().is_empty());
    }

    #[test]
    fn the_deployment_routes_are_limited_per_address() {
        let fake = Fake::default();
        fake.set(auth::ADMIN_TOKEN_SETTING, ADMIN_TOKEN);
        fake.set(ratelimit::PER_ADDRESS_SETTING, "2");
        for _ in 0..2 {
            let response = fake.get("/api/v1/deployment/config", Some(ADMIN_TOKEN));
            assert_eq!(response.status, 200);
        }
        let limited = fake.get("/api/v1/deployment/config", Some(ADMIN_TOKEN));
        assert_eq!(limited.status, 429);
        assert!(limited.header("retry-after").is_some());
    }

    // --- rate limits ---

    #[test]
    fn a_token_over_its_limit_gets_429_with_retry_after() {
        let fake = Fake::default();
        fake.set(ratelimit::PER_TOKEN_SETTING, "2");
        let token = fake
            .identity
            .mint(GUILD, USER, Role::Viewer, &[Scope::MeetingsRead]);
        let first = fake.get("/api/v1/meetings", Some(&token));
        assert_eq!(first.header("x-ratelimit-remaining"), Some("1"));
        assert_eq!(fake.get("/api/v1/meetings", Some(&token)).status, 200);
        let limited = fake.get("/api/v1/meetings", Some(&token));
        assert_eq!(limited.status, 429);
        assert_eq!(body(&limited)["error"]["code"], "rate_limited");
        let retry: u64 = limited.header("retry-after").unwrap().parse().unwrap();
        assert!((1..=60).contains(&retry));
        let other = fake
            .identity
            .mint(GUILD, OTHER_USER, Role::Viewer, &[Scope::MeetingsRead]);
        assert_eq!(
            fake.get("/api/v1/meetings", Some(&other)).status,
            200,
            "another token has its own window"
        );
    }

    #[test]
    fn an_address_over_its_limit_is_refused_before_any_credential_is_checked() {
        let fake = Fake::default();
        fake.set(ratelimit::PER_ADDRESS_SETTING, "3");
        for _ in 0..3 {
            assert_eq!(fake.get("/api/v1/meetings", Some("kd1.guess")).status, 401);
        }
        let limited = fake.get("/api/v1/meetings", Some("kd1.guess"));
        assert_eq!(limited.status, 429);
        assert!(limited.header("retry-after").is_some());
        let sign_in = fake.call("POST", "/api/v1/auth/discord", None, SIGN_IN);
        assert_eq!(sign_in.status, 429, "sign-in counts per address too");
        assert_eq!(
            fake.get("/api/v1/health", None).status,
            200,
            "health is not limited"
        );
    }

    /// A guess at a credential from `peer`, forwarding `forwarded`.
    fn from(fake: &Fake, peer: &str, forwarded: &[&str]) -> Response {
        let forwarded: Vec<String> = forwarded.iter().map(|v| (*v).to_owned()).collect();
        fake.call_with(
            Request {
                method: "GET",
                path_with_query: "/api/v1/meetings",
                client_addr: Some(peer),
                forwarded_for: &forwarded,
                ..Request::default()
            },
            Some("kd1.guess"),
        )
    }

    #[test]
    fn behind_a_trusted_proxy_each_forwarded_client_has_its_own_limit() {
        let fake = Fake::default();
        fake.set(ratelimit::PER_ADDRESS_SETTING, "2");
        fake.set(address::TRUSTED_PROXIES_SETTING, "10.0.0.0/8");
        let (ada, bob) = ("198.51.100.1", "198.51.100.2");
        assert_eq!(from(&fake, "10.0.0.5:1", &[ada]).status, 401);
        assert_eq!(
            from(&fake, "10.0.0.6:1", &[ada]).status,
            401,
            "another proxy"
        );
        assert_eq!(from(&fake, "10.0.0.5:1", &[ada]).status, 429);
        // Prepending to the header does not make a new client.
        let dodge = format!("9.9.9.9, {ada}");
        assert_eq!(from(&fake, "10.0.0.5:1", &[&dodge]).status, 429);
        assert_eq!(from(&fake, "10.0.0.5:1", &[bob]).status, 401);
        // An untrusted peer's header is not read: it is counted as itself.
        assert_eq!(from(&fake, "203.0.113.9:1", &[bob]).status, 401);
        assert_eq!(from(&fake, "203.0.113.9:1", &[ada]).status, 401);
        assert_eq!(from(&fake, "203.0.113.9:1", &[bob]).status, 429);
        let subjects: Vec<String> = fake
            .rates
            .keys()
            .into_iter()
            .filter(|k| k.matches('/').count() == 4)
            .collect();
        assert_eq!(
            subjects,
            [
                "gateway/v1/rate/addr/198.51.100.1",
                "gateway/v1/rate/addr/198.51.100.2",
                "gateway/v1/rate/addr/203.0.113.9"
            ]
        );
    }

    #[test]
    fn a_malformed_trusted_proxies_setting_is_a_503_naming_it() {
        let fake = Fake::default();
        fake.set(address::TRUSTED_PROXIES_SETTING, "10.0.0.0/8, the-proxy");
        let response = fake.get("/api/v1/meetings", None);
        assert_eq!(response.status, 503);
        assert!(body(&response)["error"]["message"]
            .as_str()
            .unwrap()
            .contains(address::TRUSTED_PROXIES_SETTING));
    }

    #[test]
    fn a_broken_rate_limit_setting_is_a_503_naming_it() {
        let fake = Fake::default();
        fake.set(ratelimit::WINDOW_SETTING, "forever");
        let response = fake.get("/api/v1/meetings", None);
        assert_eq!(response.status, 503);
        assert!(body(&response)["error"]["message"]
            .as_str()
            .unwrap()
            .contains(ratelimit::WINDOW_SETTING));
    }

    #[test]
    fn me_describes_members_and_keys() {
        let fake = Fake::default();
        let member = fake
            .identity
            .mint(GUILD, USER, Role::Moderator, &[Scope::MeetingsRead]);
        let json = body(&fake.get("/api/v1/me", Some(&member)));
        assert_eq!(json["kind"], "member");
        assert_eq!(json["role"], "moderator");
        let key = fake.identity.mint_key(
            GUILD,
            &[Scope::AuditRead],
            Actor::DiscordUser(snowflake(USER)),
        );
        let json = body(&fake.get("/api/v1/me", Some(&key)));
        assert_eq!(json["kind"], "api_key");
        assert_eq!(json["scopes"], serde_json::json!(["audit:read"]));
    }
}
