//! Media: search ready entries, get one, and build the PlayKit (v7) embed URL. Searches
//! and gets are reads, retried with backoff; the embed URL is built locally from the
//! configured partner, player and CDN — nothing is hard-coded.

use contracts::kaltura::{MediaEntry, MediaPage};
use kaltura_api::client::calls::{self, MediaFilter, Pager};
use kaltura_api::client::model;
use kaltura_api::client::urls;
use kaltura_api::types::{EntryId, UiConfId};

use crate::error::{invalid, invalid_field, Error};
use crate::resilience::Retry;
use crate::service::Service;
use crate::settings;

/// Entries per search page.
pub const PAGE_SIZE: u32 = 10;
/// The last page a search may ask for (Kaltura stops listing at 10 000 results).
pub const MAX_PAGE: u32 = 1000;

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

impl Service<'_> {
    /// WIT `search-media`.
    ///
    /// # Errors
    /// See the WIT doc: `Invalid`, `NotConfigured`, `Unavailable`, `Forbidden`, `Other`.
    pub fn search_media(&self, query: &str, page: u32) -> Result<MediaPage, Error> {
        if !(1..=MAX_PAGE).contains(&page) {
            return Err(invalid("page", format!("must be 1 to {MAX_PAGE}")));
        }
        let filter = MediaFilter::search(query)
            .map_err(invalid_field("query"))?
            .ready_only();
        let pager = Pager::new(PAGE_SIZE, page).map_err(invalid_field("page"))?;
        let kaltura = self.kaltura()?;
        let ks = kaltura.sessions().admin()?;
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

    /// WIT `get-media`.
    ///
    /// # Errors
    /// See the WIT doc: `Invalid`, `NotConfigured`, `Unavailable`, `Forbidden`, `Other`.
    pub fn get_media(&self, entry_id: &str) -> Result<Option<MediaEntry>, Error> {
        let entry = EntryId::new(entry_id).map_err(invalid_field("entry-id"))?;
        let kaltura = self.kaltura()?;
        let ks = kaltura.sessions().admin()?;
        match kaltura.call(&calls::media_get(&entry), &ks, Retry::Idempotent) {
            Ok(found) => Ok(Some(media_entry(found))),
            Err(Error::NotFound(_)) => Ok(None),
            Err(err) => Err(err),
        }
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
    use kaltura_api::ks::{decode, SessionType};
    use kaltura_api::AdminSecret;

    const ENTRY: &str = r#"{"id":"0_abc123","name":"Lecture 1","description":"","status":"2","mediaType":1,"duration":61,
        "thumbnailUrl":"https://cfvod.kaltura.com/p/1234567/thumbnail/entry_id/0_abc123","createdAt":1700000000,
        "objectType":"KalturaMediaEntry"}"#;

    #[test]
    fn a_search_lists_ready_entries_with_an_admin_session_and_a_next_page() {
        let fx = Fixture::new();
        fx.kaltura.script_json(&format!(
            r#"{{"objects":[{ENTRY}],"totalCount":11,"objectType":"KalturaMediaListResponse"}}"#
        ));
        let page = fx.service().search_media("  intro\tlecture ", 1).unwrap();
        assert_eq!(page.total, 11);
        assert_eq!(page.next_page, Some(2));
        let entry = &page.entries[0];
        assert_eq!(entry.id, "0_abc123");
        assert_eq!(entry.name, "Lecture 1");
        assert_eq!(entry.description, None);
        assert_eq!(entry.duration_seconds, Some(61));
        assert!(entry.ready);
        let request = &fx.kaltura.requests()[0];
        assert!(request.uri.ends_with("/api_v3/service/media/action/list"));
        assert_eq!(request.json["filter"]["freeText"], "intro lecture");
        assert_eq!(request.json["filter"]["statusEqual"], "2");
        assert_eq!(request.json["pager"]["pageSize"], 10);
        let secret = AdminSecret::new(ADMIN_SECRET).unwrap();
        let ks = request.json["ks"].as_str().unwrap();
        let decoded = decode(ks, &[&secret], fx.clock.now_secs()).unwrap();
        assert_eq!(decoded.session_type, SessionType::Admin);
    }

    #[test]
    fn the_last_page_has_no_next_page() {
        let fx = Fixture::new();
        fx.kaltura.script_json(
            r#"{"objects":[],"totalCount":20,"objectType":"KalturaMediaListResponse"}"#,
        );
        assert_eq!(fx.service().search_media("x", 2).unwrap().next_page, None);
    }

    #[test]
    fn a_search_is_retried_while_kaltura_is_briefly_down() {
        let fx = Fixture::new();
        fx.kaltura.script_status(503, "");
        fx.kaltura.script_timeout();
        fx.kaltura.script_json(
            r#"{"objects":[],"totalCount":0,"objectType":"KalturaMediaListResponse"}"#,
        );
        assert_eq!(fx.service().search_media("x", 1).unwrap().total, 0);
        assert_eq!(fx.kaltura.requests().len(), 3);
    }

    #[test]
    fn bad_search_input_is_refused_before_any_call() {
        let fx = Fixture::new();
        let service = fx.service();
        assert!(
            matches!(service.search_media(" \n ", 1), Err(Error::Invalid(m)) if m.starts_with("query"))
        );
        assert!(matches!(
            service.search_media(&"x".repeat(257), 1),
            Err(Error::Invalid(_))
        ));
        assert!(
            matches!(service.search_media("x", 0), Err(Error::Invalid(m)) if m.starts_with("page"))
        );
        assert!(fx.kaltura.requests().is_empty());
    }

    #[test]
    fn getting_an_entry_returns_it_or_none_when_kaltura_has_none() {
        let fx = Fixture::new();
        fx.kaltura.script_json(ENTRY);
        fx.kaltura
            .script_exception("ENTRY_ID_NOT_FOUND", "Entry id \"0_nope\" not found");
        let service = fx.service();
        assert_eq!(
            service.get_media("0_abc123").unwrap().map(|e| e.name),
            Some("Lecture 1".into())
        );
        assert_eq!(service.get_media("0_nope"), Ok(None));
        assert_eq!(fx.kaltura.requests()[0].json["entryId"], "0_abc123");
        assert!(matches!(
            service.get_media("0_abc,role:x"),
            Err(Error::Invalid(m)) if m.starts_with("entry-id")
        ));
    }

    #[test]
    fn a_forbidden_read_is_not_mistaken_for_absence() {
        let fx = Fixture::new();
        fx.kaltura.script_exception(
            "SERVICE_FORBIDDEN",
            "The access to service [media->get] is forbidden",
        );
        assert!(matches!(
            fx.service().get_media("0_abc123"),
            Err(Error::Forbidden(_))
        ));
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
