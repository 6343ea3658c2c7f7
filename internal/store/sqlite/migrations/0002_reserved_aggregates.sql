-- TEMPORARY placeholder for the aggregates migration (issue 11, another branch), so that the
-- loader's no-gap rule accepts 0003 on this branch. Drop this file when the real 0002 lands.
SELECT 1;
