-- TEMPORARY placeholder for the aggregates migration (another branch), so that the loader's
-- no-gap rule accepts 0004 on this branch. Drop this file when the real 0003 lands.
SELECT 1;
