-- int_slow.sql in PostgreSQL's SQL (generate_series for DuckDB's range):
-- signal_postgres_test.go builds it on a PostgreSQL target.
select count(*) as pairs
from generate_series(0, {{ var('slow_n', 10) }} - 1) as a(n)
cross join generate_series(0, {{ var('slow_n', 10) }} - 1) as b(n)
where (a.n * 7 + b.n) % 13 = 3
  and exists (select 1 from {{ ref('stg_erp') }})
