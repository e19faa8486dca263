-- The highest version number each subject has ever had. A version number
-- names one schema forever: it is never reused, not even after the subject
-- or its latest version is permanently deleted (whose rows then leave
-- registry.subject_versions, which alone would hand the number out again).
create table registry.subject_high_water (
    subject      text    primary key,
    last_version integer not null check (last_version > 0)
);

insert into registry.subject_high_water (subject, last_version)
select subject, max(version)
from registry.subject_versions
group by subject;
