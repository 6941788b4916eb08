-- Stage D: revenue per product = price x units sold.
select
    product_id,
    sku,
    post_title,
    price,
    total_sales,
    price * total_sales as revenue
from {{ ref('int_products') }}
order by revenue desc, product_id
