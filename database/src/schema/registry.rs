// @generated automatically by Diesel CLI.

pub mod registry {
    diesel::table! {
        registry.config (subject) {
            subject -> Text,
            compatibility_level -> Text,
            updated_at -> Timestamptz,
        }
    }

    diesel::table! {
        registry.schemas (id) {
            id -> Int4,
            schema_type -> Text,
            schema_text -> Text,
            fingerprint -> Text,
            created_at -> Timestamptz,
        }
    }

    diesel::table! {
        registry.subject_high_water (subject) {
            subject -> Text,
            last_version -> Int4,
        }
    }

    diesel::table! {
        registry.subject_versions (subject, version) {
            subject -> Text,
            version -> Int4,
            schema_id -> Int4,
            deleted -> Bool,
            registered_at -> Timestamptz,
        }
    }

    diesel::joinable!(subject_versions -> schemas (schema_id));

    diesel::allow_tables_to_appear_in_same_query!(
        config,
        schemas,
        subject_high_water,
        subject_versions,
    );
}
