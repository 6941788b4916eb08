-- Stage E: the month in one row.
select
    count(*) as products,
    sum(revenue) as total_revenue,
    count(*) filter (where is_premium) as premium_count,
    count(*) filter (where not is_premium) as ordinary_count
from {{ ref('wine_zscores') }}
