{#- The ERP's prices and stock statuses over the months: a type 2 slowly
    changing dimension of the cleaned ERP products. A new version of a
    product opens when its price or its stock status changes (strategy
    check, NULL-safe); a product that leaves the ERP export is closed
    (hard_deletes invalidate). first_month is the month (var month) whose
    export first showed the version; dbt_valid_from and dbt_valid_to are
    the times of the runs. Tagged stage_b: it is taken as soon as the ERP
    is cleaned. A backfill (var backfill: a month older than the latest)
    does not take it: the current versions stay the latest month's. -#}
{% snapshot erp_price_history %}
{{ config(target_schema='history', unique_key='product_id', strategy='check',
          check_cols=['price', 'stock_status'], hard_deletes='invalidate',
          tags=['stage_b'], enabled=not var('backfill')) }}
select
    product_id,
    price,
    stock_status,
    '{{ var("month") }}' as first_month
from {{ ref('stg_erp') }}
{% endsnapshot %}
