//! The one error type of the HTTP layer.
//!
//! Every failure becomes `{"code": "...", "message": "...", "field": "..."}` with a stable
//! snake_case `code` (the table in [`Code`]), a message a worker can read (Chinese by
//! default, English for `Accept-Language: en`, see [`crate::middleware::language`]), and
//! the request field at fault where there is one. 5xx bodies are opaque: the cause goes to
//! the log, with the request id.

use std::fmt;

use actix_web::http::{header, StatusCode};
use actix_web::{HttpResponse, ResponseError};
use exam::ValueError;
use models::DbError;
use serde::Serialize;
use utoipa::ToSchema;

/// The error body of every failed request.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ErrorBody {
    /// Stable machine-readable code, e.g. `validation_failed`.
    #[schema(example = "validation_failed")]
    pub code: &'static str,
    /// A human-readable message in the requested language.
    pub message: String,
    /// The request field at fault (a JSON path such as `contact_phone`), when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

/// The English rendering of an error, kept on the response for the language middleware.
#[derive(Debug, Clone)]
pub struct EnglishBody(pub ErrorBody);

macro_rules! codes {
    ($($variant:ident => ($status:ident, $code:literal, $zh:literal, $en:literal),)+) => {
        /// Every error code the API returns, with its HTTP status and default messages.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum Code { $($variant,)+ }

        impl Code {
            pub const ALL: &'static [Code] = &[$(Code::$variant,)+];

            pub fn as_str(self) -> &'static str {
                match self { $(Code::$variant => $code,)+ }
            }

            pub fn status(self) -> StatusCode {
                match self { $(Code::$variant => StatusCode::$status,)+ }
            }

            fn message_zh(self) -> &'static str {
                match self { $(Code::$variant => $zh,)+ }
            }

            fn message_en(self) -> &'static str {
                match self { $(Code::$variant => $en,)+ }
            }
        }
    };
}

codes! {
    InvalidRequest => (BAD_REQUEST, "invalid_request", "请求格式不正确", "The request is malformed"),
    InvalidQuery => (BAD_REQUEST, "invalid_query", "查询参数不正确", "A query parameter is invalid"),
    InvalidCursor => (BAD_REQUEST, "invalid_cursor", "分页游标无效，请从第一页重新开始", "The page cursor is invalid; start again from the first page"),
    ValidationFailed => (UNPROCESSABLE_ENTITY, "validation_failed", "填写的内容不符合要求", "A value does not meet the requirements"),
    PayloadTooLarge => (PAYLOAD_TOO_LARGE, "payload_too_large", "请求内容过大", "The request body is too large"),
    UnsupportedMediaType => (UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type", "请求内容须为 JSON（Content-Type: application/json）", "The request body must be JSON (Content-Type: application/json)"),
    Unauthenticated => (UNAUTHORIZED, "unauthenticated", "请先登录", "Sign in first: this request needs a bearer token"),
    InvalidToken => (UNAUTHORIZED, "invalid_token", "登录凭证无效，请重新登录", "The access token is invalid; sign in again"),
    TokenExpired => (UNAUTHORIZED, "token_expired", "登录已过期，请刷新或重新登录", "The access token has expired; refresh it or sign in again"),
    TokenRevoked => (UNAUTHORIZED, "token_revoked", "登录已失效（已退出、密码已修改或账号已停用），请重新登录", "The session has ended (signed out, password changed or account disabled); sign in again"),
    InvalidCredentials => (UNAUTHORIZED, "invalid_credentials", "用户名或密码错误", "Wrong username or password"),
    InvalidRefreshToken => (UNAUTHORIZED, "invalid_refresh_token", "刷新凭证无效或已过期，请重新登录", "The refresh token is invalid or expired; sign in again"),
    RefreshTokenReused => (UNAUTHORIZED, "refresh_token_reused", "刷新凭证已被使用过，为安全起见本次登录已失效，请重新登录", "The refresh token was already used; for safety the session has been ended, sign in again"),
    AccountDisabled => (FORBIDDEN, "account_disabled", "账号已停用，请联系管理员", "This account is disabled; contact your administrator"),
    Forbidden => (FORBIDDEN, "forbidden", "没有权限进行此操作", "You are not allowed to do this"),
    PasswordChangeRequired => (FORBIDDEN, "password_change_required", "首次登录请先修改密码", "Change your initial password first"),
    CurrentPasswordIncorrect => (FORBIDDEN, "current_password_incorrect", "当前密码不正确", "The current password is wrong"),
    NotFound => (NOT_FOUND, "not_found", "记录不存在或不在管辖范围内", "Not found, or outside your jurisdiction"),
    RouteNotFound => (NOT_FOUND, "route_not_found", "接口不存在", "No such API endpoint"),
    MethodNotAllowed => (METHOD_NOT_ALLOWED, "method_not_allowed", "该接口不支持此请求方法", "This endpoint does not support this method"),
    CreditCodeTaken => (CONFLICT, "credit_code_taken", "该统一社会信用代码已登记", "An organization with this unified social credit code already exists"),
    NameTaken => (CONFLICT, "name_taken", "同一上级单位下已有同名单位", "A sibling organization already has this name"),
    UsernameTaken => (CONFLICT, "username_taken", "该用户名已被使用", "This username is taken"),
    TooManyAttempts => (TOO_MANY_REQUESTS, "too_many_attempts", "尝试次数过多，请稍后再试", "Too many attempts; try again later"),
    ServiceUnavailable => (SERVICE_UNAVAILABLE, "service_unavailable", "系统繁忙，请稍后重试", "The service is busy; retry shortly"),
    Internal => (INTERNAL_SERVER_ERROR, "internal_error", "系统内部错误，请稍后重试", "Internal error; retry later"),
}

/// A detail added to the code's message.
#[derive(Debug, Clone)]
pub enum Detail {
    /// A value refused by a domain rule.
    Value(ValueError),
    /// The same explanation in both languages.
    Text { zh: String, en: String },
    /// A parser's own (English, technical) explanation.
    Parser(String),
}

/// A failed request. `Debug` and `Display` (what reaches the log) show the code, the
/// field and the cause of a 5xx, never the detail: a parser's message can quote the
/// value the client sent, which may be personal data.
pub struct ApiError {
    pub code: Code,
    pub field: Option<String>,
    pub detail: Option<Detail>,
    /// Seconds, for `Retry-After` on 429 and 503.
    pub retry_after: Option<u64>,
    cause: Option<Box<dyn std::error::Error + Send + Sync>>,
}

impl ApiError {
    pub fn new(code: Code) -> Self {
        Self { code, field: None, detail: None, retry_after: None, cause: None }
    }

    pub fn field(mut self, field: impl Into<String>) -> Self {
        self.field = Some(field.into());
        self
    }

    pub fn detail(mut self, detail: Detail) -> Self {
        self.detail = Some(detail);
        self
    }

    pub fn text(self, zh: impl Into<String>, en: impl Into<String>) -> Self {
        self.detail(Detail::Text { zh: zh.into(), en: en.into() })
    }

    pub fn retry_after(mut self, seconds: u64) -> Self {
        self.retry_after = Some(seconds.max(1));
        self
    }

    /// A 500 whose cause is logged, never shown.
    pub fn internal(cause: impl std::error::Error + Send + Sync + 'static) -> Self {
        Self { cause: Some(Box::new(cause)), ..Self::new(Code::Internal) }
    }

    /// A value in `field` refused by a domain rule.
    pub fn invalid(field: &str, e: ValueError) -> Self {
        Self::new(Code::ValidationFailed).field(field).detail(Detail::Value(e))
    }

    pub fn forbidden() -> Self {
        Self::new(Code::Forbidden)
    }

    pub fn not_found() -> Self {
        Self::new(Code::NotFound)
    }

    fn render(&self, english: bool) -> ErrorBody {
        let base = if english { self.code.message_en() } else { self.code.message_zh() };
        let detail = self.detail.as_ref().map(|d| match d {
            Detail::Value(v) => value_message(v, english),
            Detail::Text { zh, en } => {
                if english {
                    en.clone()
                } else {
                    zh.clone()
                }
            }
            Detail::Parser(p) => p.clone(),
        });
        let message = match (&self.field, detail) {
            (Some(f), Some(d)) if english => format!("{base}: `{f}` {d}"),
            (Some(f), Some(d)) => format!("{base}：字段 {f} {d}"),
            (None, Some(d)) if english => format!("{base}: {d}"),
            (None, Some(d)) => format!("{base}：{d}"),
            (Some(f), None) if english => format!("{base} (`{f}`)"),
            (Some(f), None) => format!("{base}（字段 {f}）"),
            (None, None) => base.to_owned(),
        };
        ErrorBody { code: self.code.as_str(), message, field: self.field.clone() }
    }
}

/// A domain rule's refusal, in words.
fn value_message(e: &ValueError, english: bool) -> String {
    if english {
        return e.to_string();
    }
    match e {
        ValueError::Empty => "不能为空".into(),
        ValueError::TooLong { max } => format!("过长（最多 {max} 个字符）"),
        ValueError::TooShort { min } => format!("过短（至少 {min} 个字符）"),
        ValueError::BadCharacters => "含有不允许的字符".into(),
        ValueError::WrongLength { expected } => format!("长度不正确（应为 {expected} 位）"),
        ValueError::BadCheckCharacter { expected } => {
            format!("校验位不正确（按国家标准应为 {expected}），请核对是否输错")
        }
        ValueError::UnknownVariant => "不是允许的取值".into(),
        ValueError::Weak(why) => match *why {
            "needs at least one letter and one digit" => "强度不够：须同时包含字母和数字".into(),
            "is a commonly used password" => "强度不够：这是常见的弱密码".into(),
            other => format!("强度不够：{other}"),
        },
    }
}

impl fmt::Debug for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code.as_str())?;
        if let Some(field) = &self.field {
            write!(f, " ({field})")?;
        }
        if let Some(cause) = &self.cause {
            write!(f, ": {cause}")?;
            let mut source = cause.source();
            while let Some(s) = source {
                write!(f, ": {s}")?;
                source = s.source();
            }
        }
        Ok(())
    }
}

impl std::error::Error for ApiError {}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.code.status()
    }

    fn error_response(&self) -> HttpResponse {
        if self.code.status().is_server_error() {
            tracing::error!(error = %self, "request failed");
        }
        let mut res = HttpResponse::build(self.code.status());
        if let Some(s) = self.retry_after {
            res.insert_header((header::RETRY_AFTER, s.to_string()));
        }
        let mut res = res.json(self.render(false));
        res.extensions_mut().insert(EnglishBody(self.render(true)));
        res
    }
}

impl From<DbError> for ApiError {
    fn from(e: DbError) -> Self {
        match e {
            DbError::NotFound => ApiError::not_found(),
            DbError::Conflict { what } => {
                let code = if what.contains("credit_code") {
                    Code::CreditCodeTaken
                } else if what.contains("username") {
                    Code::UsernameTaken
                } else if what.contains("name") {
                    Code::NameTaken
                } else {
                    return ApiError::internal(DbError::Conflict { what });
                };
                ApiError::new(code)
            }
            DbError::PoolExhausted(_) => {
                tracing::warn!(error = %e, "database pool exhausted");
                ApiError::new(Code::ServiceUnavailable).retry_after(2)
            }
            other => ApiError::internal(other),
        }
    }
}

impl From<models::QueryError> for ApiError {
    fn from(e: models::QueryError) -> Self {
        DbError::from(e).into()
    }
}

impl From<actix_web::error::BlockingError> for ApiError {
    fn from(e: actix_web::error::BlockingError) -> Self {
        ApiError::internal(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_snake_case() {
        let mut seen = std::collections::HashSet::new();
        for c in Code::ALL {
            assert!(seen.insert(c.as_str()), "duplicate {}", c.as_str());
            assert!(c.as_str().bytes().all(|b| b.is_ascii_lowercase() || b == b'_'));
        }
    }

    #[test]
    fn messages_name_the_field_in_both_languages() {
        let e = ApiError::invalid("credit_code", ValueError::BadCheckCharacter { expected: 'L' });
        let zh = e.render(false);
        assert_eq!(zh.code, "validation_failed");
        assert!(zh.message.contains("credit_code") && zh.message.contains("校验位"), "{}", zh.message);
        let en = e.render(true);
        assert!(en.message.contains("`credit_code`") && en.message.contains("expected L"), "{}", en.message);
    }

    #[test]
    fn internal_errors_are_opaque() {
        let e = ApiError::internal(std::io::Error::other("disk on fire at /secret/path"));
        assert!(!e.render(false).message.contains("secret"));
        assert!(e.to_string().contains("disk on fire"));
    }
}
