//! `/api/v1/media/{entry_id}/playback`: a member's own playback session for one entry
//! of their server, through the `kaltura` service, within the server's scope (the
//! categories it follows, the member's Kaltura entitlement).

use crate::auth::Caller;
use crate::backend::Backend;
use crate::reply::{Outcome, Problem, Response};
use crate::signin;
use contracts::kaltura::MediaScope;
use serde_json::json;

/// The scope a member's media calls run in: the server's followed categories and the
/// member's Kaltura user (kept at sign-in, else identity's record).
///
/// # Errors
/// `403` for an API key (no member); `503` when a service fails.
pub fn member_scope<B: Backend>(backend: &B, caller: &Caller) -> Result<MediaScope, Problem> {
    let user_id = caller.user_id().ok_or_else(|| {
        Problem::forbidden("this route is for signed-in members only, not API keys")
    })?;
    let settings = backend
        .config()
        .get(caller.guild_id)
        .map_err(Problem::from)?;
    let kaltura_user_id = match signin::profile(backend, caller.guild_id, user_id) {
        Some((_, kaltura_user_id)) => kaltura_user_id,
        None => backend
            .members()
            .get_user(user_id)
            .map_err(Problem::from)?
            .map(|record| record.kaltura_user_id)
            .ok_or_else(|| Problem::forbidden("sign in again: your Kaltura user is not known"))?,
    };
    Ok(MediaScope {
        category_ids: settings.kaltura.category_ids,
        kaltura_user_id: Some(kaltura_user_id),
    })
}

/// `POST /api/v1/media/{entry_id}/playback`: the member's playback session and the
/// player script to load it with (the server's player when it set one).
///
/// # Errors
/// `404` for an entry the server may not show; `400` for a malformed id; `503` when a
/// setting is missing or Kaltura fails.
pub fn playback<B: Backend>(backend: &B, caller: &Caller, entry_id: &str) -> Outcome {
    let scope = member_scope(backend, caller)?;
    let session = backend
        .kaltura()
        .playback_session(entry_id, &scope)
        .map_err(Problem::from)?;
    let server_player = backend
        .config()
        .get(caller.guild_id)
        .map_err(Problem::from)?
        .kaltura
        .player_uiconf_id;
    let uiconf_id = server_player.unwrap_or(session.uiconf_id);
    let embed = backend
        .kaltura()
        .player_embed_url(&session.entry_id, Some(uiconf_id))
        .map_err(Problem::from)?;
    let script = embed.split('?').next().unwrap_or_default().to_owned();
    Ok(Response::json(
        200,
        &json!({
            "entry_id": session.entry_id,
            "partner_id": session.partner_id,
            "uiconf_id": uiconf_id,
            "ks": session.ks,
            "expires_at": session.expires_at,
            "player_script_url": script,
        }),
    )
    .private())
}

#[cfg(test)]
mod tests {
    use crate::testing::*;
    use contracts::identity::Scope;
    use contracts::{Actor, KalturaRole};

    #[test]
    fn a_member_gets_their_own_session_for_an_entry_of_the_servers_categories_only() {
        let fake = Fake::default();
        fake.kaltura
            .media
            .borrow_mut()
            .push((media_entry("0_abc123", "Lecture"), vec![7]));
        *fake.config.categories.borrow_mut() = vec![8];
        let token = fake
            .identity
            .mint(GUILD, USER, KalturaRole::Viewer, &[Scope::MediaRead]);
        let path = "/api/v1/media/0_abc123/playback";
        assert_eq!(fake.call("POST", path, Some(&token), "").status, 404);
        *fake.config.categories.borrow_mut() = vec![7];
        let response = fake.call("POST", path, Some(&token), "");
        assert_eq!(response.status, 200);
        assert_eq!(response.header("cache-control"), Some("no-store"));
        let body: serde_json::Value = serde_json::from_slice(&response.body).unwrap();
        assert_eq!(body["ks"], format!("user-ks-discord-{USER}-0_abc123"));
        assert_eq!(
            body["player_script_url"],
            "https://cdn.test/p/1234567/embedPlaykitJs/uiconf_id/4711"
        );
        let scope = fake.kaltura.scopes.borrow().last().cloned().unwrap();
        assert_eq!(scope.category_ids, [7]);
        assert_eq!(scope.kaltura_user_id, Some(format!("discord-{USER}")));
        let key = fake.identity.mint_key(
            GUILD,
            &[Scope::MediaRead],
            Actor::DiscordUser(snowflake(USER)),
        );
        assert_eq!(fake.call("POST", path, Some(&key), "").status, 403);
    }
}
