//! The cockpit's page (the Telegram Mini App) at `/app`: plain HTML, CSS and standard ES
//! modules from `crates/agent-api/app/`, embedded in the binary at build time — no JavaScript
//! toolchain, no build step. Each file is gzipped once, on first use, for clients that take it.
//! Telegram's own `telegram-web-app.js` is loaded from telegram.org by the page (only when no
//! `window.Telegram.WebApp` is there already).

use axum::body::Body;
use axum::extract::Path;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use std::io::Write;
use std::sync::LazyLock;

/// One embedded file.
struct Asset {
    name: &'static str,
    content_type: &'static str,
    bytes: &'static [u8],
}

const ASSETS: &[Asset] = &[
    Asset {
        name: "index.html",
        content_type: "text/html; charset=utf-8",
        bytes: include_bytes!("../../app/index.html"),
    },
    Asset {
        name: "app.js",
        content_type: "text/javascript; charset=utf-8",
        bytes: include_bytes!("../../app/app.js"),
    },
    Asset {
        name: "api.js",
        content_type: "text/javascript; charset=utf-8",
        bytes: include_bytes!("../../app/api.js"),
    },
    Asset {
        name: "views.js",
        content_type: "text/javascript; charset=utf-8",
        bytes: include_bytes!("../../app/views.js"),
    },
    Asset {
        name: "style.css",
        content_type: "text/css; charset=utf-8",
        bytes: include_bytes!("../../app/style.css"),
    },
];

/// Each asset gzipped (the best level: it is done once).
static GZIPPED: LazyLock<Vec<Vec<u8>>> = LazyLock::new(|| {
    ASSETS
        .iter()
        .map(|asset| {
            let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
            encoder.write_all(asset.bytes).expect("writing to memory");
            encoder.finish().expect("writing to memory")
        })
        .collect()
});

/// The size of every asset the first load fetches, gzipped (the README's budget figure).
pub fn first_load_gzipped_bytes() -> usize {
    GZIPPED.iter().map(Vec::len).sum()
}

/// `GET /app`: the page.
pub async fn index(headers: HeaderMap) -> Response {
    serve("index.html", &headers)
}

/// `GET /app/{file}`: one of the page's files; another name is a 404.
pub async fn file(Path(name): Path<String>, headers: HeaderMap) -> Response {
    serve(&name, &headers)
}

fn serve(name: &str, headers: &HeaderMap) -> Response {
    let Some(index) = ASSETS.iter().position(|a| a.name == name) else {
        return (StatusCode::NOT_FOUND, "no such file in the cockpit").into_response();
    };
    let asset = &ASSETS[index];
    let gzip = headers
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|enc| enc.split(';').next().map(str::trim) == Some("gzip"));
    let mut response = if gzip {
        let mut r = Body::from(GZIPPED[index].clone()).into_response();
        r.headers_mut().insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
        r
    } else {
        Body::from(asset.bytes).into_response()
    };
    let h = response.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(asset.content_type));
    h.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    // The files change with the binary: revalidate each load (cheap; they are small), so a new
    // version is never mixed with an old module from the cache.
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_asset_is_served_with_its_type_and_gzipped_on_request() {
        let mut headers = HeaderMap::new();
        headers.insert(header::ACCEPT_ENCODING, HeaderValue::from_static("br, gzip;q=0.8"));
        for asset in ASSETS {
            let plain = serve(asset.name, &HeaderMap::new());
            assert_eq!(plain.status(), StatusCode::OK);
            assert_eq!(plain.headers()[header::CONTENT_TYPE], asset.content_type);
            assert!(plain.headers().get(header::CONTENT_ENCODING).is_none());
            let zipped = serve(asset.name, &headers);
            assert_eq!(zipped.headers()[header::CONTENT_ENCODING], "gzip");
        }
        assert_eq!(serve("../Cargo.toml", &headers).status(), StatusCode::NOT_FOUND);
        assert!(first_load_gzipped_bytes() < 150 * 1024);
    }
}
