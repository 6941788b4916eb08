-- Stage D: price z-score of every product; above var premium_z_score it is
-- a premium ("millesime") wine.
select
    r.product_id,
    r.sku,
    r.post_title,
    r.price,
    r.total_sales,
    r.revenue,
    cast({{ z_score('r.price', 's.mean_price', 's.stddev_price') }} as decimal(18, 6)) as z_score,
    coalesce({{ z_score('r.price', 's.mean_price', 's.stddev_price') }} > {{ var('premium_z_score') | sql_literal }}, false) as is_premium
from {{ ref('revenue_by_product') }} as r
cross join {{ ref('price_stats') }} as s
