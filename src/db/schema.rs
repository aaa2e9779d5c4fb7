//! The one portable schema, the same for SQLite and PostgreSQL (see `migrations/`).

diesel::table! {
    users (id) {
        id -> BigInt,
        hsa_id -> Text,
        name -> Text,
        email -> Text,
        is_decider -> Bool,
        active -> Bool,
        password_hash -> Nullable<Text>,
        must_change_password -> Bool,
        totp_secret -> Nullable<Text>,
        totp_last_step -> Nullable<BigInt>,
        failed_logins -> Integer,
        locked_until -> Nullable<Timestamp>,
        last_login_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    units (id) {
        id -> BigInt,
        code -> Text,
        name -> Text,
        manager_user_id -> Nullable<BigInt>,
        chief_physician_function -> Text,
        chief_physician_email -> Text,
        active -> Bool,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    user_units (user_id, unit_id) {
        user_id -> BigInt,
        unit_id -> BigInt,
    }
}

diesel::table! {
    user_roles (user_id, role) {
        user_id -> BigInt,
        role -> Text,
    }
}

diesel::table! {
    care_providers (id) {
        id -> BigInt,
        name -> Text,
        org_number -> Text,
        approved -> Bool,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    enrolment_tokens (token_hash) {
        token_hash -> Text,
        user_id -> BigInt,
        expires_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    recovery_codes (id) {
        id -> BigInt,
        user_id -> BigInt,
        code_hash -> Text,
        used_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    sessions (id_hash) {
        id_hash -> Text,
        user_id -> Nullable<BigInt>,
        stage -> Text,
        csrf_token -> Text,
        pending_totp_secret -> Nullable<Text>,
        created_at -> Timestamp,
        last_seen_at -> Timestamp,
        client_addr -> Text,
    }
}

diesel::table! {
    access_log (id) {
        id -> BigInt,
        at -> Timestamp,
        user_hsa_id -> Nullable<Text>,
        role -> Nullable<Text>,
        unit_code -> Nullable<Text>,
        action -> Text,
        object -> Nullable<Text>,
        personnummer -> Nullable<Text>,
        client_addr -> Nullable<Text>,
        detail -> Nullable<Text>,
        prev_hash -> Text,
        hash -> Text,
    }
}

diesel::table! {
    access_log_head (id) {
        id -> Integer,
        last_id -> BigInt,
        last_hash -> Text,
    }
}

diesel::joinable!(user_units -> users (user_id));
diesel::joinable!(user_units -> units (unit_id));
diesel::joinable!(user_roles -> users (user_id));
diesel::joinable!(sessions -> users (user_id));
diesel::joinable!(recovery_codes -> users (user_id));
diesel::joinable!(enrolment_tokens -> users (user_id));

diesel::allow_tables_to_appear_in_same_query!(
    users,
    units,
    user_units,
    user_roles,
    care_providers,
    enrolment_tokens,
    recovery_codes,
    sessions,
    access_log,
    access_log_head,
);
