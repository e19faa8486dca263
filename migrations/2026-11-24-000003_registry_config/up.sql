-- Compatibility levels: one row per subject that has its own, and the
-- global level under the reserved subject '' (no Confluent subject is empty).
create table registry.config (
    subject             text primary key,
    compatibility_level text not null check (compatibility_level in (
        'NONE', 'BACKWARD', 'BACKWARD_TRANSITIVE', 'FORWARD', 'FORWARD_TRANSITIVE', 'FULL', 'FULL_TRANSITIVE'
    )),
    updated_at          timestamptz not null default now()
);
