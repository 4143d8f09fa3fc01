//! Middleware of our own: the request id header and the language of error messages.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::HttpMessage;
use tracing_actix_web::RequestId;

use crate::error::EnglishBody;

pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Copies the request id that the tracing middleware gave this request (and put in every
/// log line of it) into the `X-Request-Id` response header.
pub async fn request_id(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let id = req.extensions().get::<RequestId>().map(|id| id.to_string());
    let mut res = next.call(req).await?;
    if let Some(value) = id.and_then(|id| HeaderValue::from_str(&id).ok()) {
        res.headers_mut().insert(REQUEST_ID, value);
    }
    Ok(res)
}

/// Whether the client prefers English to Chinese, from `Accept-Language`.
pub fn prefers_english(accept_language: &str) -> bool {
    let mut best: Option<(f32, bool)> = None;
    for part in accept_language.split(',') {
        let mut pieces = part.split(';');
        let tag = pieces.next().unwrap_or("").trim().to_ascii_lowercase();
        let q = pieces.find_map(|p| p.trim().strip_prefix("q=").and_then(|q| q.parse::<f32>().ok())).unwrap_or(1.0);
        let english = tag == "en" || tag.starts_with("en-");
        let chinese = tag == "zh" || tag.starts_with("zh-");
        if (english || chinese) && best.is_none_or(|(bq, _)| q > bq) {
            best = Some((q, english));
        }
    }
    best.is_some_and(|(_, english)| english)
}

/// Error messages are in Chinese; a client that prefers English gets them in English.
pub async fn language(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let english = req.headers().get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()).is_some_and(prefers_english);
    let res = next.call(req).await?.map_into_boxed_body();
    if !english {
        return Ok(res);
    }
    let Some(EnglishBody(body)) = res.response().extensions().get::<EnglishBody>().cloned() else {
        return Ok(res);
    };
    let json = serde_json::to_string(&body).unwrap_or_default();
    Ok(res.map_body(|head, _| {
        head.headers.insert(header::CONTENT_LANGUAGE, HeaderValue::from_static("en"));
        BoxBody::new(json)
    }))
}

#[cfg(test)]
mod tests {
    use super::prefers_english;

    #[test]
    fn accept_language() {
        assert!(prefers_english("en"));
        assert!(prefers_english("en-US,en;q=0.9"));
        assert!(prefers_english("zh-CN;q=0.5, en;q=0.8"));
        assert!(!prefers_english("zh-CN,zh;q=0.9,en;q=0.8"));
        assert!(!prefers_english("fr"));
        assert!(!prefers_english(""));
    }
}
