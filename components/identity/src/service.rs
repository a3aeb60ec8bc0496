//! The service as the contract sees it: [`Identity`] implements the three ports of
//! `kaltura-discord:identity` (`members`, `tokens`, `api-keys`) over one [`Env`], each
//! function calling the module that owns it.

use contracts::identity::{
    ApiKeyClaims, ApiKeyInfo, Claims, CreatedKey, KalturaIdentity, Scope, SessionInfo, Subject,
    TokenPair, UserRecord,
};
use contracts::{Actor, Error, KalturaRole, Member, ServiceStatus, Snowflake};

use crate::ports::Env;
use crate::{api_keys, members, scopes, tokens, users};

/// The User Auth & Mapping Service over its ports.
#[derive(Clone, Copy)]
pub struct Identity<'a> {
    env: Env<'a>,
}

impl<'a> Identity<'a> {
    /// The service over `env`.
    pub fn new(env: Env<'a>) -> Self {
        Self { env }
    }
}

impl contracts::Members for Identity<'_> {
    fn status(&self) -> ServiceStatus {
        crate::status(self.env.vars, self.env.kv)
    }

    fn resolve_member(&self, member: &Member, role: KalturaRole) -> Result<KalturaIdentity, Error> {
        members::resolve(&self.env, member, role)
    }

    fn get_user(&self, user_id: Snowflake) -> Result<Option<UserRecord>, Error> {
        users::get(self.env.kv, user_id)
    }
}

impl contracts::Tokens for Identity<'_> {
    fn scopes_for_role(&self, role: KalturaRole) -> Vec<Scope> {
        scopes::for_role(role).to_vec()
    }

    fn issue(&self, subject: &Subject, ttl_seconds: u32) -> Result<TokenPair, Error> {
        tokens::issue(&self.env, subject, ttl_seconds)
    }

    fn verify(&self, access: &str) -> Result<Claims, Error> {
        tokens::verify(&self.env, access)
    }

    fn session_of(&self, refresh_token: &str) -> Result<SessionInfo, Error> {
        tokens::session_of(&self.env, refresh_token)
    }

    fn refresh(&self, refresh_token: &str, current: &Subject) -> Result<TokenPair, Error> {
        tokens::refresh(&self.env, refresh_token, current)
    }

    fn revoke(&self, token: &str) -> Result<(), Error> {
        tokens::revoke(&self.env, token)
    }

    fn authorize(
        &self,
        granted_guild_id: Snowflake,
        granted_scopes: &[Scope],
        guild_id: Snowflake,
        needed: Scope,
    ) -> Result<(), Error> {
        scopes::authorize(granted_guild_id, granted_scopes, guild_id, needed)
    }
}

impl contracts::ApiKeys for Identity<'_> {
    fn create(
        &self,
        guild_id: Snowflake,
        scopes: &[Scope],
        label: &str,
        created_by: &Actor,
        expires_at: Option<u64>,
    ) -> Result<CreatedKey, Error> {
        api_keys::create(&self.env, guild_id, scopes, label, created_by, expires_at)
    }

    fn list(&self, guild_id: Snowflake) -> Result<Vec<ApiKeyInfo>, Error> {
        api_keys::list(self.env.kv, guild_id)
    }

    fn revoke(&self, guild_id: Snowflake, id: &str) -> Result<(), Error> {
        api_keys::revoke(self.env.kv, guild_id, id)
    }

    fn verify(&self, presented: &str) -> Result<ApiKeyClaims, Error> {
        api_keys::verify(self.env.kv, self.env.clock.now_secs(), presented)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{Fixture, START};
    use common::cas::{Flavor, MemoryCasStore};
    use common::MemoryVariables;
    use contracts::{ApiKeys, Members, Tokens};

    const GUILD: u64 = 111_111_111_111_111_111;
    const USER: u64 = 222_222_222_222_222_222;

    const FLAVORS: [Flavor; 2] = [Flavor::Sqlite, Flavor::Redis];

    fn member() -> Member {
        Member {
            guild_id: GUILD,
            user_id: USER,
            username: "alice".into(),
            global_name: None,
            nick: Some("Ally".into()),
            role_ids: vec![],
            permissions: 0,
        }
    }

    fn subject(user_id: u64, guild_id: u64) -> Subject {
        Subject {
            user_id,
            guild_id,
            role: KalturaRole::Moderator,
            scopes: vec![Scope::MeetingsRead, Scope::MeetingsWrite],
        }
    }

    #[test]
    fn a_member_is_resolved_and_recorded_through_the_members_port_on_either_store() {
        for flavor in FLAVORS {
            let fx = Fixture::over(MemoryCasStore::new(flavor));
            let identity = Identity::new(fx.env());
            let resolved = identity
                .resolve_member(&member(), KalturaRole::Admin)
                .unwrap();
            assert_eq!(
                resolved,
                KalturaIdentity {
                    kaltura_user_id: "discord-222222222222222222".into(),
                    display_name: "Ally".into(),
                    role: KalturaRole::Admin,
                },
                "{flavor:?}"
            );
            let record = identity.get_user(USER).unwrap().unwrap();
            assert_eq!(record.guild_ids, [GUILD], "{flavor:?}");
            assert_eq!(record.first_seen, START);
            assert_eq!(identity.get_user(USER + 1).unwrap(), None);
        }
    }

    #[test]
    fn a_session_is_issued_verified_refreshed_and_revoked_through_the_tokens_port_on_either_store()
    {
        for flavor in FLAVORS {
            let fx = Fixture::over(MemoryCasStore::new(flavor));
            let identity = Identity::new(fx.env());
            let pair = Tokens::issue(&identity, &subject(USER, GUILD), 300).unwrap();
            let claims = Tokens::verify(&identity, &pair.access).unwrap();
            assert_eq!((claims.user_id, claims.guild_id), (USER, GUILD));
            Tokens::authorize(
                &identity,
                claims.guild_id,
                &claims.scopes,
                GUILD,
                Scope::MeetingsWrite,
            )
            .unwrap();
            let session = identity.session_of(&pair.refresh).unwrap();
            assert_eq!((session.user_id, session.guild_id), (USER, GUILD));
            let next = identity
                .refresh(&pair.refresh, &subject(session.user_id, session.guild_id))
                .unwrap();
            Tokens::revoke(&identity, &next.refresh).unwrap();
            assert!(
                matches!(Tokens::verify(&identity, &next.access), Err(Error::Forbidden(m)) if m.contains("revoked")),
                "{flavor:?}"
            );
        }
    }

    #[test]
    fn an_api_key_is_created_listed_verified_and_revoked_through_the_api_keys_port_on_either_store()
    {
        for flavor in FLAVORS {
            let fx = Fixture::over(MemoryCasStore::new(flavor));
            let identity = Identity::new(fx.env());
            let key = ApiKeys::create(
                &identity,
                GUILD,
                &[Scope::AuditRead],
                "audit",
                &Actor::DiscordUser(USER),
                Some(START + 3600),
            )
            .unwrap();
            assert_eq!(key.info.expires_at, Some(START + 3600));
            assert_eq!(
                ApiKeys::list(&identity, GUILD).unwrap(),
                std::slice::from_ref(&key.info)
            );
            let claims = ApiKeys::verify(&identity, &key.secret_shown_once).unwrap();
            assert_eq!(
                (claims.guild_id, claims.scopes),
                (GUILD, vec![Scope::AuditRead])
            );
            ApiKeys::revoke(&identity, GUILD, &key.info.id).unwrap();
            assert!(
                matches!(
                    ApiKeys::verify(&identity, &key.secret_shown_once),
                    Err(Error::Forbidden(_))
                ),
                "{flavor:?}"
            );
            assert!(ApiKeys::list(&identity, GUILD).unwrap().is_empty());
        }
    }

    #[test]
    fn scopes_for_role_are_what_issue_accepts_for_that_role() {
        let fx = Fixture::new();
        let identity = Identity::new(fx.env());
        for role in KalturaRole::ALL {
            let scopes = identity.scopes_for_role(*role);
            let subject = Subject {
                role: *role,
                scopes: scopes.clone(),
                ..subject(USER, GUILD)
            };
            identity.issue(&subject, 60).unwrap();
        }
        assert_eq!(
            identity.scopes_for_role(KalturaRole::Viewer),
            [Scope::MeetingsRead, Scope::MediaRead]
        );
    }

    #[test]
    fn short_discord_ids_are_accepted_by_the_one_snowflake_rule() {
        // Identity used to refuse IDs of fewer than 17 digits; discord-api's rule (any
        // non-zero 64-bit number) is the only one now.
        let fx = Fixture::new();
        let identity = Identity::new(fx.env());
        let pair = identity.issue(&subject(1234, 5678), 300).unwrap();
        let claims = Tokens::verify(&identity, &pair.access).unwrap();
        assert_eq!((claims.user_id, claims.guild_id), (1234, 5678));
        let short = Member {
            guild_id: 5678,
            user_id: 1234,
            ..member()
        };
        let resolved = identity
            .resolve_member(&short, KalturaRole::Viewer)
            .unwrap();
        assert_eq!(resolved.kaltura_user_id, "discord-1234");
        assert_eq!(identity.get_user(1234).unwrap().unwrap().guild_ids, [5678]);
    }

    #[test]
    fn status_names_the_missing_signing_key_and_checks_the_store() {
        let mut fx = Fixture::new();
        let ready = Identity::new(fx.env()).status();
        assert_eq!(ready.name, "identity");
        assert!(ready.missing_settings.is_empty() && ready.key_value_ok);
        fx.vars = MemoryVariables::default();
        fx.kv.fail_with(Some(common::StoreError::AccessDenied));
        let status = Identity::new(fx.env()).status();
        assert_eq!(status.missing_settings, ["gateway_signing_key"]);
        assert!(!status.key_value_ok);
    }
}
