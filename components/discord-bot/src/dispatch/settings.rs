//! `/kaltura-config`: the server's settings as `config` renders them, and changes made
//! through `config` as the member (`set` checked first with a dry run, `reset`).

use contracts::config::Section;
use contracts::{Config as _, Error};
use discord_api::markdown::escape;
use discord_api::response::{Embed, InteractionResponse};

use super::{failure_message, Ctx, Outcome};
use crate::commands::section_label;
use crate::render::{self, notice};
use crate::services::Services;

impl<S: Services> Ctx<'_, S> {
    /// One section of the server's settings as `config` renders it.
    fn section_embed(&self, section: Section) -> Result<Embed, Error> {
        let lines = self
            .services
            .config()
            .render_section(self.guild(), section)?;
        Ok(render::config_section(section, lines))
    }

    /// `/kaltura-config view`: one section, or every section.
    pub(super) fn config_view(&self, section: Option<Section>) -> Outcome {
        let shown = match section {
            Some(section) => self.section_embed(section).map(|embed| {
                notice(format!(
                    "This server's {} settings:",
                    section_label(section).to_lowercase()
                ))
                .embed(embed)
            }),
            None => Section::ALL.iter().try_fold(
                notice("This server's Kaltura settings. Change one with `/kaltura-config set`."),
                |body, section| Ok(body.embed(self.section_embed(*section)?)),
            ),
        };
        match shown {
            Ok(body) => Outcome::message(body),
            Err(err) => self.failed(err.into()),
        }
    }

    /// A change made: the message, with the section's new values when `config` renders
    /// them (the change is saved either way; a failed rendering is only logged).
    fn changed(&self, text: String, section: Option<Section>) -> Outcome {
        let body = notice(text);
        match section.map(|section| self.section_embed(section)) {
            None => Outcome::message(body),
            Some(Ok(embed)) => Outcome::message(body.embed(embed)),
            Some(Err(err)) => {
                let (_, report) = failure_message(&self.error_id, self.name, err.into());
                Outcome::Reply {
                    response: InteractionResponse::message(body),
                    report: Some(report),
                }
            }
        }
    }

    pub(super) fn config_set(&self, key: &str, value: &str) -> Outcome {
        let config = self.services.config();
        let actor = self.actor();
        // A dry run first: a typo is answered at once, in `config`'s words, and no
        // write is attempted.
        let checked = config
            .set(self.guild(), key, value, None, true, &actor)
            .and_then(|_| config.set(self.guild(), key, value, None, false, &actor));
        match checked {
            Ok(_) => {
                let section = key.split('.').next().and_then(Section::parse);
                self.changed(format!("✅ `{key}` is updated."), section)
            }
            Err(Error::Invalid(message)) => {
                Outcome::message(notice(format!("Nothing was changed. {}", escape(&message))))
            }
            // `config` asks Discord whether a channel being set is this server's; when
            // Discord cannot say, its own words explain it (not "Kaltura is unavailable").
            Err(err @ Error::Unavailable(_)) => {
                let text = format!("Nothing was changed. {}", escape(err.message()));
                let (_, report) = failure_message(&self.error_id, self.name, err.into());
                Outcome::Reply {
                    response: InteractionResponse::message(notice(text)),
                    report: Some(report),
                }
            }
            Err(err) => self.failed(err.into()),
        }
    }

    pub(super) fn config_reset(&self, section: Section) -> Outcome {
        match self
            .services
            .config()
            .reset(self.guild(), Some(section), &self.actor())
        {
            Ok(_) => self.changed(
                format!(
                    "✅ The {} settings are back to their defaults.",
                    section_label(section).to_lowercase()
                ),
                Some(section),
            ),
            Err(err) => self.failed(err.into()),
        }
    }
}
