-- Stage B: web products only (no image attachments, no blank rows), with a
-- sku, de-duplicated on the sku. The sku is text: some are "13127-1".
select
    cast(sku as varchar) as sku,
    cast(total_sales as bigint) as total_sales,
    cast(post_title as varchar) as post_title,
    cast(post_name as varchar) as post_name,
    post_date,
    cast(post_status as varchar) as post_status
from {{ source('raw', 'web') }}
where post_type = 'product'
  and sku is not null
qualify row_number() over (partition by sku order by post_date desc nulls last) = 1
