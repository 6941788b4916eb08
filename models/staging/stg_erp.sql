-- Stage B: ERP products, typed and de-duplicated on product_id (the row
-- of the highest price). Portable SQL (no DuckDB QUALIFY): it builds on
-- DuckDB and PostgreSQL alike.
select product_id, onsale_web, price, stock_quantity, stock_status
from (
    select
        cast(product_id as bigint) as product_id,
        cast(onsale_web as integer) = 1 as onsale_web,
        cast(price as decimal(12, 2)) as price,
        cast(stock_quantity as integer) as stock_quantity,
        cast(stock_status as varchar) as stock_status,
        row_number() over (partition by product_id order by price desc) as row_in_product
    from {{ source('raw', 'erp') }}
    where product_id is not null
) as ranked
where row_in_product = 1
