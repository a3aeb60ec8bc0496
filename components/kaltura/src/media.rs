//! Media: search ready entries and get one, within a server's scope (its followed
//! categories, the member's entitlement); a member's playback session for one entry;
//! and the PlayKit (v7) embed URL, built locally from the configured partner, player and
//! CDN — nothing is hard-coded. Searches and gets are reads, retried with backoff.
//!
//! Which session reads: with a member in the scope, that member's own USER KS with
//! `enableentitlement` (Kaltura applies their entitlement); without one, the service's
//! ADMIN KS, which never leaves the service. A member's player only ever gets a USER KS
//! limited to one entry (`sview:<entry>`, `setrole:PLAYBACK_BASE_ROLE`).

use contracts::kaltura::{MediaEntry, MediaPage, MediaScope, PlayerSession};
use kaltura_api::client::calls::{self, MediaFilter, Pager};
use kaltura_api::client::{model, urls};
use kaltura_api::privileges::PrivilegeValue;
use kaltura_api::types::{EntryId, UiConfId};
use kaltura_api::{KalturaUserId, Ks, Privileges};

use crate::error::{invalid, invalid_field, Error};
use crate::resilience::Retry;
use crate::service::{Kaltura, Service};
use crate::settings;

/// Entries per search page.
pub const PAGE_SIZE: u32 = 10;
/// The last page a search may ask for (Kaltura stops listing at 10 000 results).
pub const MAX_PAGE: u32 = 1000;
/// How long the service's reads as a member may take: one request's worth.
const READ_KS_EXPIRY_SECS: u64 = 300;
/// The Kaltura role of a playback session: playback calls only.
pub const PLAYBACK_ROLE: &str = "PLAYBACK_BASE_ROLE";

/// What Discord shows of a Kaltura media entry.
pub fn media_entry(entry: model::MediaEntry) -> MediaEntry {
    let ready = entry.is_ready();
    MediaEntry {
        name: entry.name.unwrap_or_else(|| entry.id.clone()),
        id: entry.id,
        description: entry.description.filter(|d| !d.is_empty()),
        duration_seconds: entry.duration.and_then(|d| u32::try_from(d).ok()),
        thumbnail_url: entry.thumbnail_url.filter(|u| !u.is_empty()),
        created_at: entry.created_at.and_then(|t| u64::try_from(t).ok()),
        ready,
    }
}

/// The member of a scope, as a Kaltura user id.
fn member_of(scope: &MediaScope) -> Result<Option<KalturaUserId>, Error> {
    scope
        .kaltura_user_id
        .as_deref()
        .map(|id| KalturaUserId::new(id).map_err(invalid_field("scope.kaltura-user-id")))
        .transpose()
}

impl Service<'_> {
    /// The session a read within `scope` runs with (see the module docs).
    fn read_session(&self, kaltura: &Kaltura<'_>, scope: &MediaScope) -> Result<Ks, Error> {
        match member_of(scope)? {
            Some(user) => kaltura.sessions().member(
                &user,
                Privileges::new().enable_entitlement(),
                READ_KS_EXPIRY_SECS,
            ),
            None => kaltura.sessions().admin(),
        }
    }

    /// WIT `search-media`.
    ///
    /// # Errors
    /// See the WIT doc: `Invalid`, `NotConfigured`, `Unavailable`, `Forbidden`, `Other`.
    pub fn search_media(
        &self,
        query: &str,
        page: u32,
        scope: &MediaScope,
    ) -> Result<MediaPage, Error> {
        if !(1..=MAX_PAGE).contains(&page) {
            return Err(invalid("page", format!("must be 1 to {MAX_PAGE}")));
        }
        let filter = MediaFilter::search(query)
            .map_err(invalid_field("query"))?
            .ready_only()
            .in_categories(&scope.category_ids);
        let pager = Pager::new(PAGE_SIZE, page).map_err(invalid_field("page"))?;
        member_of(scope)?;
        let kaltura = self.kaltura()?;
        let ks = self.read_session(&kaltura, scope)?;
        let list = kaltura.call(
            &calls::media_list(&filter, Some(pager)),
            &ks,
            Retry::Idempotent,
        )?;
        let total = u64::try_from(list.total_count).unwrap_or(0);
        let seen = u64::from(page) * u64::from(PAGE_SIZE);
        Ok(MediaPage {
            entries: list.objects.into_iter().map(media_entry).collect(),
            total,
            next_page: (seen < total && page < MAX_PAGE).then_some(page + 1),
        })
    }

    /// WIT `get-media`: a `media.list` of that one id within the scope's categories,
    /// so an entry outside them reads as absent.
    ///
    /// # Errors
    /// See the WIT doc: `Invalid`, `NotConfigured`, `Unavailable`, `Forbidden`, `Other`.
    pub fn get_media(
        &self,
        entry_id: &str,
        scope: &MediaScope,
    ) -> Result<Option<MediaEntry>, Error> {
        let entry = EntryId::new(entry_id).map_err(invalid_field("entry-id"))?;
        member_of(scope)?;
        let filter = MediaFilter::id(&entry).in_categories(&scope.category_ids);
        let kaltura = self.kaltura()?;
        let ks = self.read_session(&kaltura, scope)?;
        let list = kaltura.call(&calls::media_list(&filter, None), &ks, Retry::Idempotent)?;
        Ok(list
            .objects
            .into_iter()
            .find(|found| found.id == entry.as_str())
            .map(media_entry))
    }

    /// WIT `playback-session`.
    ///
    /// # Errors
    /// See the WIT doc: `NotFound`, `Invalid`, `NotConfigured`, `Unavailable`,
    /// `Forbidden`, `Other`.
    pub fn playback_session(
        &self,
        entry_id: &str,
        scope: &MediaScope,
    ) -> Result<PlayerSession, Error> {
        let entry = EntryId::new(entry_id).map_err(invalid_field("entry-id"))?;
        let user = member_of(scope)?.ok_or_else(|| {
            invalid(
                "scope.kaltura-user-id",
                "a playback session is for a member",
            )
        })?;
        let uiconf = settings::player_uiconf_id(self.env.vars)?;
        let expiry = settings::member_ks_expiry(self.env.vars)?;
        if self.get_media(entry_id, scope)?.is_none() {
            return Err(Error::NotFound(format!(
                "no entry {entry_id} this server may show"
            )));
        }
        let role =
            PrivilegeValue::new(PLAYBACK_ROLE).map_err(|err| Error::Other(err.to_string()))?;
        let privileges = Privileges::new().sview(&entry).setrole(&role);
        let kaltura = self.kaltura()?;
        let ks = kaltura.sessions().member(&user, privileges, expiry)?;
        Ok(PlayerSession {
            entry_id: entry.as_str().to_owned(),
            partner_id: kaltura.api.partner_id.get(),
            uiconf_id: u32::try_from(uiconf.get())
                .map_err(|_| Error::NotConfigured(settings::PLAYER_UICONF_ID.into()))?,
            ks: ks.expose().to_owned(),
            expires_at: self.env.clock.now_secs().saturating_add(expiry),
        })
    }

    /// WIT `player-embed-url`.
    ///
    /// # Errors
    /// `Invalid` for a malformed entry id or a zero uiconf id; `NotConfigured` for the
    /// partner, the default player or the CDN URL.
    pub fn player_embed_url(
        &self,
        entry_id: &str,
        uiconf_id: Option<u32>,
    ) -> Result<String, Error> {
        let entry = EntryId::new(entry_id).map_err(invalid_field("entry-id"))?;
        let uiconf = match uiconf_id {
            Some(id) => UiConfId::new(i64::from(id)).map_err(invalid_field("uiconf-id"))?,
            None => settings::player_uiconf_id(self.env.vars)?,
        };
        let partner = settings::partner_id(self.env.vars)?;
        urls::player_embed_url(
            settings::cdn_url(self.env.vars).as_deref(),
            partner,
            uiconf,
            &entry,
        )
        .map_err(|_| Error::NotConfigured(settings::CDN_URL.into()))
    }
}

#[cfg(test)]
mod tests {
    use crate::error::Error;
    use crate::settings;
    use crate::testing::{Fixture, ADMIN_SECRET};
    use common::Clock;
    use contracts::kaltura::MediaScope;
    use kaltura_api::ks::{decode, SessionType};
    use kaltura_api::AdminSecret;

    const ENTRY: &str = r#"{"id":"0_abc123","name":"Lecture 1","description":"","status":"2","mediaType":1,"duration":61,
        "thumbnailUrl":"https://cfvod.kaltura.com/p/1234567/thumbnail/entry_id/0_abc123","createdAt":1700000000,
        "objectType":"KalturaMediaEntry"}"#;

    fn scope(categories: &[u32], member: Option<&str>) -> MediaScope {
        MediaScope {
            category_ids: categories.to_vec(),
            kaltura_user_id: member.map(str::to_owned),
        }
    }

    fn list_of(entries: &str, total: u32) -> String {
        format!(
            r#"{{"objects":[{entries}],"totalCount":{total},"objectType":"KalturaMediaListResponse"}}"#
        )
    }

    fn decoded(fx: &Fixture, ks: &str) -> kaltura_api::ks::DecodedKs {
        let secret = AdminSecret::new(ADMIN_SECRET).unwrap();
        decode(ks, &[&secret], fx.clock.now_secs()).unwrap()
    }

    #[test]
    fn a_members_search_runs_as_that_member_with_entitlement_in_the_servers_categories() {
        let fx = Fixture::new();
        fx.kaltura.script_json(&list_of(ENTRY, 11));
        let page = fx
            .service()
            .search_media("  intro\tlecture ", 1, &scope(&[7, 9], Some("discord-42")))
            .unwrap();
        assert_eq!((page.total, page.next_page), (11, Some(2)));
        let entry = &page.entries[0];
        assert_eq!(
            (
                entry.id.as_str(),
                entry.name.as_str(),
                entry.duration_seconds
            ),
            ("0_abc123", "Lecture 1", Some(61))
        );
        assert_eq!(entry.description, None);
        let request = &fx.kaltura.requests()[0];
        assert!(request.uri.ends_with("/api_v3/service/media/action/list"));
        assert_eq!(request.json["filter"]["freeText"], "intro lecture");
        assert_eq!(request.json["filter"]["categoriesIdsMatchOr"], "7,9");
        assert_eq!(request.json["filter"]["statusEqual"], "2");
        let ks = decoded(&fx, request.json["ks"].as_str().unwrap());
        assert_eq!(ks.session_type, SessionType::User);
        assert_eq!(ks.user_id, "discord-42");
        assert!(ks.privileges.iter().any(|(n, _)| n == "enableentitlement"));
    }

    #[test]
    fn a_search_without_a_member_or_categories_uses_the_services_session_unrestricted() {
        let fx = Fixture::new();
        fx.kaltura.script_json(&list_of("", 20));
        assert_eq!(
            fx.service()
                .search_media("x", 2, &scope(&[], None))
                .unwrap()
                .next_page,
            None
        );
        let request = &fx.kaltura.requests()[0];
        assert!(request.json["filter"].get("categoriesIdsMatchOr").is_none());
        let ks = decoded(&fx, request.json["ks"].as_str().unwrap());
        assert_eq!(ks.session_type, SessionType::Admin);
    }

    #[test]
    fn bad_search_input_is_refused_before_any_call() {
        let fx = Fixture::new();
        let service = fx.service();
        let any = scope(&[], None);
        assert!(
            matches!(service.search_media(" \n ", 1, &any), Err(Error::Invalid(m)) if m.starts_with("query"))
        );
        assert!(matches!(
            service.search_media(&"x".repeat(257), 1, &any),
            Err(Error::Invalid(_))
        ));
        assert!(
            matches!(service.search_media("x", 0, &any), Err(Error::Invalid(m)) if m.starts_with("page"))
        );
        assert!(matches!(
            service.search_media("x", 1, &scope(&[], Some("a,role:admin"))),
            Err(Error::Invalid(_))
        ));
        assert!(fx.kaltura.requests().is_empty());
    }

    #[test]
    fn a_search_is_retried_while_kaltura_is_briefly_down() {
        let fx = Fixture::new();
        fx.kaltura.script_status(503, "");
        fx.kaltura.script_timeout();
        fx.kaltura.script_json(&list_of("", 0));
        assert_eq!(
            fx.service()
                .search_media("x", 1, &scope(&[], None))
                .unwrap()
                .total,
            0
        );
        assert_eq!(fx.kaltura.requests().len(), 3);
    }

    #[test]
    fn an_entry_outside_the_servers_categories_reads_as_absent() {
        let fx = Fixture::new();
        fx.kaltura.script_json(&list_of(ENTRY, 1));
        fx.kaltura.script_json(&list_of("", 0));
        let service = fx.service();
        assert_eq!(
            service
                .get_media("0_abc123", &scope(&[7], None))
                .unwrap()
                .map(|e| e.name),
            Some("Lecture 1".into())
        );
        assert_eq!(service.get_media("0_abc123", &scope(&[8], None)), Ok(None));
        let requests = fx.kaltura.requests();
        assert_eq!(requests[1].json["filter"]["idEqual"], "0_abc123");
        assert_eq!(requests[1].json["filter"]["categoriesIdsMatchOr"], "8");
        assert!(matches!(
            service.get_media("0_abc,role:x", &scope(&[], None)),
            Err(Error::Invalid(m)) if m.starts_with("entry-id")
        ));
    }

    #[test]
    fn a_playback_session_is_the_members_user_ks_limited_to_the_entry() {
        let fx = Fixture::new().with(settings::PLAYER_UICONF_ID, "4711");
        fx.kaltura.script_json(&list_of(ENTRY, 1));
        let session = fx
            .service()
            .playback_session("0_abc123", &scope(&[7], Some("discord-42")))
            .unwrap();
        assert_eq!(
            (session.entry_id.as_str(), session.uiconf_id),
            ("0_abc123", 4711)
        );
        let ks = decoded(&fx, &session.ks);
        assert_eq!(ks.session_type, SessionType::User, "never an admin KS");
        assert_eq!(ks.user_id, "discord-42");
        assert_eq!(
            ks.privileges,
            [
                ("sview".to_owned(), "0_abc123".to_owned()),
                ("setrole".to_owned(), "PLAYBACK_BASE_ROLE".to_owned())
            ]
        );
        assert_eq!(session.expires_at, ks.valid_until);
    }

    #[test]
    fn no_playback_session_outside_the_scope_or_without_a_member() {
        let fx = Fixture::new().with(settings::PLAYER_UICONF_ID, "4711");
        fx.kaltura.script_json(&list_of("", 0));
        let service = fx.service();
        assert!(matches!(
            service.playback_session("0_abc123", &scope(&[8], Some("discord-42"))),
            Err(Error::NotFound(_))
        ));
        assert!(matches!(
            service.playback_session("0_abc123", &scope(&[], None)),
            Err(Error::Invalid(_))
        ));
        assert_eq!(fx.kaltura.requests().len(), 1);
    }

    #[test]
    fn the_embed_url_uses_the_configured_partner_player_and_cdn() {
        let fx = Fixture::new();
        assert_eq!(
            fx.service().player_embed_url("0_abc123", Some(4321)).unwrap(),
            "https://cdnapisec.kaltura.com/p/1234567/embedPlaykitJs/uiconf_id/4321?iframeembed=true&entry_id=0_abc123"
        );
        let fx = Fixture::new()
            .with(settings::CDN_URL, "https://cdn.example.org/")
            .with(settings::PLAYER_UICONF_ID, "999");
        assert_eq!(
            fx.service().player_embed_url("0_abc123", None).unwrap(),
            "https://cdn.example.org/p/1234567/embedPlaykitJs/uiconf_id/999?iframeembed=true&entry_id=0_abc123"
        );
        assert!(fx.kaltura.requests().is_empty());
    }

    #[test]
    fn the_embed_url_names_what_is_missing_or_wrong() {
        let fx = Fixture::new();
        let service = fx.service();
        assert_eq!(
            service.player_embed_url("0_abc123", None),
            Err(Error::NotConfigured("kaltura_player_uiconf_id".into()))
        );
        assert!(matches!(
            service.player_embed_url("0_abc123", Some(0)),
            Err(Error::Invalid(_))
        ));
        assert!(matches!(
            service.player_embed_url("", Some(1)),
            Err(Error::Invalid(_))
        ));
        let bad_cdn = Fixture::new().with(settings::CDN_URL, "javascript:alert(1)");
        assert_eq!(
            bad_cdn.service().player_embed_url("0_abc123", Some(1)),
            Err(Error::NotConfigured("kaltura_cdn_url".into()))
        );
    }
}
