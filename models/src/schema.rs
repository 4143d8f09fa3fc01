//! The diesel schema, written once for both backends: ids as `Text`, times as UTC
//! `Timestamp`, secrets as `Binary`.

diesel::table! {
    organizations (id) {
        id -> Text,
        parent_id -> Nullable<Text>,
        level -> Text,
        name -> Text,
        path -> Text,
        division_code -> Nullable<Text>,
        credit_code -> Nullable<Text>,
        industry -> Nullable<Text>,
        size_class -> Nullable<Text>,
        address -> Nullable<Text>,
        contact_name -> Nullable<Text>,
        contact_phone_enc -> Nullable<Binary>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    accounts (id) {
        id -> Text,
        organization_id -> Text,
        username -> Text,
        display_name -> Text,
        role -> Text,
        password_hash -> Text,
        active -> Bool,
        token_epoch -> Integer,
        must_change_password -> Bool,
        created_by -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        last_login_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    sessions (id) {
        id -> Text,
        account_id -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        revoked_at -> Nullable<Timestamp>,
        user_agent -> Nullable<Text>,
    }
}

diesel::table! {
    refresh_tokens (token_hash) {
        token_hash -> Text,
        session_id -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    throttles (key) {
        key -> Text,
        failures -> Integer,
        window_started_at -> Timestamp,
        blocked_until -> Nullable<Timestamp>,
    }
}

diesel::joinable!(accounts -> organizations (organization_id));
diesel::joinable!(sessions -> accounts (account_id));
diesel::joinable!(refresh_tokens -> sessions (session_id));

diesel::allow_tables_to_appear_in_same_query!(organizations, accounts, sessions, refresh_tokens, throttles);
