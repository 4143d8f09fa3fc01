//! Request extractors that turn every malformed input into a clear [`ApiError`] naming the
//! field at fault, instead of actix's plain-text errors.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::{header, StatusCode};
use actix_web::{web, FromRequest, HttpRequest};
use serde::de::DeserializeOwned;

use crate::error::{ApiError, Code, Detail};

/// A JSON request body: `Content-Type: application/json`, within the size limit, every
/// field of the right type and no unknown fields (where the type denies them).
#[derive(Debug)]
pub struct Json<T>(pub T);

fn is_json(req: &HttpRequest) -> bool {
    let Some(ct) = req.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let mime = ct.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    mime == "application/json" || (mime.starts_with("application/") && mime.ends_with("+json"))
}

fn parse_error(path: &serde_path_to_error::Path, inner: &impl std::fmt::Display, code: Code) -> ApiError {
    let field = path.to_string();
    let mut e = ApiError::new(code).detail(Detail::Parser(inner.to_string()));
    if field != "." && !field.is_empty() {
        e = e.field(field);
    }
    e
}

impl<T: DeserializeOwned + 'static> FromRequest for Json<T> {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let json = is_json(req);
        let body = web::Bytes::from_request(req, payload);
        Box::pin(async move {
            if !json {
                return Err(ApiError::new(Code::UnsupportedMediaType));
            }
            let bytes = body.await.map_err(payload_error)?;
            let mut de = serde_json::Deserializer::from_slice(&bytes);
            let value: T = serde_path_to_error::deserialize(&mut de)
                .map_err(|e| parse_error(e.path(), e.inner(), Code::InvalidRequest))?;
            de.end().map_err(|e| ApiError::new(Code::InvalidRequest).detail(Detail::Parser(e.to_string())))?;
            Ok(Json(value))
        })
    }
}

/// A raw request body (an uploaded file) within the route's `PayloadConfig` limit.
#[derive(Debug)]
pub struct Body(pub web::Bytes);

impl FromRequest for Body {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let body = web::Bytes::from_request(req, payload);
        Box::pin(async move { body.await.map(Body).map_err(payload_error) })
    }
}

fn payload_error(e: actix_web::Error) -> ApiError {
    if e.as_response_error().status_code() == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::new(Code::PayloadTooLarge)
    } else {
        ApiError::new(Code::InvalidRequest).detail(Detail::Parser(e.to_string()))
    }
}

/// Query parameters, with the parameter at fault named on error.
#[derive(Debug)]
pub struct Query<T>(pub T);

impl<T: DeserializeOwned> FromRequest for Query<T> {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let de = serde_urlencoded::Deserializer::new(form_urlencoded::parse(req.query_string().as_bytes()));
        std::future::ready(
            serde_path_to_error::deserialize(de)
                .map(Query)
                .map_err(|e| parse_error(e.path(), e.inner(), Code::InvalidQuery)),
        )
    }
}

/// Deserializes a field that may be absent (leave as is), `null` (clear) or a value (set).
pub fn double_option<'de, T, D>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    T: serde::Deserialize<'de>,
    D: serde::Deserializer<'de>,
{
    serde::Deserialize::deserialize(d).map(Some)
}

/// The page parameters shared by every listing.
#[derive(Debug, Clone, Copy)]
pub struct PageParams;

impl PageParams {
    /// Checks `limit` (1 to 200, default 50) and decodes `cursor`.
    pub fn parse(limit: Option<i64>, cursor: Option<&str>) -> Result<models::PageRequest, ApiError> {
        let limit = limit.unwrap_or(models::page::DEFAULT_LIMIT);
        if !(1..=models::page::MAX_LIMIT).contains(&limit) {
            return Err(ApiError::new(Code::InvalidQuery).field("limit").text(
                format!("须在 1 到 {} 之间", models::page::MAX_LIMIT),
                format!("must be between 1 and {}", models::page::MAX_LIMIT),
            ));
        }
        let after = match cursor {
            None | Some("") => None,
            Some(c) => {
                Some(models::Cursor::decode(c).ok_or_else(|| ApiError::new(Code::InvalidCursor).field("cursor"))?)
            }
        };
        Ok(models::PageRequest { limit, after })
    }
}
