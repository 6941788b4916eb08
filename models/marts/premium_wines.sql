-- Stage E: premium wines, highest price first.
select product_id, sku, post_title, price, total_sales, revenue, z_score
from {{ ref('wine_zscores') }}
where is_premium
order by z_score desc, product_id
