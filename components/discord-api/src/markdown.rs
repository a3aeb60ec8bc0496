//! Escaping untrusted text (meeting titles, user input, Kaltura metadata) before it
//! goes into a Discord message, so that it can neither mention anyone nor change the
//! formatting around it.
//!
//! Discord's Markdown treats a backslash before punctuation as "show this literally"
//! (<https://support.discord.com/hc/en-us/articles/210298617>), so escaped text looks
//! as written. Mentions are broken with a zero-width space (U+200B), which no
//! mention syntax allows: `@everyone`/`@here` become `@\u{200B}everyone`, and `<@1>`,
//! `<@!1>`, `<@&1>`, `<#1>`, `</cmd:1>`, `<:emoji:1>`, `<t:1>` get one after the `<`.
//! Send messages with [`crate::response::AllowedMentions::none`] as well: escaping is
//! the second line of defence, not the first.

/// Zero-width space.
const ZWSP: char = '\u{200B}';

/// Characters escaped wherever they are.
const ALWAYS: &[char] = &['\\', '*', '_', '~', '`', '|', '[', ']'];

/// Characters that start a heading, list, subtext or quote at the start of a line.
const LINE_START: &[char] = &['#', '-', '+', '>'];

/// Where we are in the current line, for block syntax.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Line {
    /// Only spaces so far.
    Start,
    /// Only spaces then digits so far (`1.` would start an ordered list).
    Digits,
    /// Anything else.
    Rest,
}

/// Escapes `text` for message content, embed descriptions and field values: no
/// mention works and no Markdown applies; it renders as written.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 8);
    let mut line = Line::Start;
    for (i, c) in text.char_indices() {
        let rest = &text[i + c.len_utf8()..];
        let escaped = ALWAYS.contains(&c)
            || (line == Line::Start && LINE_START.contains(&c))
            || (line == Line::Digits && c == '.');
        if escaped {
            out.push('\\');
        }
        out.push(c);
        push_mention_breaker(&mut out, c, rest);
        line = match c {
            '\n' => Line::Start,
            ' ' | '\t' if line == Line::Start => Line::Start,
            '0'..='9' if matches!(line, Line::Start | Line::Digits) => Line::Digits,
            _ => Line::Rest,
        };
    }
    out
}

/// Breaks mentions only, leaving Markdown alone: for text shown where formatting is
/// wanted or not rendered (embed titles, footers, author names, button labels).
pub fn escape_mentions(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for (i, c) in text.char_indices() {
        out.push(c);
        push_mention_breaker(&mut out, c, &text[i + c.len_utf8()..]);
    }
    out
}

/// After `c`, pushes a zero-width space if `c` with what follows would be a mention.
fn push_mention_breaker(out: &mut String, c: char, rest: &str) {
    let starts_ci = |word: &str| {
        rest.get(..word.len())
            .is_some_and(|head| head.eq_ignore_ascii_case(word))
    };
    let breaks = match c {
        '@' => starts_ci("everyone") || starts_ci("here"),
        '<' => {
            rest.starts_with(['@', '#', '/', ':'])
                || rest.starts_with("a:")
                || rest.starts_with("t:")
        }
        _ => false,
    };
    if breaks {
        out.push(ZWSP);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn everyone_role_mentions_and_bold_come_out_harmless() {
        assert_eq!(
            escape("@everyone <@&123> **x**"),
            "@\u{200B}everyone <\u{200B}@&123> \\*\\*x\\*\\*"
        );
    }

    #[test]
    fn every_mention_form_is_broken() {
        for mention in [
            "@here",
            "@Everyone",
            "<@1>",
            "<@!1>",
            "<@&1>",
            "<#1>",
            "</cmd:1>",
            "<:e:1>",
            "<a:e:1>",
            "<t:1700000000:R>",
        ] {
            let escaped = escape(mention);
            assert!(escaped.contains(ZWSP), "{mention} -> {escaped}");
            assert!(escape_mentions(mention).contains(ZWSP), "{mention}");
        }
    }

    #[test]
    fn ordinary_at_signs_and_angle_brackets_are_left_alone() {
        assert_eq!(
            escape("mail a@example.com if 2 < 3"),
            "mail a@example.com if 2 < 3"
        );
        assert_eq!(escape_mentions("<b>@heron"), "<b>@heron");
        // A prefix is enough for Discord, so it is enough to break.
        assert_eq!(escape_mentions("@hereabouts"), "@\u{200B}hereabouts");
    }

    #[test]
    fn inline_markdown_is_escaped_everywhere() {
        assert_eq!(
            escape("a_b ~~s~~ `c` ||sp|| \\"),
            "a\\_b \\~\\~s\\~\\~ \\`c\\` \\|\\|sp\\|\\| \\\\"
        );
        assert_eq!(escape("[click](https://evil)"), "\\[click\\](https://evil)");
    }

    #[test]
    fn block_markdown_is_escaped_at_line_starts_only() {
        assert_eq!(
            escape("# big\n  - item\n> quote\n-# small"),
            "\\# big\n  \\- item\n\\> quote\n\\-# small"
        );
        assert_eq!(escape("C# and a-b > c"), "C# and a-b > c");
        assert_eq!(escape("12. twelve\nv1.2"), "12\\. twelve\nv1.2");
    }

    #[test]
    fn escape_mentions_keeps_markdown() {
        assert_eq!(escape_mentions("**bold** @here"), "**bold** @\u{200B}here");
    }

    #[test]
    fn multi_byte_text_is_kept_intact() {
        assert_eq!(escape("日本語 🎉 *x*"), "日本語 🎉 \\*x\\*");
    }
}
