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
    /// Every problem of a file upload, by row and column (roster import).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<RowProblem>,
}

/// One problem in an uploaded file.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RowProblem {
    /// The row as the spreadsheet shows it (the header is row 1).
    pub row: usize,
    /// The column's name as in the template, e.g. 身份证号码.
    pub column: String,
    pub message: String,
}

/// A row problem in both languages.
#[derive(Debug, Clone)]
pub struct RowDetail {
    pub row: usize,
    pub column: String,
    pub zh: String,
    pub en: String,
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
    RegistrationCodeUnknown => (NOT_FOUND, "registration_code_unknown", "注册码不存在，请核对后重新输入", "No such registration code; check it and type it again"),
    RegistrationCodeExpired => (GONE, "registration_code_expired", "注册码已过期，请向单位索取新的注册码", "This registration code has expired; ask your employer for a new one"),
    RegistrationCodeExhausted => (GONE, "registration_code_exhausted", "注册码使用次数已满，请向单位索取新的注册码", "This registration code has been used up; ask your employer for a new one"),
    RegistrationCodeRevoked => (GONE, "registration_code_revoked", "注册码已作废，请向单位索取新的注册码", "This registration code was revoked; ask your employer for a new one"),
    AlreadyRegistered => (CONFLICT, "already_registered", "该身份证号码已注册。如在本单位，请直接登录；如调换了单位，请输入原密码完成调动", "This ID number is already registered. Sign in if you are at the same employer; if you changed employer, give your existing password to move your record"),
    PhoneTaken => (CONFLICT, "phone_taken", "该手机号码已被其他人员登记", "This mobile number is registered to someone else"),
    NameMismatch => (UNPROCESSABLE_ENTITY, "name_mismatch", "姓名与单位名册登记的不一致，请核对或联系单位", "The name does not match the employer's roster; check it or contact your employer"),
    RosterInvalid => (UNPROCESSABLE_ENTITY, "roster_invalid", "名册有误，未导入任何人员，请按提示逐行修改后重新上传", "The roster has errors and nothing was imported; fix the rows listed and upload it again"),
    ImageTooLarge => (UNPROCESSABLE_ENTITY, "image_too_large", "照片像素过多，请用手机正常拍摄的照片", "The photo has too many pixels; use a normal phone photo"),
    ImageUnsupported => (UNPROCESSABLE_ENTITY, "image_unsupported", "照片格式不支持，请上传 JPEG、PNG 或 WebP 照片", "Unsupported image format; send a JPEG, PNG or WebP photo"),
    ImageCorrupt => (UNPROCESSABLE_ENTITY, "image_corrupt", "照片已损坏，无法读取，请重新拍摄", "The photo is damaged and cannot be read; take it again"),
    FaceNotFound => (UNPROCESSABLE_ENTITY, "face_not_found", "未检测到人脸，请正对镜头、露出全脸", "No face found; face the camera with your whole face visible"),
    MultipleFaces => (UNPROCESSABLE_ENTITY, "multiple_faces", "画面中有多张人脸，请确保只有本人入镜", "More than one face; make sure only you are in the picture"),
    FaceTooSmall => (UNPROCESSABLE_ENTITY, "face_too_small", "人脸太小，请靠近镜头", "The face is too small; move closer to the camera"),
    FaceTooDark => (UNPROCESSABLE_ENTITY, "face_too_dark", "光线太暗，请到明亮处拍摄", "Too dark; move to a brighter place"),
    FaceTooBright => (UNPROCESSABLE_ENTITY, "face_too_bright", "光线太强，请避开强光或逆光", "Too bright; avoid strong light or backlight"),
    FaceBlurred => (UNPROCESSABLE_ENTITY, "face_blurred", "照片模糊，请保持手机稳定并对焦", "The photo is blurred; hold the phone still and focus"),
    HeadTurned => (UNPROCESSABLE_ENTITY, "head_turned", "头部偏转过大，请正对镜头", "The head is turned too far; look straight at the camera"),
    FaceConsentMissing => (FORBIDDEN, "face_consent_missing", "未同意人脸信息处理，不能采集或核验人脸", "Face processing was not consented to; no face can be enrolled or checked"),
    FaceAlreadyEnrolled => (CONFLICT, "face_already_enrolled", "已采集人脸；重新采集须经单位管理员批准", "A face is already enrolled; re-enrollment needs your employer's approval"),
    FaceNotEnrolled => (CONFLICT, "face_not_enrolled", "尚未采集人脸，请先采集", "No face enrolled yet; enroll first"),
    FaceModelChanged => (CONFLICT, "face_model_changed", "人脸识别模型已更新，请重新采集人脸", "The face model has changed; enroll your face again"),
    NotAWorker => (FORBIDDEN, "not_a_worker", "只有从业人员本人才能采集和核验人脸", "Only a worker can enroll and check its own face"),
    CreditCodeTaken => (CONFLICT, "credit_code_taken", "该统一社会信用代码已登记", "An organization with this unified social credit code already exists"),
    NameTaken => (CONFLICT, "name_taken", "同一上级单位下已有同名单位", "A sibling organization already has this name"),
    UsernameTaken => (CONFLICT, "username_taken", "该用户名已被使用", "This username is taken"),
    BankNameTaken => (CONFLICT, "bank_name_taken", "本单位已有同名题库", "Your organization already has a bank of this name"),
    QuestionRefTaken => (CONFLICT, "question_ref_taken", "本题库中已有相同编号的试题", "A question with this reference is already in the bank"),
    BankReadOnly => (FORBIDDEN, "bank_read_only", "该题库由上级单位下发，只读；请在本单位的题库中添加试题", "This bank belongs to an organization above you and is read-only; add questions to your own bank"),
    QuestionsInvalid => (UNPROCESSABLE_ENTITY, "questions_invalid", "试题文件有误，未导入任何试题，请按提示逐行修改后重新上传", "The question file has errors and nothing was imported; fix the rows listed and upload it again"),
    BlueprintUnsatisfiable => (UNPROCESSABLE_ENTITY, "blueprint_unsatisfiable", "所选题库的试题不足以按组卷规则组卷", "The chosen banks do not hold enough questions for the blueprint"),
    PlanStarted => (CONFLICT, "plan_started", "已有考生开考，组卷规则、题库和考试类型不能再修改", "Candidates have started: the blueprint and banks can no longer change"),
    SessionsInUse => (CONFLICT, "sessions_in_use", "已有考生或监考员安排到场次，请逐个修改场次", "Candidates or proctors are assigned to the sessions; change them one by one"),
    LivenessClosed => (CONFLICT, "liveness_closed", "该活体检测已判定或已过期，请重新开始活体检测", "This liveness challenge was already judged or has expired; draw a new one"),
    LivenessMismatch => (UNPROCESSABLE_ENTITY, "liveness_mismatch", "照片中的人与活体检测中的人不符，请本人重新拍照", "The photo is not of the person who passed the liveness challenge"),
    LivenessRequired => (FORBIDDEN, "liveness_required", "须先通过活体检测（按提示转头、抬头或低头）", "A passed liveness challenge is needed for this (createLivenessChallenge, then submitLivenessFrames)"),
    FaceCheckSettled => (CONFLICT, "face_check_settled", "该次考中刷脸已完成或已过期", "This face check was already answered or has lapsed"),
    AlreadyStarted => (CONFLICT, "already_started", "该考生已开考", "This candidate has already started"),
    SessionFull => (CONFLICT, "session_full", "场次座位已满", "The session has no seats left for them"),
    FlagResolved => (CONFLICT, "flag_resolved", "该异常已处理", "This flag was already resolved"),
    AttemptVoided => (CONFLICT, "attempt_voided", "该考试已按作弊处理", "This attempt was already voided for cheating"),
    ExamNotOpen => (CONFLICT, "exam_not_open", "现在不在考试时间内", "The exam is not open at this time"),
    NotACandidate => (FORBIDDEN, "not_a_candidate", "您不在本场考试的考生名单中，请联系单位", "You are not a candidate of this exam; contact your employer"),
    FaceVerificationRequired => (FORBIDDEN, "face_verification_required", "开考前须刷脸核验本人身份：核验记录缺失、已使用或已过期，请重新刷脸", "Verify your face before starting: the verification is missing, already used or expired"),
    AttemptClosed => (CONFLICT, "attempt_closed", "考试已结束（已交卷或时间已到），本次作答未保存", "The attempt is over (submitted or out of time); this answer was not saved"),
    ProgressConflict => (CONFLICT, "progress_conflict", "另一条学习进度正在记录，本次未计时，请稍后再报", "Another progress report of yours is being recorded; this one counted nothing, report again shortly"),
    PracticeClosed => (CONFLICT, "practice_closed", "您有考试正在进行（考试时间未结束），考试结束后才能练习", "You have an exam whose window is still open; practise once it has closed"),
    NoPracticeQuestions => (UNPROCESSABLE_ENTITY, "no_practice_questions", "题库中暂无适合您的练习题", "The question banks hold no practice questions for you yet"),
    TrainingRecordInvalid => (UNPROCESSABLE_ENTITY, "training_record_invalid", "签到表有误，未保存任何记录，请按提示逐行修改后重新上传", "The attendance sheet has errors and nothing was saved; fix the rows listed and upload it again"),
    EvidenceTooLarge => (PAYLOAD_TOO_LARGE, "evidence_too_large", "佐证材料文件过大", "An evidence file is too large"),
    EvidenceUnsupported => (UNPROCESSABLE_ENTITY, "evidence_unsupported", "佐证材料只接受 JPEG、PNG 照片或 PDF 扫描件", "Evidence must be a JPEG or PNG photo or a PDF scan"),
    EvidenceDisguised => (UNPROCESSABLE_ENTITY, "evidence_disguised", "文件内容与文件名或类型不符，未保存", "The file's content does not match its name or type; nothing was saved"),
    EvidenceDamaged => (UNPROCESSABLE_ENTITY, "evidence_damaged", "文件已损坏或不完整，请重新拍摄或扫描", "The file is damaged or incomplete; take or scan it again"),
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
    /// Seconds, for `Retry-After` on 429 and 503.
    pub retry_after: Option<u64>,
    /// What few errors carry, boxed to keep `Result<_, ApiError>` small.
    extra: Option<Box<Extra>>,
}

#[derive(Default)]
struct Extra {
    detail: Option<Detail>,
    /// Row-by-row problems of an uploaded file.
    rows: Vec<RowDetail>,
    cause: Option<Box<dyn std::error::Error + Send + Sync>>,
}

impl ApiError {
    pub fn new(code: Code) -> Self {
        Self { code, field: None, retry_after: None, extra: None }
    }

    pub fn field(mut self, field: impl Into<String>) -> Self {
        self.field = Some(field.into());
        self
    }

    fn extra_mut(&mut self) -> &mut Extra {
        self.extra.get_or_insert_with(Default::default)
    }

    pub fn detail(mut self, detail: Detail) -> Self {
        self.extra_mut().detail = Some(detail);
        self
    }

    pub fn text(self, zh: impl Into<String>, en: impl Into<String>) -> Self {
        self.detail(Detail::Text { zh: zh.into(), en: en.into() })
    }

    pub fn rows(mut self, rows: Vec<RowDetail>) -> Self {
        self.extra_mut().rows = rows;
        self
    }

    pub fn retry_after(mut self, seconds: u64) -> Self {
        self.retry_after = Some(seconds.max(1));
        self
    }

    /// A failure on the server's side (5xx), not the client's.
    pub fn is_server_fault(&self) -> bool {
        self.code.status().is_server_error()
    }

    /// A 500 whose cause is logged, never shown.
    pub fn internal(cause: impl std::error::Error + Send + Sync + 'static) -> Self {
        let mut e = Self::new(Code::Internal);
        e.extra_mut().cause = Some(Box::new(cause));
        e
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
        let extra = self.extra.as_deref();
        let detail = extra.and_then(|x| x.detail.as_ref()).map(|d| match d {
            Detail::Value(v) => value_message(v, english),
            Detail::Text { zh, en } => {
                if english {
                    en.clone()
                } else {
                    zh.clone()
                }
            }
            Detail::Parser(p) => redact_parser_message(p),
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
        let errors = extra
            .map_or(&[][..], |x| x.rows.as_slice())
            .iter()
            .map(|r| RowProblem {
                row: r.row,
                column: r.column.clone(),
                message: if english { r.en.clone() } else { r.zh.clone() },
            })
            .collect();
        ErrorBody { code: self.code.as_str(), message, field: self.field.clone(), errors }
    }
}

/// A parser's message without the values it quotes: "invalid type: string \"3713…\",
/// expected …" would otherwise echo personal data back (and into any log of the body).
pub fn redact_parser_message(message: &str) -> String {
    let (head, tail) = match message.find(", expected") {
        Some(i) => message.split_at(i),
        None => (message, ""),
    };
    if head.starts_with("unknown field") || head.starts_with("missing field") {
        return message.to_owned();
    }
    let mut out = String::with_capacity(message.len());
    let mut quote: Option<char> = None;
    for c in head.chars() {
        match quote {
            Some(q) if c == q => {
                out.push('…');
                out.push(c);
                quote = None;
            }
            Some(_) => {}
            None => {
                out.push(c);
                if c == '`' || c == '"' {
                    quote = Some(c);
                }
            }
        }
    }
    if quote.is_some() {
        out.push('…');
    }
    out.push_str(tail);
    out
}

/// A domain rule's refusal, in words.
pub fn value_message(e: &ValueError, english: bool) -> String {
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
        ValueError::BadRegion => "地区码（前6位）不正确".into(),
        ValueError::BadBirthDate => "出生日期（第7至14位）不是有效日期".into(),
        ValueError::NotMobile => "不是有效的手机号码（11位，以1开头）".into(),
        ValueError::Rule { zh, .. } => (*zh).into(),
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
        if let Some(cause) = self.extra.as_ref().and_then(|x| x.cause.as_ref()) {
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
        // Back-pressure (503 with Retry-After) is the server working as designed under load.
        if self.code == Code::ServiceUnavailable {
            tracing::warn!(error = %self, "request refused for now");
        } else if self.code.status().is_server_error() {
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
                let code = if what.contains("question_banks") {
                    Code::BankNameTaken
                } else if what.contains("questions.") || what.contains("questions_bank_id") {
                    Code::QuestionRefTaken
                } else if what.contains("credit_code") {
                    Code::CreditCodeTaken
                } else if what.contains("phone_index") {
                    Code::PhoneTaken
                } else if what.contains("resident_id_index") || what.contains("workers_account_id") {
                    Code::AlreadyRegistered
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
            DbError::ConnectionLost(ref cause) => {
                // The pool tests the connection when it comes back and drops it (see
                // `AppState::db`); the client retries.
                tracing::warn!(error = %cause, "database connection lost");
                ApiError::new(Code::ServiceUnavailable).retry_after(1)
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

impl From<face::FaceError> for ApiError {
    fn from(e: face::FaceError) -> Self {
        use face::FaceError as F;
        match e {
            F::TooManyBytes { .. } => ApiError::new(Code::PayloadTooLarge),
            F::TooManyPixels { .. } => ApiError::new(Code::ImageTooLarge),
            F::UnsupportedFormat => ApiError::new(Code::ImageUnsupported),
            F::Corrupt(_) => ApiError::new(Code::ImageCorrupt),
            F::NoFace => ApiError::new(Code::FaceNotFound),
            F::MultipleFaces => ApiError::new(Code::MultipleFaces),
            F::FaceTooSmall { .. } => ApiError::new(Code::FaceTooSmall),
            F::TooDark => ApiError::new(Code::FaceTooDark),
            F::TooBright => ApiError::new(Code::FaceTooBright),
            F::Blurred => ApiError::new(Code::FaceBlurred),
            F::HeadTurned => ApiError::new(Code::HeadTurned),
            other @ (F::Model { .. } | F::Inference(_)) => ApiError::internal(other),
        }
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
    fn parser_messages_do_not_echo_values() {
        assert_eq!(
            redact_parser_message("invalid type: string \"371302199001011234\", expected u32 at line 1 column 30"),
            "invalid type: string \"…\", expected u32 at line 1 column 30"
        );
        assert_eq!(
            redact_parser_message("invalid type: integer `13805391234`, expected a string"),
            "invalid type: integer `…`, expected a string"
        );
        assert_eq!(
            redact_parser_message("unknown variant `boss`, expected one of `a`, `b`"),
            "unknown variant `…`, expected one of `a`, `b`"
        );
        assert_eq!(
            redact_parser_message("unknown field `flag`, expected `name`"),
            "unknown field `flag`, expected `name`"
        );
    }

    #[test]
    fn internal_errors_are_opaque() {
        let e = ApiError::internal(std::io::Error::other("disk on fire at /secret/path"));
        assert!(!e.render(false).message.contains("secret"));
        assert!(e.to_string().contains("disk on fire"));
    }
}
