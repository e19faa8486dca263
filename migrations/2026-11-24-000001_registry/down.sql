drop table if exists registry.subject_versions;
drop table if exists registry.schemas;
drop schema if exists registry;
