//! The `/api/v1` route table: each route's method, path, endpoint and summary. The
//! endpoint is a value that says who may call the route and which handler answers it:
//! [`crate::api`] matches it exhaustively, so a route without a handler does not
//! compile. The same table drives `405`/`Allow` ([`crate::router`]) and the OpenAPI
//! document ([`crate::openapi`]), so they cannot disagree.

use crate::auth::Guard;
use crate::router;
use contracts::identity::Scope;
// Short names for the table.
use Endpoint::{Deployment as D, Public as P, Server as S};
use Guard::{Authenticated, Member, Scope as Needs};

/// A route of this API.
pub type Route = router::Route<Endpoint>;

/// What a route leads to, by who may call it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Endpoint {
    /// Anyone (health, readiness, the document, sign-in).
    Public(Public),
    /// A server's credential (an access token or an API key) that passes the guard.
    Server(Guard, Server),
    /// The deployment's administrator only: the `gateway_admin_token` secret, never a
    /// server's credential (see [`crate::auth::AdminToken`]).
    Deployment(Deployment),
}

/// The endpoints anyone may call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Public {
    /// `GET /api/v1/health`.
    Health,
    /// `GET /api/v1/ready`.
    Ready,
    /// `GET /api/v1/openapi.json`.
    OpenApi,
    /// `POST /api/v1/auth/discord`.
    SignIn,
    /// `POST /api/v1/auth/refresh`.
    Refresh,
    /// `POST /api/v1/auth/revoke`.
    Revoke,
}

/// The endpoints of one server, for its credentials.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Server {
    /// `GET /api/v1/me`.
    Me,
    /// `GET /api/v1/meetings`.
    ListMeetings,
    /// `POST /api/v1/meetings`.
    CreateMeeting,
    /// `GET /api/v1/meetings/{meeting_id}`.
    GetMeeting,
    /// `POST /api/v1/meetings/{meeting_id}/join`.
    JoinMeeting,
    /// `POST /api/v1/meetings/{meeting_id}/end`.
    EndMeeting,
    /// `GET /api/v1/guilds/{guild_id}/config`.
    GetConfig,
    /// `PATCH /api/v1/guilds/{guild_id}/config`.
    UpdateConfig,
    /// `POST /api/v1/guilds/{guild_id}/config/reset`.
    ResetConfig,
    /// `GET /api/v1/guilds/{guild_id}/audit-log`.
    AuditLog,
    /// `GET /api/v1/guilds/{guild_id}/notifications/audit-log`.
    NotificationAuditLog,
    /// `GET /api/v1/guilds/{guild_id}/api-keys`.
    ListApiKeys,
    /// `POST /api/v1/guilds/{guild_id}/api-keys`.
    CreateApiKey,
    /// `DELETE /api/v1/guilds/{guild_id}/api-keys/{key_id}`.
    RevokeApiKey,
    /// `GET /api/v1/guilds/{guild_id}/subscriptions`.
    ListSubscriptions,
    /// `POST /api/v1/guilds/{guild_id}/subscriptions`.
    CreateSubscription,
    /// `GET /api/v1/guilds/{guild_id}/subscriptions/{subscription_id}`.
    GetSubscription,
    /// `DELETE /api/v1/guilds/{guild_id}/subscriptions/{subscription_id}`.
    DeleteSubscription,
    /// `POST /api/v1/guilds/{guild_id}/subscriptions/{subscription_id}/pause`.
    PauseSubscription,
    /// `POST /api/v1/guilds/{guild_id}/subscriptions/{subscription_id}/resume`.
    ResumeSubscription,
    /// `GET /api/v1/guilds/{guild_id}/subscriptions/{subscription_id}/deliveries`.
    SubscriptionDeliveries,
}

/// The endpoints of the deployment's administrator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Deployment {
    /// `GET /api/v1/deployment/config`.
    GetConfig,
    /// `PATCH /api/v1/deployment/config`.
    UpdateConfig,
    /// `GET /api/v1/deployment/audit-log`.
    AuditLog,
    /// `POST /api/v1/deployment/events/pump`.
    PumpEvents,
}

impl Endpoint {
    /// Whether a credential is needed.
    pub fn needs_credential(self) -> bool {
        !matches!(self, Self::Public(_))
    }

    /// Whether the per-address rate limit counts the route: every route but health and
    /// the document, which touch nothing and answer everyone the same. Readiness is
    /// counted: it works the store and may call Kaltura.
    pub fn address_limited(self) -> bool {
        !matches!(self, Self::Public(Public::Health | Public::OpenApi))
    }

    /// The scope the route needs, if any.
    pub fn scope(self) -> Option<Scope> {
        match self {
            Self::Server(guard, _) => guard.scope(),
            Self::Public(_) | Self::Deployment(_) => None,
        }
    }
}

/// A route that is not deprecated.
const fn route(
    name: &'static str,
    method: &'static str,
    path: &'static str,
    endpoint: Endpoint,
    summary: &'static str,
) -> Route {
    Route {
        name,
        method,
        path,
        endpoint,
        deprecated: None,
        summary,
    }
}

/// Every route of `/api/v1`.
#[rustfmt::skip]
pub const ROUTES: &[Route] = &[
    route("health", "GET", "/api/v1/health", P(Public::Health),
        "Liveness: the version and the components, touching nothing."),
    route("ready", "GET", "/api/v1/ready", P(Public::Ready),
        "Readiness: every service's settings and key-value store; `?upstream=true` also pings Kaltura."),
    route("openapi", "GET", "/api/v1/openapi.json", P(Public::OpenApi),
        "This API's OpenAPI 3.1 document."),
    route("auth_discord", "POST", "/api/v1/auth/discord", P(Public::SignIn),
        "Sign in with a Discord OAuth2 authorization code for one server: Discord is asked who the user is and what their roles are there (never the request); the answer is an access token with the scopes of the member's Kaltura role."),
    route("auth_refresh", "POST", "/api/v1/auth/refresh", P(Public::Refresh),
        "A new token pair for a refresh token, with the role and scopes the member has now: Discord is asked again (the guild member and its roles, with the bot token). A user Discord no longer lists as a member ends the session (401); when Discord cannot say, nothing is issued (503, with Retry-After when Discord gave one) and the refresh token stays usable. Rotation: the one used stops working; reusing it ends the session."),
    route("auth_revoke", "POST", "/api/v1/auth/revoke", P(Public::Revoke),
        "Ends the session an access or refresh token belongs to."),
    route("me", "GET", "/api/v1/me", S(Authenticated, Server::Me),
        "Who the credential belongs to: the member (user, role, session expiry) or the API key, its server and scopes."),
    route("list_meetings", "GET", "/api/v1/meetings", S(Needs(Scope::MeetingsRead), Server::ListMeetings),
        "The open meetings of the credential's server, newest first."),
    route("create_meeting", "POST", "/api/v1/meetings", S(Needs(Scope::MeetingsWrite), Server::CreateMeeting),
        "Creates a meeting on the credential's server, announced in a channel of that server. An API key's meetings are owned by the member who created the key."),
    route("get_meeting", "GET", "/api/v1/meetings/{meeting_id}", S(Needs(Scope::MeetingsRead), Server::GetMeeting),
        "One meeting of the credential's server (404 for another server's)."),
    route("join_meeting", "POST", "/api/v1/meetings/{meeting_id}/join", S(Member(Scope::MeetingsRead), Server::JoinMeeting),
        "The caller's own join link, with a short-lived Kaltura session for them alone: host for the owner, moderators and admins, attendee otherwise. Members only (not API keys); never cache or share it."),
    route("end_meeting", "POST", "/api/v1/meetings/{meeting_id}/end", S(Needs(Scope::MeetingsRead), Server::EndMeeting),
        "Ends a meeting: allowed to its owner, and to credentials with meetings:write (moderators, admins, API keys given it)."),
    route("get_config", "GET", "/api/v1/guilds/{guild_id}/config", S(Needs(Scope::ConfigRead), Server::GetConfig),
        "The server's merged settings and its own overrides; the version is the ETag."),
    route("update_config", "PATCH", "/api/v1/guilds/{guild_id}/config", S(Needs(Scope::ConfigWrite), Server::UpdateConfig),
        "Applies a JSON merge patch to the server's overrides, if the version it is based on (If-Match or expected_version) is current: 409 otherwise, 428 without one."),
    route("reset_config", "POST", "/api/v1/guilds/{guild_id}/config/reset", S(Needs(Scope::ConfigWrite), Server::ResetConfig),
        "Removes the server's overrides of one section, or of all of them."),
    route("audit_log", "GET", "/api/v1/guilds/{guild_id}/audit-log", S(Needs(Scope::AuditRead), Server::AuditLog),
        "The server's most recent configuration changes, newest first."),
    route("notification_audit_log", "GET", "/api/v1/guilds/{guild_id}/notifications/audit-log", S(Needs(Scope::AuditRead), Server::NotificationAuditLog),
        "The server's most recent deliveries of Kaltura events to its channels, newest first: each attempt (Discord's status, what happened, the wait before the next) and the outcome."),
    route("list_api_keys", "GET", "/api/v1/guilds/{guild_id}/api-keys", S(Needs(Scope::KeysManage), Server::ListApiKeys),
        "The server's API keys, without their secrets: each with its expiry and whether the member who created it is still a member of the server (Discord is asked; `unknown` when it cannot say)."),
    route("create_api_key", "POST", "/api/v1/guilds/{guild_id}/api-keys", S(Needs(Scope::KeysManage), Server::CreateApiKey),
        "Creates an API key for the server with scopes the caller holds itself and an optional expiry (expires_at or ttl_seconds, within the deployment's bound); the key is in this answer only."),
    route("revoke_api_key", "DELETE", "/api/v1/guilds/{guild_id}/api-keys/{key_id}", S(Needs(Scope::KeysManage), Server::RevokeApiKey),
        "Revokes one of the server's API keys at once."),
    route("list_subscriptions", "GET", "/api/v1/guilds/{guild_id}/subscriptions", S(Needs(Scope::EventsManage), Server::ListSubscriptions),
        "The server's event subscriptions, without their secrets: each with its state, why it is paused (when it is), its failures in a row and its pending deliveries."),
    route("create_subscription", "POST", "/api/v1/guilds/{guild_id}/subscriptions", S(Needs(Scope::EventsManage), Server::CreateSubscription),
        "Subscribes an HTTPS endpoint to event types (the catalogue is this document's `webhooks`). Deliveries are signed per Standard Webhooks with the secret in this answer only (`whsec_…`). Private, loopback and link-local destinations are refused unless the deployment allows them; the host must also be in the deployment's allowed outbound hosts."),
    route("get_subscription", "GET", "/api/v1/guilds/{guild_id}/subscriptions/{subscription_id}", S(Needs(Scope::EventsManage), Server::GetSubscription),
        "One subscription of the server."),
    route("delete_subscription", "DELETE", "/api/v1/guilds/{guild_id}/subscriptions/{subscription_id}", S(Needs(Scope::EventsManage), Server::DeleteSubscription),
        "Deletes a subscription; its pending deliveries are dropped."),
    route("pause_subscription", "POST", "/api/v1/guilds/{guild_id}/subscriptions/{subscription_id}/pause", S(Needs(Scope::EventsManage), Server::PauseSubscription),
        "Pauses a subscription: nothing is sent, new events wait in its queue (bounded)."),
    route("resume_subscription", "POST", "/api/v1/guilds/{guild_id}/subscriptions/{subscription_id}/resume", S(Needs(Scope::EventsManage), Server::ResumeSubscription),
        "Resumes a subscription (also one paused because a delivery gave up): its failure count is cleared and its oldest pending delivery is due at once."),
    route("subscription_deliveries", "GET", "/api/v1/guilds/{guild_id}/subscriptions/{subscription_id}/deliveries", S(Needs(Scope::EventsManage), Server::SubscriptionDeliveries),
        "The subscription's deliveries, newest first: pending ones, then the last 50 finished (delivered or failed), each with its webhook-id and every attempt (time, status or error, duration)."),
    route("get_deployment_config", "GET", "/api/v1/deployment/config", D(Deployment::GetConfig),
        "The deployment-wide overrides (merged over the defaults and under every server's own overrides); the version is the ETag."),
    route("update_deployment_config", "PATCH", "/api/v1/deployment/config", D(Deployment::UpdateConfig),
        "Applies a JSON merge patch to the deployment-wide overrides (which may also set the deployment-only keys, kaltura.privileges.*), if the version it is based on (If-Match or expected_version) is current: 409 otherwise, 428 without one."),
    route("deployment_audit_log", "GET", "/api/v1/deployment/audit-log", D(Deployment::AuditLog),
        "The most recent changes of the deployment-wide overrides, newest first."),
    route("pump_events", "POST", "/api/v1/deployment/events/pump", D(Deployment::PumpEvents),
        "Sends the event deliveries that are due now, every server's (at most `limit`, one per subscription): for a scheduler (a Kubernetes CronJob, a cron trigger) so that retries happen when no request comes. Every answer of the app also pumps a few."),
];

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    #[test]
    fn every_route_has_its_own_endpoint_name_and_method_and_path() {
        let endpoints: std::collections::HashSet<Endpoint> =
            ROUTES.iter().map(|r| r.endpoint).collect();
        assert_eq!(endpoints.len(), ROUTES.len(), "an endpoint is routed twice");
        let names: BTreeSet<&str> = ROUTES.iter().map(|r| r.name).collect();
        assert_eq!(names.len(), ROUTES.len(), "a name is used twice");
        let places: BTreeSet<(&str, &str)> = ROUTES.iter().map(|r| (r.method, r.path)).collect();
        assert_eq!(
            places.len(),
            ROUTES.len(),
            "a method and path are routed twice"
        );
    }

    #[test]
    fn every_route_of_a_server_names_the_scope_its_server_is_checked_with() {
        // The one-server rule is applied by identity's `authorize`, with the route's scope:
        // a `{guild_id}` route without a scope would skip it.
        for route in ROUTES.iter().filter(|r| r.path.contains("{guild_id}")) {
            assert!(
                matches!(route.endpoint, Endpoint::Server(_, _))
                    && route.endpoint.scope().is_some(),
                "{}",
                route.name
            );
        }
    }

    #[test]
    fn only_the_deployment_routes_take_the_administrators_token() {
        for route in ROUTES {
            assert_eq!(
                matches!(route.endpoint, Endpoint::Deployment(_)),
                route.path.starts_with("/api/v1/deployment/"),
                "{}",
                route.name
            );
        }
    }
}
