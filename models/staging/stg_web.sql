-- Stage B: web products only (no image attachments, no blank rows), with a
-- sku, de-duplicated on the sku (the latest post). The sku is text: some
-- are "13127-1". Portable SQL (no DuckDB QUALIFY): it builds on DuckDB and
-- PostgreSQL alike.
select sku, total_sales, post_title, post_name, post_date, post_status
from (
    select
        cast(sku as varchar) as sku,
        cast(total_sales as bigint) as total_sales,
        cast(post_title as varchar) as post_title,
        cast(post_name as varchar) as post_name,
        post_date,
        cast(post_status as varchar) as post_status,
        row_number() over (partition by sku order by post_date desc nulls last) as row_in_sku
    from {{ source('raw', 'web') }}
    where post_type = 'product'
      and sku is not null
) as ranked
where row_in_sku = 1
