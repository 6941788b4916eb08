-- The revenue per product adds up to the total revenue of the summary, to
-- the cent.
select s.total_revenue, p.summed
from {{ ref('kpi_summary') }} as s
cross join (select sum(revenue) as summed from {{ ref('revenue_by_product') }}) as p
where abs(s.total_revenue - p.summed) >= 0.01
