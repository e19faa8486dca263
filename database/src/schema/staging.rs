// @generated automatically by Diesel CLI.

pub mod staging {
    diesel::table! {
        staging.consumer_offsets (group_id, topic, partition) {
            group_id -> Text,
            topic -> Text,
            partition -> Int4,
            next_offset -> Int8,
            updated_at -> Timestamptz,
            topic_id -> Nullable<Text>,
        }
    }

    diesel::table! {
        staging.held_returns (group_id, topic, kafka_partition, kafka_offset) {
            event_id -> Uuid,
            group_id -> Text,
            topic -> Text,
            topic_id -> Nullable<Text>,
            kafka_partition -> Int4,
            kafka_offset -> Int8,
            message_key -> Nullable<Bytea>,
            raw_value -> Nullable<Bytea>,
            kafka_timestamp -> Nullable<Timestamptz>,
            kafka_headers -> Jsonb,
            schema_id -> Int4,
            event_time -> Timestamptz,
            order_id -> Text,
            product_id -> Text,
            quantity -> Int4,
            refund -> Numeric,
            reason -> Text,
            return_date -> Date,
            held_at -> Timestamptz,
        }
    }

    diesel::table! {
        staging.ingest_batches (batch_id) {
            batch_id -> Int8,
            group_id -> Text,
            topic -> Text,
            offset_ranges -> Jsonb,
            n_in -> Int4,
            n_inserted -> Int4,
            n_rejected -> Int4,
            n_duplicate -> Int4,
            committed_at -> Timestamptz,
            n_held -> Int4,
        }
    }

    diesel::table! {
        staging.rejected_events (rejected_id) {
            rejected_id -> Int8,
            topic -> Text,
            kafka_partition -> Int4,
            kafka_offset -> Int8,
            message_key -> Nullable<Bytea>,
            raw_value -> Nullable<Bytea>,
            schema_id -> Nullable<Int4>,
            reason -> Text,
            detail -> Text,
            rejected_at -> Timestamptz,
            group_id -> Text,
            topic_id -> Nullable<Text>,
            kafka_timestamp -> Nullable<Timestamptz>,
            kafka_headers -> Jsonb,
            dlq_published_at -> Nullable<Timestamptz>,
        }
    }

    diesel::table! {
        staging.return_events (event_id) {
            event_id -> Uuid,
            event_time -> Timestamptz,
            order_id -> Text,
            product_id -> Text,
            quantity -> Int4,
            refund -> Numeric,
            reason -> Text,
            return_date -> Date,
            schema_id -> Int4,
            kafka_topic -> Text,
            kafka_partition -> Int4,
            kafka_offset -> Int8,
            kafka_timestamp -> Nullable<Timestamptz>,
            kafka_headers -> Jsonb,
            ingested_at -> Timestamptz,
        }
    }

    diesel::table! {
        staging.sales_events (event_id) {
            event_id -> Uuid,
            event_time -> Timestamptz,
            order_id -> Text,
            order_date -> Date,
            ship_date -> Date,
            ship_mode -> Text,
            customer_id -> Text,
            customer_name -> Text,
            segment -> Text,
            country -> Text,
            state -> Text,
            city -> Text,
            postal_code -> Text,
            region -> Text,
            product_id -> Text,
            product_name -> Text,
            category -> Text,
            sub_category -> Text,
            sales -> Numeric,
            quantity -> Int4,
            discount -> Numeric,
            profit -> Numeric,
            schema_id -> Int4,
            kafka_topic -> Text,
            kafka_partition -> Int4,
            kafka_offset -> Int8,
            ingested_at -> Timestamptz,
            payment_method -> Text,
            loyalty_id -> Nullable<Text>,
            kafka_timestamp -> Nullable<Timestamptz>,
            kafka_headers -> Jsonb,
        }
    }

    diesel::allow_tables_to_appear_in_same_query!(
        consumer_offsets,
        held_returns,
        ingest_batches,
        rejected_events,
        return_events,
        sales_events,
    );
}
