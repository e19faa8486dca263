drop table if exists warehouse.builds;
drop schema if exists warehouse;
