// @generated automatically by Diesel CLI.

pub mod warehouse {
    diesel::table! {
        warehouse.builds (build_id) {
            build_id -> Int8,
            built_at -> Timestamptz,
        }
    }
}
