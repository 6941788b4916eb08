-- Stage C, for the analyst: ERP products whose id_web is not a web product.
select l.product_id, l.id_web
from {{ ref('stg_liaison') }} as l
left join {{ ref('stg_web') }} as w on w.sku = l.id_web
where l.id_web is not null
  and w.sku is null
