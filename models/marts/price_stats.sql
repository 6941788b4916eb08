{{ config(materialized='ephemeral') }}
-- Mean and sample standard deviation of the price over all joined products.
select
    avg(price) as mean_price,
    stddev_samp(price) as stddev_price
from {{ ref('revenue_by_product') }}
