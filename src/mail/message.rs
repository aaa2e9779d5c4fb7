//! Building messages. The subject and every unencrypted header carry no personal data; the
//! feedback itself is either inside an S/MIME envelope or not in the message at all.

use super::smime;
use crate::domain::case::Kind;
use crate::i18n::Lang;
use askama::Template;
use lettre::Message;
use lettre::message::header::{ContentDisposition, ContentTransferEncoding, ContentType};
use lettre::message::{MultiPart, SinglePart};

/// The subject of feedback and its notice, in the recipient's language (no personal data).
pub fn feedback_subject(lang: Lang) -> String {
    lang.t("mail-feedback-subject")
}

/// What the verksamhetschef is told when a lock or unlock has been executed.
#[derive(Debug, Clone)]
pub struct Feedback {
    pub kind: Kind,
    pub diary_number: String,
    pub citizen_pnr: String,
    /// `*****` for a citizen with protected identity.
    pub citizen_name: String,
    pub unit_name: String,
    pub executed_at: String,
    pub executed_by: String,
    pub related_diary_number: String,
    pub link: String,
}

#[derive(Template)]
#[template(path = "mail/feedback.txt")]
struct FeedbackText<'a> {
    l: Lang,
    f: &'a Feedback,
    headline: &'a str,
}

#[derive(Template)]
#[template(path = "mail/feedback.html")]
struct FeedbackHtml<'a> {
    l: Lang,
    f: &'a Feedback,
    headline: &'a str,
}

#[derive(Template)]
#[template(path = "mail/notice.txt")]
struct NoticeText<'a> {
    l: Lang,
    link: &'a str,
}

#[derive(Template)]
#[template(path = "mail/notice.html")]
struct NoticeHtml<'a> {
    l: Lang,
    link: &'a str,
}

#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    #[error("template: {0}")]
    Template(#[from] askama::Error),
    #[error("message: {0}")]
    Message(String),
    #[error(transparent)]
    Smime(#[from] smime::SmimeError),
}

/// The message with its top-level `From:` header set to `from`: the sender is the configured one
/// at send time, not whatever was configured when the message was queued. Only the outer header
/// block changes (an encrypted body is untouched); folded continuation lines of an old `From:`
/// go with it, and a message without one gets one.
pub fn with_from(message: &[u8], from: &str) -> Vec<u8> {
    let (head, body) = match message.windows(4).position(|w| w == b"\r\n\r\n") {
        Some(at) => message.split_at(at + 2),
        None => (message, &b""[..]),
    };
    let mut out = Vec::with_capacity(message.len() + from.len());
    out.extend_from_slice(format!("From: {from}\r\n").as_bytes());
    let mut skipping = false;
    for line in head.split_inclusive(|&b| b == b'\n') {
        let continuation = line.first().is_some_and(|b| *b == b' ' || *b == b'\t');
        if continuation && skipping {
            continue;
        }
        skipping = line.len() >= 5 && line[..5].eq_ignore_ascii_case(b"from:");
        if !skipping {
            out.extend_from_slice(line);
        }
    }
    out.extend_from_slice(body);
    out
}

fn msg_err(e: impl std::fmt::Display) -> BuildError {
    BuildError::Message(e.to_string())
}

fn message_id() -> String {
    format!("<{}@kontosparr>", crate::auth::tokens::random_token())
}

fn builder(
    lang: Lang,
    from: &str,
    to: &str,
) -> Result<lettre::message::MessageBuilder, BuildError> {
    Ok(Message::builder()
        .from(from.parse().map_err(msg_err)?)
        .to(to.parse().map_err(msg_err)?)
        .subject(feedback_subject(lang))
        .message_id(Some(message_id())))
}

/// The feedback in `lang`, encrypted for the recipient's certificate (CMS EnvelopedData,
/// AES-256).
pub fn feedback_encrypted(
    lang: Lang,
    from: &str,
    to: &str,
    f: &Feedback,
    cert_pem: &str,
) -> Result<Vec<u8>, BuildError> {
    let headline = lang.t(match f.kind {
        Kind::Lock => "mail-feedback-lock-executed",
        Kind::Unlock => "mail-feedback-unlock-executed",
    });
    let (l, headline) = (lang, headline.as_str());
    let inner = MultiPart::alternative_plain_html(
        FeedbackText { l, f, headline }.render()?,
        FeedbackHtml { l, f, headline }.render()?,
    );
    let der = smime::encrypt(&inner.formatted(), cert_pem)?;
    let part = SinglePart::builder()
        .header(
            ContentType::parse(
                "application/pkcs7-mime; smime-type=enveloped-data; name=\"smime.p7m\"",
            )
            .map_err(msg_err)?,
        )
        .header(ContentDisposition::attachment("smime.p7m"))
        .header(ContentTransferEncoding::Base64)
        .body(der);
    Ok(builder(lang, from, to)?
        .singlepart(part)
        .map_err(msg_err)?
        .formatted())
}

/// For a unit without a valid certificate: no personal data, only a link to read it after login.
pub fn feedback_notice(
    lang: Lang,
    from: &str,
    to: &str,
    link: &str,
) -> Result<Vec<u8>, BuildError> {
    let l = lang;
    let body = MultiPart::alternative_plain_html(
        NoticeText { l, link }.render()?,
        NoticeHtml { l, link }.render()?,
    );
    Ok(builder(lang, from, to)?
        .multipart(body)
        .map_err(msg_err)?
        .formatted())
}

#[derive(Template)]
#[template(path = "mail/reminder.txt")]
struct ReminderText<'a> {
    l: Lang,
    lines: &'a [String],
    link: &'a str,
}

#[derive(Template)]
#[template(path = "mail/reminder.html")]
struct ReminderHtml<'a> {
    l: Lang,
    subject: &'a str,
    lines: &'a [String],
    link: &'a str,
}

/// A reminder in `lang` (its subject and lines already worded in it): no personal data, only what
/// to do and a link (seed 004).
pub fn reminder(
    lang: Lang,
    from: &str,
    to: &str,
    subject: &str,
    lines: &[String],
    link: &str,
) -> Result<Vec<u8>, BuildError> {
    let body = MultiPart::alternative_plain_html(
        ReminderText {
            l: lang,
            lines,
            link,
        }
        .render()?,
        ReminderHtml {
            l: lang,
            subject,
            lines,
            link,
        }
        .render()?,
    );
    Ok(Message::builder()
        .from(from.parse().map_err(msg_err)?)
        .to(to.parse().map_err(msg_err)?)
        .subject(subject)
        .message_id(Some(message_id()))
        .multipart(body)
        .map_err(msg_err)?
        .formatted())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(m: &[u8]) -> String {
        let s = String::from_utf8_lossy(m).into_owned();
        s.split("\r\n\r\n").next().unwrap_or("").to_string()
    }

    #[test]
    fn from_is_set_at_send_time() {
        let queued = reminder(
            Lang::Sv,
            "gammal@example.se",
            "mottagare@example.se",
            "Påminnelse",
            &["Gör omprövningen.".to_string()],
            "https://kontosparr.example.se/",
        )
        .unwrap_or_default();
        assert!(headers(&queued).contains("From: gammal@example.se"));
        let sent = with_from(&queued, "ny-avsandare@example.se");
        let h = headers(&sent);
        assert!(h.contains("From: ny-avsandare@example.se"), "{h}");
        assert!(!h.contains("gammal@example.se"), "{h}");
        assert_eq!(
            h.to_ascii_lowercase().matches("\r\nfrom:").count()
                + usize::from(h.starts_with("From:")),
            1,
            "{h}"
        );
        assert!(h.contains("To: mottagare@example.se"), "{h}");
        // The body is byte for byte the same.
        let body = |m: &[u8]| {
            let at = m.windows(4).position(|w| w == b"\r\n\r\n").unwrap_or(0);
            m[at..].to_vec()
        };
        assert_eq!(body(&queued), body(&sent));
        // A folded old From: goes whole; a message without one gets one.
        let folded =
            b"Subject: x\r\nFrom: \"Gammal\"\r\n <gammal@example.se>\r\nTo: a@b.se\r\n\r\nhej\r\n";
        let out = String::from_utf8_lossy(&with_from(folded, "ny@example.se")).into_owned();
        assert_eq!(
            out,
            "From: ny@example.se\r\nSubject: x\r\nTo: a@b.se\r\n\r\nhej\r\n"
        );
        let none = String::from_utf8_lossy(&with_from(b"To: a@b.se\r\n\r\nhej", "ny@example.se"))
            .into_owned();
        assert_eq!(none, "From: ny@example.se\r\nTo: a@b.se\r\n\r\nhej");
    }
}
