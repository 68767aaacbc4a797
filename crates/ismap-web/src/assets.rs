//! Static assets, embedded in the binary (no CDN): the Digital Agency design
//! tokens, the portal stylesheet, htmx and the portal's own script
//! (`ismap.js`: confirmation dialogs, htmx failures, the menu button). See `assets/README.md`.

use axum::extract::Path;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

const ASSETS: &[(&str, &str, &str)] = &[
    (
        "tokens.css",
        "text/css; charset=utf-8",
        include_str!("../assets/tokens.css"),
    ),
    (
        "ismap.css",
        "text/css; charset=utf-8",
        include_str!("../assets/ismap.css"),
    ),
    (
        "htmx.min.js",
        "text/javascript; charset=utf-8",
        include_str!("../assets/htmx.min.js"),
    ),
    (
        "ismap.js",
        "text/javascript; charset=utf-8",
        include_str!("../assets/ismap.js"),
    ),
];

pub async fn asset(Path(name): Path<String>) -> Response {
    match ASSETS.iter().find(|(file, _, _)| *file == name) {
        Some((_, content_type, body)) => {
            let mut response = (*body).into_response();
            let headers = response.headers_mut();
            headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
            headers.insert(
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=3600"),
            );
            response
        }
        None => (StatusCode::NOT_FOUND, "no such asset\n").into_response(),
    }
}
