-- Stage B: ERP products, typed and de-duplicated on product_id.
select
    cast(product_id as bigint) as product_id,
    cast(onsale_web as integer) = 1 as onsale_web,
    cast(price as decimal(12, 2)) as price,
    cast(stock_quantity as integer) as stock_quantity,
    cast(stock_status as varchar) as stock_status
from {{ source('raw', 'erp') }}
where product_id is not null
qualify row_number() over (partition by product_id order by price desc) = 1
