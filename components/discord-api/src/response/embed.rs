//! Rich embeds, with Discord's limits enforced by safe truncation.
//!
//! Spec: <https://discord.com/developers/docs/resources/message#embed-object>.
//! Setters cut text that is too long (ending it with `…`); fields beyond 25 are
//! dropped; the 6000-character budget across a message's embeds is applied by
//! [`crate::response::MessageBody`].

use serde::Serialize;

use super::limits::{self, char_len, truncate, truncated};

/// An embed. Build with [`Embed::new`] and the setters.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[must_use = "builders do nothing unless used"]
pub struct Embed {
    #[serde(skip_serializing_if = "Option::is_none")]
    title: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    timestamp: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    color: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    footer: Option<Footer>,
    #[serde(skip_serializing_if = "Option::is_none")]
    image: Option<Media>,
    #[serde(skip_serializing_if = "Option::is_none")]
    thumbnail: Option<Media>,
    #[serde(skip_serializing_if = "Option::is_none")]
    author: Option<Author>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    fields: Vec<Field>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
struct Footer {
    text: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    icon_url: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
struct Media {
    url: String,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
struct Author {
    name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    icon_url: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
struct Field {
    name: String,
    value: String,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    inline: bool,
}

/// Discord rejects empty field names and values; a zero-width space stands in.
const BLANK: &str = "\u{200B}";

fn non_blank(text: String, max: usize) -> String {
    if text.is_empty() {
        BLANK.to_owned()
    } else {
        truncated(text, max)
    }
}

impl Embed {
    /// An empty embed.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the title (cut to 256 chars).
    pub fn title(mut self, title: impl Into<String>) -> Self {
        self.title = Some(truncated(title, limits::EMBED_TITLE));
        self
    }

    /// Sets the description (cut to 4096 chars). Rendered as Markdown: escape
    /// untrusted text with [`crate::markdown::escape`].
    pub fn description(mut self, description: impl Into<String>) -> Self {
        self.description = Some(truncated(description, limits::EMBED_DESCRIPTION));
        self
    }

    /// Sets the URL the title links to.
    pub fn url(mut self, url: impl Into<String>) -> Self {
        self.url = Some(url.into());
        self
    }

    /// Sets the timestamp shown in the footer (ISO 8601, e.g. `2024-05-01T12:00:00Z`).
    pub fn timestamp(mut self, iso8601: impl Into<String>) -> Self {
        self.timestamp = Some(iso8601.into());
        self
    }

    /// Sets the side colour (`0xRRGGBB`).
    pub fn color(mut self, rgb: u32) -> Self {
        self.color = Some(rgb & 0x00FF_FFFF);
        self
    }

    /// Sets the footer text (cut to 2048 chars).
    pub fn footer(mut self, text: impl Into<String>) -> Self {
        self.footer = Some(Footer {
            text: truncated(text, limits::EMBED_FOOTER),
            icon_url: None,
        });
        self
    }

    /// Sets the author name (cut to 256 chars) and optional link.
    pub fn author(mut self, name: impl Into<String>, url: Option<String>) -> Self {
        self.author = Some(Author {
            name: truncated(name, limits::EMBED_AUTHOR),
            url,
            icon_url: None,
        });
        self
    }

    /// Sets the large image.
    pub fn image(mut self, url: impl Into<String>) -> Self {
        self.image = Some(Media { url: url.into() });
        self
    }

    /// Sets the thumbnail.
    pub fn thumbnail(mut self, url: impl Into<String>) -> Self {
        self.thumbnail = Some(Media { url: url.into() });
        self
    }

    /// Adds a field (name cut to 256, value to 1024 chars; an empty one becomes a
    /// zero-width space). A field beyond the 25th is dropped.
    pub fn field(
        mut self,
        name: impl Into<String>,
        value: impl Into<String>,
        inline: bool,
    ) -> Self {
        if self.fields.len() < limits::EMBED_FIELDS {
            self.fields.push(Field {
                name: non_blank(name.into(), limits::EMBED_FIELD_NAME),
                value: non_blank(value.into(), limits::EMBED_FIELD_VALUE),
                inline,
            });
        }
        self
    }

    /// The number of fields.
    pub fn field_count(&self) -> usize {
        self.fields.len()
    }

    /// The chars counted toward the 6000 total: title, description, field names and
    /// values, footer text and author name.
    pub fn text_len(&self) -> usize {
        let opt = |s: &Option<String>| s.as_deref().map_or(0, char_len);
        opt(&self.title)
            + opt(&self.description)
            + self
                .fields
                .iter()
                .map(|f| char_len(&f.name) + char_len(&f.value))
                .sum::<usize>()
            + self.footer.as_ref().map_or(0, |f| char_len(&f.text))
            + self.author.as_ref().map_or(0, |a| char_len(&a.name))
    }

    /// Whether it shows nothing at all.
    pub fn is_empty(&self) -> bool {
        self.text_len() == 0 && self.image.is_none() && self.thumbnail.is_none()
    }

    /// Cuts its counted text to fit `budget` chars, in reading order (title,
    /// description, fields, footer, author), dropping what no longer fits. Returns the
    /// chars it still uses.
    pub(crate) fn fit(&mut self, budget: usize) -> usize {
        let mut left = budget;
        fit_part(&mut self.title, |t| t, &mut left);
        fit_part(&mut self.description, |t| t, &mut left);
        let mut kept = 0;
        for field in &mut self.fields {
            // A field needs at least one char of name and one of value.
            if left < 2 {
                break;
            }
            truncate(&mut field.name, left - 1);
            left -= char_len(&field.name);
            truncate(&mut field.value, left);
            left -= char_len(&field.value);
            kept += 1;
        }
        self.fields.truncate(kept);
        fit_part(&mut self.footer, |f| &mut f.text, &mut left);
        fit_part(&mut self.author, |a| &mut a.name, &mut left);
        budget - left
    }
}

/// Cuts the counted text of an optional part to what is `left`, or drops the part
/// when nothing is left.
fn fit_part<T>(part: &mut Option<T>, text: fn(&mut T) -> &mut String, left: &mut usize) {
    match part {
        Some(_) if *left == 0 => *part = None,
        Some(inner) => {
            let text = text(inner);
            truncate(text, *left);
            *left -= char_len(text);
        }
        None => {}
    }
}

/// Applies the per-message embed limits in place: at most 10 embeds, at most 6000
/// counted chars across them (earlier text wins), and no embed left empty by the cut.
pub(crate) fn fit_all(embeds: &mut Vec<Embed>) {
    embeds.truncate(limits::EMBEDS);
    let mut left = limits::EMBEDS_TOTAL;
    for embed in embeds.iter_mut() {
        left -= embed.fit(left);
    }
    embeds.retain(|e| !e.is_empty());
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn count(value: &serde_json::Value, pointer: &str) -> usize {
        value
            .pointer(pointer)
            .and_then(serde_json::Value::as_str)
            .map_or(0, char_len)
    }

    #[test]
    fn an_embed_serializes_to_discords_json() {
        let embed = Embed::new()
            .title("Webinar started")
            .description("Join now")
            .url("https://example.com/m/1")
            .color(0x5865F2)
            .field("Host", "Ada", true)
            .field("Room", "", false)
            .footer("Kaltura")
            .author("Ada", None)
            .timestamp("2024-05-01T12:00:00Z");
        assert_eq!(
            serde_json::to_value(&embed).unwrap(),
            json!({
                "title": "Webinar started",
                "description": "Join now",
                "url": "https://example.com/m/1",
                "color": 5_793_266,
                "timestamp": "2024-05-01T12:00:00Z",
                "footer": {"text": "Kaltura"},
                "author": {"name": "Ada"},
                "fields": [
                    {"name": "Host", "value": "Ada", "inline": true},
                    {"name": "Room", "value": "\u{200B}"}
                ]
            })
        );
    }

    #[test]
    fn the_title_is_cut_to_256_chars() {
        let v = serde_json::to_value(Embed::new().title("t".repeat(300))).unwrap();
        assert_eq!(count(&v, "/title"), limits::EMBED_TITLE);
    }

    #[test]
    fn the_description_is_cut_to_4096_chars() {
        let v = serde_json::to_value(Embed::new().description("é".repeat(5000))).unwrap();
        assert_eq!(count(&v, "/description"), limits::EMBED_DESCRIPTION);
    }

    #[test]
    fn at_most_25_fields_are_kept() {
        let embed = (0..30).fold(Embed::new(), |e, i| e.field(format!("f{i}"), "v", false));
        assert_eq!(embed.field_count(), limits::EMBED_FIELDS);
    }

    #[test]
    fn field_names_are_cut_to_256_and_values_to_1024_chars() {
        let v = serde_json::to_value(Embed::new().field("n".repeat(300), "v".repeat(2000), false))
            .unwrap();
        assert_eq!(count(&v, "/fields/0/name"), limits::EMBED_FIELD_NAME);
        assert_eq!(count(&v, "/fields/0/value"), limits::EMBED_FIELD_VALUE);
    }

    #[test]
    fn the_footer_is_cut_to_2048_and_the_author_to_256_chars() {
        let v = serde_json::to_value(
            Embed::new()
                .footer("f".repeat(3000))
                .author("a".repeat(300), None),
        )
        .unwrap();
        assert_eq!(count(&v, "/footer/text"), limits::EMBED_FOOTER);
        assert_eq!(count(&v, "/author/name"), limits::EMBED_AUTHOR);
    }

    #[test]
    fn fitting_keeps_earlier_text_and_drops_what_no_longer_fits() {
        let mut embed = Embed::new()
            .title("t".repeat(10))
            .description("d".repeat(10))
            .field("n", "v".repeat(10), false)
            .field("second", "gone", false)
            .footer("gone too")
            .author("and this", None);
        assert_eq!(embed.fit(25), 25);
        assert_eq!(embed.text_len(), 25);
        assert_eq!(embed.field_count(), 1);
        let v = serde_json::to_value(&embed).unwrap();
        assert_eq!(count(&v, "/fields/0/value"), 4);
        assert!(v.get("footer").is_none());
        assert!(v.get("author").is_none());
    }

    #[test]
    fn the_six_thousand_char_total_is_enforced_across_embeds() {
        let big = || Embed::new().description("x".repeat(limits::EMBED_DESCRIPTION));
        let mut embeds = vec![big(), big(), big()];
        fit_all(&mut embeds);
        assert_eq!(embeds.len(), 2, "the third embed had no budget left");
        let total: usize = embeds.iter().map(Embed::text_len).sum();
        assert_eq!(total, limits::EMBEDS_TOTAL);
    }

    #[test]
    fn at_most_ten_embeds_are_kept() {
        let mut embeds = vec![Embed::new().title("x"); 12];
        fit_all(&mut embeds);
        assert_eq!(embeds.len(), limits::EMBEDS);
    }
}
