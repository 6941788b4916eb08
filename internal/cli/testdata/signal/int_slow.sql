-- A model as slow as the var slow_n asks: it counts slow_n x slow_n pairs.
-- With the default (10) it takes no time; signal_test.go builds it with a
-- slow_n large enough to run for hours, then interrupts the build.
select count(*) as pairs
from range({{ var('slow_n', 10) }}) as a
cross join range({{ var('slow_n', 10) }}) as b
where (a.range * 7 + b.range) % 13 = 3
  and exists (select 1 from {{ ref('stg_erp') }})
