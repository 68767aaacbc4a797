//! The pages every government service links from its footer: contact,
//! accessibility, privacy policy and terms of use. Short and honest: what
//! this system does and stores, in the project's own words; each says it
//! is a page of the ismap system, not an official government statement.

use askama::Template;
use axum::response::Response;

use crate::auth::Ctx;
use crate::error::PageError;
use crate::pages::render;
use crate::text::Frame;

pub struct Section {
    pub heading: String,
    pub paragraphs: Vec<String>,
}

#[derive(Template)]
#[template(path = "about.html")]
struct AboutPage {
    frame: Frame,
    title: String,
    lead: String,
    sections: Vec<Section>,
}

/// One page: its title and lead, then sections of (heading, paragraphs),
/// all message ids.
struct Content {
    title: &'static str,
    lead: &'static str,
    sections: &'static [(&'static str, &'static [&'static str])],
}

const CONTACT: Content = Content {
    title: "web-about-contact-title",
    lead: "web-about-contact-lead",
    sections: &[
        (
            "web-about-contact-system",
            &["web-about-contact-system-1", "web-about-contact-system-2"],
        ),
        (
            "web-about-contact-programme",
            &["web-about-contact-programme-1"],
        ),
    ],
};

const ACCESSIBILITY: Content = Content {
    title: "web-about-accessibility-title",
    lead: "web-about-accessibility-lead",
    sections: &[
        (
            "web-about-accessibility-target",
            &["web-about-accessibility-target-1"],
        ),
        (
            "web-about-accessibility-done",
            &[
                "web-about-accessibility-done-1",
                "web-about-accessibility-done-2",
                "web-about-accessibility-done-3",
            ],
        ),
        (
            "web-about-accessibility-report",
            &["web-about-accessibility-report-1"],
        ),
    ],
};

const PRIVACY: Content = Content {
    title: "web-about-privacy-title",
    lead: "web-about-privacy-lead",
    sections: &[
        (
            "web-about-privacy-stored",
            &[
                "web-about-privacy-stored-1",
                "web-about-privacy-stored-2",
                "web-about-privacy-stored-3",
            ],
        ),
        (
            "web-about-privacy-cookies",
            &["web-about-privacy-cookies-1"],
        ),
        ("web-about-privacy-files", &["web-about-privacy-files-1"]),
        ("web-about-privacy-public", &["web-about-privacy-public-1"]),
    ],
};

const TERMS: Content = Content {
    title: "web-about-terms-title",
    lead: "web-about-terms-lead",
    sections: &[
        ("web-about-terms-public", &["web-about-terms-public-1"]),
        ("web-about-terms-accounts", &["web-about-terms-accounts-1"]),
        ("web-about-terms-official", &["web-about-terms-official-1"]),
    ],
};

fn page(ctx: &Ctx, content: &Content) -> Result<Response, PageError> {
    let frame = Frame::new(ctx);
    let sections = content
        .sections
        .iter()
        .map(|(heading, paragraphs)| Section {
            heading: frame.t(heading),
            paragraphs: paragraphs.iter().map(|id| frame.t(id)).collect(),
        })
        .collect();
    render(&AboutPage {
        title: frame.t(content.title),
        lead: frame.t(content.lead),
        sections,
        frame,
    })
}

/// `/contact`
pub async fn contact(ctx: Ctx) -> Result<Response, PageError> {
    page(&ctx, &CONTACT)
}

/// `/accessibility`
pub async fn accessibility(ctx: Ctx) -> Result<Response, PageError> {
    page(&ctx, &ACCESSIBILITY)
}

/// `/privacy`
pub async fn privacy(ctx: Ctx) -> Result<Response, PageError> {
    page(&ctx, &PRIVACY)
}

/// `/terms`
pub async fn terms(ctx: Ctx) -> Result<Response, PageError> {
    page(&ctx, &TERMS)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ismap_i18n::{Lang, Messages};

    /// Every message of the footer pages is in both catalogs.
    #[test]
    fn footer_pages_are_in_both_languages() {
        let messages = Messages::get();
        for content in [&CONTACT, &ACCESSIBILITY, &PRIVACY, &TERMS] {
            let mut ids = vec![content.title, content.lead];
            for (heading, paragraphs) in content.sections {
                ids.push(heading);
                ids.extend(paragraphs.iter());
            }
            for lang in Lang::ALL {
                for id in &ids {
                    assert!(messages.has(lang, id), "{id} is missing in {lang}");
                }
            }
        }
    }
}
