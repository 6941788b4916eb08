-- Every web product with a sku that the liaison maps to an ERP product is in
-- int_products: the join loses nothing.
select w.sku
from {{ ref('stg_web') }} as w
join {{ ref('stg_liaison') }} as l on l.id_web = w.sku
left join {{ ref('int_products') }} as p on p.sku = w.sku
where p.sku is null
