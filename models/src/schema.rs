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

diesel::table! {
    registration_codes (id) {
        id -> Text,
        code -> Text,
        organization_id -> Text,
        label -> Nullable<Text>,
        default_role -> Nullable<Text>,
        max_uses -> Integer,
        uses -> Integer,
        expires_at -> Timestamp,
        revoked_at -> Nullable<Timestamp>,
        created_by -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    workers (id) {
        id -> Text,
        organization_id -> Text,
        account_id -> Nullable<Text>,
        name -> Text,
        resident_id_enc -> Binary,
        resident_id_index -> Text,
        phone_enc -> Nullable<Binary>,
        phone_index -> Nullable<Text>,
        role -> Text,
        position -> Nullable<Text>,
        status -> Text,
        active -> Bool,
        face_enrolled -> Bool,
        face_consent_version -> Nullable<Text>,
        face_consent_at -> Nullable<Timestamp>,
        needs_alternative_check -> Bool,
        verification -> Text,
        verification_reason -> Nullable<Text>,
        verified_by -> Nullable<Text>,
        verified_at -> Nullable<Timestamp>,
        registered_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        trained_levels -> Integer,
    }
}

diesel::table! {
    worker_history (id) {
        id -> Text,
        worker_id -> Text,
        at -> Timestamp,
        actor_account_id -> Nullable<Text>,
        kind -> Text,
        from_organization_id -> Nullable<Text>,
        to_organization_id -> Nullable<Text>,
        changes -> Text,
    }
}

diesel::table! {
    audit_log (id) {
        id -> Text,
        at -> Timestamp,
        actor_account_id -> Nullable<Text>,
        action -> Text,
        target -> Text,
        details -> Text,
    }
}

diesel::table! {
    face_templates (worker_id) {
        worker_id -> Text,
        model_id -> Text,
        template_enc -> Binary,
        enrolled_at -> Timestamp,
    }
}

diesel::table! {
    face_verifications (id) {
        id -> Text,
        worker_id -> Text,
        score -> Double,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    face_reenrollments (id) {
        id -> Text,
        worker_id -> Text,
        approved_by -> Text,
        approved_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    face_events (id) {
        id -> Text,
        worker_id -> Text,
        at -> Timestamp,
        kind -> Text,
        score -> Nullable<Double>,
        threshold -> Nullable<Double>,
        decision -> Text,
        device -> Nullable<Text>,
        actor_account_id -> Nullable<Text>,
    }
}

diesel::table! {
    question_banks (id) {
        id -> Text,
        organization_id -> Text,
        name -> Text,
        created_by -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    questions (id) {
        id -> Text,
        bank_id -> Text,
        reference -> Nullable<Text>,
        current_version_id -> Text,
        version -> Integer,
        active -> Bool,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    question_versions (id) {
        id -> Text,
        question_id -> Text,
        version -> Integer,
        kind -> Text,
        category -> Text,
        stem -> Text,
        options -> Text,
        answer -> Text,
        roles -> Text,
        industries -> Text,
        difficulty -> Text,
        explanation -> Text,
        legal_basis -> Text,
        created_by -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    exam_plans (id) {
        id -> Text,
        organizer_id -> Text,
        kind -> Text,
        name -> Text,
        original_plan_id -> Nullable<Text>,
        window_start -> Timestamp,
        window_end -> Timestamp,
        candidate_filter -> Text,
        blueprint -> Text,
        absentees_recorded_at -> Nullable<Timestamp>,
        created_by -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        face_checks -> Integer,
        liveness_at_start -> Bool,
        liveness_in_checks -> Bool,
    }
}

diesel::table! {
    exam_plan_banks (plan_id, bank_id) {
        plan_id -> Text,
        bank_id -> Text,
    }
}

diesel::table! {
    exam_sessions (id) {
        id -> Text,
        plan_id -> Text,
        site_name -> Text,
        address -> Nullable<Text>,
        starts_at -> Timestamp,
        capacity -> Integer,
        ends_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    session_proctors (session_id, account_id) {
        session_id -> Text,
        account_id -> Text,
        assigned_by -> Nullable<Text>,
        assigned_at -> Timestamp,
    }
}

diesel::table! {
    liveness_challenges (id) {
        id -> Text,
        worker_id -> Text,
        purpose -> Text,
        steps -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        status -> Text,
        outcome -> Nullable<Text>,
        used_at -> Nullable<Timestamp>,
        frames_enc -> Nullable<Binary>,
        face_check_id -> Nullable<Text>,
    }
}

diesel::table! {
    attempt_face_checks (id) {
        id -> Text,
        attempt_id -> Text,
        due_at -> Timestamp,
        notified_at -> Nullable<Timestamp>,
        answer_by -> Nullable<Timestamp>,
        answered_at -> Nullable<Timestamp>,
        outcome -> Nullable<Text>,
        score -> Nullable<Double>,
    }
}

diesel::table! {
    attempt_flags (id) {
        id -> Text,
        attempt_id -> Text,
        kind -> Text,
        evidence -> Text,
        created_at -> Timestamp,
        resolved_at -> Nullable<Timestamp>,
        resolved_by -> Nullable<Text>,
        resolution -> Nullable<Text>,
        note -> Nullable<Text>,
    }
}

diesel::table! {
    proctor_actions (id) {
        id -> Text,
        plan_id -> Text,
        session_id -> Nullable<Text>,
        worker_id -> Text,
        attempt_id -> Nullable<Text>,
        action -> Text,
        reason -> Text,
        details -> Text,
        actor_account_id -> Text,
        at -> Timestamp,
    }
}

diesel::table! {
    exam_candidates (plan_id, worker_id) {
        plan_id -> Text,
        worker_id -> Text,
        organization_id -> Text,
        role -> Text,
        absent -> Bool,
        added_by -> Nullable<Text>,
        added_at -> Timestamp,
        session_id -> Nullable<Text>,
        manual_identity_at -> Nullable<Timestamp>,
        manual_identity_by -> Nullable<Text>,
        manual_identity_used_at -> Nullable<Timestamp>,
        sat_at -> Nullable<Timestamp>,
        result -> Nullable<Text>,
        score -> Nullable<Integer>,
    }
}

diesel::table! {
    attempts (id) {
        id -> Text,
        plan_id -> Text,
        worker_id -> Text,
        status -> Text,
        finish_reason -> Nullable<Text>,
        seed -> Text,
        verification_id -> Nullable<Text>,
        started_at -> Timestamp,
        deadline -> Timestamp,
        finished_at -> Nullable<Timestamp>,
        correct -> Nullable<Integer>,
        score -> Nullable<Integer>,
        passed -> Nullable<Bool>,
        updated_at -> Timestamp,
        identity_method -> Text,
        extra_minutes -> Integer,
        next_check_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    attempt_items (attempt_id, position) {
        attempt_id -> Text,
        position -> Integer,
        question_version_id -> Text,
        option_order -> Text,
    }
}

diesel::table! {
    answers (attempt_id, position) {
        attempt_id -> Text,
        position -> Integer,
        answer -> Text,
        client_seq -> BigInt,
        saved_at -> Timestamp,
    }
}

diesel::table! {
    integration_events (id) {
        id -> BigInt,
        event_id -> Text,
        kind -> Text,
        subject_id -> Text,
        org_path -> Text,
        payload_enc -> Binary,
        created_at -> Timestamp,
        position -> Nullable<BigInt>,
    }
}

diesel::table! {
    integration_webhooks (id) {
        id -> Text,
        client_account_id -> Text,
        url -> Text,
        secret_enc -> Binary,
        active -> Bool,
        created_by -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        delivered_through -> BigInt,
        tries -> Integer,
        next_try_at -> Nullable<Timestamp>,
        last_error -> Nullable<Text>,
        last_delivered_at -> Nullable<Timestamp>,
        lease_owner -> Nullable<Text>,
        lease_until -> Nullable<Timestamp>,
    }
}

diesel::table! {
    integration_dead_letters (id) {
        id -> Text,
        webhook_id -> Text,
        event_seq -> BigInt,
        status -> Text,
        tries -> Integer,
        last_error -> Text,
        dead_at -> Timestamp,
        next_try_at -> Nullable<Timestamp>,
        retried_at -> Nullable<Timestamp>,
        retried_by -> Nullable<Text>,
        delivered_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    courses (id) {
        id -> Text,
        organization_id -> Text,
        title -> Text,
        description -> Nullable<Text>,
        roles -> Text,
        industries -> Text,
        created_by -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    lessons (id) {
        id -> Text,
        course_id -> Text,
        position -> Integer,
        title -> Text,
        kind -> Text,
        url -> Text,
        duration_secs -> Integer,
    }
}

diesel::table! {
    lesson_progress (worker_id, lesson_id) {
        worker_id -> Text,
        lesson_id -> Text,
        seconds -> Integer,
        started_at -> Timestamp,
        updated_at -> Timestamp,
        completed_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    learning_clocks (worker_id) {
        worker_id -> Text,
        reported_at -> Timestamp,
    }
}

diesel::table! {
    learning_plans (id) {
        id -> Text,
        organization_id -> Text,
        title -> Text,
        starts_on -> Date,
        ends_on -> Date,
        created_by -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    learning_plan_items (plan_id, position) {
        plan_id -> Text,
        position -> Integer,
        content -> Text,
        course_id -> Nullable<Text>,
        law -> Nullable<Text>,
        material_title -> Nullable<Text>,
        material_url -> Nullable<Text>,
        roles -> Text,
        focus -> Text,
        starts_on -> Date,
        ends_on -> Date,
    }
}

diesel::table! {
    practice_sessions (id) {
        id -> Text,
        worker_id -> Text,
        category -> Nullable<Text>,
        question_count -> Integer,
        started_at -> Timestamp,
    }
}

diesel::table! {
    training_sessions (id) {
        id -> Text,
        organization_id -> Text,
        level -> Text,
        key_position -> Bool,
        topic -> Text,
        trainer -> Text,
        held_on -> Date,
        minutes -> Integer,
        provider -> Text,
        provider_name -> Nullable<Text>,
        source -> Text,
        created_by -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    training_attendees (session_id, worker_id) {
        session_id -> Text,
        worker_id -> Text,
    }
}

diesel::table! {
    training_evidence (id) {
        id -> Text,
        session_id -> Text,
        file_name -> Text,
        kind -> Text,
        size_bytes -> BigInt,
        sha256 -> Text,
        store_key -> Text,
        uploaded_by -> Text,
        uploaded_at -> Timestamp,
    }
}

diesel::joinable!(registration_codes -> organizations (organization_id));
diesel::joinable!(workers -> organizations (organization_id));
diesel::joinable!(worker_history -> workers (worker_id));
diesel::joinable!(question_banks -> organizations (organization_id));
diesel::joinable!(questions -> question_banks (bank_id));
diesel::joinable!(questions -> question_versions (current_version_id));
diesel::joinable!(exam_plans -> organizations (organizer_id));
diesel::joinable!(exam_plan_banks -> question_banks (bank_id));
diesel::joinable!(exam_sessions -> exam_plans (plan_id));
diesel::joinable!(exam_candidates -> exam_plans (plan_id));
diesel::joinable!(exam_candidates -> workers (worker_id));
diesel::joinable!(exam_candidates -> organizations (organization_id));
diesel::joinable!(attempt_items -> question_versions (question_version_id));
diesel::joinable!(attempt_items -> attempts (attempt_id));
diesel::joinable!(session_proctors -> exam_sessions (session_id));
diesel::joinable!(session_proctors -> accounts (account_id));
diesel::joinable!(attempt_flags -> attempts (attempt_id));
diesel::joinable!(integration_webhooks -> accounts (client_account_id));
diesel::joinable!(integration_dead_letters -> integration_webhooks (webhook_id));
diesel::joinable!(integration_dead_letters -> integration_events (event_seq));

diesel::joinable!(courses -> organizations (organization_id));
diesel::joinable!(lessons -> courses (course_id));
diesel::joinable!(lesson_progress -> lessons (lesson_id));
diesel::joinable!(lesson_progress -> workers (worker_id));
diesel::joinable!(learning_plan_items -> learning_plans (plan_id));
diesel::joinable!(learning_plans -> organizations (organization_id));
diesel::joinable!(training_sessions -> organizations (organization_id));
diesel::joinable!(training_attendees -> training_sessions (session_id));
diesel::joinable!(training_attendees -> workers (worker_id));
diesel::joinable!(training_evidence -> training_sessions (session_id));

diesel::allow_tables_to_appear_in_same_query!(
    organizations,
    accounts,
    sessions,
    refresh_tokens,
    throttles,
    registration_codes,
    workers,
    worker_history,
    audit_log,
    face_templates,
    face_verifications,
    face_reenrollments,
    face_events,
    question_banks,
    questions,
    question_versions,
    exam_plans,
    exam_plan_banks,
    exam_sessions,
    exam_candidates,
    attempts,
    attempt_items,
    answers,
    session_proctors,
    attempt_face_checks,
    liveness_challenges,
    attempt_flags,
    proctor_actions,
    integration_events,
    integration_webhooks,
    integration_dead_letters,
    courses,
    lessons,
    lesson_progress,
    learning_clocks,
    learning_plans,
    learning_plan_items,
    practice_sessions,
    training_sessions,
    training_attendees,
    training_evidence,
);
