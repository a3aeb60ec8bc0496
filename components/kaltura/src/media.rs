//! Media: the PlayKit (v7) embed URL of an entry, built locally from the configured
//! partner, player and CDN — nothing is hard-coded.

use kaltura_api::client::urls;
use kaltura_api::types::{EntryId, UiConfId};

use crate::error::{invalid_field, Error};
use crate::service::Service;
use crate::settings;

impl Service<'_> {
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
    use crate::testing::Fixture;

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
