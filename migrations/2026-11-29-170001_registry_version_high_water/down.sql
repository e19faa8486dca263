drop table registry.subject_high_water;
