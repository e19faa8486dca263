drop table if exists registry.config;
