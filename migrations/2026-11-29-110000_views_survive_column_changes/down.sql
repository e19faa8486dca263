drop function staging.put_back_views();
drop function staging.set_aside_views_on(regclass);
