-- Stage C: ERP products joined to web products through the liaison file.
select
    e.product_id,
    w.sku,
    w.post_title,
    e.price,
    w.total_sales,
    e.stock_quantity,
    e.stock_status,
    e.onsale_web
from {{ ref('stg_erp') }} as e
join {{ ref('stg_liaison') }} as l on l.product_id = e.product_id
join {{ ref('stg_web') }} as w on w.sku = l.id_web
