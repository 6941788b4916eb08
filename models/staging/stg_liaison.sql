-- Stage B: the ERP to web mapping; id_web is the web sku (text), missing
-- for products that are not sold online.
select
    cast(product_id as bigint) as product_id,
    cast(id_web as varchar) as id_web
from {{ source('raw', 'liaison') }}
where product_id is not null
